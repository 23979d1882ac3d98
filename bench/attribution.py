"""Benchmark attribution extraction on PolNeAR (../shared/data/polnear).

    python bench/attribution.py [--split dev|train] [--quick] [--runs 3] [--other-model PATH]
    python bench/attribution.py --agreement [--split dev|train]

Scores source, cue and content spans separately (micro over the split): exact match (same
trimmed [start, end)) and overlap (one-to-one greedy pairing of spans that share a character).
A discontinuous gold span (PolNeAR links quote pieces around "he said") is scored by its extent
(first start to last end), which is how newstrace stores a content span. Speed is sentences per
second over the split's text (spaCy parse included, all paragraphs of the split in one batched
``nlp.pipe`` stream), median of --runs runs, beside the named baseline ``cue-regex`` (a cue-word regex with neighbouring words as source and the rest of the
sentence as content) run in the same process.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data" / "polnear"

_SPAN_LINE = re.compile(r"^(T\d+)\t(\w+) ([\d ;]+)\t")
TYPES = ("source", "cue", "content")
Spans = dict[str, list[tuple[int, int]]]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def read_annotation(ann: Path, text: str) -> Spans:
    """Source, cue and content spans of one annotator's .ann file for ``text``."""
    spans: dict[str, tuple[str, tuple[int, int]]] = {}
    gold: Spans = {t: [] for t in TYPES}
    relations = []
    for line in ann.read_text("utf-8").splitlines():
        match = _SPAN_LINE.match(line)
        if match:
            frags = [tuple(map(int, f.split())) for f in match.group(3).split(";")]
            spans[match.group(1)] = (match.group(2), (min(a for a, _ in frags), max(b for _, b in frags)))
        elif line.startswith("E"):
            relations.append(line.split("\t")[1].split())
    for roles in relations:
        for role in roles:
            kind, _, tid = role.partition(":")
            key = {"Source": "source", "Cue": "cue", "Content": "content", "Content2": "content"}.get(kind)
            if key and tid in spans:
                gold[key].append(_trim(text, *spans[tid][1]))
    return {k: sorted(set(v)) for k, v in gold.items()}


def annotations_by_article(split: str) -> dict[str, list[Path]]:
    """Each article's .ann files, one per annotator, in file-name order."""
    out: dict[str, list[Path]] = {}
    for ann in sorted((DATA / split / "attributions").glob("*.ann")):
        out.setdefault(ann.name.rsplit("_", 1)[0], []).append(ann)
    return out


def load_split(split: str, limit: int | None = None) -> list[tuple[str, str, Spans]]:
    """(name, text, gold spans by type) for each article of a PolNeAR split."""
    out: list[tuple[str, str, Spans]] = []
    # A few articles were annotated by several annotators (one .ann each): score the first.
    for base, anns in annotations_by_article(split).items():
        if limit is not None and len(out) >= limit:
            break
        text = (DATA / split / "text" / f"{base}.txt").read_text("utf-8")
        out.append((base, text, read_annotation(anns[0], text)))
    return out


def agreement(split: str) -> None:
    """Human against human, and the model against each human, on the articles of ``split``
    that several annotators annotated: every unordered pair of annotators (exact F1 is
    symmetric), and the model's spans scored against each annotator's file, micro over all."""
    import itertools

    texts, sets = [], []
    for base, anns in annotations_by_article(split).items():
        if len(anns) > 1:
            text = (DATA / split / "text" / f"{base}.txt").read_text("utf-8")
            texts.append(text)
            sets.append([read_annotation(a, text) for a in anns])
    preds = predict_newstrace(texts)
    human = [(a, b) for group in sets for a, b in itertools.combinations(group, 2)]
    model = [(g, p) for group, p in zip(sets, preds, strict=True) for g in group]
    print(f"\nAgreement on PolNeAR {split}: {len(texts)} articles annotated by 2 or more annotators "
          f"({sum(len(g) for g in sets)} annotation files, {len(human)} annotator pairs)")
    if split == "train":
        print("  caution: the model was trained on the first annotator's file of each of these articles")
    for name, pairs in (("human vs human", human), ("model vs human", model)):
        result = score([g for g, _ in pairs], [p for _, p in pairs])
        print(f"  {name:15s}" + "".join(
            f"  {key} exact {100 * result[key]['exact']:5.1f} overlap {100 * result[key]['overlap']:5.1f}"
            for key in TYPES))


def _predict(texts: list[str], rules_only: bool) -> list[Spans]:
    from newstrace.attribution import extract_many
    from newstrace.models import spacy_nlp

    preds = []
    for atts in extract_many(texts, spacy_nlp(), rules_only=rules_only):
        spans: Spans = {t: [] for t in TYPES}
        for att in atts:
            for key, span in (("source", att.source), ("cue", att.cue), ("content", att.content)):
                if span is not None:
                    spans[key].append((span.start, span.end))
        preds.append(spans)
    return preds


def predict_newstrace(texts: list[str]) -> list[Spans]:
    """The packaged learned model (newstrace/models_data/attribution.json.gz)."""
    return _predict(texts, rules_only=False)


def predict_with(model_path: Path) -> Callable[[list[str]], list[Spans]]:
    """Another weights file (with its LSTM tagger file beside it, if any), e.g. an older model
    taken from git, timed in the same process as the packaged one."""
    from newstrace.attribution import extract_attributions, parse_many
    from newstrace.attribution_model import load_model
    from newstrace.models import spacy_nlp

    model = load_model.__wrapped__(model_path)

    def predict(texts: list[str]) -> list[Spans]:
        preds = []
        for text, docs in zip(texts, parse_many(texts, spacy_nlp()), strict=True):
            spans: Spans = {t: [] for t in TYPES}
            for att in extract_attributions(text, parsed=docs, model=model):
                for key, span in (("source", att.source), ("cue", att.cue), ("content", att.content)):
                    if span is not None:
                        spans[key].append((span.start, span.end))
            preds.append(spans)
        return preds

    return predict


def predict_rules(texts: list[str]) -> list[Spans]:
    """The hand-written rules alone (``rules_only=True``)."""
    return _predict(texts, rules_only=True)


_BASELINE_CUE = re.compile(r"\b(said|says|say|told|tells|according to|added|claimed|reported|stated|wrote)\b", re.I)


def predict_baseline(texts: list[str]) -> list[Spans]:
    """cue-regex: a cue word; the source is the 1-3 words before it (or after "according to"),
    the content the rest of the sentence on the other side."""
    from newstrace.sentences import split_sentences

    preds = []
    for text in texts:
        spans: Spans = {t: [] for t in TYPES}
        for sent in split_sentences(text):
            s = sent.text
            for match in _BASELINE_CUE.finditer(s):
                c0, c1 = sent.start + match.start(), sent.start + match.end()
                spans["cue"].append((c0, c1))
                if match.group(1).lower() == "according to":
                    src = re.match(r"\s*((?:\S+\s*){1,3}?)[,]", s[match.end():])
                    if src:
                        a = c1 + src.start(1)
                        spans["source"].append((a, a + len(src.group(1).strip())))
                        rest = s[match.end() + src.end():].strip(" .")
                        if rest:
                            r0 = sent.start + s.index(rest, match.end())
                            spans["content"].append((r0, r0 + len(rest)))
                    continue
                before = s[: match.start()].rstrip()
                words = re.findall(r"\S+$", before)
                if words:
                    w = words[0]
                    spans["source"].append((sent.start + len(before) - len(w), sent.start + len(before)))
                after = s[match.end():].strip(" .,:")
                if len(after) > 10:
                    a0 = sent.start + s.index(after, match.end())
                    spans["content"].append((a0, a0 + len(after)))
                else:
                    head = before[: len(before) - len(words[0])].strip(" ,") if words else ""
                    if head:
                        spans["content"].append((sent.start, sent.start + len(head)))
        preds.append(spans)
    return preds


def score(gold: list[Spans], pred: list[Spans]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for key in TYPES:
        n_gold = sum(len(g[key]) for g in gold)
        n_pred = sum(len(p[key]) for p in pred)
        exact = sum(len(set(g[key]) & set(p[key])) for g, p in zip(gold, pred, strict=True))
        overlap = 0
        for g, p in zip(gold, pred, strict=True):
            used: set[int] = set()
            for a, b in sorted(set(p[key])):
                for j, (c, d) in enumerate(g[key]):
                    if j not in used and a < d and c < b:
                        used.add(j)
                        overlap += 1
                        break
        out[key] = {"exact": _f1(exact, n_pred, n_gold), "overlap": _f1(overlap, n_pred, n_gold),
                    "exact_p": exact / n_pred if n_pred else 0.0, "exact_r": exact / n_gold if n_gold else 0.0,
                    "gold": n_gold, "pred": n_pred}
    return out


def _f1(hit: int, n_pred: int, n_gold: int) -> float:
    p = hit / n_pred if n_pred else 0.0
    r = hit / n_gold if n_gold else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def timed(fn: Callable[[list[str]], list[Spans]], texts: list[str], runs: int) -> tuple[list[Spans], float]:
    times = []
    preds: list[Spans] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        preds = fn(texts)
        times.append(time.perf_counter() - t0)
    return preds, statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=("train", "dev"))
    parser.add_argument("--quick", action="store_true", help="first 20 articles only, one run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--other-model", type=Path, default=None,
                        help="also time and score this attribution.json.gz (e.g. an older one from git)")
    parser.add_argument("--agreement", action="store_true",
                        help="only the inter-annotator agreement (and the model's) on multiply annotated articles")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"SKIP: PolNeAR is not at {DATA}: check out ../shared beside the repo.")
        return 0
    from newstrace.models import spacy_nlp
    from newstrace.sentences import split_sentences

    spacy_nlp()  # load once, outside the timed runs
    if args.agreement:
        agreement(args.split)
        return 0
    docs = load_split(args.split, 20 if args.quick else None)
    texts = [t for _, t, _ in docs]
    gold = [g for _, _, g in docs]
    runs = 1 if args.quick else args.runs
    n_sent = sum(len(split_sentences(t)) for t in texts)
    print(f"PolNeAR {args.split}: {len(docs)} articles, {n_sent} sentences, "
          f"{sum(len(g['cue']) for g in gold)} gold attributions; median of {runs} run(s)")
    print("reference (Citron on PARC 3.0, exact F1): source 82.0  cue 82.3  content 59.3")
    systems = (("cue-regex baseline", predict_baseline, runs), ("newstrace rules only (1 run)", predict_rules, 1),
               ("newstrace learned model", predict_newstrace, runs))
    if args.other_model is not None:
        systems += ((f"model {args.other_model}", predict_with(args.other_model), runs),)
    for name, fn, n_runs in systems:
        preds, seconds = timed(fn, texts, n_runs)
        result = score(gold, preds)
        print(f"\n{name}: {n_sent / seconds:,.0f} sentences/s")
        for key in TYPES:
            r = result[key]
            print(f"  {key:8s} exact F1 {100 * r['exact']:5.1f} (P {100 * r['exact_p']:5.1f} R {100 * r['exact_r']:5.1f})"
                  f"  overlap F1 {100 * r['overlap']:5.1f}  pred {r['pred']} gold {r['gold']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
