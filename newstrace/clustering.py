"""Online story clustering over plain records: which articles tell the same story.

A record is one article's evidence: a unit embedding of its title and lead, the capitalised
phrases (cheap named entities) and numbers of its lead, its publication time, and the earlier
articles it must join because the ``reuse`` stage found copying or rewriting between them.
Records arrive in batches, in time order; each joins the story it scores best against, or
starts a new one. The score of a record against a story is

    (1 - lexical_weight) * cosine(record vector, story centroid)
    + lexical_weight * cosine(record's TF-IDF words, story's TF-IDF centroid)
    + entity_weight * (share of the record's IDF-weighted entities the story already has)
    + number_weight * (share of the record's numbers the story already has)

and a record joins when the score reaches ``threshold``; a story whose last article is more
than ``window_days`` away from the record is not a candidate (a story spans days, not years).
A record that scores at least ``merge_threshold`` against two stories bridges them: they merge
into the older one, whose id survives. Candidates come from one matrix product of the batch
against the centroids of the stories active in the batch's time window (top ``candidates``
per record), plus every story touched earlier in the same batch, so adding 1,000 records to a
store of 100,000 costs one small matrix product, not 1,000 scans.

This module knows nothing about the store: the ``stories`` stage and ``bench/stories.py``
both drive it, and the same code could run as a batch job elsewhere.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

__all__ = [
    "ClusterParams", "Record", "StoryState", "Assignment", "BatchResult", "OnlineClusterer",
    "extract_entities", "extract_numbers", "extract_words", "time_in_days", "story_id_for", "record_texts",
]

# Capitalised words that start sentences or fill headlines without naming anything.
_COMMON_CAPITALISED = frozenset("""
a about after again against all also an and any are as at be because been before being but by
can could did do does during each even every few for from had has have he her here hers him his
how i if in into is it its just many may me more most much my new no nor not now of off on once
one only or other our out over own said says she should since so some still such than that the
their them then there these they this those through to too under until up very was we were what
when where which while who whom why will with would yet you your mr mrs ms dr sen rep gov
monday tuesday wednesday thursday friday saturday sunday january february march april june july
august september october november december today yesterday tomorrow breaking update watch live
read video photos exclusive opinion analysis report reports news
""".split())
_CAPITALISED_RUN = re.compile(r"[A-Z][\w'’\-]*(?:[ \t]+(?:(?:of|de|al|bin|van|von|la|le)[ \t]+)?[A-Z][\w'’\-]*)*")
_INITIALISM = re.compile(r"\b([A-Z])\.([A-Z])\.(?:([A-Z])\.)?")
_TOKEN = re.compile(r"[A-Z][\w'’\-]*")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")


def extract_entities(text: str) -> frozenset[str]:
    """Lower-cased capitalised phrases of ``text`` and their last words ("bernie sanders",
    "sanders"): a cheap stand-in for named entities, about 100 times faster than spaCy NER."""
    found: set[str] = set()
    text = _INITIALISM.sub(lambda m: "".join(g for g in m.groups() if g), text)  # U.S. → US
    for run in _CAPITALISED_RUN.finditer(text):
        words = [w.rstrip(".'’-").removesuffix("'s").removesuffix("’s") for w in _TOKEN.findall(run.group(0))]
        words = [w for w in words if w and w.lower() not in _COMMON_CAPITALISED]
        if not words:
            continue
        lowered = [w.lower() for w in words]
        if len(lowered) > 1:
            found.add(" ".join(lowered))
        found.add(lowered[-1])
        if len(lowered) > 1 and len(lowered[0]) > 2:
            found.add(lowered[0])
    return frozenset(e for e in found if len(e) > 1)


_WORD = re.compile(r"[^\W\d_]{3,}")


def extract_words(text: str) -> dict[str, int]:
    """Counts of the lower-cased content words of ``text`` (3+ letters, common words dropped):
    the lexical evidence, weighted by IDF inside the clusterer."""
    counts: Counter[str] = Counter(w for w in (m.group(0).lower() for m in _WORD.finditer(text))
                                   if w not in _COMMON_CAPITALISED)
    return dict(counts)


def extract_numbers(text: str) -> frozenset[str]:
    """Numbers of two or more digits, commas removed ("9,000" → "9000"). One-digit numbers
    are too common to tell stories apart."""
    out = set()
    for match in _NUMBER.finditer(text):
        value = match.group(0).replace(",", "").rstrip(".")
        if sum(c.isdigit() for c in value) >= 2:
            out.add(value)
    return frozenset(out)


def time_in_days(iso: str | None) -> float | None:
    """Days since 1970 for an ISO-8601 time (naive times are taken as UTC); None stays None."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() / 86400.0


def story_id_for(first_record_id: str) -> str:
    """A story's id comes from the article that started it, so reruns give the same ids."""
    return f"s-{first_record_id}"


@dataclass(frozen=True)
class ClusterParams:
    """Constants of the clusterer; the defaults were tuned on AllSides-NeuS train only."""

    threshold: float = 0.55
    lexical_weight: float = 0.4
    entity_weight: float = 0.0  # tuning gave entity overlap no weight beyond the words it shares
    number_weight: float = 0.05
    merge_threshold: float = 0.8
    window_days: float = 7.0
    candidates: int = 20


@dataclass(frozen=True)
class Record:
    """One article's evidence. ``vector`` is unit length; ``time`` is days since 1970 or None;
    ``links`` are ids of earlier records this one is known to reuse (must-link evidence)."""

    id: str
    vector: np.ndarray
    entities: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    time: float | None = None
    links: tuple[str, ...] = ()
    words: dict[str, int] = field(default_factory=dict)


@dataclass
class StoryState:
    """What the clusterer keeps about a story: enough to score, grow and merge it."""

    id: str
    vector_sum: np.ndarray
    size: int
    entity_counts: Counter[str] = field(default_factory=Counter)
    number_counts: Counter[str] = field(default_factory=Counter)
    term_sum: dict[str, float] = field(default_factory=dict)  # sum of members' unit TF-IDF vectors
    term_norm_sq: float = 0.0  # squared length of term_sum
    first_time: float | None = None
    last_time: float | None = None
    created_order: int = 0

    def absorb_times(self, first: float | None, last: float | None) -> None:
        if first is not None:
            self.first_time = first if self.first_time is None else min(self.first_time, first)
        if last is not None:
            self.last_time = last if self.last_time is None else max(self.last_time, last)


@dataclass(frozen=True)
class Assignment:
    record_id: str
    story_id: str
    score: float
    evidence: str  # "new" | "similar" | "reuse"


@dataclass
class BatchResult:
    assignments: list[Assignment]
    merges: list[tuple[str, str]]  # (kept id, absorbed id), in the order they happened
    touched: set[str]  # ids of stories created or changed by the batch (after merges)


class OnlineClusterer:
    """Incremental clustering. Build it with the stories already known (``stories``, with the
    document frequencies ``entity_df`` of entities and of words (keys "w:word") over
    ``records_seen`` records), then call
    ``add_batch`` with new records in time order."""

    def __init__(
        self,
        params: ClusterParams | None = None,
        stories: Iterable[StoryState] = (),
        *,
        entity_df: Counter[str] | None = None,
        records_seen: int = 0,
        known_assignments: dict[str, str] | None = None,
        dim: int | None = None,
    ) -> None:
        self.params = params or ClusterParams()
        self.entity_df: Counter[str] = Counter(entity_df or {})
        self.records_seen = records_seen
        self.stories: dict[str, StoryState] = {}
        self.alias: dict[str, str] = {}  # absorbed story id -> the id it merged into
        self.assignment: dict[str, str] = dict(known_assignments or {})
        self._dim = dim
        self._slots: dict[str, int] = {}
        self._slot_ids: list[str | None] = []
        self._matrix = np.zeros((0, dim or 0), dtype=np.float32)
        self._last = np.zeros(0, dtype=np.float64)
        self._first = np.zeros(0, dtype=np.float64)
        self._alive = np.zeros(0, dtype=bool)
        self._order = 0
        for story in stories:
            self._install(story)

    # -- bookkeeping -------------------------------------------------------------------------
    def resolve(self, story_id: str) -> str:
        """The live id of a story, following merges."""
        while story_id in self.alias:
            story_id = self.alias[story_id]
        return story_id

    def labels(self) -> dict[str, str]:
        """Every record seen by this clusterer (and known_assignments) → its live story id."""
        return {rid: self.resolve(sid) for rid, sid in self.assignment.items()}

    def _install(self, story: StoryState) -> None:
        if self._dim is None:
            self._dim = int(story.vector_sum.shape[0])
            self._matrix = np.zeros((0, self._dim), dtype=np.float32)
        self._order = max(self._order, story.created_order + 1)
        self.stories[story.id] = story
        slot = len(self._slot_ids)
        if slot >= self._matrix.shape[0]:
            grow = max(64, self._matrix.shape[0])
            self._matrix = np.vstack([self._matrix, np.zeros((grow, self._dim), dtype=np.float32)])
            self._last = np.concatenate([self._last, np.full(grow, np.nan)])
            self._first = np.concatenate([self._first, np.full(grow, np.nan)])
            self._alive = np.concatenate([self._alive, np.zeros(grow, dtype=bool)])
        self._slot_ids.append(story.id)
        self._slots[story.id] = slot
        self._alive[slot] = True
        self._refresh(story)

    def _refresh(self, story: StoryState) -> None:
        slot = self._slots[story.id]
        norm = float(np.linalg.norm(story.vector_sum))
        self._matrix[slot] = story.vector_sum / norm if norm > 0 else story.vector_sum
        self._last[slot] = np.nan if story.last_time is None else story.last_time
        self._first[slot] = np.nan if story.first_time is None else story.first_time

    def _idf(self, term: str) -> float:
        return math.log((self.records_seen + 1) / (self.entity_df.get(term, 0) + 1)) + 1.0

    def _word_vector(self, record: Record) -> dict[str, float]:
        """The record's unit TF-IDF vector (sublinear tf), with today's IDF."""
        weights = {w: (1.0 + math.log(c)) * self._idf("w:" + w) for w, c in record.words.items()}
        norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
        return {w: v / norm for w, v in weights.items()}

    # -- scoring -----------------------------------------------------------------------------
    def _in_window(self, slots: np.ndarray, when: float | None) -> np.ndarray:
        """Which of ``slots`` are live stories within the time window of ``when``."""
        ok = self._alive[slots].copy()
        if when is None:
            return ok
        first, last = self._first[slots], self._last[slots]
        gap = np.maximum(np.nan_to_num(when - last, nan=0.0), np.nan_to_num(first - when, nan=0.0))
        return ok & (gap <= self.params.window_days)

    def _scores(self, record: Record, slots: np.ndarray, words: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """(slots, scores) for the ``candidates`` stories nearest by cosine among ``slots``,
        with the entity and number bonuses added."""
        p = self.params
        cosines = self._matrix[slots] @ record.vector
        if len(slots) > p.candidates:
            keep = np.argpartition(-cosines, p.candidates - 1)[: p.candidates]
            slots, cosines = slots[keep], cosines[keep]
        scores = np.asarray(cosines, dtype=np.float64)
        if p.lexical_weight:
            scores *= 1.0 - p.lexical_weight
            for i, slot in enumerate(slots):
                story = self.stories[self._slot_ids[slot]]  # type: ignore[index]
                if story.term_norm_sq > 0 and words:
                    dot = sum(v * story.term_sum.get(w, 0.0) for w, v in words.items())
                    scores[i] += p.lexical_weight * dot / math.sqrt(story.term_norm_sq)
        if p.entity_weight and record.entities:
            weights = {e: self._idf(e) for e in record.entities}
            total = sum(weights.values())
            for i, slot in enumerate(slots):
                counts = self.stories[self._slot_ids[slot]].entity_counts  # type: ignore[index]
                shared = sum(w for e, w in weights.items() if e in counts)
                scores[i] += p.entity_weight * shared / total
        if p.number_weight and record.numbers:
            for i, slot in enumerate(slots):
                counts = self.stories[self._slot_ids[slot]].number_counts  # type: ignore[index]
                shared_n = sum(1 for n in record.numbers if n in counts)
                scores[i] += p.number_weight * shared_n / len(record.numbers)
        return slots, scores

    def _prefilter(self, records: Sequence[Record]) -> list[np.ndarray]:
        """Top candidate slots per record from one product against the pre-batch centroids."""
        n_slots = len(self._slot_ids)
        if n_slots == 0 or not records:
            return [np.zeros(0, dtype=np.int64) for _ in records]
        times = [r.time for r in records if r.time is not None]
        slots = np.flatnonzero(self._alive[:n_slots])
        if times and len(times) == len(records):
            # Only stories that can be within the window of some record of the batch.
            lo, hi = min(times) - self.params.window_days, max(times) + self.params.window_days
            last, first = self._last[slots], self._first[slots]
            keep = (np.isnan(last) | (last >= lo)) & (np.isnan(first) | (first <= hi))
            slots = slots[keep]
        if len(slots) == 0:
            return [slots for _ in records]
        vectors = np.stack([r.vector for r in records]).astype(np.float32)
        sims = vectors @ self._matrix[slots].T
        k = min(self.params.candidates, len(slots))
        if k < len(slots):
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        else:
            top = np.broadcast_to(np.arange(len(slots)), (len(records), len(slots)))
        return [slots[row] for row in top]

    # -- updating ----------------------------------------------------------------------------
    def _new_story(self, record: Record) -> StoryState:
        story = StoryState(
            id=story_id_for(record.id), vector_sum=np.zeros(self._dim or len(record.vector), np.float32),
            size=0, created_order=self._order,
        )
        self._order += 1
        story_id = story.id
        if story_id in self.stories or story_id in self.alias:  # a re-added record: keep ids unique
            story.id = f"{story_id}-{self._order}"
        self._install(story)
        return story

    def _grow(self, story: StoryState, record: Record, words: dict[str, float]) -> None:
        dot = sum(v * story.term_sum.get(w, 0.0) for w, v in words.items())
        story.term_norm_sq += 2 * dot + sum(v * v for v in words.values())
        for w, v in words.items():
            story.term_sum[w] = story.term_sum.get(w, 0.0) + v
        story.vector_sum = story.vector_sum + record.vector.astype(np.float32)
        story.size += 1
        story.entity_counts.update(record.entities)
        story.number_counts.update(record.numbers)
        story.absorb_times(record.time, record.time)
        self._refresh(story)

    def _older(self, a: StoryState, b: StoryState) -> tuple[StoryState, StoryState]:
        """(kept, absorbed): the story first seen earlier keeps its id."""
        def key(s: StoryState) -> tuple[float, int, str]:
            return (s.first_time if s.first_time is not None else math.inf, s.created_order, s.id)
        return (a, b) if key(a) <= key(b) else (b, a)

    def _merge(self, a: StoryState, b: StoryState) -> StoryState:
        kept, absorbed = self._older(a, b)
        small, large = sorted((kept.term_sum, absorbed.term_sum), key=len)
        cross = sum(v * large.get(w, 0.0) for w, v in small.items())
        kept.term_norm_sq = kept.term_norm_sq + absorbed.term_norm_sq + 2 * cross
        for w, v in absorbed.term_sum.items():
            kept.term_sum[w] = kept.term_sum.get(w, 0.0) + v
        kept.vector_sum = kept.vector_sum + absorbed.vector_sum
        kept.size += absorbed.size
        kept.entity_counts.update(absorbed.entity_counts)
        kept.number_counts.update(absorbed.number_counts)
        kept.absorb_times(absorbed.first_time, absorbed.last_time)
        self._alive[self._slots[absorbed.id]] = False
        del self.stories[absorbed.id]
        self.alias[absorbed.id] = kept.id
        self._refresh(kept)
        return kept

    def add_batch(self, records: Sequence[Record]) -> BatchResult:
        """Cluster ``records`` (in the order given, which should be time order)."""
        records = [r for r in records if r.id not in self.assignment]
        if records and self._dim is None:
            self._dim = int(records[0].vector.shape[0])
            self._matrix = np.zeros((0, self._dim), dtype=np.float32)
        prefiltered = self._prefilter(records)
        touched_slots: set[int] = set()
        assignments: list[Assignment] = []
        merges: list[tuple[str, str]] = []
        p = self.params
        for record, pre in zip(records, prefiltered, strict=True):
            linked = {self.resolve(self.assignment[x]) for x in record.links if x in self.assignment}
            linked = {s for s in linked if s in self.stories}
            candidates = np.unique(np.concatenate([pre, np.fromiter(touched_slots, np.int64)])).astype(np.int64)
            candidates = candidates[self._in_window(candidates, record.time)] if len(candidates) else candidates
            words = self._word_vector(record)
            candidates, scores = self._scores(record, candidates, words) if len(candidates) else (candidates, np.zeros(0))
            order = np.argsort(-scores)
            if linked:
                # Reuse found by the reuse stage is stronger than any similarity.
                target = self._older_of(linked)
                evidence, score = "reuse", 1.0
                bridged = [self.stories[s] for s in linked if s != target.id]
            elif len(order) and scores[order[0]] >= p.threshold:
                target = self.stories[self._slot_ids[candidates[order[0]]]]  # type: ignore[index]
                evidence, score = "similar", float(scores[order[0]])
                bridged = []
            else:
                target = self._new_story(record)
                evidence, score = "new", 0.0
                bridged = []
            if evidence != "new":
                # A record close to two stories shows they are one: merge them.
                for i in order[1:] if evidence == "similar" else order:
                    if scores[i] < p.merge_threshold:
                        break
                    other_id = self._slot_ids[candidates[i]]
                    if other_id in self.stories and other_id != target.id:
                        bridged.append(self.stories[other_id])
                if evidence == "similar" and bridged and scores[order[0]] < p.merge_threshold:
                    bridged = []
            for other in bridged:
                if other.id not in self.stories or other.id == target.id:
                    continue
                kept = self._merge(target, other)
                absorbed_id = other.id if kept is target else target.id
                merges.append((kept.id, absorbed_id))
                target = kept
            self._grow(target, record, words)
            touched_slots.add(self._slots[target.id])
            self.assignment[record.id] = target.id
            self.records_seen += 1
            self.entity_df.update(record.entities)
            self.entity_df.update("w:" + w for w in record.words)
            assignments.append(Assignment(record.id, target.id, score, evidence))
        final = [Assignment(a.record_id, self.resolve(a.story_id), a.score, a.evidence) for a in assignments]
        touched = {self.resolve(self._slot_ids[s]) for s in touched_slots}  # type: ignore[arg-type]
        touched |= {kept for kept, _ in merges}
        return BatchResult(final, merges, {self.resolve(t) for t in touched})

    def _older_of(self, story_ids: Iterable[str]) -> StoryState:
        stories = [self.stories[s] for s in story_ids]
        best = stories[0]
        for other in stories[1:]:
            best, _ = self._older(best, other)
        return best


_LEAD_END = ("." , "!", "?", '"', "”", "’", "'", ")")


def _is_lead_sentence(sentence: str) -> bool:
    """Photo captions, bylines and datelines of scraped pages are not the lead: they rarely end
    like a sentence ("Iraqi army soldiers drive through Kirkuk on October 10, 2016")."""
    sentence = sentence.strip()
    return sentence.endswith(_LEAD_END) and len(sentence.split()) >= 6


def record_texts(title: str, sentences: Sequence[str], *, lead_sentences: int = 2,
                 entity_sentences: int = 5) -> tuple[str, str]:
    """(text to embed, text to take entities and numbers from) for one article: the title and
    its first sentences. The lead carries the story; the rest of an article wanders."""
    title = title.strip()
    body = [s.strip() for s in sentences if _is_lead_sentence(s)] or [s.strip() for s in sentences]
    lead = " ".join(body[:lead_sentences])
    wider = " ".join(body[:entity_sentences])
    if title and lead.startswith(title):  # pages whose title is also their first line
        return lead, wider
    return (f"{title}. {lead}" if title else lead), (f"{title}. {wider}" if title else wider)
