"""Train newstrace's attribution model on PolNeAR train (../shared/data/polnear/train).

    python bench/train_attribution.py [--cache DIR] [--holdout-only]

Deterministic: articles in name order, liblinear logistic regressions (no random state used),
features seen fewer than twice dropped, weights rounded. Steps:
1. hold out every fifth train article (by name), train on the rest, and choose the cue, source
   and content thresholds on the held-out fifth by exact-match F1 (the full extraction, scored as
   in bench/attribution.py); print rules-only vs model on that fold;
2. retrain on all of train with those thresholds and write newstrace/models_data/attribution.json.gz.
Dev is never read. ``--cache DIR`` keeps the spaCy parses (DocBin) between runs.
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
            for tok, f in zip(doc, feats, strict=True):
                a, b = tok.idx, tok.idx + len(tok)
                data["cue"][0].append(f)
                data["cue"][1].append(int(any(c[0] < b and a < c[1] for c, _, _ in local)))
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


def fit(feats: list[list[str]], labels: list[int], c: float) -> Any:
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    from newstrace.attribution_model import LinearModel

    counts = Counter(f for fs in feats for f in set(fs))
    vocab = {f: i for i, f in enumerate(sorted(f for f, n in counts.items() if n >= 2))}
    rows, cols = [], []
    for r, fs in enumerate(feats):
        for f in set(fs):
            j = vocab.get(f)
            if j is not None:
                rows.append(r)
                cols.append(j)
    x = csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(len(feats), len(vocab)))
    clf = LogisticRegression(C=c, solver="liblinear", max_iter=300)
    clf.fit(x, np.asarray(labels))
    names = sorted(vocab, key=vocab.__getitem__)
    # Weights below 0.01 change no decision that matters and would push the file past 2 MB.
    weights = {f: round(float(w), 3) for f, w in zip(names, clf.coef_[0], strict=True) if abs(w) >= 0.01}
    return LinearModel(round(float(clf.intercept_[0]), 4), weights)


def train(parsed: list[list[tuple[int, Any]]], golds: list[list[Triple]], thresholds: dict[str, float]) -> Any:
    from newstrace.attribution_model import AttributionModel

    data = examples(parsed, golds)
    models = {}
    for key, c in (("cue", 0.3), ("source", 0.5), ("content", 0.5)):
        t0 = time.perf_counter()
        models[key] = fit(*data[key], c=c)
        print(f"  {key}: {len(data[key][1]):,} examples, {sum(data[key][1]):,} positive, "
              f"{len(models[key].weights):,} weights ({time.perf_counter() - t0:.0f} s)", flush=True)
    return AttributionModel(thresholds=thresholds, **models)


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


def main() -> int:
    from dataclasses import replace

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None, help="folder for cached spaCy parses")
    parser.add_argument("--holdout-only", action="store_true", help="stop after the held-out fold")
    parser.add_argument("--thresholds", default=None, help="cue,source,content: skip the search")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"SKIP: PolNeAR is not at {DATA}: check out ../shared beside the repo.")
        return 0
    arts = load_split("train")
    texts = [t for _, t, _ in arts]
    spans = [g for _, _, g in arts]
    golds = [gold_triples("train", n, t) for n, t, _ in arts]
    t0 = time.perf_counter()
    parsed = parse_split("train", texts, args.cache)
    print(f"PolNeAR train: {len(arts)} articles parsed ({time.perf_counter() - t0:.0f} s)", flush=True)
    held = [k for k in range(len(arts)) if k % 5 == 0]
    rest = [k for k in range(len(arts)) if k % 5 != 0]
    if args.thresholds:
        cue_t, src_t, con_t = (float(x) for x in args.thresholds.split(","))
        thresholds = {"cue": cue_t, "source": src_t, "content": con_t}
    else:
        print(f"held-out fold: train on {len(rest)} articles, choose thresholds on {len(held)}", flush=True)
        model = train([parsed[k] for k in rest], [golds[k] for k in rest], {"cue": 0.5, "source": 0.05, "content": 0.05})
        h_parsed = [parsed[k] for k in held]
        h_texts = [texts[k] for k in held]
        h_gold = [spans[k] for k in held]
        print(_line("rules only (held-out)", evaluate(h_parsed, h_texts, h_gold, None)), flush=True)
        thresholds = dict(model.thresholds)
        # Nearly every PolNeAR attribution has a source and a content (train), so their
        # thresholds stay low; only the cue threshold is searched (each trial is a full extraction).
        for key, grid in (("cue", (0.35, 0.5)),):
            best = (-1.0, thresholds[key])
            for value in grid:
                trial = replace(model, thresholds={**thresholds, key: value})
                result = evaluate(h_parsed, h_texts, h_gold, trial)
                print(_line(f"model {key}>={value}", result), flush=True)
                target = result[key]["exact"] if key != "cue" else sum(result[k]["exact"] for k in TYPES)
                if target > best[0]:
                    best = (target, value)
            thresholds[key] = best[1]
        print(f"chosen thresholds: {thresholds}", flush=True)
    if args.holdout_only:
        return 0
    print(f"final model: all {len(arts)} train articles", flush=True)
    model = train(parsed, golds, thresholds)
    from newstrace.attribution_model import MODEL_PATH

    model.save(MODEL_PATH)
    print(f"wrote {MODEL_PATH.relative_to(REPO)} ({MODEL_PATH.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
