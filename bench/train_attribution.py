"""Train newstrace's attribution model on PolNeAR train (../shared/data/polnear/train).

    python bench/train_attribution.py [--cache DIR] [--holdout | --holdout-only | --boundary-only | --content-rank-only]
                                      [--output DIR/attribution.json.gz --compare newstrace/models_data]

Deterministic: articles in name order, liblinear logistic regressions (no random state used) on
one BLAS thread (pinned below: liblinear's weights depended on OpenBLAS's thread count, not on
PYTHONHASHSEED nor on cached vs fresh parses, which give the same examples), features seen fewer
than twice dropped, weights rounded. It prints digests of the train files and of the linear
models' examples, so that a rebuild can be checked input by input; ``--compare`` prints how the
rebuilt weights differ from a folder of published ones. The LSTM cue tagger is trained by
PyTorch on one thread with fixed seeds and batch order (two runs gave the same losses to four
decimals). By default it trains on all of train and writes newstrace/models_data/
attribution.json.gz and, beside it, attribution_tagger.json.gz, the cue boundary model
attribution_boundary.json.gz (``--boundary-only``: that one alone, about a minute) and the listwise
content ranker attribution_content_rank.json.gz (``--content-rank-only``: that one alone, L-BFGS on
numpy, a few minutes). ``--holdout`` first holds out
every fifth train article (by name), trains on the rest and prints rules-only vs model exact F1
on the held-out fifth (the full extraction, scored as in bench/attribution.py) for each weight of
the LSTM tagger in TAGGER_WEIGHTS, then with the boundary model for each weight in
BOUNDARY_WEIGHTS, then with the content ranker for each L2 in CONTENT_RANK_L2S; ``--holdout-only`` stops there (``--fold-model`` reuses that
fold's linear models from an earlier ``--holdout-only --output`` run). The source / content
thresholds and the tagger weight (fixed below) were chosen on that fold. Dev is never read.
``--cache DIR`` keeps the spaCy parses (DocBin).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

# One BLAS thread, set before numpy and scipy load OpenBLAS: liblinear's solver sums through BLAS,
# and a 2-thread OpenBLAS splits those sums differently from a 1-thread one; the same examples then
# gave weights up to 0.03 apart (the cause of the packaged file not being rebuilt byte for byte).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
DATA = REPO.parent / "shared" / "data" / "polnear"

from attribution import TYPES, Spans, load_split, score  # noqa: E402

from newstrace.attribution_content_rank import RANK_PATH  # noqa: E402
from newstrace.attribution_model import TAGGER_PATH  # noqa: E402

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


def data_digest(split: str) -> str:
    """SHA-256 (16 hex digits) of the split's files, names and bytes in name order: the same
    weights can only come from the same files, so a verifier compares this first."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(p for p in (DATA / split).rglob("*") if p.is_file()):
        digest.update(path.relative_to(DATA / split).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def examples_digest(data: dict[str, tuple[list[list[str]], list[int]]]) -> str:
    """SHA-256 (16 hex digits) of the linear models' training examples (features in order,
    labels): equal digests but different weights would mean the fitting differs, not the inputs."""
    import hashlib

    digest = hashlib.sha256()
    for key in sorted(data):
        feats, labels = data[key]
        for fs, label in zip(feats, labels, strict=True):
            digest.update(f"{key}\t{label}\t".encode() + "\x00".join(fs).encode() + b"\n")
    return digest.hexdigest()[:16]


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


def examples(parsed: list[list[tuple[int, Any]]], golds: list[list[Triple]],
             content_groups: list[int] | None = None) -> dict[str, tuple[list[list[str]], list[int]]]:
    """Feature lists and 0/1 labels for the cue tagger and the source / content rankers; with
    ``content_groups``, the gold cue (a running number) of each content row is appended there."""
    from newstrace.attribution import CUE_LEMMAS, quotations, rule_cue_tokens, rule_spans, span_candidates
    from newstrace.attribution_model import cue_features

    data: dict[str, tuple[list[list[str]], list[int]]] = {k: ([], []) for k in ("cue", "source", "content")}
    group = 0
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
                if content_groups is not None:
                    content_groups.extend([group] * len(con_cands))
                group += 1
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
        # Sorted, not set order (which follows PYTHONHASHSEED): liblinear sums each row in the
        # order given, so the row layout must not depend on the process (scipy also sorts today).
        for f in sorted(set(fs)):
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

    groups: list[int] = []
    data = examples(parsed, golds, groups)
    print(f"  training examples digest {examples_digest(data)}", flush=True)
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
    return AttributionModel(cue_tags=cue_tags, thresholds=thresholds, **models,
                            content_rank=train_content_rank(*data["content"], groups))


def boundary_examples(parsed: list[list[tuple[int, Any]]], golds: list[list[Triple]]) -> tuple[list[list[str]], list[int]]:
    """Features and 0/1 labels of every span around the head word of every gold cue (1: the
    gold span itself); cues whose gold span lies outside the window are counted and skipped."""
    from newstrace.attribution_boundary import boundary_candidates, boundary_features
    from newstrace.attribution_model import cue_head

    feats: list[list[str]] = []
    labels: list[int] = []
    covered = total = 0
    for docs, gold in zip(parsed, golds, strict=True):
        for off, doc in docs:
            end = off + len(doc.text)
            for c, _, _ in gold:
                if not (off <= c[0] and c[1] <= end):
                    continue
                span = doc.char_span(c[0] - off, c[1] - off, alignment_mode="expand")
                if span is None or len(span) == 0:
                    continue
                total += 1
                rng = (span.start, span.end)
                head = cue_head(doc, rng)
                cands = boundary_candidates(doc, head)
                if rng not in cands:
                    continue
                covered += 1
                feats += boundary_features(doc, head, cands)
                labels += [int(cand == rng) for cand in cands]
    print(f"  boundary: {covered:,} of {total:,} gold cues inside the window ({100 * covered / max(1, total):.1f}%), "
          f"{len(labels):,} candidate spans", flush=True)
    return feats, labels


#: Weight of the cue tagger's tag log-probabilities beside the boundary model's when re-bounding
#: a cue; chosen on the held-out fold of train (see BOUNDARY_WEIGHTS).
BOUNDARY_TAGGER_WEIGHT = 0.5
#: Weights tried on the held-out fold.
BOUNDARY_WEIGHTS = (0.0, 0.5, 1.0, 2.0)


def train_boundary(parsed: list[list[tuple[int, Any]]], golds: list[list[Triple]], tagger_weight: float = BOUNDARY_TAGGER_WEIGHT) -> Any:
    """The cue re-bounding model (``attribution_boundary.BoundaryModel``), liblinear: deterministic."""
    from newstrace.attribution_boundary import BoundaryModel

    t0 = time.perf_counter()
    feats, labels = boundary_examples(parsed, golds)
    lin = fit(*_matrix(feats), labels, c=0.5)
    print(f"  boundary: {len(lin.weights):,} weights ({time.perf_counter() - t0:.0f} s)", flush=True)
    return BoundaryModel(lin.bias, lin.weights, tagger_weight)


#: L2 of the listwise content ranker, chosen on the held-out fold of train: content exact F1
#: 58.1 / 58.2 / 57.9 / 57.6 / 57.5 at 0.1 / 0.3 / 1 / 3 / 10, 57.2 without the ranker (with the
#: context features and clause prefixes of feature version 3; before them the plateau was 0.1-1).
CONTENT_RANK_L2 = 0.3
#: L2 values tried on the held-out fold.
CONTENT_RANK_L2S = (0.1, 0.3, 1.0, 3.0, 10.0)


def train_content_rank(feats: list[list[str]], labels: list[int], groups: list[int], l2: float = CONTENT_RANK_L2) -> Any:
    """The listwise content ranker (``attribution_content_rank``) over the content rows of
    ``examples``: each gold cue whose gold content is among its candidates is one softmax group."""
    from newstrace.attribution_content_rank import fit_listwise

    t0 = time.perf_counter()
    positives = Counter(g for g, y in zip(groups, labels, strict=True) if y)
    rows = [k for k, g in enumerate(groups) if positives[g] == 1]
    x, names = _matrix([feats[k] for k in rows])
    ranker = fit_listwise(x, names, [labels[k] for k in rows], [groups[k] for k in rows], l2)
    print(f"  content ranker (L2 {l2}): {len({groups[k] for k in rows}):,} of {len(set(groups)):,} gold cues with their content "
          f"among the candidates, {len(rows):,} rows, {len(ranker.weights):,} weights "
          f"({time.perf_counter() - t0:.0f} s)", flush=True)
    return ranker


def content_rank_data(parsed: list[list[tuple[int, Any]]], golds: list[list[Triple]]) -> tuple[list[list[str]], list[int], list[int]]:
    groups: list[int] = []
    feats, labels = examples(parsed, golds, groups)["content"]
    return feats, labels, groups


TaggerRows = list[tuple[Any, list[int]]]


def tagger_rows(parsed: list[list[tuple[int, Any]]], golds: list[list[Triple]]) -> TaggerRows:
    """(doc, O/B/I labels) of every paragraph, with spaCy's tok2vec states set on the doc."""
    from newstrace.attribution_model import doc_tensor

    rows: TaggerRows = []
    for docs, gold in zip(parsed, golds, strict=True):
        for off, doc in docs:
            if len(doc) == 0:
                continue
            doc.tensor = doc_tensor(doc)
            end = off + len(doc.text)
            local = [(c[0] - off, c[1] - off) for c, _, _ in gold if off <= c[0] and c[1] <= end]
            labels, previous = [], None
            for tok in doc:
                hit = next((c for c in local if c[0] < tok.idx + len(tok) and tok.idx < c[1]), None)
                labels.append(0 if hit is None else (2 if hit == previous else 1))
                previous = hit
            rows.append((doc, labels))
    return rows


#: Tagger settings, chosen on the held-out fifth of train (cue exact F1 of the tagger alone).
TAGGER = {"hidden": 64, "epochs": 8, "lemmas": 5000, "field_dim": 8, "lemma_dim": 24, "input_dim": 128,
          "dropout": 0.2, "lr": 2e-3, "batch": 16}


#: Tagger weights tried on the held-out fold (0: the linear taggers alone).
TAGGER_WEIGHTS = (0.0, 0.5, 0.75, 1.0)


def train_tagger(rows: TaggerRows) -> Any:
    """The BiLSTM cue tagger (``attribution_model.CueTagger``), trained with PyTorch on one thread
    with fixed seeds and a fixed batch order, so that a rerun gives the same weights."""
    import random

    import numpy as np
    import torch
    from torch import nn
    from torch.nn.utils.rnn import pad_sequence

    from newstrace.attribution import CUE_LEMMAS, quotations, rule_cue_tokens, rule_spans
    from newstrace.attribution_model import TAGGER_CATS, TAGGER_FLAGS, CueTagger, tagger_inputs

    torch.manual_seed(0)
    torch.set_num_threads(1)
    rng = random.Random(0)
    t0 = time.perf_counter()
    inputs = []
    for doc, _ in rows:
        quotes = quotations(doc.text)
        inputs.append(tagger_inputs(doc, quotes, rule_cue_tokens(doc, rule_spans(doc, quotes)), CUE_LEMMAS))
    vocab = {}
    for k, field in enumerate(TAGGER_CATS):
        counts = Counter(row[k] for cats, _, _ in inputs for row in cats)
        vocab[field] = {v: i + 1 for i, v in enumerate(sorted(v for v, n in counts.items() if n >= 2))}
    lemma_counts = Counter(lem for _, lemmas, _ in inputs for lem, _ in lemmas)
    top = sorted(lemma_counts.items(), key=lambda x: (-x[1], x[0]))[:TAGGER["lemmas"]]
    lemmas = {lem: i + 1 for i, (lem, _) in enumerate(top)}
    tensors = []
    for (doc, labels), (cats, lems, flags) in zip(rows, inputs, strict=True):
        cat = torch.tensor([[vocab[f].get(row[k], 0) for k, f in enumerate(TAGGER_CATS)] for row in cats])
        lem = torch.tensor([[lemmas.get(a, 0), lemmas.get(b, 0)] for a, b in lems])
        dense = torch.from_numpy(np.concatenate([np.asarray(doc.tensor, dtype=np.float32),
                                                 np.asarray(flags, dtype=np.float32)], axis=1))
        tensors.append((cat, lem, dense, torch.tensor(labels)))
    dim = TAGGER["field_dim"] * len(TAGGER_CATS) + 2 * TAGGER["lemma_dim"] + 96 + len(TAGGER_FLAGS)

    class Tagger(nn.Module):  # the names of its weights are the ones CueTagger reads
        def __init__(self) -> None:
            super().__init__()
            self.cats = nn.ModuleList([nn.Embedding(len(vocab[f]) + 1, TAGGER["field_dim"]) for f in TAGGER_CATS])
            self.lem = nn.Embedding(len(lemmas) + 1, TAGGER["lemma_dim"])
            self.inp = nn.Sequential(nn.Dropout(TAGGER["dropout"]), nn.Linear(dim, TAGGER["input_dim"]), nn.ReLU())
            self.lstm = nn.LSTM(TAGGER["input_dim"], TAGGER["hidden"], batch_first=True, bidirectional=True)
            self.out = nn.Sequential(nn.Dropout(TAGGER["dropout"]), nn.Linear(2 * TAGGER["hidden"], 3))

        def forward(self, cat: Any, lem: Any, dense: Any) -> Any:
            x = torch.cat([e(cat[..., i]) for i, e in enumerate(self.cats)] + [self.lem(lem).flatten(-2), dense], -1)
            return self.out(self.lstm(self.inp(x))[0])

    model = Tagger()
    opt = torch.optim.Adam(model.parameters(), lr=TAGGER["lr"])
    for epoch in range(TAGGER["epochs"]):
        order = list(range(len(tensors)))
        rng.shuffle(order)
        batches = []
        for s in range(0, len(order), 512):  # similar lengths in a batch: less padding
            chunk = sorted(order[s:s + 512], key=lambda i: len(tensors[i][3]))
            batches += [chunk[i:i + TAGGER["batch"]] for i in range(0, len(chunk), TAGGER["batch"])]
        rng.shuffle(batches)
        total = 0.0
        for batch in batches:
            items = [tensors[i] for i in batch]
            cat, lem, dense = (pad_sequence([it[j] for it in items], batch_first=True) for j in range(3))
            gold = pad_sequence([it[3] for it in items], batch_first=True, padding_value=-100)
            loss = nn.functional.cross_entropy(model(cat, lem, dense).reshape(-1, 3), gold.reshape(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            total += loss.item()
        print(f"  tagger epoch {epoch + 1}: loss {total / len(batches):.4f} ({time.perf_counter() - t0:.0f} s)", flush=True)
    arrays = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    return CueTagger(vocab, lemmas, arrays)


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


def set_tensors(parsed: list[list[tuple[int, Any]]]) -> None:
    """spaCy's tok2vec states on docs read back from the parse cache (a DocBin drops them)."""
    from newstrace.models import spacy_nlp

    docs = [doc for docs in parsed for _, doc in docs]
    for _ in spacy_nlp().get_pipe("tok2vec").pipe(docs, batch_size=256):  # sets doc.tensor in place
        pass


def load_model_file(path: Path) -> Any:
    import gzip
    import json

    from newstrace.attribution_model import AttributionModel

    with gzip.open(path, "rb") as fh:
        return AttributionModel.from_json(json.loads(fh.read()))


def compare_weights(rebuilt: Path, reference: Path) -> None:
    """Per linear model of two weights files (attribution.json.gz, attribution_boundary.json.gz or
    attribution_content_rank.json.gz):
    how many weights differ and by how much (a rebuild on one BLAS thread should show none; a
    2-thread OpenBLAS fit differed by up to 0.03)."""
    import gzip
    import json

    def linear_models(path: Path) -> dict[str, tuple[float, dict[str, float]]]:
        with gzip.open(path, "rb") as fh:
            data = json.loads(fh.read())
        if "models" not in data:  # the boundary model or the content ranker: one weight list
            return {"boundary" if "bias" in data else "rank": (data.get("bias", 0.0), data["weights"])}
        return {name: (m["bias"], {f: w for f, w in zip(data["features"], m["weights"], strict=True) if w})
                for name, m in data["models"].items()}

    ours, theirs = linear_models(rebuilt), linear_models(reference)
    for name in sorted(set(ours) | set(theirs)):
        (bias_a, a), (bias_b, b) = ours.get(name, (0.0, {})), theirs.get(name, (0.0, {}))
        differ = [abs(a.get(f, 0.0) - b.get(f, 0.0)) for f in set(a) | set(b) if a.get(f, 0.0) != b.get(f, 0.0)]
        print(f"  {name:9s} bias {bias_a} vs {bias_b}; {len(a):,} vs {len(b):,} weights; {len(differ):,} differ"
              f"{f', by at most {max(differ):.3f}' if differ else ''}", flush=True)


def _line(name: str, result: dict[str, dict[str, float]]) -> str:
    return f"{name:28s} " + "  ".join(f"{k} {100 * result[k]['exact']:5.1f}" for k in TYPES)


#: Candidate spans are kept above these probabilities. Nearly every PolNeAR attribution has a
#: source and a content (train), so both stay low; chosen on the held-out fold of train, as was
#: the weight of the neural tagger in the cue probabilities (of TAGGER_WEIGHTS: 0.5 best).
THRESHOLDS = {"source": 0.05, "content": 0.05, "tagger_weight": 0.5}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None, help="folder for cached spaCy parses")
    parser.add_argument("--holdout", action="store_true", help="first score the held-out fifth of train")
    parser.add_argument("--holdout-only", action="store_true", help="stop after the held-out fold")
    parser.add_argument("--output", type=Path, default=None, help="write the model here instead of the package")
    parser.add_argument("--boundary-only", action="store_true",
                        help="train only the cue boundary model (on all of train) and write it beside the model")
    parser.add_argument("--content-rank-only", action="store_true",
                        help="train only the listwise content ranker (on all of train) and write it beside the model")
    parser.add_argument("--fold-model", type=Path, default=None,
                        help="with --holdout: reuse the fold's linear models saved by --holdout-only --output")
    parser.add_argument("--compare", type=Path, default=None,
                        help="a folder of published weights (e.g. newstrace/models_data): print how the rebuilt ones differ")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"SKIP: PolNeAR is not at {DATA}: check out ../shared beside the repo.")
        return 0
    started = time.perf_counter()
    arts = load_split("train")
    texts = [t for _, t, _ in arts]
    spans = [g for _, _, g in arts]
    golds = [gold_triples("train", n, t) for n, t, _ in arts]
    print(f"PolNeAR train files digest {data_digest('train')}", flush=True)
    t0 = time.perf_counter()
    parsed = parse_split("train", texts, args.cache)
    print(f"PolNeAR train: {len(arts)} articles parsed ({time.perf_counter() - t0:.0f} s)", flush=True)
    if args.holdout or args.holdout_only:
        held = [k for k in range(len(arts)) if k % 5 == 0]
        rest = [k for k in range(len(arts)) if k % 5 != 0]
        print(f"held-out fold: train on {len(rest)} articles, score on {len(held)}", flush=True)
        if args.fold_model:  # the linear models of an earlier --holdout-only --output run
            # Its thresholds are the current ones (files saved before the LSTM lack its weight).
            model = replace(load_model_file(args.fold_model), thresholds=THRESHOLDS,
                            content_rank=train_content_rank(*content_rank_data([parsed[k] for k in rest], [golds[k] for k in rest])))
        else:
            model = train([parsed[k] for k in rest], [golds[k] for k in rest], THRESHOLDS)
        tagger = train_tagger(tagger_rows([parsed[k] for k in rest], [golds[k] for k in rest]))
        if args.output:  # the fold's models, for error analysis
            model.save(args.output)
            tagger.save(args.output.parent / TAGGER_PATH.name)
            model.content_rank.save(args.output.parent / RANK_PATH.name)
        fold_rank, model = model.content_rank, replace(model, content_rank=None)
        h_parsed = [parsed[k] for k in held]
        set_tensors(h_parsed)
        h_texts = [texts[k] for k in held]
        h_gold = [spans[k] for k in held]
        print(_line("rules only (held-out)", evaluate(h_parsed, h_texts, h_gold, None)), flush=True)
        for weight in TAGGER_WEIGHTS:
            mixed = replace(model, tagger=tagger, thresholds={**model.thresholds, "tagger_weight": weight})
            print(_line(f"model, tagger weight {weight}", evaluate(h_parsed, h_texts, h_gold, mixed)), flush=True)
        boundary = train_boundary([parsed[k] for k in rest], [golds[k] for k in rest])
        mixed = replace(model, tagger=tagger)
        for weight in BOUNDARY_WEIGHTS:
            rebound = replace(mixed, boundary=replace(boundary, tagger_weight=weight))
            print(_line(f"+ boundary, weight {weight}", evaluate(h_parsed, h_texts, h_gold, rebound)), flush=True)
        rebound = replace(mixed, boundary=replace(boundary, tagger_weight=BOUNDARY_TAGGER_WEIGHT))
        rank_data = content_rank_data([parsed[k] for k in rest], [golds[k] for k in rest])
        for l2 in CONTENT_RANK_L2S:
            rank = fold_rank if l2 == CONTENT_RANK_L2 else train_content_rank(*rank_data, l2=l2)
            ranked = replace(rebound, content_rank=rank)
            print(_line(f"+ content ranker, L2 {l2}", evaluate(h_parsed, h_texts, h_gold, ranked)), flush=True)
        if args.holdout_only:
            return 0
    from newstrace.attribution_boundary import BOUNDARY_PATH
    from newstrace.attribution_model import MODEL_PATH

    path = args.output or MODEL_PATH
    path.parent.mkdir(parents=True, exist_ok=True)

    def written(file: Path) -> None:
        print(f"wrote {file} ({file.stat().st_size:,} bytes)", flush=True)
        other = None if args.compare is None else args.compare / file.name
        # The LSTM's weights are not a linear model; its rebuild is checked with cmp.
        if other is not None and file.name != TAGGER_PATH.name and file.resolve() != other.resolve():
            compare_weights(file, other)

    print(f"final model: all {len(arts)} train articles", flush=True)
    rank_path = path.parent / RANK_PATH.name
    if args.content_rank_only:
        train_content_rank(*content_rank_data(parsed, golds)).save(rank_path)
        written(rank_path)
        return 0
    boundary_path = path.parent / BOUNDARY_PATH.name
    train_boundary(parsed, golds).save(boundary_path)
    written(boundary_path)
    if args.boundary_only:
        return 0
    model = train(parsed, golds, THRESHOLDS)
    tagger = train_tagger(tagger_rows(parsed, golds))
    # The tagger and ranker first: a model file without them beside it would run without them.
    tagger.save(path.parent / TAGGER_PATH.name)
    model.content_rank.save(rank_path)
    model.save(path)
    for file in (path.parent / TAGGER_PATH.name, rank_path, path):
        written(file)
    print(f"{time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
