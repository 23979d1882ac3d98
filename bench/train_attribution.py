"""Train newstrace's attribution model on PolNeAR train (../shared/data/polnear/train).

    python bench/train_attribution.py [--cache DIR] [--holdout | --holdout-only]

Deterministic: articles in name order, liblinear logistic regressions (no random state used),
features seen fewer than twice dropped, weights rounded. By default it trains on all of train
and writes newstrace/models_data/attribution.json.gz. ``--holdout`` first holds out every fifth
train article (by name), trains on the rest and prints rules-only vs model exact F1 on the
held-out fifth (the full extraction, scored as in bench/attribution.py); ``--holdout-only``
stops there. The source / content thresholds (fixed below) were chosen on that fold; the cue
decoder has no threshold. Dev is never read. ``--cache DIR`` keeps the spaCy parses (DocBin).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
DATA = REPO.parent / "shared" / "data" / "polnear"

from attribution import TYPES, Spans, load_split, score  # noqa: E402

_SPAN_LINE = re.compile(r"^(T\d+)\t(\w+) ([\d ;]+)\t")
Triple = tuple[tuple[int, int], tuple[int, int] | None, tuple[int, int] | None]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def gold_triples(split: str, name: str, text: str) -> list[Triple]:
    """(cue, source, content) of each attribution of article ``name`` (first annotator's file)."""
    ann = sorted((DATA / split / "attributions").glob(f"{name}_*.ann"))[0]
    spans: dict[str, tuple[int, int]] = {}
    out: list[Triple] = []
    lines = ann.read_text("utf-8").splitlines()
    for line in lines:
        m = _SPAN_LINE.match(line)
        if m:
            frags = [tuple(map(int, f.split())) for f in m.group(3).split(";")]
            spans[m.group(1)] = _trim(text, min(a for a, _ in frags), max(b for _, b in frags))
    for line in lines:
        if not line.startswith("E"):
            continue
        roles = dict(r.split(":") for r in line.split("\t")[1].split())
        cue = spans.get(roles.get("Cue", ""))
        if cue is None:
            continue
        out.append((cue, spans.get(roles.get("Source", "")), spans.get(roles.get("Content", "")) or spans.get(roles.get("Content2", ""))))
    return out


def parse_split(split: str, texts: list[str], cache: Path | None) -> list[list[tuple[int, Any]]]:
    from spacy.tokens import DocBin

    from newstrace.attribution import paragraphs
    from newstrace.models import spacy_nlp

    nlp = spacy_nlp()
    paras = [(k, off, p) for k, text in enumerate(texts) for off, p in paragraphs(text)]
    path = cache / f"{split}.spacy" if cache else None
    if path is not None and path.is_file():
        docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    else:
        docs = list(nlp.pipe((p for _, _, p in paras), batch_size=256))
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = DocBin(attrs=["ORTH", "TAG", "HEAD", "DEP", "ENT_IOB", "ENT_TYPE", "LEMMA", "POS", "MORPH", "SENT_START", "SPACY"])
            for d in docs:
                db.add(d)
            db.to_disk(path)
    assert len(docs) == len(paras)
    out: list[list[tuple[int, Any]]] = [[] for _ in texts]
    for (k, off, _), doc in zip(paras, docs, strict=True):
        out[k].append((off, doc))
    return out


def examples(parsed: list[list[tuple[int, Any]]], golds: list[list[Triple]]) -> dict[str, tuple[list[list[str]], list[int]]]:
    """Feature lists and 0/1 labels for the cue tagger and the source / content rankers."""
    from newstrace.attribution import CUE_LEMMAS, quotations, rule_cue_tokens, rule_spans, span_candidates
    from newstrace.attribution_model import cue_features

    data: dict[str, tuple[list[list[str]], list[int]]] = {k: ([], []) for k in ("cue", "source", "content")}
    # Cue labels are tags: 0 outside, 1 first token of a gold cue, 2 a later token of it.
    for docs, gold in zip(parsed, golds, strict=True):
        for off, doc in docs:
            end = off + len(doc.text)
            local = [((c[0] - off, c[1] - off),
                      (s[0] - off, s[1] - off) if s and off <= s[0] and s[1] <= end else None,
                      (t[0] - off, t[1] - off) if t and off <= t[0] and t[1] <= end else None)
                     for c, s, t in gold if off <= c[0] and c[1] <= end]
            quotes = quotations(doc.text)
            rules = rule_spans(doc, quotes)
            feats = cue_features(doc, quotes, rule_cue_tokens(doc, rules), CUE_LEMMAS)
            previous: tuple[int, int] | None = None
            for tok, f in zip(doc, feats, strict=True):
                a, b = tok.idx, tok.idx + len(tok)
                hit = next((c for c, _, _ in local if c[0] < b and a < c[1]), None)
                data["cue"][0].append(f)
                data["cue"][1].append(0 if hit is None else (2 if hit == previous else 1))
                previous = hit
            for cue_c, src, con in local:
                span = doc.char_span(cue_c[0], cue_c[1], alignment_mode="expand")
                if span is None or len(span) == 0:
                    continue
                rule = next((r for r in rules if r[1][0] < cue_c[1] and cue_c[0] < r[1][1]), None)
                src_cands, con_cands = span_candidates(doc, quotes, (span.start, span.end), rule)
                for key, cands, gold_rng in (("source", src_cands, src), ("content", con_cands, con)):
                    for rng, f in cands:
                        data[key][0].append(f)
                        data[key][1].append(int(rng == gold_rng))
    return data


def _matrix(feats: list[list[str]]) -> tuple[Any, list[str]]:
    """Binary feature matrix over the features seen at least twice, and the feature names."""
    import numpy as np
    from scipy.sparse import csr_matrix

    counts = Counter(f for fs in feats for f in set(fs))
    names = sorted(f for f, n in counts.items() if n >= 2)
    vocab = {f: i for i, f in enumerate(names)}
    rows, cols = [], []
    for r, fs in enumerate(feats):
        for f in set(fs):
            j = vocab.get(f)
            if j is not None:
                rows.append(r)
                cols.append(j)
    x = csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(len(feats), len(vocab)))
    return x, names


def fit(x: Any, names: list[str], labels: list[int], c: float, min_weight: float = 0.01) -> Any:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from newstrace.attribution_model import LinearModel

    clf = LogisticRegression(C=c, solver="liblinear", max_iter=300)
    clf.fit(x, np.asarray(labels))
    # Small weights change no decision that matters and would push the file past 3 MB: drop
    # |w| < 0.01, then those whose rounded value is below ``min_weight``.
    weights = {f: round(float(w), 3) for f, w in zip(names, clf.coef_[0], strict=True)
               if abs(w) >= 0.01 and abs(round(float(w), 3)) >= min_weight}
    return LinearModel(round(float(clf.intercept_[0]), 4), weights)


def train(parsed: list[list[tuple[int, Any]]], golds: list[list[Triple]], thresholds: dict[str, float]) -> Any:
    from newstrace.attribution_model import CUE_TAGS, AttributionModel

    data = examples(parsed, golds)
    t0 = time.perf_counter()
    x, names = _matrix(data["cue"][0])
    cue_tags = {}
    for k, tag in enumerate(CUE_TAGS):  # one-vs-rest: O, B, I
        # Three tag models hold about 740,000 weights >= 0.01 (4.3 MB); >= 0.03 keeps 450,000.
        cue_tags[tag] = fit(x, names, [int(y == k) for y in data["cue"][1]], c=0.3, min_weight=0.03)
    print(f"  cue tags: {len(data['cue'][1]):,} tokens, {sum(y > 0 for y in data['cue'][1]):,} in cues, "
          f"{sum(len(m.weights) for m in cue_tags.values()):,} weights ({time.perf_counter() - t0:.0f} s)", flush=True)
    models = {}
    for key, c in (("source", 0.5), ("content", 0.5)):
        t0 = time.perf_counter()
        models[key] = fit(*_matrix(data[key][0]), data[key][1], c=c)
        print(f"  {key}: {len(data[key][1]):,} examples, {sum(data[key][1]):,} positive, "
              f"{len(models[key].weights):,} weights ({time.perf_counter() - t0:.0f} s)", flush=True)
    return AttributionModel(cue_tags=cue_tags, thresholds=thresholds, **models)


def evaluate(parsed: list[list[tuple[int, Any]]], texts: list[str], gold: list[Spans], model: Any) -> dict[str, dict[str, float]]:
    from newstrace.attribution import extract_attributions

    preds: list[Spans] = []
    for text, docs in zip(texts, parsed, strict=True):
        spans: Spans = {t: [] for t in TYPES}
        for att in extract_attributions(text, parsed=docs, rules_only=model is None, model=model):
            for key, span in (("source", att.source), ("cue", att.cue), ("content", att.content)):
                if span is not None:
                    spans[key].append((span.start, span.end))
        preds.append(spans)
    return score(gold, preds)


def _line(name: str, result: dict[str, dict[str, float]]) -> str:
    return f"{name:28s} " + "  ".join(f"{k} {100 * result[k]['exact']:5.1f}" for k in TYPES)


#: Candidate spans are kept above these probabilities. Nearly every PolNeAR attribution has a
#: source and a content (train), so both stay low; chosen on the held-out fold of train.
THRESHOLDS = {"source": 0.05, "content": 0.05}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None, help="folder for cached spaCy parses")
    parser.add_argument("--holdout", action="store_true", help="first score the held-out fifth of train")
    parser.add_argument("--holdout-only", action="store_true", help="stop after the held-out fold")
    parser.add_argument("--output", type=Path, default=None, help="write the model here instead of the package")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"SKIP: PolNeAR is not at {DATA}: check out ../shared beside the repo.")
        return 0
    started = time.perf_counter()
    arts = load_split("train")
    texts = [t for _, t, _ in arts]
    spans = [g for _, _, g in arts]
    golds = [gold_triples("train", n, t) for n, t, _ in arts]
    t0 = time.perf_counter()
    parsed = parse_split("train", texts, args.cache)
    print(f"PolNeAR train: {len(arts)} articles parsed ({time.perf_counter() - t0:.0f} s)", flush=True)
    if args.holdout or args.holdout_only:
        held = [k for k in range(len(arts)) if k % 5 == 0]
        rest = [k for k in range(len(arts)) if k % 5 != 0]
        print(f"held-out fold: train on {len(rest)} articles, score on {len(held)}", flush=True)
        model = train([parsed[k] for k in rest], [golds[k] for k in rest], THRESHOLDS)
        h_parsed = [parsed[k] for k in held]
        h_texts = [texts[k] for k in held]
        h_gold = [spans[k] for k in held]
        print(_line("rules only (held-out)", evaluate(h_parsed, h_texts, h_gold, None)), flush=True)
        print(_line("model (held-out)", evaluate(h_parsed, h_texts, h_gold, model)), flush=True)
        if args.holdout_only:
            if args.output:  # the fold's model, for error analysis
                model.save(args.output)
            return 0
    print(f"final model: all {len(arts)} train articles", flush=True)
    model = train(parsed, golds, THRESHOLDS)
    from newstrace.attribution_model import MODEL_PATH

    path = args.output or MODEL_PATH
    model.save(path)
    print(f"wrote {path} ({path.stat().st_size:,} bytes); {time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
