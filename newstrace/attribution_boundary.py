"""Where a cue begins and ends: a learned re-bounding step after the cue tagger's decoding.

What it decides, and on what evidence: on the held-out fifth of PolNeAR train, 443 of the 1,551
gold cues the packaged tagger did not find exactly overlap a predicted cue: the tagger found the
cue word but cut the span differently from the annotators ("said" for "said Wednesday", "declared"
for "declared:", "is expected" for "is expected to endorse", or the reverse: "said in" for
"said"). For each decoded cue, every span around its head word (at most ``MAX_LEFT`` tokens
before it and ``MAX_RIGHT`` after, within the sentence) is scored by a logistic regression learned
on the gold cues of train: which words the span adds on each side (function words by their text,
others by part of speech and dependency label), how they hang on the cue verb, the verb's lemma with
the first word after it, the words just outside the span, and whether the span leaves a
preposition without its object. The span kept maximises the regression's log-probability plus
``tagger_weight`` times the tagger's own log-probability of that span's B/I/O tags (0.5, chosen on
the held-out fold: exact F1 there source 69.7 → 69.7, cue 67.8 → 70.1, content 53.4 → 54.3; on dev,
run once, 72.6 → 72.5, 69.6 → 71.2, 53.4 → 53.6). A new span that would overlap another cue is not
taken. Weights: ``models_data/attribution_boundary.json.gz`` (trained by
``bench/train_attribution.py`` on train only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ModelUnavailable

BOUNDARY_PATH = Path(__file__).parent / "models_data" / "attribution_boundary.json.gz"
BOUNDARY_VERSION = 1
#: Words a cue may reach before / after its head word. Train: 99.3% of gold cues fit (see
#: ``bench/train_attribution.py``, which prints the share).
MAX_LEFT = 4
MAX_RIGHT = 8
_FUNCTION_POS = frozenset({"ADP", "PART", "AUX", "ADV", "DET", "PRON", "SCONJ", "CCONJ", "PUNCT"})

TokenRange = tuple[int, int]


def _sig(tok: Any) -> str:
    """A word's shape for boundary decisions: function words as themselves ("in", "to", ":"),
    content words by part of speech and attachment ("PROPN/npadvmod" for "said Wednesday")."""
    if tok.pos_ in _FUNCTION_POS:
        return tok.lower_
    return f"{tok.pos_}/{tok.dep_}"


def boundary_candidates(doc: Any, head: Any) -> list[TokenRange]:
    """Token ranges [a, b) around ``head`` that a cue with this head word could have."""
    sent = head.sent
    lo, hi = max(sent.start, head.i - MAX_LEFT), min(sent.end, head.i + 1 + MAX_RIGHT)
    return [(a, b) for a in range(lo, head.i + 1) for b in range(head.i + 1, hi + 1)]


class _Window:
    """The fields of the words around a cue head that the features read, looked up once per cue
    (spaCy's attribute access dominates otherwise: the features of ~50 spans read each word)."""

    def __init__(self, doc: Any, head: Any, lo: int, hi: int) -> None:
        self.n = len(doc)
        self.h, self.lem, self.tag, self.hdep = head.i, head.lemma_.lower(), head.tag_, head.dep_
        self.sig: dict[int, str] = {}
        self.dep: dict[int, str] = {}
        self.pos: dict[int, str] = {}
        self.ent: dict[int, str] = {}
        self.head: dict[int, int] = {}
        self.max_child: dict[int, int] = {}
        for t in doc[max(0, lo - 1):min(self.n, hi + 1)]:
            self.sig[t.i], self.dep[t.i], self.pos[t.i], self.ent[t.i] = _sig(t), t.dep_, t.pos_, t.ent_type_
            self.head[t.i] = t.head.i
            self.max_child[t.i] = max((c.i for c in t.children), default=-1)

    def features(self, rng: TokenRange) -> list[str]:
        a, b = rng
        h, lem, sig, head = self.h, self.lem, self.sig, self.head
        left, right = range(a, h), range(h + 1, b)
        lpat = "_".join(sig[i] for i in left) or "-"
        rpat = "_".join(sig[i] for i in right[:4]) + ("+" if len(right) > 4 else "") or "-"
        first_r = sig[h + 1] if right else "-"
        last = b - 1
        nxt_sig = sig[b] if b < self.n else "$"
        prev_sig = sig[a - 1] if a > 0 else "^"
        f = [
            f"L={lpat}", f"R={rpat}", f"nl={len(left)}", f"nr={min(len(right), 6)}",
            f"lem+R1={lem}|{first_r}", f"lem+nl={lem}|{len(left)}", f"lem+nr={lem}|{min(len(right), 3)}",
            f"first={sig[a]}", f"last={sig[last]}", f"next={nxt_sig}", f"prev={prev_sig}",
            f"last+next={sig[last]}|{nxt_sig}", f"prev+first={prev_sig}|{sig[a]}",
            f"tag={self.tag}", f"tag+R1={self.tag}|{first_r}", f"hdep={self.hdep}",
            f"lastent={self.ent[last]}", f"nextent={self.ent[b] if b < self.n else '$'}",
            # Is the span one piece of the parse, and does it cut off a word that hangs on it?
            f"conn={all(i == h or a <= head[i] < b for i in range(a, b))}",
            f"nexton={b < self.n and a <= head[b] < b}|{self.dep[b] if b < self.n else '$'}",
            f"prevon={a > 0 and a <= head[a - 1] < b}|{self.dep[a - 1] if a > 0 else '^'}",
            f"openprep={self.pos[last] == 'ADP' and self.max_child[last] >= b}",
            f"lem+next={lem}|{nxt_sig}",
        ]
        if len(right) <= 2:
            f.append(f"lem+R={lem}|{rpat}")
        if len(left) <= 2:
            f.append(f"lem+L={lem}|{lpat}")
        for i in (*left, *right):
            side = "L" if i < h else "R"
            on = "head" if head[i] == h else ("span" if a <= head[i] < b else "out")
            f += [f"in={side}|{sig[i]}|{self.dep[i]}|{on}", f"in+lem={lem}|{side}|{sig[i]}|{on}"]
        return f


def boundary_features(doc: Any, head: Any, cands: list[TokenRange]) -> list[list[str]]:
    """Features of each cue span of ``cands`` (tokens) around their head word ``head``: which
    words each adds on either side, how they hang on the head, the words just outside."""
    window = _Window(doc, head, min(a for a, _ in cands), max(b for _, b in cands))
    return [window.features(rng) for rng in cands]


@dataclass(frozen=True)
class BoundaryModel:
    """A binary logistic regression over ``boundary_features``, and the weight of the tagger's
    own tag log-probabilities when choosing among the spans."""

    bias: float
    weights: dict[str, float]
    tagger_weight: float

    def log_prob(self, features: list[str]) -> float:
        z = self.bias + sum(self.weights.get(f, 0.0) for f in features)
        z = max(-30.0, min(30.0, z))
        return -math.log1p(math.exp(-z))

    def rebound(self, doc: Any, cue: TokenRange, head: Any, tag_probs: list[tuple[float, float, float]]) -> TokenRange:
        """The best span for the cue decoded as ``cue`` (token range) with head word ``head``."""
        cands = boundary_candidates(doc, head)
        if cue not in cands:
            cands.append(cue)
        lo = min(a for a, _ in cands)
        hi = max(b for _, b in cands)
        logs = [tuple(math.log(max(p, 1e-12)) for p in tag_probs[i]) for i in range(lo, hi)]

        def tag_score(rng: TokenRange) -> float:
            # Log-probability of the B I* tags of ``rng`` and O around it, over the window.
            return sum(logs[i - lo][0 if not rng[0] <= i < rng[1] else (1 if i == rng[0] else 2)]
                       for i in range(lo, hi))

        scores = [self.log_prob(f) + self.tagger_weight * tag_score(r)
                  for r, f in zip(cands, boundary_features(doc, head, cands), strict=True)]
        return max(zip(scores, cands, strict=True), key=lambda x: (x[0], x[1] == cue))[1]

    def to_json(self) -> dict[str, Any]:
        return {"boundary_version": BOUNDARY_VERSION, "bias": self.bias, "tagger_weight": self.tagger_weight,
                "weights": dict(sorted(self.weights.items()))}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BoundaryModel:
        if data.get("boundary_version") != BOUNDARY_VERSION:
            raise ModelUnavailable(
                f"{BOUNDARY_PATH.name} is boundary model version {data.get('boundary_version')}, this "
                f"code reads version {BOUNDARY_VERSION}: retrain it with `python bench/train_attribution.py`.")
        return cls(float(data["bias"]), {k: float(v) for k, v in data["weights"].items()},
                   float(data["tagger_weight"]))

    def save(self, path: Path = BOUNDARY_PATH) -> None:
        from .attribution_model import _write_json_gz

        _write_json_gz(path, self.to_json())


@lru_cache(maxsize=1)
def load_boundary(path: Path = BOUNDARY_PATH) -> BoundaryModel | None:
    """The packaged boundary model, or None when it is not installed (the decoded cues stay)."""
    if not path.is_file():
        return None
    from .attribution_model import _read_json_gz

    return BoundaryModel.from_json(_read_json_gz(path))


def rebound_cues(doc: Any, cues: list[TokenRange], tag_probs: list[tuple[float, float, float]],
                 model: BoundaryModel) -> list[TokenRange]:
    """``cues`` re-bounded one by one; a new span that would overlap another cue is not taken."""
    from .attribution_model import cue_head

    out = list(cues)
    for k, cue in enumerate(cues):
        new = model.rebound(doc, cue, cue_head(doc, cue), tag_probs)
        if new != cue and not any(j != k and new[0] < b and a < new[1] for j, (a, b) in enumerate(out)):
            out[k] = new
    return out
