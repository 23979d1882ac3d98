"""Precision and recall of claim details (``newstrace.details``) on real articles: BASIL, by hand.

    python bench/claim_details.py [--db PATH] [--split dev|test|all] [--dump PATH]

Thirty BASIL events are read: the second half of BASIL's events in name order, the first 30
(the first 15 are those of ``bench/trace_grouping.py``). Their 90 articles go through the
pipeline up to ``trace`` in one fresh store (``--db`` keeps it; an existing store is read as
it is). **Split:** the first 15 events are **dev** (the constants of ``newstrace.details`` were
chosen on them), the next 15 are **test** (run once for the figure in BENCHMARKS.md).

The unit is a *candidate against another article*: a prepositional phrase of one article's
wording of a claim group told by two or more articles (``details.candidates``), and one other
article that tells the group. ``bench/labels/basil_claim_details.tsv`` labels it:

- ``added``: the phrase says something that the other article does not say, neither in its
  wording of the claim nor anywhere else in its text;
- ``said``: the other article says it (in other words, or elsewhere in its text), or the
  phrase adds nothing (a paraphrase of what both say).

A key is ``ARTICLE:START:END>OTHER`` (BASIL file stems; offsets of the phrase in the article
as ingested). Printed: precision, recall and F1 of "is a detail" against ``added``, with the
count of unlabelled candidates (label them, do not guess), for the shipped constants and, on
dev only, for a sweep of ``MIN_GAIN``.

``--dump PATH`` writes every candidate with its wording, the other article's wording and the
other article's text, as JSON Lines, for labelling (outside the repository: article text is
never committed).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from trace_grouping import DATA, basil_events, write_jsonl  # noqa: E402

LABELS = REPO / "bench" / "labels" / "basil_claim_details.tsv"
EVENTS = 30
DEV_EVENTS = 15
LABEL_VALUES = ("added", "said")
GAIN_SWEEP = (-1.0, -0.02, -0.01, -0.005, 0.0, 0.005, 0.01)


@dataclass(frozen=True)
class Row:
    key: str
    split: str
    is_detail: bool
    gain: float  # MiniLM cosine to the other wording without the phrase minus with it
    new_nouns: tuple[str, ...]
    phrase: str
    wording: str
    other_wording: str
    other_text: str


def build(db: Path) -> None:
    from newstrace.config import Config
    from newstrace.ingest import ingest
    from newstrace.pipeline import analyze
    from newstrace.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        jsonl = Path(tmp) / "basil.jsonl"
        write_jsonl(basil_events(EVENTS), jsonl)
        with Store.open(db) as store:
            started = time.perf_counter()
            ingest(store, [str(jsonl)])
            analyze(store, Config(), until="trace")
            print(f"built {db}: {EVENTS} BASIL events through trace in {time.perf_counter() - started:.0f} s")


def rows(db: Path) -> list[Row]:
    from newstrace import details
    from newstrace.store import Store

    events = basil_events(EVENTS)
    split_of = {a["stem"]: ("dev" if e < DEV_EVENTS else "test") for e, event in enumerate(events) for a in event}
    out: list[Row] = []
    with Store.open(db) as store:
        stem = {a["id"]: json.loads(a["metadata"] or "{}").get("id") or a["id"]
                for a in store.rows("SELECT id, metadata FROM articles")}
        texts = {a["id"]: a["text"] for a in store.rows("SELECT id, text FROM articles")}
        variants = store.rows(
            "SELECT g.story_id, v.group_id, v.article_id, c.start, c.text FROM claim_variants v "
            "JOIN claim_groups g ON g.id = v.group_id JOIN claims c ON c.id = v.claim_id "
            "WHERE g.articles >= 2 AND v.stance = 'tells' ORDER BY v.group_id, v.article_id, c.start")
        by_story: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for v in variants:
            by_story.setdefault(v["story_id"], {}).setdefault(v["group_id"], []).append(v)
        finder = details.DetailFinder()
        judged = []
        for groups in by_story.values():  # story by story, embedded in one call each, as the stage does
            finder.begin_story()
            finder.prefetch(list(groups.values()), texts)
            judged += [(members, j) for members in groups.values() for j in finder.judge_group(members, texts)]
        for members, (v, other, cand, verdict) in judged:
            key = f"{stem[v['article_id']]}:{v['start'] + cand.start}:{v['start'] + cand.end}>{stem[other]}"
            wording = " / ".join(m["text"] for m in members if m["article_id"] == other)
            out.append(Row(key, split_of.get(stem[v["article_id"]], "?"), verdict.is_detail, verdict.gain, verdict.new_nouns, cand.text, v["text"], wording, texts[other]))
    return sorted({r.key: r for r in out}.values(), key=lambda r: r.key)


def read_labels(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text("utf-8").splitlines() if line.strip() and not line.startswith("#")]
    table = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    if table.fieldnames != ["key", "label", "reason"]:
        raise SystemExit(f"{path}: the header must be key, label, reason (tab-separated), not {table.fieldnames}")
    labels: dict[str, str] = {}
    for n, row in enumerate(table, start=2):
        if row["label"] not in LABEL_VALUES:
            raise SystemExit(f"{path} row {n}: label {row['label']!r} is not one of {', '.join(LABEL_VALUES)}")
        if row["key"] in labels:
            raise SystemExit(f"{path} row {n}: {row['key']} is labelled twice")
        labels[row["key"]] = row["label"]
    return labels


def score(found: list[tuple[bool, str]]) -> str:
    """``found``: (predicted detail, label) pairs."""
    tp = sum(p and lab == "added" for p, lab in found)
    fp = sum(p and lab != "added" for p, lab in found)
    fn = sum(not p and lab == "added" for p, lab in found)
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return f"P {precision:.3f} R {recall:.3f} F1 {f1:.3f} (tp {tp}, fp {fp}, fn {fn}, labelled {len(found)})"


def report(all_rows: list[Row], labels: dict[str, str], split: str) -> None:
    from newstrace import details

    chosen = [r for r in all_rows if split == "all" or r.split == split]
    labelled = [r for r in chosen if r.key in labels]
    print(f"split {split}: {len(chosen)} candidates, {len(labelled)} labelled, "
          f"{sum(r.is_detail for r in chosen)} found as details, {len(chosen) - len(labelled)} unlabelled")
    print(f"  shipped (MIN_GAIN {details.MIN_GAIN}): {score([(r.is_detail, labels[r.key]) for r in labelled])}")
    print(f"  every candidate with a new noun, name or number (no cut test): "
          f"{score([(bool(r.new_nouns), labels[r.key]) for r in labelled])}")
    print(f"  every candidate: {score([(True, labels[r.key]) for r in labelled])}")
    if split == "dev":
        for gain in GAIN_SWEEP:
            decided = [(details.decide(r.new_nouns, r.gain, min_gain=gain), labels[r.key]) for r in labelled]
            print(f"  MIN_GAIN {gain:+.3f}: {score(decided)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="store to build or read (default: a temporary file)")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--labels", default=str(LABELS))
    parser.add_argument("--dump", help="write the candidates with their texts here (JSON Lines; outside the repository)")
    args = parser.parse_args()
    if not (DATA / "articles").is_dir():
        print(f"skipped: the BASIL data is not at {DATA} (see ../shared/data/README.md)")
        return
    with tempfile.TemporaryDirectory(prefix="newstrace-details-") as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "basil.db"
        if not db.exists():
            build(db)
        all_rows = rows(db)
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as out:
            for r in all_rows:
                out.write(json.dumps({"key": r.key, "split": r.split, "phrase": r.phrase, "wording": r.wording,
                                      "other_wording": r.other_wording, "other_text": r.other_text},
                                     ensure_ascii=False) + "\n")
        print(f"wrote {len(all_rows)} candidates to {args.dump}")
    labels_path = Path(args.labels)
    labels = read_labels(labels_path) if labels_path.exists() else {}
    if not labels:
        print(f"no labels at {labels_path}")
    report(all_rows, labels, args.split)


if __name__ == "__main__":
    main()
