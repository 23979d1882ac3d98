"""Story clustering benchmark: quality on AllSides-NeuS and BASIL, speed on a 100,000 stream.

    python bench/stories.py            # quality (baseline tuned on AllSides train; val + BASIL) and speed
    python bench/stories.py --quick    # quality with the baseline's earlier threshold, smaller speed run
    python bench/stories.py --quality-only / --speed-only

Quality: BCubed precision, recall and F1 and the number of stories, for newstrace's clusterer
(newstrace.clustering: a learned same-story pair scorer over the adapted MiniLM title+lead
cosine, TF-IDF word cosine and shared numbers, averaged over a story's nearest members; time window) and, in
the same run, the classic baseline: online TF-IDF cosine against story centroids with one
threshold (the method family of Miranda et al. 2018). newstrace's packaged constants come from
bench/train_story_scorer.py (AllSides-NeuS train only); the baseline's threshold is tuned here on
AllSides train. AllSides val and BASIL are reported with those constants (BASIL is never tuned
on). "train-holdout" is the fifth of train that the scorer was not fitted on.
AllSides has no dates: its items are streamed in a fixed shuffled order (seed 13), so that the
three tellings of a story do not arrive side by side. BASIL is streamed in date order, and both
methods get the same time window there.

Speed: a synthetic stream of 100,000 records (story-structured vectors, entities, numbers and
times over one year; the vectors stand in for MiniLM's, whose own cost is measured apart on
real title+leads; taken through the story adapter, as the stage does) through the clusterer and the baseline, articles/s and peak memory, and the
latency of adding a batch of 1,000 to a stream of 100,000, in one process. The same through the
real ``stories`` stage on a SQLite store: ``bench/stories_store.py``.
"""

from __future__ import annotations

import argparse
import gc
import glob
import json
import math
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newstrace.clustering import (  # noqa: E402
    ClusterParams,
    OnlineClusterer,
    Record,
    extract_entities,
    extract_numbers,
    extract_words,
    record_texts,
    time_in_days,
)
from newstrace.sentences import split_sentences  # noqa: E402

DATA = REPO.parent / "shared" / "data"
ALLSIDES_SEED = 13


# -- data ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    id: str
    story: str
    title: str
    text: str
    published: str | None = None
    outlet: str | None = None


def load_allsides(split: str) -> list[Item]:
    """Each line is one story told by three outlets: one item per telling (title + lead)."""
    path = DATA / "allsides-neus" / f"{split}.source"
    items = []
    for line_no, line in enumerate(path.read_text("utf-8").splitlines()):
        if not line.strip():
            continue
        for part_no, part in enumerate(line.split("[SEP]")):
            title, _, lead = part.partition("ARTICLE=>")
            title = title.replace("TITLE=>", "").strip()
            items.append(Item(f"{split}-{line_no}-{part_no}", f"{split}-{line_no}", title, lead.strip(),
                              outlet=("left", "centre", "right")[part_no % 3]))
    random.Random(ALLSIDES_SEED).shuffle(items)
    return items


def is_train_holdout(story: str) -> bool:
    """The fifth of AllSides train (line number a multiple of 5) that the pair scorer was not
    fitted on; bench/train_story_scorer.py chose the thresholds on it."""
    return int(story.rsplit("-", 1)[1]) % 5 == 0


def load_basil() -> list[Item]:
    """100 events × 3 full articles, in date order (ties by file name)."""
    items = []
    for path in sorted(glob.glob(str(DATA / "basil" / "articles" / "*" / "*.json"))):
        doc = json.loads(Path(path).read_text("utf-8"))
        paragraphs = doc.get("body-paragraphs") or []
        text = "\n".join(" ".join(p) if isinstance(p, list) else str(p) for p in paragraphs)
        items.append(Item(Path(path).stem, doc["triplet-uuid"], doc.get("title") or "", text,
                          published=f"{doc['date']}T12:00:00+00:00", outlet=doc.get("source")))
    items.sort(key=lambda i: (i.published or "", i.id))
    return items


def embed_cached(texts: list[str], cache: Path | None, name: str) -> np.ndarray:
    """MiniLM vectors for ``texts``; with ``cache``, kept in CACHE/NAME.npz keyed by text hash
    so a rerun only embeds texts it has not seen."""
    import hashlib

    from newstrace.models import embed

    keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    known: dict[str, np.ndarray] = {}
    path = cache / f"{name}.npz" if cache is not None else None
    if path is not None and path.exists():
        with np.load(path) as stored:
            known = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    if todo:
        vectors = embed([t for _, t in todo])
        known.update({k: v for (k, _), v in zip(todo, vectors, strict=True)})
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[k] for k in keys]).astype(np.float32)


def build_records(items: Sequence[Item], cache: Path | None, name: str, *,
                  adapt_vectors: bool = True) -> list[Record]:
    """Records as the ``stories`` stage builds them: MiniLM title+lead vectors taken through the
    packaged adapter (``adapt_vectors=False`` keeps them raw, to train an adapter on)."""
    from newstrace.story_scorer import adapt

    texts, entity_texts = [], []
    for item in items:
        sentences = [s.text for s in split_sentences(item.text)]
        embed_text, entity_text = record_texts(item.title, sentences)
        texts.append(embed_text)
        entity_texts.append(entity_text)
    vectors = embed_cached(texts, cache, name)
    if adapt_vectors:
        vectors = adapt(vectors)
    return [
        Record(item.id, vectors[i], extract_entities(entity_texts[i]), extract_numbers(entity_texts[i]),
               time_in_days(item.published), words=extract_words(entity_texts[i]))
        for i, item in enumerate(items)
    ]


# -- metrics ---------------------------------------------------------------------------------
def bcubed(predicted: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    """BCubed precision, recall, F1 (Amigó et al. 2009) over the items of ``gold``."""
    by_pred: dict[str, set[str]] = defaultdict(set)
    by_gold: dict[str, set[str]] = defaultdict(set)
    for item, label in gold.items():
        by_gold[label].add(item)
        by_pred[predicted[item]].add(item)
    precision = recall = 0.0
    for item, label in gold.items():
        cluster, klass = by_pred[predicted[item]], by_gold[label]
        both = len(cluster & klass)
        precision += both / len(cluster)
        recall += both / len(klass)
    precision /= len(gold)
    recall /= len(gold)
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


# -- methods ---------------------------------------------------------------------------------
def run_newstrace(records: Sequence[Record], params: ClusterParams, batch: int = 1000) -> dict[str, str]:
    clusterer = OnlineClusterer(params)
    for start in range(0, len(records), batch):
        clusterer.add_batch(records[start : start + batch])
    return clusterer.labels()


class TfidfOnlineBaseline:
    """Online TF-IDF clustering: each document joins the story whose centroid (sum of unit
    TF-IDF vectors) is nearest by cosine if that cosine reaches ``threshold``, else starts a
    story. Scored through an inverted index over centroid terms; optional time window."""

    def __init__(self, threshold: float, window_days: float | None = None) -> None:
        self.threshold = threshold
        self.window_days = window_days
        self.postings: dict[int, dict[int, float]] = defaultdict(dict)  # term -> story -> weight sum
        self.norm_sq: list[float] = []
        self.first: list[float | None] = []
        self.last: list[float | None] = []
        self.labels: list[int] = []

    def add(self, terms: np.ndarray, weights: np.ndarray, when: float | None) -> int:
        dots: dict[int, float] = defaultdict(float)
        for term, weight in zip(terms.tolist(), weights.tolist(), strict=True):
            for story, w in self.postings.get(term, {}).items():
                dots[story] += weight * w
        best, best_score = -1, self.threshold
        for story, dot in dots.items():
            if when is not None and self.window_days is not None and self.last[story] is not None:
                gap = max(when - self.last[story], self.first[story] - when)  # type: ignore[operator]
                if gap > self.window_days:
                    continue
            score = dot / math.sqrt(self.norm_sq[story])
            if score >= best_score:
                best, best_score = story, score
        if best < 0:
            best = len(self.norm_sq)
            self.norm_sq.append(0.0)
            self.first.append(when)
            self.last.append(when)
        else:
            first, last = self.first[best], self.last[best]
            if when is not None:
                self.first[best] = when if first is None else min(first, when)
                self.last[best] = when if last is None else max(last, when)
        self.norm_sq[best] += 2 * dots.get(best, 0.0) + float(weights @ weights)
        for term, weight in zip(terms.tolist(), weights.tolist(), strict=True):
            posting = self.postings[term]
            posting[best] = posting.get(best, 0.0) + weight
        self.labels.append(best)
        return best


def tfidf_matrix(texts: list[str]):  # type: ignore[no-untyped-def]
    """Sublinear TF-IDF, English stop words removed, IDF from the stream itself (which, if
    anything, favours the baseline: a live system would only know the past)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=1).fit_transform(texts).tocsr()


def run_baseline(matrix, items: Sequence[Item], threshold: float, window_days: float | None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    model = TfidfOnlineBaseline(threshold, window_days)
    for i, item in enumerate(items):
        row = matrix.getrow(i)
        model.add(row.indices, row.data, time_in_days(item.published))
    return {item.id: str(label) for item, label in zip(items, model.labels, strict=True)}


def baseline_texts(items: Sequence[Item]) -> list[str]:
    return [f"{i.title}. {i.text}" for i in items]


# -- tuning (AllSides train only) --------------------------------------------------------------
def tune_baseline(matrix, items: Sequence[Item], gold: dict[str, str], log: Callable[[str], None]) -> float:  # type: ignore[no-untyped-def]
    best_t, best_f1 = 0.0, -1.0
    for threshold in [0.15, 0.2, 0.25, 0.3, 0.35, 0.4]:
        score = bcubed(run_baseline(matrix, items, threshold, None), gold)[2]
        if score > best_f1:
            best_t, best_f1 = threshold, score
    log(f"  baseline threshold {best_t} (train F1 {best_f1:.4f})")
    return best_t


# -- quality ---------------------------------------------------------------------------------
def quality(quick: bool, cache: Path | None, log: Callable[[str], None]) -> dict[str, object]:
    if not (DATA / "allsides-neus" / "train.source").exists() or not (DATA / "basil" / "articles").is_dir():
        log(f"SKIPPED quality: the evaluation data is not at {DATA} (check out ../shared beside the repo)")
        return {}
    train, val, basil = load_allsides("train"), load_allsides("val"), load_basil()
    log(f"embedding {len(train) + len(val) + len(basil)} title+leads with MiniLM (cache: {cache})")
    records = {name: build_records(items, cache, name) for name, items in
               (("train", train), ("val", val), ("basil", basil))}
    gold = {name: {i.id: i.story for i in items} for name, items in (("train", train), ("val", val), ("basil", basil))}
    matrices = {name: tfidf_matrix(baseline_texts(items)) for name, items in
                (("train", train), ("val", val), ("basil", basil))}
    # newstrace's scorer weights and thresholds are packaged: bench/train_story_scorer.py fitted
    # them on four fifths of AllSides train and chose the thresholds on the other fifth.
    params = ClusterParams()
    holdout = [i for i in train if is_train_holdout(i.story)]
    held_ids = {i.id for i in holdout}
    records["train-holdout"] = [r for r in records["train"] if r.id in held_ids]
    gold["train-holdout"] = {i.id: i.story for i in holdout}
    matrices["train-holdout"] = tfidf_matrix(baseline_texts(holdout))
    if quick:
        baseline_threshold = 0.3
        log("--quick: baseline threshold 0.3 (tuned earlier on AllSides train)")
    else:
        log("tuning the TF-IDF baseline on AllSides train")
        baseline_threshold = tune_baseline(matrices["train"], train, gold["train"], log)
    results: dict[str, object] = {"params": params.__dict__, "baseline_threshold": baseline_threshold}
    rows = []
    for name, items in (("train", train), ("train-holdout", holdout), ("val", val), ("basil", basil)):
        window = params.window_days if name == "basil" else None
        ours = run_newstrace(records[name], params)
        base = run_baseline(matrices[name], items, baseline_threshold, window)
        true_n = len(set(gold[name].values()))
        for method, labels in (("newstrace", ours), ("tfidf-baseline", base)):
            p, r, f = bcubed(labels, gold[name])
            rows.append({"data": name, "method": method, "precision": round(p, 4), "recall": round(r, 4),
                         "f1": round(f, 4), "stories": len(set(labels.values())), "true_stories": true_n,
                         "items": len(items)})
    results["rows"] = rows
    log(f"constants: {params}; baseline threshold {baseline_threshold}")
    log(f"{'data':<16}{'method':<16}{'B3 P':>7}{'B3 R':>7}{'B3 F1':>7}{'stories':>9}{'true':>6}")
    labels = {"train": "AllSides train", "train-holdout": "train-holdout", "val": "AllSides val", "basil": "BASIL"}
    for row in rows:
        log(f"{labels[str(row['data'])]:<16}{row['method']:<16}{row['precision']:>7.3f}{row['recall']:>7.3f}"
            f"{row['f1']:>7.3f}{row['stories']:>9}{row['true_stories']:>6}")
    return results


# -- speed -----------------------------------------------------------------------------------
def synthetic_stream(n: int, seed: int = 7, *, adapted: bool = True) -> tuple[list[Record], list[str]]:
    """n records in time order over a year, in stories of 1-40 articles spanning a few days:
    vectors near a story centre (cosine ~0.6-0.8, like MiniLM's for one story), entities,
    numbers and words drawn from the story's own vocabulary plus common ones. Also the texts,
    for the TF-IDF baseline. The vectors are taken through the story adapter unless
    ``adapted`` is false (what the store keeps)."""
    from newstrace.story_scorer import adapt

    rng = np.random.default_rng(seed)
    records: list[tuple[float, Record, str]] = []
    story = 0
    while len(records) < n:
        size = int(min(40, rng.zipf(1.8)))
        centre = rng.normal(size=384).astype(np.float32)
        centre /= np.linalg.norm(centre)
        start = float(rng.uniform(19000, 19365))
        vocab = [f"w{story}x{k}" for k in range(12)]
        names = [f"Name{story}x{k}" for k in range(4)]
        for _ in range(size):
            v = centre + rng.normal(scale=0.035, size=384).astype(np.float32)
            v = v / np.linalg.norm(v)
            if adapted:  # as the stories stage does with MiniLM's vectors
                v = adapt(v)
            words = list(rng.choice(vocab, 6)) + [f"common{int(c)}" for c in rng.integers(0, 3000, 14)]
            ents = list(rng.choice(names, 2))
            text = " ".join(words) + " " + " ".join(ents)
            when = start + float(rng.exponential(1.5))
            records.append((when, Record(f"a{len(records)}", v, frozenset(e.lower() for e in ents),
                                         frozenset({str(story)}), when, words=dict(Counter(words))), text))
        story += 1
    records = records[:n]
    records.sort(key=lambda r: r[0])
    return [r for _, r, _ in records], [t for _, _, t in records]


def speed(n: int, log: Callable[[str], None]) -> dict[str, object]:
    log(f"speed: synthetic stream of {n} records (shared 2-core machine)")
    records, texts = synthetic_stream(n + 3000)
    stream, extra = records[:n], records[n:]
    out: dict[str, object] = {"n": n}
    params = ClusterParams()

    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    clusterer = OnlineClusterer(params)
    for start in range(0, n, 1000):
        clusterer.add_batch(stream[start : start + 1000])
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    out["newstrace"] = {"articles_per_s": round(n / elapsed, 1), "peak_mib": round(peak / 2**20, 1),
                        "stories": len(clusterer.stories)}
    latencies = []
    for k in range(3):
        batch = extra[k * 1000 : (k + 1) * 1000]
        started = time.perf_counter()
        clusterer.add_batch(batch)
        latencies.append(time.perf_counter() - started)
    out["newstrace"]["add_1000_to_n_s"] = round(statistics.median(latencies), 3)  # type: ignore[index]
    log(f"  newstrace clusterer: {out['newstrace']}")
    del clusterer
    gc.collect()

    matrix = tfidf_matrix(texts)
    tracemalloc.start()
    started = time.perf_counter()
    baseline = TfidfOnlineBaseline(0.3, params.window_days)
    for i in range(n):
        row = matrix.getrow(i)
        baseline.add(row.indices, row.data, stream[i].time)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    latencies = []
    for k in range(3):
        started = time.perf_counter()
        for i in range(n + k * 1000, n + (k + 1) * 1000):
            row = matrix.getrow(i)
            baseline.add(row.indices, row.data, records[i].time)
        latencies.append(time.perf_counter() - started)
    out["tfidf_baseline"] = {"articles_per_s": round(n / elapsed, 1), "peak_mib": round(peak / 2**20, 1),
                             "stories": len(baseline.norm_sq),
                             "add_1000_to_n_s": round(statistics.median(latencies), 3)}
    log(f"  TF-IDF baseline:     {out['tfidf_baseline']}")

    if (DATA / "allsides-neus" / "val.source").exists():
        from newstrace.models import embed

        sample = load_allsides("val")[:200]
        texts_200 = [record_texts(i.title, [s.text for s in split_sentences(i.text)])[0] for i in sample]
        embed(texts_200[:8])  # load the model outside the timing
        started = time.perf_counter()
        embed(texts_200)
        per_s = len(texts_200) / (time.perf_counter() - started)
        out["embed_title_lead_per_s"] = round(per_s, 1)
        log(f"  MiniLM title+lead embedding: {per_s:.1f}/s, so 1,000 new articles cost about {1000 / per_s:.0f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="packaged constants, 20,000-record speed run")
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--cache", type=Path, default=None, help="folder to cache MiniLM vectors in")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    def log(line: str) -> None:
        print(line, flush=True)

    figures: dict[str, object] = {}
    if not args.speed_only:
        figures["quality"] = quality(args.quick, args.cache, log)
    if not args.quality_only:
        figures["speed"] = speed(20_000 if args.quick else 100_000, log)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
