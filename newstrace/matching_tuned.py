"""A fine-tuned top layer of all-MiniLM-L6-v2 for claim matching: a second cosine channel.

MiniLM was trained for general sentence similarity; a tweet and the fact-check that reviews it
share a claim, not a style. Retraining the whole model on a thousand pairs would overfit, and
would change the vectors every other stage uses. Instead, a copy of MiniLM's last transformer
layer is tuned on CLEF CheckThat! 2022 train (+ dev for the packaged weights) pairs (tweet ->
its fact-check's claim, title and subtitle joined) with an in-batch contrastive loss and hard
negatives (the best-scoring wrong fact-checks of BM25 and MiniLM); the five layers below it stay
frozen. At run time the five bottom layers are shared with the ordinary embedding pass, so a
query costs one transformer layer more, and the tuned cosine enters the re-ranker as features
(``matching.FEATURES``: "cos_tuned*"). The re-ranker is fitted on cosines cross-fitted by
folds, so that it does not over-trust an encoder on the very queries that encoder was tuned on.

Evidence (CLEF 2022 dev, re-ranker and layers fitted on 2022 train only, text only): MAP@5
0.9675 -> 0.9749 and MAP@1 0.960 -> 0.975 with the three tuned features; the tuned cosine as a
seventh retriever changed nothing; CLEF 2020 dev 0.883 -> 0.888. Run once on the held-out
splits: CLEF 2020 test 0.957 -> 0.965, CLEF 2022 dev-test 0.948 -> 0.944 (two of 202 queries
lost their first place), so the gain does not carry to every set. Cost: about 8% more CPU per
query embedding (one layer of six, plus a dot product with one more vector per fact-check).
A second round of hard negatives (each layer's own best wrong fact-checks added, a fresh copy
tuned again) and the weight average of both rounds changed 5-fold CV MAP@5 over 2022 train +
dev by +0.0001 and +0.0006 (``bench/claim_matching.py --cv`` protocol): not kept.

Weights: ``models_data/matching_top_layer.json.gz`` (int8 differences from MiniLM's layer, trained by
``python bench/claim_matching.py --train-encoder``).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelUnavailable

if TYPE_CHECKING:
    import numpy as np

TOP_LAYER_PATH = Path(__file__).parent / "models_data" / "matching_top_layer.json.gz"


def doc_text(claim: str, title: str, subtitle: str) -> str:
    """The one text of a fact-check the tuned layer reads: claim, title and subtitle joined."""
    return " ".join(t for t in (claim, title if title != claim else "", subtitle) if t)


# -- the frozen bottom and the two tops -----------------------------------------------------------


def _backbone() -> tuple[Any, Any, Any]:
    """(tokenizer, BertModel, max_seq_length) of the shared sentence encoder."""
    from .models import sentence_encoder

    model = sentence_encoder()
    return model.tokenizer, model[0].auto_model, int(model.max_seq_length)


def _batches(texts: Sequence[str], batch_size: int) -> list[list[int]]:
    # Sorted by length, as sentence-transformers does: a batch is padded to its longest text.
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def _bottom(texts: list[str]) -> tuple[Any, Any, Any]:
    """Hidden states entering the top layer, the attention mask, and the layer's mask argument."""
    from transformers.masking_utils import create_bidirectional_mask

    tokenizer, bert, max_len = _backbone()
    enc = tokenizer(texts, padding=True, truncation=True, max_length=max_len, return_tensors="pt")
    hidden = bert.embeddings(input_ids=enc["input_ids"], token_type_ids=enc.get("token_type_ids"))
    layer_mask = create_bidirectional_mask(config=bert.config, inputs_embeds=hidden,
                                           attention_mask=enc["attention_mask"])
    for layer in bert.encoder.layer[:-1]:
        hidden = layer(hidden, layer_mask)
        if isinstance(hidden, tuple):  # older transformers return (states, ...)
            hidden = hidden[0]
    return hidden, enc["attention_mask"], layer_mask


def _pool(states: Any, mask: Any) -> Any:
    """Mean over real tokens, unit length: what sentence-transformers' Pooling + Normalize do."""
    import torch

    m = mask.unsqueeze(-1).to(states.dtype)
    pooled = (states * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled.float(), dim=-1)


def _apply(layer: Any, hidden: Any, layer_mask: Any) -> Any:
    dtype = next(layer.parameters()).dtype
    if hidden.dtype != dtype:  # a float32 layer in training over bf16 states, or the reverse
        hidden = hidden.to(dtype)
        if layer_mask is not None and layer_mask.is_floating_point():
            layer_mask = layer_mask.to(dtype)
    out = layer(hidden, layer_mask)
    return out[0] if isinstance(out, tuple) else out


def encode_with_tuned(texts: Sequence[str], top_layer: Any, *, batch_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """(MiniLM vectors, tuned vectors) of ``texts``, unit-length float32 rows; the bottom five
    layers run once for both."""
    import numpy as np
    import torch

    _, bert, _ = _backbone()
    base = np.zeros((len(texts), 384), dtype=np.float32)
    tuned = np.zeros((len(texts), 384), dtype=np.float32)
    with torch.inference_mode():
        for batch in _batches(texts, batch_size):
            hidden, mask, layer_mask = _bottom([texts[i] for i in batch])
            base[batch] = _pool(_apply(bert.encoder.layer[-1], hidden, layer_mask), mask).numpy()
            tuned[batch] = _pool(_apply(top_layer, hidden, layer_mask), mask).numpy()
    return base, tuned


def bottom_states(texts: Sequence[str], *, batch_size: int = 32) -> list[np.ndarray]:
    """Per text, the (tokens, 384) float16 states entering the top layer (for training)."""
    import numpy as np
    import torch

    out: list[np.ndarray] = [np.zeros((0, 384), np.float16)] * len(texts)
    with torch.inference_mode():
        for batch in _batches(texts, batch_size):
            hidden, mask, _ = _bottom([texts[i] for i in batch])
            for row, i in enumerate(batch):
                out[i] = hidden[row, : int(mask[row].sum())].float().numpy().astype(np.float16)
    return out


# -- weights --------------------------------------------------------------------------------------


def new_top_layer(dtype: Any = None) -> Any:
    """A trainable copy of MiniLM's last layer (float32 unless ``dtype``)."""
    import copy

    import torch

    _, bert, _ = _backbone()
    layer = copy.deepcopy(bert.encoder.layer[-1]).to(dtype or torch.float32)
    layer.eval()
    return layer


def _base_state() -> dict[str, Any]:
    """MiniLM's own last layer rounded to bf16, as float32: what the stored weights are added to.
    Rounded whatever the encoder's dtype, so that a file means the same under fp32 and bf16."""
    import torch

    return {k: v.to(torch.bfloat16).float() for k, v in new_top_layer(torch.float32).state_dict().items()}


def save_top_layer(layer: Any, path: Path, meta: dict[str, Any]) -> None:
    """The layer as its difference from MiniLM's own (``_base_state``), in int8 with one scale per
    tensor. Tuning moves no weight by more than about 0.002, so the int8 step (at most 1.5e-5)
    is far below bf16's own rounding of the weights (about 1e-4 at run time), and the file is a
    quarter of fp32 weights (1.8 MB, against 3.5 MB as fp16)."""
    import numpy as np

    base = _base_state()
    tensors = {}
    for k, v in layer.state_dict().items():
        delta = v.detach().float().numpy() - base[k].numpy()
        scale = float(np.abs(delta).max()) / 127 or 1.0
        tensors[k] = {"shape": list(v.shape), "scale": scale,
                      "int8": base64.b64encode(np.round(delta / scale).astype(np.int8).tobytes()).decode()}
    path.write_bytes(gzip.compress(json.dumps({"meta": meta, "tensors": tensors}).encode(), mtime=0))


def layer_from_file(path: Path, dtype: Any = None) -> Any:
    import numpy as np
    import torch

    if not path.exists():
        raise ModelUnavailable(f"The tuned matching layer is missing at {path}; reinstall newstrace or run "
                               "`python bench/claim_matching.py --train-encoder`.")
    data = json.loads(gzip.decompress(path.read_bytes()))
    base = _base_state()
    state = {k: base[k] + torch.from_numpy(np.frombuffer(base64.b64decode(v["int8"]), dtype=np.int8)
                                           .astype(np.float32).reshape(v["shape"]) * v["scale"])
             for k, v in data["tensors"].items()}
    layer = new_top_layer(torch.float32)
    layer.load_state_dict(state)
    return layer.to(dtype or torch.float32).eval()


@lru_cache(maxsize=1)
def packaged_top_layer() -> Any:
    """The shipped tuned layer, in the sentence encoder's dtype (bf16 by default)."""
    _, bert, _ = _backbone()
    return layer_from_file(TOP_LAYER_PATH, bert.dtype)


def layer_fingerprint(layer: Any) -> str:
    """A short hash of a layer's weights: cache keys of tuned vectors change with the weights."""
    digest = hashlib.sha256()
    for k, v in sorted(layer.state_dict().items()):
        digest.update(k.encode())
        digest.update(v.detach().float().numpy().tobytes())
    return digest.hexdigest()[:12]


# -- training -------------------------------------------------------------------------------------


def _padded(states: list[np.ndarray]) -> tuple[Any, Any, Any]:
    """A batch of cached bottom states, padded: (hidden, attention mask, the layer's mask)."""
    import numpy as np
    import torch
    from transformers.masking_utils import create_bidirectional_mask

    _, bert, _ = _backbone()
    longest = max(len(s) for s in states)
    hidden = np.zeros((len(states), longest, 384), dtype=np.float32)
    mask = np.zeros((len(states), longest), dtype=np.int64)
    for i, s in enumerate(states):
        hidden[i, : len(s)] = s
        mask[i, : len(s)] = 1
    h, m = torch.from_numpy(hidden), torch.from_numpy(mask)
    return h, m, create_bidirectional_mask(config=bert.config, inputs_embeds=h, attention_mask=m)


def train_top_layer(query_states: Sequence[np.ndarray], doc_states: Sequence[np.ndarray],
                    positives: Sequence[Sequence[int]], hard_negatives: Sequence[Sequence[int]], *,
                    epochs: int = 2, batch_size: int = 32, negatives_per_query: int = 3, lr: float = 3e-5,
                    temperature: float = 0.05, seed: int = 0) -> Any:
    """Tune a copy of MiniLM's last layer so that each query's vector is nearest its positives.

    ``positives[i]`` / ``hard_negatives[i]``: indices into ``doc_states`` for query ``i``. Loss:
    cross-entropy of the query against its positive, every other positive and hard negative of
    the batch standing as negatives (a document that is also one of the query's positives is
    masked out). One torch thread, fixed seeds: the same data gives the same weights."""
    import numpy as np
    import torch

    from .matching import _torch_threads

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    layer = new_top_layer(torch.float32)
    layer.train()
    optimiser = torch.optim.AdamW(layer.parameters(), lr=lr, weight_decay=0.01)
    usable = [i for i in range(len(query_states)) if positives[i]]
    with _torch_threads(1):
        for _ in range(epochs):
            order = rng.permutation(usable)
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                docs: list[int] = []
                target = []
                for q in batch:
                    target.append(len(docs))
                    docs.append(int(rng.choice(positives[q])))
                for q in batch:
                    pool = list(hard_negatives[q])
                    if pool:
                        docs.extend(int(d) for d in rng.choice(pool, size=min(negatives_per_query, len(pool)),
                                                                replace=False))
                qh, qm, qlm = _padded([query_states[q].astype(np.float32) for q in batch])
                dh, dm, dlm = _padded([doc_states[d].astype(np.float32) for d in docs])
                q_vec = _pool(_apply(layer, qh, qlm), qm)
                d_vec = _pool(_apply(layer, dh, dlm), dm)
                logits = q_vec @ d_vec.T / temperature
                doc_ids = np.array(docs)
                for row, q in enumerate(batch):
                    same = np.isin(doc_ids, list(positives[q]))
                    same[target[row]] = False
                    if same.any():
                        logits[row, torch.from_numpy(np.flatnonzero(same))] = -1e4
                loss = torch.nn.functional.cross_entropy(logits, torch.tensor(target))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
    layer.eval()
    return layer


def encode_states(layer: Any, states: Sequence[np.ndarray], *, batch_size: int = 64) -> np.ndarray:
    """Tuned vectors from cached bottom states (float32, unit length)."""
    import numpy as np
    import torch

    out = np.zeros((len(states), 384), dtype=np.float32)
    order = sorted(range(len(states)), key=lambda i: -len(states[i]))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            h, m, lm = _padded([states[i].astype(np.float32) for i in batch])
            out[batch] = _pool(_apply(layer, h, lm), m).numpy()
    return out


# -- cross-fitting: tuned cosines of queries from an encoder that never saw them ------------------


def hard_negatives(matcher: Any, queries: Sequence[str], gold: Sequence[set[str]], query_vecs: np.ndarray, *,
                   per_channel: int = 5) -> list[list[int]]:
    """Per query, the best-scoring wrong fact-checks of MiniLM (any field) and of BM25 (all
    fields): the confusions the tuned layer should learn to separate."""
    import numpy as np

    from .matching import clean_query

    position = {d.id: i for i, d in enumerate(matcher.docs)}
    base = query_vecs[:, :384]
    cos_any = np.maximum(np.maximum(base @ matcher._claim_vecs.T, base @ matcher._title_vecs.T),
                         base @ matcher._subtitle_vecs.T)
    out = []
    for qi, query in enumerate(queries):
        right = {position[g] for g in gold[qi] if g in position}
        wrong: set[int] = set()
        for scores in (cos_any[qi], matcher.bm25_scores(clean_query(query), field_name="cts")):
            best = np.argsort(-scores, kind="stable")[: per_channel + len(right)]
            wrong.update([int(j) for j in best if int(j) not in right][:per_channel])
        out.append(sorted(wrong))
    return out


class StateCache:
    """Bottom-layer states of texts, computed once per process (and on disk in ``cache_dir``):
    training and cross-fitting run the top layer alone over them."""

    def __init__(self, cache_dir: Path | None) -> None:
        self.cache_dir = cache_dir
        self._memory: dict[str, list[np.ndarray]] = {}

    def get(self, texts: Sequence[str]) -> list[np.ndarray]:
        import numpy as np

        from .models import EMBEDDING_DTYPE

        key = hashlib.sha256((EMBEDDING_DTYPE + "\x1f" + "\x1e".join(texts)).encode()).hexdigest()[:20]
        if key in self._memory:
            return self._memory[key]
        path = Path(self.cache_dir) / f"states-{key}.npz" if self.cache_dir else None
        if path is not None and path.exists():
            data = np.load(path)
            flat, ends = data["flat"], data["ends"]
            states = np.split(flat, ends[:-1])
        else:
            states = bottom_states(list(texts))
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp.npz")
                np.savez(tmp, flat=np.concatenate(states), ends=np.cumsum([len(s) for s in states]))
                tmp.replace(path)
        self._memory[key] = states
        return states

    def vectors(self, layer: Any, texts: Sequence[str]) -> np.ndarray:
        """``layer``'s vectors of ``texts`` from their states, kept on disk by layer and texts
        (a collection is encoded once per layer, not once per run)."""
        import numpy as np

        key = hashlib.sha256((layer_fingerprint(layer) + "\x1f" + "\x1e".join(texts)).encode()).hexdigest()[:20]
        path = Path(self.cache_dir) / f"tunedvecs-{key}.npy" if self.cache_dir else None
        if path is not None and path.exists():
            return np.load(path)
        vectors = encode_states(layer, self.get(texts))
        if path is not None:
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, vectors)
            tmp.replace(path)
        return vectors


# Training settings. Chosen on CLEF 2022 train -> dev (see BENCHMARKS.md); the states of long
# fact-checks are cut to 128 tokens in training (padding to the longest of a batch of 128
# documents dominated the cost).
TRAIN_SETTINGS: dict[str, Any] = {"epochs": 2, "batch_size": 32, "negatives_per_query": 3, "lr": 3e-5,
                                  "temperature": 0.05, "max_tokens": 128}


def train_for(matcher: Any, queries: Sequence[str], gold: Sequence[set[str]], query_vecs: np.ndarray,
              states: StateCache, *, seed: int = 0) -> Any:
    """A top layer tuned on ``queries`` (with ``gold`` fact-check ids) against ``matcher``'s
    fact-checks; cached on disk by the training data and settings when ``states`` has a folder."""
    import torch

    from .matching import clean_query

    settings = dict(TRAIN_SETTINGS)
    cut = int(settings.pop("max_tokens"))
    texts = [doc_text(d.claim, d.title, d.subtitle) for d in matcher.docs]
    key_text = json.dumps([list(queries), [sorted(g) for g in gold], texts, settings, cut, seed])
    key = hashlib.sha256(key_text.encode()).hexdigest()[:20]
    path = Path(states.cache_dir) / f"matching-layer-{key}.pt" if states.cache_dir else None
    if path is not None and path.exists():
        layer = new_top_layer(torch.float32)
        layer.load_state_dict(torch.load(path))
        return layer.eval()
    position = {d.id: i for i, d in enumerate(matcher.docs)}
    positives = [[position[g] for g in gs if g in position] for gs in gold]
    negatives = hard_negatives(matcher, queries, gold, query_vecs)
    doc_states = [s[:cut] for s in states.get(texts)]
    query_states = [s[:cut] for s in states.get([clean_query(q) for q in queries])]
    layer = train_top_layer(query_states, doc_states, positives, negatives, seed=seed, **settings)
    if path is not None:
        torch.save(layer.state_dict(), path)
    return layer


def tuned_cosines(layer: Any, matcher: Any, queries: Sequence[str], states: StateCache) -> np.ndarray:
    """(queries x fact-checks) cosines of ``layer``'s vectors, from cached bottom states."""
    from .matching import clean_query

    texts = [doc_text(d.claim, d.title, d.subtitle) for d in matcher.docs]
    docs = states.vectors(layer, texts)
    return encode_states(layer, states.get([clean_query(q) for q in queries])) @ docs.T


def seen_key(query: str) -> str:
    """How a query is recognised across data sets (CLEF 2022 train repeats CLEF 2020's tweets)."""
    from .matching import clean_query

    return " ".join(clean_query(query).lower().split())


def fold_layers(matcher: Any, queries: Sequence[str], gold: Sequence[set[str]], query_vecs: np.ndarray,
                states: StateCache, *, folds: int = 4, seed: int = 0) -> list[tuple[Any, frozenset[str]]]:
    """Layers tuned on all queries but one fold each, then one tuned on all of them; each with
    the keys (``seen_key``) of the queries it was tuned on."""
    import numpy as np

    fold_of = np.random.default_rng(seed).permutation(len(queries)) % folds
    out = []
    for k in [*range(folds), -1]:
        train = np.flatnonzero(fold_of != k).tolist()
        layer = train_for(matcher, [queries[i] for i in train], [gold[i] for i in train], query_vecs[train], states,
                          seed=k if k >= 0 else 99)
        out.append((layer, frozenset(seen_key(queries[i]) for i in train)))
    return out


def unseen_cosines(layers: Sequence[tuple[Any, frozenset[str]]], matcher: Any, queries: Sequence[str],
                   states: StateCache) -> np.ndarray:
    """(queries x fact-checks) tuned cosines, each query's from the layer that was tuned on the
    most queries but not on this one (cross-fitting); an error if every layer has seen it."""
    import numpy as np

    out = np.zeros((len(queries), len(matcher.docs)), dtype=np.float32)
    chosen: dict[int, list[int]] = {}
    for qi, query in enumerate(queries):
        fresh = [li for li, (_, seen) in enumerate(layers) if seen_key(query) not in seen]
        if not fresh:
            raise ValueError(f"every tuned layer has seen the query {query[:60]!r}: cross-fitting needs folds")
        chosen.setdefault(max(fresh, key=lambda li: len(layers[li][1])), []).append(qi)
    for li, rows in chosen.items():
        out[rows] = tuned_cosines(layers[li][0], matcher, [queries[i] for i in rows], states)
    return out
