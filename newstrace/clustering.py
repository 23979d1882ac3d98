"""Online story clustering over plain records: which articles tell the same story.

A record is one article's evidence: a unit embedding of its title and lead (MiniLM's, taken
through the learned adapter ``story_scorer.adapt``, which callers apply), the content words,
capitalised phrases (cheap named entities) and numbers of its lead, its publication time, and
the earlier articles it must join because the ``reuse`` stage found copying or rewriting
between them. Records arrive in batches, in time order; each joins the story it scores best
against, or starts a new one.

A record is compared with *articles*, not with story centroids: the ``candidates`` nearest
held articles by embedding cosine name the candidate stories, and a story's score is the mean
same-story probability (``story_scorer``: a logistic regression over embedding cosine, TF-IDF
word cosine and shared numbers, fitted on AllSides-NeuS train) of the record against the
story's ``members_scored`` nearest members. Mean rather than max linkage, so that one loose
article does not chain two stories. A record joins the best story when that mean reaches
``threshold``; a story whose span is more than ``window_days`` away from the record is not a
candidate (a story spans days, not years). A record that scores at least ``merge_threshold``
against two stories bridges them: they merge into the older one, whose id survives.

Cost: one matrix-vector product per record against the articles held in the batch's time
window (all of them when the batch has undated records), then the scorer on a few dozen pairs.

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

from .story_scorer import PairScorer, default_scorer, pair_features

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
    """Constants of the clusterer; the defaults were chosen on AllSides-NeuS train only
    (``bench/train_story_scorer.py``)."""

    threshold: float = 0.25
    merge_threshold: float = 0.7
    window_days: float = 7.0
    candidates: int = 20
    members_scored: int = 30


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
    """What the clusterer keeps about a story besides its members: a summary for the store
    (centroid, entity and number counts) and the time span that the window is checked on."""

    id: str
    vector_sum: np.ndarray
    size: int
    entity_counts: Counter[str] = field(default_factory=Counter)
    number_counts: Counter[str] = field(default_factory=Counter)
    first_time: float | None = None
    last_time: float | None = None
    created_order: int = 0

    def absorb_times(self, first: float | None, last: float | None) -> None:
        if first is not None:
            self.first_time = first if self.first_time is None else min(self.first_time, first)
        if last is not None:
            self.last_time = last if self.last_time is None else max(self.last_time, last)

    def gap_to(self, when: float | None) -> float:
        """Days between ``when`` and the story's span (0 inside it, or when either is undated)."""
        if when is None:
            return 0.0
        before = (self.first_time - when) if self.first_time is not None else 0.0
        after = (when - self.last_time) if self.last_time is not None else 0.0
        return max(0.0, before, after)


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
    """Incremental clustering. Build it with the stories already known (``stories``), the
    member records they hold (``members``, with ``known_assignments`` saying whose they are)
    and the document frequencies of words (keys "w:word") and entities (``entity_df``) over
    ``records_seen`` records; then call ``add_batch`` with new records in time order."""

    def __init__(
        self,
        params: ClusterParams | None = None,
        stories: Iterable[StoryState] = (),
        *,
        members: Iterable[Record] = (),
        entity_df: Counter[str] | None = None,
        records_seen: int = 0,
        known_assignments: dict[str, str] | None = None,
        scorer: PairScorer | None = None,
    ) -> None:
        self.params = params or ClusterParams()
        self.scorer = scorer or default_scorer()
        self.entity_df: Counter[str] = Counter(entity_df or {})
        self.records_seen = records_seen
        self.stories: dict[str, StoryState] = {}
        self.alias: dict[str, str] = {}  # absorbed story id -> the id it merged into
        self.assignment: dict[str, str] = dict(known_assignments or {})
        self._order = 0
        # The item index: one row per member record held, in arrival order.
        self._items: list[Record] = []
        self._item_story: list[str] = []  # story id when the item joined; resolve() before use
        self._vectors = np.zeros((0, 0), dtype=np.float32)
        self._times = np.zeros(0, dtype=np.float64)  # NaN when undated
        self._members: dict[str, list[int]] = {}
        for story in stories:
            self._order = max(self._order, story.created_order + 1)
            self.stories[story.id] = story
            self._members[story.id] = []
        for record in members:
            story_id = self.assignment.get(record.id)
            if story_id is not None and self.resolve(story_id) in self.stories:
                self._index(record, self.resolve(story_id))

    # -- bookkeeping -------------------------------------------------------------------------
    def resolve(self, story_id: str) -> str:
        """The live id of a story, following merges."""
        while story_id in self.alias:
            story_id = self.alias[story_id]
        return story_id

    def labels(self) -> dict[str, str]:
        """Every record seen by this clusterer (and known_assignments) → its live story id."""
        return {rid: self.resolve(sid) for rid, sid in self.assignment.items()}

    def _index(self, record: Record, story_id: str) -> None:
        slot = len(self._items)
        if self._vectors.shape[1] == 0:
            self._vectors = np.zeros((64, len(record.vector)), dtype=np.float32)
            self._times = np.full(64, np.nan)
        elif slot >= self._vectors.shape[0]:
            self._vectors = np.vstack([self._vectors, np.zeros_like(self._vectors)])
            self._times = np.concatenate([self._times, np.full(len(self._times), np.nan)])
        self._vectors[slot] = record.vector
        self._times[slot] = np.nan if record.time is None else record.time
        self._items.append(record)
        self._item_story.append(story_id)
        self._members.setdefault(story_id, []).append(slot)

    def _idf(self, term: str) -> float:
        return math.log((self.records_seen + 1) / (self.entity_df.get(term, 0) + 1)) + 1.0

    def _word_vector(self, record: Record, idf: dict[str, float] | None = None) -> dict[str, float]:
        """The record's unit TF-IDF vector (sublinear tf), with today's IDF. ``idf`` memoises IDF
        values while the document frequencies do not change (within one record's scoring)."""
        memo = {} if idf is None else idf
        weights = {}
        for w, c in record.words.items():
            value = memo.get(w)
            if value is None:
                value = memo[w] = self._idf("w:" + w)
            weights[w] = (1.0 + math.log(c)) * value
        norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
        return {w: v / norm for w, v in weights.items()}

    # -- scoring -----------------------------------------------------------------------------
    def _window_slots(self, records: Sequence[Record]) -> np.ndarray:
        """Item rows that any record of the batch could be near in time (all when undated).
        Stories are checked against the window exactly later; this only narrows the search."""
        n = len(self._items)
        times = [r.time for r in records if r.time is not None]
        if not times or len(times) < len(records):
            return np.arange(n)
        lo, hi = min(times) - self.params.window_days, max(times) + self.params.window_days
        item_times = self._times[:n]
        return np.flatnonzero(np.isnan(item_times) | ((item_times >= lo) & (item_times <= hi)))

    def _story_scores(self, record: Record, slots: np.ndarray, cosines: np.ndarray) -> dict[str, float]:
        """Mean same-story probability of ``record`` against the nearest members of each story
        that one of its ``candidates`` nearest items (``slots``, at ``cosines``) belongs to
        (within the time window)."""
        p = self.params
        if len(slots) == 0:
            return {}
        k = min(p.candidates, len(slots))
        nearest = slots[np.argpartition(-cosines, k - 1)[:k]] if k < len(slots) else slots
        story_ids = sorted({self.resolve(self._item_story[s]) for s in nearest.tolist()})
        idf: dict[str, float] = {}
        words = self._word_vector(record, idf)
        word_cache: dict[int, dict[str, float]] = {}
        scores: dict[str, float] = {}
        for story_id in story_ids:
            story = self.stories.get(story_id)
            if story is None or story.gap_to(record.time) > p.window_days:
                continue
            members = np.asarray(self._members.get(story_id, []), dtype=np.int64)
            if len(members) == 0:
                continue
            member_cos = self._vectors[members] @ record.vector
            if len(members) > p.members_scored:
                keep = np.argsort(-member_cos, kind="stable")[: p.members_scored]
                members, member_cos = members[keep], member_cos[keep]
            other_words = []
            for slot in members.tolist():
                if slot not in word_cache:
                    word_cache[slot] = self._word_vector(self._items[slot], idf)
                other_words.append(word_cache[slot])
            features = pair_features(member_cos, words, other_words, record.numbers,
                                     [self._items[s].numbers for s in members.tolist()])
            scores[story_id] = float(self.scorer.probability(features).mean())
        return scores

    # -- updating ----------------------------------------------------------------------------
    def _new_story(self, record: Record) -> StoryState:
        story = StoryState(id=story_id_for(record.id), vector_sum=np.zeros(len(record.vector), np.float32),
                           size=0, created_order=self._order)
        self._order += 1
        if story.id in self.stories or story.id in self.alias:  # a re-added record: keep ids unique
            story.id = f"{story.id}-{self._order}"
        self.stories[story.id] = story
        self._members[story.id] = []
        return story

    def _grow(self, story: StoryState, record: Record) -> None:
        story.vector_sum = story.vector_sum + record.vector.astype(np.float32)
        story.size += 1
        story.entity_counts.update(record.entities)
        story.number_counts.update(record.numbers)
        story.absorb_times(record.time, record.time)
        self._index(record, story.id)

    def _older(self, a: StoryState, b: StoryState) -> tuple[StoryState, StoryState]:
        """(kept, absorbed): the story first seen earlier keeps its id."""
        def key(s: StoryState) -> tuple[float, int, str]:
            return (s.first_time if s.first_time is not None else math.inf, s.created_order, s.id)
        return (a, b) if key(a) <= key(b) else (b, a)

    def _merge(self, a: StoryState, b: StoryState) -> StoryState:
        kept, absorbed = self._older(a, b)
        kept.vector_sum = kept.vector_sum + absorbed.vector_sum
        kept.size += absorbed.size
        kept.entity_counts.update(absorbed.entity_counts)
        kept.number_counts.update(absorbed.number_counts)
        kept.absorb_times(absorbed.first_time, absorbed.last_time)
        # Members stay in arrival order, so that which ones are scored does not depend on merges.
        kept_members = self._members.setdefault(kept.id, [])
        kept_members.extend(self._members.pop(absorbed.id, []))
        kept_members.sort()
        del self.stories[absorbed.id]
        self.alias[absorbed.id] = kept.id
        return kept

    def add_batch(self, records: Sequence[Record]) -> BatchResult:
        """Cluster ``records`` (in the order given, which should be time order)."""
        records = [r for r in records if r.id not in self.assignment]
        window = self._window_slots(records)
        first_new_slot = len(self._items)
        assignments: list[Assignment] = []
        merges: list[tuple[str, str]] = []
        touched: set[str] = set()
        p = self.params
        # Cosines with the window's items in one matrix product per 128 records, instead of a
        # gathered copy of the window for each record (with undated records the window is every
        # item).
        window_vectors = self._vectors[window]
        window_cosines = np.zeros((len(window), 0), np.float32)
        for i, record in enumerate(records):
            if i % 128 == 0:
                chunk = np.stack([r.vector for r in records[i : i + 128]]).T
                window_cosines = window_vectors @ chunk if len(window) else np.zeros((0, chunk.shape[1]), np.float32)
            slots = np.concatenate([window, np.arange(first_new_slot, len(self._items))]).astype(np.int64)
            cosines = np.concatenate([
                window_cosines[:, i % 128],
                self._vectors[first_new_slot : len(self._items)] @ record.vector
                if len(self._items) > first_new_slot else np.zeros(0, np.float32)])
            linked = {self.resolve(self.assignment[x]) for x in record.links if x in self.assignment}
            linked = {s for s in linked if s in self.stories}
            scores = self._story_scores(record, slots, cosines)
            ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
            bridged: list[StoryState] = []
            if linked:
                # Reuse found by the reuse stage is stronger than any similarity.
                target = self._older_of(linked)
                evidence, score = "reuse", 1.0
                bridged = [self.stories[s] for s in sorted(linked) if s != target.id]
                bridged += [self.stories[s] for s, v in ranked if v >= p.merge_threshold and s not in linked]
            elif ranked and ranked[0][1] >= p.threshold:
                target = self.stories[ranked[0][0]]
                evidence, score = "similar", ranked[0][1]
                if score >= p.merge_threshold:
                    # A record this close to two stories shows they are one: merge them.
                    bridged = [self.stories[s] for s, v in ranked[1:] if v >= p.merge_threshold]
            else:
                target = self._new_story(record)
                evidence, score = "new", 0.0
            for other in bridged:
                if other.id not in self.stories or other.id == target.id:
                    continue
                kept = self._merge(target, other)
                merges.append((kept.id, other.id if kept is target else target.id))
                target = kept
            self._grow(target, record)
            touched.add(target.id)
            self.assignment[record.id] = target.id
            self.records_seen += 1
            self.entity_df.update(record.entities)
            self.entity_df.update("w:" + w for w in record.words)
            assignments.append(Assignment(record.id, target.id, score, evidence))
        final = [Assignment(a.record_id, self.resolve(a.story_id), a.score, a.evidence) for a in assignments]
        touched = {self.resolve(t) for t in touched} | {self.resolve(kept) for kept, _ in merges}
        return BatchResult(final, merges, touched)

    def _older_of(self, story_ids: Iterable[str]) -> StoryState:
        stories = [self.stories[s] for s in sorted(story_ids)]
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
