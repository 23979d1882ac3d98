"""Precision and recall of claim grouping on real articles: 15 BASIL events, labelled by hand.

    python bench/trace_grouping.py [--split dev|test|test2|test3] [--link-scorer learned|cosine] [--db PATH] [--labels PATH] [--dump PATH]

The 15 **dev** events are the second half of BASIL's events in name order (triplet uuid), the
first 15 of them (the 15 **test** events, ``--split test``, are the next 15, labelled in
``bench/labels/basil_claim_pairs_test.tsv`` to check what the dev labels informed, and
``--split test2`` the 15 after those, ``basil_claim_pairs_test2.tsv``, labelled when the first
test set had informed a choice): the events ``bench/reuse_quality.py --split test`` starts with, and the ones of the
spot check in BENCHMARKS.md ("Trace"). ``--split test3`` is the first 15 events of the *first* half
(``basil_claim_pairs_test3.tsv``, labelled when test and test2 had each informed a choice; that half is
``bench/reuse_quality.py``'s dev split, where reuse constants were chosen, never grouping ones). Their 45 articles are written as JSON Lines (paragraphs
joined by blank lines, as in that spot check) into a temporary folder, ingested into a fresh
store and analysed through the ``trace`` stage with the default configuration.

Within each story, the **candidate pairs** are the pairs of claims of two different articles
whose MiniLM cosine (the vectors the trace stage computed for that story) is at least
``CANDIDATE_COSINE``, plus every pair the trace put in one claim group, whatever its cosine,
plus every pair the stage's grouping would make at one of the thresholds of the sweep.
A claim is keyed ``ARTICLE:START:END`` (the BASIL article's file stem, ``EVENTUUID_N``: one
article's own uuid field reads "empty"; character offsets into the article's text as
ingested), so keys do not depend on database ids.
``bench/labels/basil_claim_pairs.tsv`` holds a label (same / different) for each pair; the
definition of the labels is at its top.

Also printed: how often the ``polarity-reversed`` rule fires on labelled pairs (on a `same`
pair, a false reversal unless the two really say opposite things).

Printed: pairwise precision (share of the grouped cross-article pairs labelled same), recall
(share of the labelled-same pairs that are grouped), F1 and counts for the shipped settings;
how many candidate pairs have no label (when the pipeline changes, new pairs appear: label
them, do not guess); and, as an indication only, precision and recall at other group
thresholds. These labels were not used to set any threshold: do not pick a threshold on them
and report it as a test figure.

``--dump PATH`` writes every candidate pair with both claim texts, its cosine and whether it
is grouped, as JSON Lines, for labelling. Write it outside the repository (it holds article
text, which is never committed).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DATA = REPO.parent / "shared" / "data" / "basil"
LABELS = REPO / "bench" / "labels" / "basil_claim_pairs.tsv"
TEST_LABELS = REPO / "bench" / "labels" / "basil_claim_pairs_test.tsv"
TEST2_LABELS = REPO / "bench" / "labels" / "basil_claim_pairs_test2.tsv"
TEST3_LABELS = REPO / "bench" / "labels" / "basil_claim_pairs_test3.tsv"
#: split -> (half of BASIL's events, events of that half skipped before its 15, its labels)
SPLITS = {"dev": ("second", 0, LABELS), "test": ("second", 15, TEST_LABELS), "test2": ("second", 30, TEST2_LABELS),
          "test3": ("first", 0, TEST3_LABELS)}
EVENTS = 15
CANDIDATE_COSINE = 0.60
SWEEP = (0.60, 0.65, 0.70, 0.72, 0.75, 0.80, 0.85)  # cosine thresholds (trace.link_scorer = "cosine")
LINK_SWEEP = (0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.50)  # link probabilities (the learned scorer)
LABEL_VALUES = ("same", "different")

Key = tuple[str, int, int]  # (BASIL article file stem, start, end)
Pair = tuple[Key, Key]


# -- keys, labels and scoring (no model, no store: the test imports these) --------------------------
def format_key(key: Key) -> str:
    return f"{key[0]}:{key[1]}:{key[2]}"


def parse_key(text: str) -> Key:
    """``ARTICLE:START:END`` -> (article, start, end); ValueError when it is not one."""
    article, start, end = text.rsplit(":", 2)
    if not article or not start.isdigit() or not end.isdigit() or int(start) >= int(end):
        raise ValueError(f"not a claim key (ARTICLE:START:END): {text!r}")
    return article, int(start), int(end)


def pair_of(a: Key, b: Key) -> Pair:
    """The pair in canonical order (the smaller key first), so each pair has one spelling."""
    return (a, b) if a <= b else (b, a)


def read_labels(path: Path) -> dict[Pair, str]:
    """Labels by canonical pair. Comment lines start with ``#``; the first other line is the
    header ``key_a<TAB>key_b<TAB>label<TAB>reason``. Raises ValueError on a malformed row, an
    unknown label, a pair of one article, or a pair given twice (in either order)."""
    labels: dict[Pair, str] = {}
    lines = [line for line in path.read_text("utf-8").splitlines() if line.strip() and not line.startswith("#")]
    rows = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    if rows.fieldnames != ["key_a", "key_b", "label", "reason"]:
        raise ValueError(f"{path}: the header must be key_a, key_b, label, reason (tab-separated), "
                         f"not {rows.fieldnames}")
    for n, row in enumerate(rows, start=2):
        a, b = parse_key(row["key_a"] or ""), parse_key(row["key_b"] or "")
        if a[0] == b[0]:
            raise ValueError(f"{path} row {n}: both claims are of article {a[0]}; pairs are cross-article")
        if row["label"] not in LABEL_VALUES:
            raise ValueError(f"{path} row {n}: label {row['label']!r} is not one of {', '.join(LABEL_VALUES)}")
        if not (row["reason"] or "").strip():
            raise ValueError(f"{path} row {n}: give a short reason")
        pair = pair_of(a, b)
        if pair in labels:
            raise ValueError(f"{path} row {n}: the pair {format_key(a)} / {format_key(b)} is labelled twice")
        labels[pair] = row["label"]
    return labels


def read_reasons(path: Path) -> dict[Pair, str]:
    """The labeller's reason for each pair (for the listing of errors)."""
    lines = [line for line in path.read_text("utf-8").splitlines() if line.strip() and not line.startswith("#")]
    return {pair_of(parse_key(r["key_a"]), parse_key(r["key_b"])): r["reason"]
            for r in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)}


@dataclass(frozen=True)
class Score:
    grouped: int  # grouped cross-article pairs
    grouped_labelled: int
    true_positives: int  # grouped and labelled same
    labelled_same: int
    unlabelled_grouped: int

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.grouped_labelled if self.grouped_labelled else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.labelled_same if self.labelled_same else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else None


def score(grouped: Iterable[Pair], labels: Mapping[Pair, str]) -> Score:
    """Pairwise scores of ``grouped`` (canonical pairs) against ``labels``. Precision is over
    the grouped pairs that have a label (unlabelled ones are counted apart, never guessed);
    recall over every pair labelled same."""
    found = set(grouped)
    labelled = [p for p in found if p in labels]
    return Score(
        grouped=len(found), grouped_labelled=len(labelled),
        true_positives=sum(labels[p] == "same" for p in labelled),
        labelled_same=sum(v == "same" for v in labels.values()),
        unlabelled_grouped=len(found) - len(labelled),
    )


# -- the corpus and the pipeline ---------------------------------------------------------------------
def basil_events(limit: int = EVENTS, skip: int = 0, half: str = "second") -> list[list[dict[str, Any]]]:
    """The chosen events' articles, in file-name order within an event (as bench/reuse_quality.py):
    ``limit`` events after the first ``skip`` of the ``half`` ("first" or "second") of the events."""
    events: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((DATA / "articles").glob("*/*.json")):
        doc = json.loads(path.read_text("utf-8"))
        paragraphs = [" ".join(p) if isinstance(p, list) else str(p) for p in doc["body-paragraphs"]]
        events.setdefault(doc["triplet-uuid"], []).append(
            {"stem": path.stem, "title": doc["title"], "outlet": doc["source"], "date": doc.get("date"),
             "text": "\n\n".join(p for p in paragraphs if p.strip())})
    keys = sorted(k for k, v in events.items() if len(v) == 3)
    chosen = keys[len(keys) // 2:] if half == "second" else keys[:len(keys) // 2]
    return [events[k] for k in chosen[skip:skip + limit]]


def write_jsonl(events: list[list[dict[str, Any]]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for e, event in enumerate(events):
            for i, a in enumerate(event):
                out.write(json.dumps({"id": a["stem"], "title": a["title"], "text": a["text"], "outlet": a["outlet"],
                                      "published": a["date"], "url": f"https://basil.example/{e}/{i}"}) + "\n")


@contextmanager
def recorded_similarity() -> Iterator[list[tuple[Any, Any]]]:
    """Record the (claim vectors, similarity matrix) of each ``trace.similarity_matrix`` call.

    ``trace_story`` builds both inside and does not return them; recording them keeps this
    script on the stage's own numbers (the same vectors, batched the same way, and the same
    matrix, which the passage floor then raises in place) instead of a re-computation."""
    from newstrace import trace

    calls: list[tuple[Any, Any]] = []
    original = trace.similarity_matrix

    def recording(claims: Any, number_bonus: float = 0.1, vectors: Any = None) -> Any:
        sims = original(claims, number_bonus, vectors=vectors)
        calls.append((vectors, sims))
        return sims

    trace.similarity_matrix = recording
    try:
        yield calls
    finally:
        trace.similarity_matrix = original


@dataclass
class StoryPairs:
    keys: dict[str, Key]  # claim id -> key
    texts: dict[Key, str]
    cosine: dict[Pair, float]  # every cross-article pair
    link: dict[Pair, float]  # what links a pair: its probability (learned scorer) or similarity (cosine rule)
    similarity: dict[Pair, float]  # the stage's grouping similarity (before the passage floor)
    grouped: set[Pair]  # cross-article pairs in one stored claim group
    regrouped: dict[float, set[Pair]]  # threshold -> pairs grouped by group_claims at that threshold
    matches_store: bool  # trace_story here gave the stored groups
    #: grouped pair -> how it was linked at the shipped threshold: "link" (learned scorer), "similarity" (cosine or word
    #: overlap, with the number bonus), "passage" (raised to the threshold by an aligned passage
    #: of the reuse stage) or "chain" (below the threshold: joined through other claims of the group,
    #: or by a compound claim's clause or a restatement)
    linked_by: dict[Pair, str]
    #: diagnostic variants of the passage floor at the shipped threshold -> grouped pairs
    variants: dict[str, set[Pair]]


def analyse(db: Path, skip: int = 0, half: str = "second", link_scorer: str = "learned") -> tuple[list[StoryPairs], dict[str, Any]]:
    from newstrace import trace, trace_stage
    from newstrace.config import Config
    from newstrace.ingest import ingest
    from newstrace.pipeline import analyze
    from newstrace.store import Store

    config = Config({"trace.link_scorer": link_scorer})
    info: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = Path(tmp) / "basil.jsonl"
        write_jsonl(basil_events(EVENTS, skip, half), jsonl)
        store = Store.open(db)
        try:
            started = time.perf_counter()
            info["ingest"] = ingest(store, [str(jsonl)]).as_dict()["stored"]
            info["stages"] = analyze(store, config, until="trace")
            info["seconds"] = round(time.perf_counter() - started, 1)
            return _story_pairs(store, config, trace, trace_stage), info
        finally:
            store.close()


def _story_pairs(store: Any, config: Any, trace: Any, trace_stage: Any) -> list[StoryPairs]:
    import numpy as np

    from newstrace.claim_links import link_claims
    from newstrace.config import Config

    articles = store.rows("SELECT id, status, parent_id, metadata FROM articles")
    if any(a["status"] != "live" or a["parent_id"] for a in articles):
        raise SystemExit("an article was split by the segment stage: claim offsets would not be into the "
                         "ingested text; extend the keys before scoring")
    stem_of = {a["id"]: json.loads(a["metadata"])["id"] for a in articles}
    out = []
    for story in store.rows("SELECT id FROM stories WHERE size >= 2 ORDER BY id"):
        sid = str(story["id"])
        articles_, claims, pairs, cited, passages = trace_stage._story_inputs(store, story["id"])
        with recorded_similarity() as calls:
            result = trace.trace_story(story["id"], articles_, claims, pairs, config, cited, passages)
        vectors = calls[0][0]
        keys = {c.id: (stem_of[c.article_id], c.start, c.end) for c in claims}
        texts = {keys[c.id]: c.text for c in claims}
        cosines = np.asarray(vectors) @ np.asarray(vectors).T
        plain = trace.similarity_matrix(claims, config["trace.number_bonus"], vectors=vectors)
        learned = config["trace.link_scorer"] == "learned"
        threshold = config["trace.link_probability"] if learned else config["trace.group_threshold"]
        if learned:
            from newstrace.claim_links import link_probabilities

            link_matrix = link_probabilities(claims, np.asarray(cosines, dtype=np.float64), plain)
        else:
            link_matrix = plain.copy()
        # The stage's floor: aligned passages of reuse pairs only (claim_links.link_claims).
        reused = {frozenset((p["a_id"], p["b_id"])) for p in pairs if p["relation"] in trace.LINEAGE_RANK}
        floor = [p for p in passages if frozenset((p["a_id"], p["b_id"])) in reused]
        floored = link_matrix.copy()
        for i, j in trace.passage_matches(claims, floor, plain) if floor else ():
            floored[i, j] = floored[j, i] = max(floored[i, j], threshold)
        cosine, similarity, link, final_link = {}, {}, {}, {}
        for i, a in enumerate(claims):
            for j in range(i + 1, len(claims)):
                b = claims[j]
                if a.article_id != b.article_id:
                    pair = pair_of(keys[a.id], keys[b.id])
                    cosine[pair] = round(float(cosines[i, j]), 4)
                    similarity[pair] = round(float(plain[i, j]), 4)
                    link[pair] = round(float(link_matrix[i, j]), 4)
                    final_link[pair] = float(floored[i, j])
        grouped = _cross_pairs(_stored_groups(store, sid), keys)
        matches = grouped == _cross_pairs([{c.id for c in g} for g in result.groups], keys)
        order = [a["id"] for a in articles_]

        def regroup(t: float, passages_: list[dict[str, Any]], reuse_only: bool = True, claims: Any = claims,
                    vectors: Any = vectors, order: list[str] = order, keys: dict[str, Key] = keys,
                    pairs: Any = pairs, learned: bool = learned) -> set[Pair]:
            """The stage's grouping (``claim_links.link_claims``) re-run with its link threshold at ``t``."""
            # float64, as in the stage since 23 Nov 2026 (a float32 matrix stored a floor of 0.65 or
            # 0.70 just below the threshold, so those pairs failed ``>= threshold``).
            sims = trace.similarity_matrix(claims, config["trace.number_bonus"], vectors=vectors).astype(np.float64)
            comparable = sorted((a, b) for i, a in enumerate(order) for b in order[i + 1:])
            overrides = {"trace.link_scorer": config["trace.link_scorer"],
                         "trace.link_probability" if learned else "trace.group_threshold": t}
            groups = link_claims(claims, order, comparable, sims=sims, vectors=vectors, pairs=pairs,
                                 passages=passages_, config=Config(overrides), reuse_only=reuse_only)
            return _cross_pairs([{c.id for c in g} for g in groups], keys)

        regrouped = {t: regroup(t, passages) for t in (LINK_SWEEP if learned else SWEEP)}
        variants = {
            "no passage floor": regroup(threshold, []),
            "passage floor along every aligned pair, same-event too (the rule before 23 Nov 2026)": regroup(
                threshold, passages, reuse_only=False),
        }
        lexical = math.inf if learned else config["trace.lexical_threshold"]
        linked_by = {}
        for pair in grouped:
            words = [trace.content_words(texts[k]) for k in pair]
            if link[pair] >= threshold or trace.jaccard(*words) >= lexical:
                linked_by[pair] = "link" if learned else "similarity"
            elif final_link[pair] >= threshold:
                linked_by[pair] = "passage"
            else:
                linked_by[pair] = "chain"
        out.append(StoryPairs(keys, texts, cosine, link, similarity, grouped, regrouped, matches, linked_by, variants))
    return out


def _stored_groups(store: Any, story_id: str) -> list[set[str]]:
    groups: dict[str, set[str]] = {}
    for row in store.rows("SELECT v.group_id, v.claim_id FROM claim_variants v JOIN claim_groups g "
                          "ON g.id = v.group_id WHERE CAST(g.story_id AS TEXT) = :s", {"s": story_id}):
        groups.setdefault(row["group_id"], set()).add(str(row["claim_id"]))
    return list(groups.values())


def _cross_pairs(groups: Iterable[set[str]], keys: Mapping[str, Key]) -> set[Pair]:
    found = set()
    for members in groups:
        ordered = sorted(members)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                if keys[a][0] != keys[b][0]:
                    found.add(pair_of(keys[a], keys[b]))
    return found


# -- the report ---------------------------------------------------------------------------------------
def candidates(stories: Iterable[StoryPairs]) -> dict[Pair, tuple[StoryPairs, float]]:
    """Candidate pair -> (its story, its cosine): cosine at least CANDIDATE_COSINE, or grouped
    by the stage, or grouped by ``group_claims`` at one of the SWEEP thresholds (so that the
    sweep's figures have a label for every pair they count)."""
    found = {}
    for s in stories:
        swept = set().union(*s.regrouped.values())
        for pair, cosine in s.cosine.items():
            if cosine >= CANDIDATE_COSINE or pair in s.grouped or pair in swept:
                found[pair] = (s, cosine)
    return found


def story_bootstrap(stories: list[StoryPairs], labels: Mapping[Pair, str], draws: int = 2000,
                    seed: int = 7) -> tuple[tuple[float, float], tuple[float, float]]:
    """2.5th and 97.5th percentiles of (precision, recall) over stories drawn with replacement:
    pairs of one story are not independent, so stories are the unit that is resampled."""
    import random

    rng = random.Random(seed)
    per_story = []
    for s in stories:
        own = {p: v for p, v in labels.items() if p in s.cosine}
        found = score(s.grouped, own)
        per_story.append((found.true_positives, found.grouped_labelled, found.labelled_same))
    precisions, recalls = [], []
    for _ in range(draws):
        drawn = [per_story[rng.randrange(len(per_story))] for _ in per_story]
        tp, grouped, same = (sum(x[k] for x in drawn) for k in range(3))
        if grouped and same:
            precisions.append(tp / grouped)
            recalls.append(tp / same)
    precisions.sort()
    recalls.sort()

    def cut(q: float) -> tuple[float, float]:
        if not precisions:  # nothing labelled yet
            return float("nan"), float("nan")
        k = min(len(precisions) - 1, int(q * len(precisions)))
        return precisions[k], recalls[k]

    return cut(0.025), cut(0.975)


def dump(stories: list[StoryPairs], path: Path) -> int:
    rows = candidates(stories)
    with path.open("w", encoding="utf-8") as out:
        for (a, b), (s, cosine) in sorted(rows.items(), key=lambda kv: (-kv[1][1], kv[0])):
            out.write(json.dumps({"key_a": format_key(a), "key_b": format_key(b), "cosine": cosine,
                                  "similarity": s.similarity[(a, b)], "grouped": (a, b) in s.grouped,
                                  "text_a": s.texts[a], "text_b": s.texts[b]}, ensure_ascii=False) + "\n")
    return len(rows)


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def article_precision(grouped: Iterable[Pair], labels: Mapping[Pair, str]) -> tuple[int, int]:
    """(right, total) over (claim, other article) links that the groups make and the labels
    decide: a link is right when some claim of that article grouped with the claim is labelled
    same with it, wrong when all of them are labelled different (a false "told by" article)."""
    verdicts: dict[tuple[Key, str], list[str]] = {}
    for a, b in grouped:
        label = labels.get((a, b)) or labels.get((b, a))
        if label is None:
            continue
        verdicts.setdefault((a, b[0]), []).append(label)
        verdicts.setdefault((b, a[0]), []).append(label)
    right = sum("same" in v for v in verdicts.values())
    return right, len(verdicts)


def article_recall(grouped: Iterable[Pair], labels: Mapping[Pair, str]) -> tuple[int, int]:
    """(covered, total) over the pairs labelled same: a pair is covered when the claim of one
    side shares a group with some claim of the other side's article. This is what an analyst
    reads ("which articles tell this claim"): a second wording of the claim in the same article,
    left out of the group because a group holds one claim per article, is not a miss here."""
    partners: dict[Key, set[str]] = {}
    for a, b in grouped:
        partners.setdefault(a, set()).add(b[0])
        partners.setdefault(b, set()).add(a[0])
    same = [p for p, v in labels.items() if v == "same"]
    covered = sum(b[0] in partners.get(a, set()) or a[0] in partners.get(b, set()) for a, b in same)
    return covered, len(same)


def polarity_check(stories: list[StoryPairs], labels: Mapping[Pair, str]) -> str:
    """How often the ``polarity-reversed`` rule (``trace.reverses_polarity``) fires on labelled
    pairs: on a `same` pair it is a false reversal unless the two really say opposite things."""
    from newstrace.trace import reverses_polarity

    fired: dict[str, list[Pair]] = {"same": [], "different": []}
    for s in stories:
        for (a, b) in s.cosine:
            label = labels.get((a, b))
            if label and reverses_polarity(s.texts[a], s.texts[b]):
                fired[label].append((a, b))
    listed = "; ".join(f"{format_key(a)} / {format_key(b)}" for a, b in fired["same"])
    return (f"polarity-reversed rule on labelled pairs: fires on {len(fired['same'])} same "
            f"and {len(fired['different'])} different pairs{': ' + listed if listed else ''}")


def report(stories: list[StoryPairs], labels: Mapping[Pair, str], reasons: Mapping[Pair, str] | None = None) -> None:
    pool = candidates(stories)
    claims_now = {k for s in stories for k in s.texts}
    stale = [p for p in labels if p[0] not in claims_now or p[1] not in claims_now]
    current = {p: v for p, v in labels.items() if p not in stale}
    grouped = {p for s in stories for p in s.grouped}
    unlabelled = [p for p in pool if p not in current]
    print(f"candidate cross-article claim pairs: {len(pool)} (cosine >= {CANDIDATE_COSINE:.2f}: "
          f"{sum(c >= CANDIDATE_COSINE for _, c in pool.values())}; grouped: {len(grouped)})")
    print(f"labelled: {len(current)} ({sum(v == 'same' for v in current.values())} same); "
          f"candidate pairs without a label: {len(unlabelled)}; labels whose claims no longer exist: {len(stale)}")
    print(polarity_check(stories, current))
    if unlabelled:
        print("  the pipeline now yields pairs that were never labelled: label them (--dump) before "
              "trusting the figures below")
    if not all(s.matches_store for s in stories):
        print("  warning: trace_story re-run here did not give the stored groups for some stories")
    shipped = score(grouped, current)
    print(f"shipped settings: precision {_figure(shipped.precision)} ({shipped.true_positives}/"
          f"{shipped.grouped_labelled} grouped pairs labelled same), recall {_figure(shipped.recall)} "
          f"({shipped.true_positives}/{shipped.labelled_same} same pairs grouped), F1 {_figure(shipped.f1)}; "
          f"grouped pairs without a label: {shipped.unlabelled_grouped}")
    covered, total = article_recall(grouped, current)
    right, links = article_precision(grouped, current)
    print(f"  article level: precision {right}/{links} = {right / links if links else float('nan'):.3f} of the "
          f"(claim, other article) links have a claim of that article labelled same with it; recall "
          f"{covered}/{total} = {covered / total if total else float('nan'):.3f} of the same pairs have each "
          "claim grouped with a claim of the other's article")
    low, high = story_bootstrap(stories, current)
    print(f"  95% interval, resampling the {len(stories)} stories (2,000 draws): precision {low[0]:.2f}-{high[0]:.2f}, "
          f"recall {low[1]:.2f}-{high[1]:.2f}")
    learned = bool(stories) and min(stories[0].regrouped) < min(SWEEP)
    what = "link probability" if learned else "cosine"
    print(f"\nif the {what} threshold were ... (an indication only; these labels set no threshold)")
    print(f"  {what}: a pair counts as grouped when its {what} reaches the threshold")
    print("  regrouped: the stage's grouping re-run at that threshold (passage floor, one claim per article and "
          "group, average linkage, best counterparts, restatements; not compound clauses)")
    print(f"  {'threshold':>9}  {'pairwise P':>10} {'R':>6} {'F1':>6} {'n':>4}   "
          f"{'regrouped P':>11} {'R':>6} {'F1':>6} {'n':>4} {'unlab.':>6}")
    for t in sorted(stories[0].regrouped) if stories else ():
        pairwise = score({p for s in stories for p, v in s.link.items() if v >= t}, current)
        regrouped = score({p for s in stories for p in s.regrouped[t]}, current)
        print(f"  {t:9.2f}  {_figure(pairwise.precision):>10} {_figure(pairwise.recall):>6} "
              f"{_figure(pairwise.f1):>6} {pairwise.grouped_labelled:>4}   {_figure(regrouped.precision):>11} "
              f"{_figure(regrouped.recall):>6} {_figure(regrouped.f1):>6} {regrouped.grouped_labelled:>4} "
              f"{regrouped.unlabelled_grouped:>6}")
    linked_by = {p: how for s in stories for p, how in s.linked_by.items()}
    print("\nhow the grouped pairs were linked (labelled same / labelled different):")
    for how in ("link", "similarity", "passage", "chain"):
        pairs = [p for p, h in linked_by.items() if h == how]
        print(f"  {how:10s} {sum(current.get(p) == 'same' for p in pairs):4d} / "
              f"{sum(current.get(p) == 'different' for p in pairs):4d}")
    print("\nvariants of the passage floor at the shipped threshold (a diagnostic; choosing one on these "
          "labels makes them development data):")
    for name in stories[0].variants if stories else ():
        variant = {p for s in stories for p in s.variants[name]}
        v = score(variant, current)
        covered, total = article_recall(variant, current)
        right, links = article_precision(variant, current)
        print(f"  {name}: precision {_figure(v.precision)} ({v.true_positives}/{v.grouped_labelled}), "
              f"recall {_figure(v.recall)} ({v.true_positives}/{v.labelled_same}), F1 {_figure(v.f1)}; "
              f"article level: precision {right}/{links}, recall {covered}/{total}; "
              f"unlabelled grouped pairs {v.unlabelled_grouped}")
    false_groupings = sorted(p for p in grouped if current.get(p) == "different")
    missed = sorted(p for p, v in current.items() if v == "same" and p not in grouped)
    for title, found in (("false groupings (grouped, labelled different)", false_groupings),
                         ("missed pairs (labelled same, not grouped)", missed)):
        print(f"\n{title}: {len(found)}")
        for a, b in found:
            cosine = f"{pool[(a, b)][1]:.3f}" if (a, b) in pool else "-"
            print(f"  {format_key(a)}  {format_key(b)}  cosine {cosine}  {linked_by.get((a, b), '')}  "
                  f"{(reasons or {}).get((a, b), '')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="store to build (default: a temporary file); must not exist yet")
    parser.add_argument("--split", choices=SPLITS, default="dev",
                        help=f"dev: the 15 events above (labels in {LABELS.name}); "
                             f"test: the next 15 (labels in {TEST_LABELS.name}); test2: the 15 after those "
                             f"(labels in {TEST2_LABELS.name}); test3: the first 15 of the first half "
                             f"(labels in {TEST3_LABELS.name})")
    parser.add_argument("--labels", help="labels file (default: the split's)")
    parser.add_argument("--link-scorer", choices=("learned", "cosine"), default="learned",
                        help="trace.link_scorer: the learned link scorer (default) or the cosine rule before it")
    parser.add_argument("--dump", help="write the candidate pairs with their texts here (JSON Lines; "
                                       "outside the repository)")
    args = parser.parse_args()
    if not (DATA / "articles").is_dir():
        print(f"skipped: the BASIL data is not at {DATA} (see ../shared/data/README.md)")
        return
    with tempfile.TemporaryDirectory(prefix="newstrace-grouping-") as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "basil.db"
        if db.exists():
            raise SystemExit(f"{db} exists: give a new path, the measurement needs a fresh store")
        half, skip, _ = SPLITS[args.split]
        stories, info = analyse(db, skip=skip, half=half, link_scorer=args.link_scorer)
    print(f"{date.today().isoformat()}: {EVENTS} BASIL events ({args.split}, trace.link_scorer = {args.link_scorer}), "
          f"{info['ingest']} articles ingested, "
          f"{len(stories)} stories traced, pipeline through trace in {info['seconds']} s")
    if args.dump:
        print(f"wrote {dump(stories, Path(args.dump))} candidate pairs with their texts to {args.dump}")
    labels_path = Path(args.labels) if args.labels else SPLITS[args.split][2]
    if labels_path.exists():
        report(stories, read_labels(labels_path), read_reasons(labels_path))
    else:
        print(f"no labels at {labels_path}")
        report(stories, {})


if __name__ == "__main__":
    main()
