"""Issue 7 experiment: auxiliary training pairs for the tuned top layer (not kept; see README.md).

The tuned layer (``newstrace.matching_tuned``) is trained on about 1,000 tweet -> fact-check
pairs. Here each epoch also draws ``K`` auxiliary pairs from the fact-check collection itself:
a fact-check's title -> that fact-check, and its subtitle -> that fact-check (the document side
as the layer encodes it: ``doc_text(claim, title, subtitle)``). Auxiliary queries get no mined
hard negatives; they share the batch (and so its in-batch and hard negatives) with the tweet
queries. Tweet pairs, their hard negatives and every other setting are those of
``train_top_layer`` / ``TRAIN_SETTINGS``.

Leakage: the auxiliary pairs use fact-check texts only (no tweets), but the collection holds the
fact-checks of dev and dev-test queries too, so the layer has seen their titles and subtitles
paired with their documents. That is what a deployed system has: the collection is searchable at
run time. No tweet of a held-out fold or split enters training.

    python docs/experiments/claim-matching-aux/aux_pairs.py --quick K   # one layer (2022 train)
    python docs/experiments/claim-matching-aux/aux_pairs.py --cv K      # five layers, then --cv

Run from the repo root with the virtualenv active.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("claim_bench", REPO / "bench" / "claim_matching.py")
bench = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
spec.loader.exec_module(bench)  # type: ignore[union-attr]

from newstrace.matching import Matcher, clean_query  # noqa: E402
from newstrace.matching_tuned import (  # noqa: E402
    TRAIN_SETTINGS,
    StateCache,
    _apply,
    _padded,
    _pool,
    doc_text,
    hard_negatives,
    new_top_layer,
    seen_key,
    tuned_cosines,
)
from newstrace.models import default_cache_dir  # noqa: E402


def aux_pairs(matcher: Matcher) -> tuple[list[str], list[list[int]]]:
    """Distinct titles and subtitles of the collection, each with the fact-checks that carry it
    (and their identical copies) as positives."""
    position = {d.id: i for i, d in enumerate(matcher.docs)}
    owners: dict[str, set[str]] = defaultdict(set)
    for d in matcher.docs:
        for text in (d.title, d.subtitle):
            if text and text.strip():
                owners[text.strip()].add(d.id)
    texts = sorted(owners)
    wide = matcher.with_identical([owners[t] for t in texts])
    return texts, [sorted(position[g] for g in gs) for gs in wide]


def train_top_layer_aux(query_states: Sequence[np.ndarray], doc_states: Sequence[np.ndarray],
                        positives: Sequence[Sequence[int]], negatives: Sequence[Sequence[int]],
                        aux_states: Sequence[np.ndarray], aux_positives: Sequence[Sequence[int]], aux_per_epoch: int,
                        *, epochs: int = 2, batch_size: int = 32, negatives_per_query: int = 3, lr: float = 3e-5,
                        temperature: float = 0.05, seed: int = 0) -> Any:
    """``matching_tuned.train_top_layer`` with ``aux_per_epoch`` auxiliary pairs drawn afresh
    each epoch and shuffled in with the tweet pairs (same loss, masking and negatives)."""
    import torch

    from newstrace.matching import _torch_threads

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    aux_rng = np.random.default_rng(seed + 1000)
    n = len(query_states)
    states = list(query_states) + list(aux_states)
    pos = [list(p) for p in positives] + [list(p) for p in aux_positives]
    neg = [list(x) for x in negatives] + [[] for _ in aux_states]
    layer = new_top_layer(torch.float32)
    layer.train()
    optimiser = torch.optim.AdamW(layer.parameters(), lr=lr, weight_decay=0.01)
    usable = [i for i in range(n) if pos[i]]
    with _torch_threads(1):
        for _ in range(epochs):
            drawn = aux_rng.choice(len(aux_states), size=min(aux_per_epoch, len(aux_states)), replace=False)
            order = rng.permutation(usable + [n + int(a) for a in drawn])
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                docs: list[int] = []
                target = []
                for q in batch:
                    target.append(len(docs))
                    docs.append(int(rng.choice(pos[q])))
                for q in batch:
                    if neg[q]:
                        docs.extend(int(d) for d in rng.choice(neg[q], size=min(negatives_per_query, len(neg[q])),
                                                                replace=False))
                qh, qm, qlm = _padded([states[q].astype(np.float32) for q in batch])
                dh, dm, dlm = _padded([doc_states[d].astype(np.float32) for d in docs])
                logits = _pool(_apply(layer, qh, qlm), qm) @ _pool(_apply(layer, dh, dlm), dm).T / temperature
                doc_ids = np.array(docs)
                for row, q in enumerate(batch):
                    same = np.isin(doc_ids, pos[q])
                    same[target[row]] = False
                    if same.any():
                        logits[row, torch.from_numpy(np.flatnonzero(same))] = -1e4
                loss = torch.nn.functional.cross_entropy(logits, torch.tensor(target))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
    layer.eval()
    return layer


def train_for_aux(matcher: Matcher, queries: Sequence[str], gold: Sequence[set[str]], query_vecs: np.ndarray,
                  states: StateCache, aux_per_epoch: int, *, seed: int = 0) -> Any:
    """``matching_tuned.train_for`` plus auxiliary pairs; cached under its own key."""
    import torch

    settings = dict(TRAIN_SETTINGS)
    cut = int(settings.pop("max_tokens"))
    texts = [doc_text(d.claim, d.title, d.subtitle) for d in matcher.docs]
    key_text = json.dumps([list(queries), [sorted(g) for g in gold], texts, settings, cut, seed,
                           {"aux": "title+subtitle", "per_epoch": aux_per_epoch}])
    key = hashlib.sha256(key_text.encode()).hexdigest()[:20]
    path = Path(states.cache_dir) / f"matching-layer-aux-{key}.pt"
    if path.exists():
        layer = new_top_layer(torch.float32)
        layer.load_state_dict(torch.load(path))
        return layer.eval()
    position = {d.id: i for i, d in enumerate(matcher.docs)}
    positives = [[position[g] for g in gs if g in position] for gs in gold]
    negatives = hard_negatives(matcher, queries, gold, query_vecs)
    doc_states = [s[:cut] for s in states.get(texts)]
    query_states = [s[:cut] for s in states.get([clean_query(q) for q in queries])]
    aux_texts, aux_positives = aux_pairs(matcher)
    aux_states = [s[:cut] for s in states.get(aux_texts)]
    start = time.perf_counter()
    layer = train_top_layer_aux(query_states, doc_states, positives, negatives, aux_states, aux_positives,
                                aux_per_epoch, seed=seed, **settings)
    print(f"    trained (seed {seed}, {len(queries)} tweets + {aux_per_epoch} aux/epoch) in "
          f"{time.perf_counter() - start:.0f} s", flush=True)
    torch.save(layer.state_dict(), path)
    return layer


def layers_aux(cache: Path, states: StateCache, aux_per_epoch: int, only_last: bool) -> list[tuple[Any, frozenset[str]]]:
    """``bench.tuned_layers`` with auxiliary pairs: the same folds and seeds (``fold_layers``);
    ``only_last``: the four fold layers are the shipped recipe's, only the train layer is new."""
    docs, splits = bench.load_clef2022(bench.DATA)
    matcher = Matcher.build(docs, cache_dir=cache)
    queries, gold = splits["train"][1], matcher.with_identical(splits["train"][2])
    vecs = bench.base_vectors(queries, cache)
    shipped = bench.tuned_layers(cache, states) if only_last else None
    fold_of = np.random.default_rng(0).permutation(len(queries)) % 4
    out = []
    for k in [*range(4), -1]:
        train = np.flatnonzero(fold_of != k).tolist()
        if shipped is not None and k >= 0:
            out.append(shipped[k])
            continue
        layer = train_for_aux(matcher, [queries[i] for i in train], [gold[i] for i in train], vecs[train], states,
                              aux_per_epoch, seed=k if k >= 0 else 99)
        out.append((layer, frozenset(seen_key(queries[i]) for i in train)))
    return out


def raw_dev(cache: Path, states: StateCache, layer: Any) -> str:
    """The tuned cosine alone as the ranking, CLEF 2022 dev (a layer tuned on 2022 train)."""
    docs, splits = bench.load_clef2022(bench.DATA)
    matcher = Matcher.build(docs, cache_dir=cache)
    cos = tuned_cosines(layer, matcher, splits["dev"][1], states)
    ranked = [[docs[int(j)].id for j in np.argsort(-row, kind="stable")[:20]] for row in cos]
    s = bench.evaluate(ranked, splits["dev"][2])
    return f"MAP@1 {s['MAP@1']:.4f} MAP@5 {s['MAP@5']:.4f} R@5 {s['R@5']:.3f} R@20 {s['R@20']:.3f}"


def protocol(cache: Path, states: StateCache, layers: list[tuple[Any, frozenset[str]]]) -> dict[str, Any]:
    """``bench.cross_validate``'s figures (pointwise, shipped fit) as per-query arrays, for paired
    differences: CV AP@5 / AP@1 over 2022 train + dev (3 seeds, averaged), and train -> dev AP@5
    / AP@1 on 2022 and on 2020."""
    sets = {}
    for name, loader in (("2022", bench.load_clef2022), ("2020", bench.load_clef2020)):
        docs, splits = loader(bench.DATA)
        matcher = Matcher.build(docs, cache_dir=cache, tuned_layer=layers[-1][0])
        sets[name] = {part: bench._labelled(matcher, splits[part][1], splits[part][2], layers, states, cache)
                      for part in ("train", "dev")}
    pooled = sets["2022"]["train"] + sets["2022"]["dev"]
    ap5, ap1 = np.zeros(len(pooled)), np.zeros(len(pooled))
    for seed in (0, 1, 2):
        fold_of = np.random.default_rng(seed).permutation(len(pooled)) % 5
        for f in range(5):
            model = bench._fit_pointwise([pooled[i] for i in np.flatnonzero(fold_of != f)])
            test = np.flatnonzero(fold_of == f)
            a5, a1 = bench._scores(model, [pooled[i] for i in test])
            ap5[test] += a5 / 3
            ap1[test] += a1 / 3
    out = {"cv5": ap5, "cv1": ap1}
    for name in ("2022", "2020"):
        out[f"dev{name}_5"], out[f"dev{name}_1"] = bench._scores(bench._fit_pointwise(sets[name]["train"]),
                                                                 sets[name]["dev"])
    return out


def report(label: str, res: dict[str, Any], base: dict[str, Any] | None) -> None:
    line = f"  {label:28s} CV MAP@5 {res['cv5'].mean():.4f} MAP@1 {res['cv1'].mean():.4f}"
    if base is not None:
        d = res["cv5"] - base["cv5"]
        line += (f" (vs shipped {d.mean():+.4f}, s.e. {d.std(ddof=1) / np.sqrt(len(d)):.4f};"
                 f" {(d > 1e-9).sum()} up, {(d < -1e-9).sum()} down)")
    for name in ("2022", "2020"):
        line += f" | {name} dev MAP@5 {res[f'dev{name}_5'].mean():.4f} MAP@1 {res[f'dev{name}_1'].mean():.3f}"
        if base is not None:
            d = res[f"dev{name}_5"] - base[f"dev{name}_5"]
            line += f" ({(d > 1e-9).sum()} up, {(d < -1e-9).sum()} down)"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", type=int, help="K: only the train layer with K aux pairs per epoch")
    parser.add_argument("--cv", type=int, help="K: five layers with K aux pairs per epoch, then the protocol")
    parser.add_argument("--cache", type=Path, default=default_cache_dir())
    args = parser.parse_args()
    states = StateCache(args.cache)
    k = args.quick if args.quick is not None else args.cv
    layers = layers_aux(args.cache, states, k, only_last=args.quick is not None)
    shipped = bench.tuned_layers(args.cache, states)
    if args.quick is not None:
        print(f"  tuned cosine alone, 2022 dev, train layer, shipped recipe: {raw_dev(args.cache, states, shipped[-1][0])}")
        print(f"  tuned cosine alone, 2022 dev, train layer, + {k} aux/epoch:  {raw_dev(args.cache, states, layers[-1][0])}")
        print("  protocol with the four shipped fold layers and the new train layer (2022 dev is the figure "
              "that moves; CV mixes layers):", flush=True)
    saved = args.cache / "aux-experiment-shipped-protocol.npz"
    if saved.exists():
        base = dict(np.load(saved))
    else:
        base = protocol(args.cache, states, shipped)
        np.savez(saved, **base)
    report("shipped", base, None)
    report(f"+ {k} aux pairs per epoch", protocol(args.cache, states, layers), base)


if __name__ == "__main__":
    main()
