"""Fit the claim link scorer (newstrace/claim_links.py) on the hand-labelled BASIL claim pairs.

    python bench/train_claim_links.py           # leave-one-set-out figures, then the fit on all three sets
    python bench/train_claim_links.py --grid    # the thresholds, chosen by leave-one-set-out F1
    python bench/train_claim_links.py --write   # and write the weights into newstrace/claim_links.py

Data: the cross-article claim pairs of the dev, test and test2 events of
``bench/trace_grouping.py``, labelled same / different (``bench/labels/basil_claim_pairs.tsv``,
``_test.tsv``, ``_test2.tsv``: 1,886 pairs). The test3 labels are never read here: they are the
held-out figure (``python bench/trace_grouping.py --split test3``).

Each set's 45 articles go through the pipeline as in ``bench/trace_grouping.py``; each story's
claims and the vectors the trace stage embeds for them are recorded, and the features are
``claim_links.link_features`` of those, exactly as at run time. *Leave one set out*: the scorer
is fitted on two sets and the held set's stories are grouped by the stage's own
``claim_links.link_claims``; pairwise precision and recall are scored against the held set's labels,
beside the cosine rule (``trace.link_scorer = "cosine"``) on the same claims. The thresholds
(``trace.link_probability``, and ``trace.link_average_floor``, which average linkage reads on the
similarity scale) were chosen by the mean F1 of the
three held-out sets (``--grid``). The packaged scorer is then fitted on all three sets.
Logistic regression: standardised features, L2 (C = 1), scikit-learn's lbfgs; deterministic.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import trace_grouping as grouping  # noqa: E402
from scorer_constants import write_scorer_constants  # noqa: E402

SETS = ("dev", "test", "test2")
#: The grid of ``--grid``. Chosen: the highest mean F1 of the three held-out sets; settings within
#: 0.005 of it count as tied, and the tie goes to the highest mean precision (a wrong link shows
#: an analyst a mutation that did not happen; a missed one only hides a shared claim).
PROBABILITIES = (0.2, 0.25, 0.3, 0.35, 0.4)
AVERAGE_FLOORS = (0.5, 0.6, 0.7)


@dataclass
class Story:
    claims: list[Any]
    vectors: Any
    keys: dict[str, grouping.Key]
    order: list[str]
    pairs: list[dict[str, Any]]
    passages: list[dict[str, Any]]


def collect(name: str, folder: Path) -> list[Story]:
    """Run one set's events through the pipeline and record each story's claims and vectors."""
    import json

    from newstrace import trace, trace_stage
    from newstrace.config import Config
    from newstrace.ingest import ingest
    from newstrace.pipeline import analyze
    from newstrace.store import Store

    half, skip, _ = grouping.SPLITS[name]
    jsonl, db = folder / f"{name}.jsonl", folder / f"{name}.db"
    grouping.write_jsonl(grouping.basil_events(grouping.EVENTS, skip, half), jsonl)
    # The claims and their vectors do not depend on how they are linked: the cosine rule keeps
    # the collection independent of the packaged weights.
    config = Config({"trace.link_scorer": "cosine"})
    store = Store.open(db)
    try:
        ingest(store, [str(jsonl)])
        analyze(store, config, until="trace")
        stem_of = {a["id"]: json.loads(a["metadata"])["id"] for a in store.rows("SELECT id, metadata FROM articles")}
        stories = []
        for row in store.rows("SELECT id FROM stories WHERE size >= 2 ORDER BY id"):
            articles, claims, pairs, cited, passages = trace_stage._story_inputs(store, row["id"])
            with grouping.recorded_similarity() as calls:
                trace.trace_story(row["id"], articles, claims, pairs, config, cited, passages)
            if not claims:
                continue
            stories.append(Story(list(claims), calls[0][0], {c.id: (stem_of[c.article_id], c.start, c.end) for c in claims},
                                 [a["id"] for a in articles], list(pairs), list(passages)))
        return stories
    finally:
        store.close()


def labelled_rows(stories: list[Story], labels: dict[grouping.Pair, str]) -> tuple[Any, Any]:
    """Feature rows and 0/1 labels of the labelled pairs of ``stories``."""
    import numpy as np

    from newstrace.claim_links import CANDIDATE_COSINE, CANDIDATE_OVERLAP, link_features

    rows, ys = [], []
    seen: set[grouping.Pair] = set()  # two claims of one span (a claim told twice in one sentence) count once
    for s in stories:
        vectors = np.asarray(s.vectors, dtype=np.float64)
        pairs, features = link_features(s.claims, vectors @ vectors.T)
        for (i, j), f in zip(pairs, features, strict=True):
            key = grouping.pair_of(s.keys[s.claims[i].id], s.keys[s.claims[j].id])
            # Only pairs the gate lets through: the others get 0 at run time whatever the fit.
            if f[0] < CANDIDATE_COSINE and f[1] < CANDIDATE_OVERLAP:
                continue
            if key in labels and key not in seen:
                seen.add(key)
                rows.append(f)
                ys.append(labels[key] == "same")
    return np.asarray(rows), np.asarray(ys)


def fit(x: Any, y: Any, fitted_on: str) -> dict[str, Any]:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from newstrace.claim_links import FEATURES

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    model = LogisticRegression(C=1.0, max_iter=5000).fit((x - mean) / scale, y)
    return {"features": list(FEATURES), "mean": [round(float(v), 6) for v in mean],
            "scale": [round(float(v), 6) for v in scale], "coef": [round(float(v), 6) for v in model.coef_[0]],
            "intercept": round(float(model.intercept_[0]), 6), "fitted_on": fitted_on}


def group_pairs(stories: list[Story], config: Any, scorer: Any) -> set[grouping.Pair]:
    """Cross-article pairs the stage's grouping puts in one claim group."""
    from newstrace import trace
    from newstrace.claim_links import link_claims

    found: set[grouping.Pair] = set()
    for s in stories:
        sims = trace.similarity_matrix(s.claims, config["trace.number_bonus"], vectors=s.vectors)
        comparable = sorted((a, b) for i, a in enumerate(s.order) for b in s.order[i + 1:])
        groups = link_claims(s.claims, s.order, comparable, sims=sims, vectors=s.vectors, pairs=s.pairs,
                             passages=s.passages, config=config, scorer=scorer)
        found |= grouping._cross_pairs([{c.id for c in g} for g in groups], s.keys)
    return found


def _line(name: str, score: grouping.Score) -> str:
    p, r, f = score.precision, score.recall, score.f1
    return (f"{name:34s} P {p or 0:.3f}  R {r or 0:.3f}  F1 {f or 0:.3f}  grouped {score.grouped} "
            f"(unlabelled {score.unlabelled_grouped})")


def write_scorer(data: dict[str, Any]) -> None:
    write_scorer_constants(REPO / "newstrace" / "claim_links.py", "DEFAULT_LINK_SCORER", data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", action="store_true", help="leave-one-set-out F1 for each pair of thresholds")
    parser.add_argument("--write", action="store_true", help="write the fitted weights into newstrace/claim_links.py")
    args = parser.parse_args()
    if not (grouping.DATA / "articles").is_dir():
        print(f"SKIP: the BASIL data is not at {grouping.DATA} (see ../shared/data/README.md)")
        return 0
    import numpy as np

    from newstrace.claim_links import LinkScorer
    from newstrace.config import Config

    started = time.perf_counter()
    stories, labels, rows = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="newstrace-links-") as tmp:
        for name in SETS:
            stories[name] = collect(name, Path(tmp))
            labels[name] = grouping.read_labels(grouping.SPLITS[name][2])
            rows[name] = labelled_rows(stories[name], labels[name])
            print(f"{name}: {len(stories[name])} stories, {len(rows[name][1])} of {len(labels[name])} labelled pairs "
                  f"found ({int(rows[name][1].sum())} same)", flush=True)
    print(f"pipeline: {time.perf_counter() - started:.0f} s")
    held_out = {}
    for held in SETS:
        x = np.concatenate([rows[n][0] for n in SETS if n != held])
        y = np.concatenate([rows[n][1] for n in SETS if n != held])
        held_out[held] = LinkScorer.from_dict(fit(x, y, f"all but {held}"))
    settings = [(p, a) for p in PROBABILITIES for a in AVERAGE_FLOORS] if args.grid else [(None, None)]
    print("\nleave one set out (scorer fitted on the other two sets; pairwise, against the held set's labels)")
    for held in SETS:
        print(_line(f"{held}: cosine rule", grouping.score(group_pairs(stories[held], Config({"trace.link_scorer": "cosine"}), None),
                                                            labels[held])))
    for probability, floor in settings:
        overrides = {} if probability is None else {"trace.link_probability": probability,
                                                    "trace.link_average_floor": floor}
        config = Config(overrides)
        f1 = []
        for held in SETS:
            score = grouping.score(group_pairs(stories[held], config, held_out[held]), labels[held])
            f1.append(score.f1 or 0.0)
            print(_line(f"{held}: learned, p {config['trace.link_probability']} floor "
                        f"{config['trace.link_average_floor']}", score))
        print(f"  mean F1 {sum(f1) / len(f1):.3f}", flush=True)
    x = np.concatenate([rows[n][0] for n in SETS])
    y = np.concatenate([rows[n][1] for n in SETS])
    data = fit(x, y, "BASIL claim pairs, dev + test + test2 labels (bench/train_claim_links.py)")
    print("\nfitted on all three sets:", data)
    if args.write:
        write_scorer(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
