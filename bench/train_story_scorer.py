"""Fit the same-story pair scorer (newstrace/story_scorer.py) on AllSides-NeuS train only.

    python bench/train_story_scorer.py --cache /tmp/stories_cache          # fit, choose thresholds, print
    python bench/train_story_scorer.py --cache /tmp/stories_cache --write  # and write them into the package

Deterministic. Train stories are split by line number: those whose line is not a multiple of 5
fit the logistic regression (pairs of each item with its 20 nearest items by MiniLM cosine,
labelled same story or not); the other fifth ("train-holdout") chooses the join and merge
thresholds of the clusterer by BCubed F1, run through the real ``OnlineClusterer``. Val and
BASIL are never touched here.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from stories import DATA, bcubed, build_records, load_allsides  # noqa: E402

from newstrace.clustering import ClusterParams, OnlineClusterer, Record  # noqa: E402
from newstrace.story_scorer import FEATURES, PairScorer, pair_features  # noqa: E402

NEIGHBOURS = 20
HOLDOUT_EVERY = 5


def is_holdout(story: str) -> bool:
    return int(story.rsplit("-", 1)[1]) % HOLDOUT_EVERY == 0


def word_vectors(records: Sequence[Record]) -> list[dict[str, float]]:
    """Unit TF-IDF vectors with IDF over these records, as the clusterer computes them."""
    df: Counter[str] = Counter(w for r in records for w in r.words)
    n = len(records)
    out = []
    for r in records:
        weights = {w: (1.0 + math.log(c)) * (math.log((n + 1) / (df[w] + 1)) + 1.0) for w, c in r.words.items()}
        norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
        out.append({w: v / norm for w, v in weights.items()})
    return out


def training_pairs(records: Sequence[Record], gold: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    vectors = np.stack([r.vector for r in records])
    words = word_vectors(records)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -2.0)
    nearest = np.argsort(-sims, axis=1, kind="stable")[:, :NEIGHBOURS]
    pairs = sorted({(min(i, int(j)), max(i, int(j))) for i in range(len(records)) for j in nearest[i]})
    rows, labels = [], []
    for i, j in pairs:
        rows.append(pair_features(np.array([sims[i, j]]), words[i], [words[j]], records[i].numbers,
                                  [records[j].numbers])[0])
        labels.append(gold[i] == gold[j])
    return np.array(rows), np.array(labels)


def fit(features: np.ndarray, labels: np.ndarray) -> dict[str, object]:
    from sklearn.linear_model import LogisticRegression

    mean, scale = features.mean(axis=0), features.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=2000).fit((features - mean) / scale, labels)
    return {"features": list(FEATURES), "mean": [round(float(v), 6) for v in mean],
            "scale": [round(float(v), 6) for v in scale], "coef": [round(float(v), 6) for v in model.coef_[0]],
            "intercept": round(float(model.intercept_[0]), 6)}


def cluster_f1(records: Sequence[Record], gold: dict[str, str], params: ClusterParams,
               scorer: PairScorer) -> tuple[float, float, float]:
    clusterer = OnlineClusterer(params, scorer=scorer)
    for start in range(0, len(records), 1000):
        clusterer.add_batch(records[start : start + 1000])
    return bcubed(clusterer.labels(), gold)


def write_scorer(data: dict[str, object]) -> None:
    path = REPO / "newstrace" / "story_scorer.py"
    text = path.read_text("utf-8")
    lines = ["DEFAULT_SCORER: dict[str, Any] = {", f'    "features": {list(FEATURES)!r},'.replace("'", '"')]
    for key in ("mean", "scale", "coef"):
        lines.append(f'    "{key}": {data[key]!r},')
    lines.append(f'    "intercept": {data["intercept"]!r},')
    lines.append(f'    "fitted_on": "{data["fitted_on"]}",')
    lines.append("}")
    new, count = re.subn(r"DEFAULT_SCORER: dict\[str, Any\] = \{.*?\n\}", "\n".join(lines), text, flags=re.S)
    if count != 1:
        raise SystemExit("could not find DEFAULT_SCORER in newstrace/story_scorer.py")
    path.write_text(new, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=None, help="folder to cache MiniLM vectors in")
    parser.add_argument("--write", action="store_true", help="write the weights into newstrace/story_scorer.py")
    args = parser.parse_args()
    if not (DATA / "allsides-neus" / "train.source").exists():
        raise SystemExit(f"SKIPPED: AllSides-NeuS is not at {DATA / 'allsides-neus'}")
    items = load_allsides("train")
    records = build_records(items, args.cache, "train")
    fit_part = [(r, i.story) for r, i in zip(records, items, strict=True) if not is_holdout(i.story)]
    held = [(r, i.story) for r, i in zip(records, items, strict=True) if is_holdout(i.story)]
    features, labels = training_pairs([r for r, _ in fit_part], [s for _, s in fit_part])
    print(f"{len(fit_part)} fitting items, {len(labels)} pairs ({labels.mean():.3f} same story); "
          f"{len(held)} held-out train items", flush=True)
    data = fit(features, labels)
    data["fitted_on"] = "AllSides-NeuS train, stories with line number not a multiple of 5"
    scorer = PairScorer.from_dict(data)
    held_records = [r for r, _ in held]
    held_gold = {r.id: s for r, s in held}
    held_features, held_labels = training_pairs(held_records, [s for _, s in held])
    from sklearn.metrics import roc_auc_score

    print(f"pair AUC on train-holdout: {roc_auc_score(held_labels, scorer.probability(held_features)):.4f}")
    print(f"weights: {data}")
    best, best_f1 = ClusterParams(merge_threshold=0.7), -1.0
    for threshold in (0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.3):
        params = replace(best, threshold=threshold, merge_threshold=max(0.7, threshold))
        p, r, f = cluster_f1(held_records, held_gold, params, scorer)
        print(f"  threshold {threshold}: train-holdout B3 P {p:.3f} R {r:.3f} F1 {f:.4f}", flush=True)
        if f > best_f1:
            best, best_f1 = params, f
    for merge in (0.5, 0.6, 0.8, 0.9):
        params = replace(best, merge_threshold=merge)
        p, r, f = cluster_f1(held_records, held_gold, params, scorer)
        print(f"  merge_threshold {merge}: train-holdout B3 P {p:.3f} R {r:.3f} F1 {f:.4f}", flush=True)
        if f > best_f1 + 0.002:  # only a clear gain moves the merge threshold off its default
            best, best_f1 = params, f
    print(f"chosen: threshold {best.threshold}, merge_threshold {best.merge_threshold} "
          f"(train-holdout F1 {best_f1:.4f})")
    if args.write:
        write_scorer(data)
        print("wrote DEFAULT_SCORER into newstrace/story_scorer.py (set the thresholds in ClusterParams by hand)")


if __name__ == "__main__":
    main()
