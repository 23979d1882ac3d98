"""Learned attribution spans: a cue tagger and source / content span rankers over spaCy parses.

What it decides, and on what evidence:
- **cue**: every token gets a probability of beginning a cue (B), continuing one (I) or lying
  outside (O), from three one-vs-rest logistic regressions over its lemma, part of speech,
  dependency label, its head, grand-head and children, neighbouring words, the nearest cue verb on
  its left, whether it sits inside a quotation, and whether the hand-written rules
  (``attribution``) call it a cue. Cue spans are the best B-I* label sequence of each paragraph
  (Viterbi; I never follows O or opens a sentence). On a held-out fifth of PolNeAR train this
  joint decoding finds multi-word cues ("said in a statement", "referring to") that independent
  per-token decisions cut: cue exact F1 62.5 → 67.6 (tagger alone, before source / content).
  A second tagger, a small bidirectional LSTM over spaCy's own tok2vec states (``doc.tensor``,
  free with the parse) and embeddings of the parse fields and lemmas (``CueTagger``, its own
  file ``models_data/attribution_tagger.json.gz``), sees the whole paragraph; the two taggers'
  probabilities are averaged before decoding. On the held-out fifth of train, full extraction,
  exact F1 source / cue / content: linear taggers 68.2 / 66.4 / 52.5, LSTM alone 68.3 / 66.4 /
  53.1, the even mix 69.7 / 67.8 / 53.4 (mix weights 0.75: 69.3 / 67.4 / 53.4). The decoded
  cues are then re-bounded (``attribution_boundary``: "said" → "said Wednesday" where the
  annotators would): 69.7 / 70.1 / 54.3 on the same fold.
- **source** and **content**: for each cue, candidate spans are built from the parse (subtrees of
  nearby words, with and without the cue's own subtree; quotations; the sentence or paragraph
  before / after the cue; the rules' own answer) and ranked by a second and third logistic
  regression over the candidate's syntactic relation to the cue, position, length, quotation marks,
  "that"-complementiser and the words just outside it; content candidates after the cue also come
  cut at their first clause boundaries. The best candidate is kept if its probability clears a
  threshold; among the content candidates that clear it, the listwise ranker of
  ``attribution_content_rank`` picks one. Same fold: 69.6 / 70.7 / 58.2 (and 69.3 / 71.6 / 59.5
  with the nested-cue rule of ``attribution.model_spans``).

All weights were learned on PolNeAR *train* only by ``bench/train_attribution.py`` (deterministic)
and are stored as plain feature weights in ``models_data/attribution.json.gz`` (the LSTM's as fp16
arrays beside it); decoding constants and the mix were chosen on a held-out fifth of train. Nothing here needs the training data at run time.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelUnavailable

if TYPE_CHECKING:
    from .attribution_boundary import BoundaryModel
    from .attribution_content_rank import ContentRanker

MODEL_PATH = Path(__file__).parent / "models_data" / "attribution.json.gz"
#: 3: content candidates cut at clause boundaries, and the words around a content candidate;
#: 4: passive cues' contents around the cue, source candidates with their closing comma.
FEATURE_VERSION = 4
CUE_TAGS = ("O", "B", "I")
MAX_SPAN_TOKENS = 120  # longer candidates are almost never annotated spans (train: <0.5%)

CharRange = tuple[int, int]


def _write_json_gz(path: Path, data: Any) -> None:
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    # mtime=0: the same weights give the same bytes, so retraining is reproducible byte for byte.
    with open(path, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw)


def _read_json_gz(path: Path) -> Any:
    with gzip.open(path, "rb") as fh:
        return json.loads(fh.read())


@dataclass(frozen=True)
class LinearModel:
    """A binary logistic regression stored as feature → weight."""

    bias: float
    weights: dict[str, float]

    def prob(self, features: Iterable[str]) -> float:
        z = self.bias + sum(self.weights.get(f, 0.0) for f in features)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class AttributionModel:
    cue_tags: dict[str, LinearModel]  # one-vs-rest O / B / I
    source: LinearModel
    content: LinearModel
    thresholds: dict[str, float]
    #: The BiLSTM cue tagger (its own file), mixed with the linear taggers with weight
    #: ``thresholds["tagger_weight"]``; None: the linear taggers alone.
    tagger: CueTagger | None = field(default=None, compare=False)
    #: The learned cue re-bounding step (``attribution_boundary``, its own file); None: the
    #: decoded cues stay as they are.
    boundary: BoundaryModel | None = field(default=None, compare=False)
    #: The listwise content ranker (``attribution_content_rank``, its own file): it chooses among
    #: the content candidates the pointwise model keeps; None: the most probable one is kept.
    content_rank: ContentRanker | None = field(default=None, compare=False)

    def cue_tag_probs(self, feats: list[list[str]]) -> list[tuple[float, float, float]]:
        """Normalised (O, B, I) probabilities of each token from the linear taggers."""
        out = []
        for f in feats:
            p = [self.cue_tags[tag].prob(f) for tag in CUE_TAGS]
            total = sum(p) or 1.0
            out.append((p[0] / total, p[1] / total, p[2] / total))
        return out

    def cue_probs(self, doc: Any, quotes: list[CharRange], rule_cue_tokens: set[int],
                  lexicon: frozenset[str]) -> list[tuple[float, float, float]]:
        """(O, B, I) probabilities of each token of ``doc``: the linear and neural taggers mixed."""
        weight = self.thresholds.get("tagger_weight", 0.0) if self.tagger is not None else 0.0
        linear = self.cue_tag_probs(cue_features(doc, quotes, rule_cue_tokens, lexicon)) if weight < 1 else []
        if self.tagger is None or weight <= 0:
            return linear
        neural = self.tagger.tag_probs(doc, quotes, rule_cue_tokens, lexicon)
        if weight >= 1:
            return neural
        return [(weight * n[0] + (1 - weight) * m[0], weight * n[1] + (1 - weight) * m[1],
                 weight * n[2] + (1 - weight) * m[2]) for n, m in zip(neural, linear, strict=True)]

    def _linear_models(self) -> dict[str, LinearModel]:
        return {**{f"cue_{tag}": m for tag, m in self.cue_tags.items()}, "source": self.source, "content": self.content}

    def to_json(self) -> dict[str, Any]:
        """The five models over one shared, sorted feature list, each as a dense weight list
        (0 where a model has no weight): the three cue taggers share most feature names, so
        writing each name once keeps the packaged file under 2 MB."""
        models = self._linear_models()
        features = sorted(set().union(*(m.weights for m in models.values())))
        return {"feature_version": FEATURE_VERSION, "thresholds": self.thresholds, "features": features,
                "models": {name: {"bias": m.bias, "weights": [m.weights.get(f, 0) for f in features]}
                           for name, m in models.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AttributionModel:
        if data.get("feature_version") != FEATURE_VERSION:
            raise ModelUnavailable(
                f"{MODEL_PATH.name} was trained for feature version {data.get('feature_version')}, "
                f"this code computes version {FEATURE_VERSION}: retrain it with "
                "`python bench/train_attribution.py` or reinstall newstrace.")
        features = data["features"]

        def lin(d: dict[str, Any]) -> LinearModel:
            return LinearModel(float(d["bias"]),
                               {f: float(w) for f, w in zip(features, d["weights"], strict=True) if w})

        models = data["models"]
        return cls(cue_tags={tag: lin(models[f"cue_{tag}"]) for tag in CUE_TAGS},
                   source=lin(models["source"]), content=lin(models["content"]),
                   thresholds={k: float(v) for k, v in data["thresholds"].items()})

    def save(self, path: Path = MODEL_PATH) -> None:
        _write_json_gz(path, self.to_json())


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> AttributionModel | None:
    """The packaged model, or None when the package was built without it (rules are used)."""
    if not path.is_file():
        return None
    from .attribution_boundary import BOUNDARY_PATH, load_boundary
    from .attribution_content_rank import RANK_PATH, load_content_ranker

    model = AttributionModel.from_json(_read_json_gz(path))
    tagger = load_tagger(path.parent / TAGGER_PATH.name)
    return replace(model, tagger=tagger, boundary=load_boundary(path.parent / BOUNDARY_PATH.name),
                   content_rank=load_content_ranker(path.parent / RANK_PATH.name))


# -- token features (cue tagger) ------------------------------------------------------------------
def _in_quote(doc: Any, quotes: list[CharRange]) -> list[bool]:
    return [any(q0 < t.idx < q1 - 1 for q0, q1 in quotes) for t in doc]


def cue_features(doc: Any, quotes: list[CharRange], rule_cue_tokens: set[int], lexicon: frozenset[str]) -> list[list[str]]:
    """One feature list per token of ``doc``."""
    inq = _in_quote(doc, quotes)
    out: list[list[str]] = []
    n = len(doc)
    for t in doc:
        lem = t.lemma_.lower()
        head = t.head
        deps = sorted({c.dep_ for c in t.children})
        f = [
            f"w={t.lower_}", f"l={lem}", f"p={t.pos_}", f"t={t.tag_}", f"d={t.dep_}",
            f"l+d={lem}|{t.dep_}", f"l+p={lem}|{t.pos_}", f"hl={head.lemma_.lower()}", f"hp={head.pos_}",
            f"d+hp={t.dep_}|{head.pos_}", f"hd={head.dep_}", f"lex={lem in lexicon}|{t.pos_}",
            f"hlex={head.lemma_.lower() in lexicon}|{t.dep_}", f"rule={t.i in rule_cue_tokens}",
            f"rule+p={t.i in rule_cue_tokens}|{t.pos_}", f"q={inq[t.i]}", f"q+lex={inq[t.i]}|{lem in lexicon}",
            f"ent={t.ent_type_}",
        ]
        f += [f"cd={d}" for d in deps]
        f += [f"l+cd={lem}|{d}" for d in deps if d in ("nsubj", "ccomp", "dobj", "prep", "xcomp", "agent", "nsubjpass")]
        f.append(f"deps={'+'.join(d for d in deps if d in ('nsubj', 'ccomp', 'dobj', 'xcomp', 'nsubjpass', 'prep'))}")
        for k in (-2, -1, 1, 2):
            j = t.i + k
            if 0 <= j < n:
                o = doc[j]
                f.append(f"{k}l={o.lemma_.lower()}")
                f.append(f"{k}p={o.pos_}")
                f.append(f"{k}rule={j in rule_cue_tokens}")
            else:
                f.append(f"{k}l=<pad>")
        if t.i + 1 < n:
            f.append(f"l+1l={lem}|{doc[t.i + 1].lower_}")
        if t.i > 0:
            f.append(f"-1l+l={doc[t.i - 1].lower_}|{lem}")
        # The verb this word modifies: auxiliaries and adverbs of a cue verb belong to the cue.
        f.append(f"hlexrule={head.i in rule_cue_tokens}|{t.dep_}")
        # Words hanging on a cue verb ("said [in a statement]", "referring [to]"): where a
        # multi-word cue ends depends on the verb and the attachment, two levels up.
        hlem, hhlem = head.lemma_.lower(), head.head.lemma_.lower()
        f += [f"hl+d={hlem}|{t.dep_}", f"hl+l={hlem}|{lem}", f"hhl={hhlem}|{head.dep_}|{t.dep_}",
              f"hhlex={hhlem in lexicon}|{head.dep_}|{t.dep_}|{t.pos_}"]
        if t.i + 2 < n:
            f.append(f"+1l+2l={doc[t.i + 1].lower_}|{doc[t.i + 2].lower_}")
        if t.i >= 2:
            f.append(f"-2l-1l={doc[t.i - 2].lower_}|{doc[t.i - 1].lower_}")
        for k in range(1, 5):  # the nearest cue verb on the left, within the sentence
            j = t.i - k
            if j < t.sent.start:
                break
            if doc[j].pos_ in ("VERB", "AUX") and doc[j].lemma_.lower() in lexicon:
                f += [f"lcue={k}|{t.pos_}", f"lcuel={doc[j].lemma_.lower()}|{lem}|{k}"]
                break
        out.append(f)
    return out


def decode_cues(doc: Any, probs: list[tuple[float, float, float]]) -> list[tuple[int, int]]:
    """Token ranges of the cues in the most probable O/B/I sequence of ``doc`` (Viterbi over
    log-probabilities; I may follow only B or I of the same sentence)."""
    n = len(doc)
    if n == 0:
        return []
    neg = -1e9
    logs = [tuple(math.log(max(p, 1e-12)) for p in row) for row in probs]
    score = [logs[0][0], logs[0][1], neg]
    back: list[tuple[int, int, int]] = []
    for i in range(1, n):
        best_prev = 0 if score[0] >= max(score[1], score[2]) else (1 if score[1] >= score[2] else 2)
        inside_prev = 1 if score[1] >= score[2] else 2
        inside_ok = not doc[i].is_sent_start
        back.append((best_prev, best_prev, inside_prev))
        score = [score[best_prev] + logs[i][0], score[best_prev] + logs[i][1],
                 score[inside_prev] + logs[i][2] if inside_ok else neg]
    state = max(range(3), key=lambda s: score[s])
    tags = [state]
    for i in range(n - 2, -1, -1):
        state = back[i][state]
        tags.append(state)
    tags.reverse()
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i, tag in enumerate([*tags, 0]):
        if tag != 2 and start is not None:
            runs.append((start, i))
            start = None
        if tag == 1:
            start = i
    out = []
    for a, b in runs:
        # Punctuation at the edges is not part of a cue (except a lone ":" as in "Trump wrote:").
        while b - a > 1 and doc[b - 1].is_punct:
            b -= 1
        while b - a > 1 and doc[a].is_punct:
            a += 1
        if doc[a].is_punct and doc[a].text != ":":
            continue
        out.append((a, b))
    return out


def cue_head(doc: Any, rng: tuple[int, int]) -> Any:
    """The token of a cue span whose head lies outside it (the verb of "has said"), verbs first."""
    toks = list(doc[rng[0]:rng[1]])
    roots = [t for t in toks if not (rng[0] <= t.head.i < rng[1]) or t.head.i == t.i]
    verbs = [t for t in roots if t.pos_ in ("VERB", "AUX")] or [t for t in toks if t.pos_ == "VERB"]
    return (verbs or roots or toks)[0]


# -- span candidates (source, content) -------------------------------------------------------------
def _path(a: Any, b: Any) -> str:
    """Dependency path from token ``a`` up to the common ancestor with ``b`` and down to ``b``,
    as labels (at most three steps each side), or 'far'."""
    up_a = [a] + list(a.ancestors)
    up_b = [b] + list(b.ancestors)
    ids_b = {t.i: k for k, t in enumerate(up_b)}
    for k, t in enumerate(up_a):
        if t.i in ids_b:
            m = ids_b[t.i]
            if k > 3 or m > 3:
                return "far"
            return ">".join(x.dep_ for x in up_a[:k]) + "^" + "<".join(x.dep_ for x in up_b[:m])
    return "far"


def _bucket(n: int) -> str:
    for limit in (0, 1, 2, 3, 5, 8, 12, 20, 35, 60):
        if n <= limit:
            return str(limit)
    return "big"


def _subtree(tok: Any, exclude: tuple[int, int] | None = None) -> list[tuple[int, int]]:
    """Token ranges of ``tok``'s subtree and, when a range ``exclude`` lies inside it, the part
    on ``tok``'s side of it."""
    left, right = tok.left_edge.i, tok.right_edge.i + 1
    out = [(left, right)]
    if exclude is not None and left <= exclude[0] and exclude[1] <= right and (left, right) != exclude:
        if tok.i < exclude[0]:
            out.append((left, exclude[0]))
        elif tok.i >= exclude[1]:
            out.append((exclude[1], right))
    out.append((left, tok.i + 1))  # "the president" of "the president of France, who ..."
    return out


def source_candidates(doc: Any, cue: tuple[int, int], head: Any) -> list[tuple[int, int]]:
    sent = head.sent
    lo, hi = sent.start, sent.end
    out: set[tuple[int, int]] = set()
    for t in doc[lo:hi]:
        if t.pos_ in ("NOUN", "PROPN", "PRON", "NUM", "X") or t.ent_type_:
            if cue[0] <= t.i < cue[1]:
                continue
            # The subtree without the cue's subtree: ", a source told RIA" hangs the cue on the noun.
            for rng in _subtree(t, exclude=(head.left_edge.i, head.right_edge.i + 1)) + _subtree(t, exclude=cue):
                if rng[1] - rng[0] <= 25 and not (rng[0] < cue[1] and cue[0] < rng[1]):
                    out.add(rng)
    return sorted(out)


def is_passive(head: Any) -> bool:
    """A passive or raising cue ("Trump is expected to ...", "who are said to ..."): PolNeAR's
    content then runs from the subject to the end, around the cue. Held-out fold of train, with
    these candidates and the ``passive+`` features: content exact F1 59.5 -> 59.8."""
    return any(c.dep_ in ("auxpass", "nsubjpass") for c in head.children)


def content_candidates(doc: Any, cue: tuple[int, int], head: Any, quotes: list[CharRange]) -> list[CharRange]:
    """Candidate content ranges in characters of the paragraph (before trimming)."""
    sent = head.sent
    n = len(doc)
    toks: set[tuple[int, int]] = set()
    if is_passive(head):
        toks.update({(head.left_edge.i, head.right_edge.i + 1), (head.left_edge.i, sent.end)})
    cue_sub = (head.left_edge.i, head.right_edge.i + 1)
    for t in doc[sent.start:sent.end]:
        if cue[0] <= t.i < cue[1] or t.right_edge.i - t.left_edge.i < 1:
            continue
        toks.update(_subtree(t, exclude=cue_sub))
        toks.update(_subtree(t, exclude=cue))
    # Sentence and paragraph remainders on either side of the cue.
    toks.update({(cue[1], sent.end), (cue[1], n), (sent.start, cue[0]), (0, cue[0])})
    # The sentence around the cue with the cue's subtree cut out (", he said,").
    toks.update({(sent.start, cue_sub[0]), (cue_sub[1], sent.end), (cue_sub[1], n)})
    toks.update({(h.left_edge.i, h.right_edge.i + 1) for h in [head.head] if h.i != head.i})
    # Everything the cue governs on its right ("like [your candidate] [to be ...]").
    right = [c for c in head.children if c.i >= cue[1] and not c.is_punct and c.dep_ not in ("cc", "conj")]
    if right:
        toks.add((min(c.left_edge.i for c in right), max(c.right_edge.i for c in right) + 1))
    for s in doc.sents:
        if s.start > sent.start and s.start - sent.end < 1 + 60:
            toks.add((cue[1], s.end))
        if s.end < sent.end:
            toks.add((s.start, cue[0]))
    chars: set[CharRange] = set()
    for a, b in toks:
        if b - a < 1 or b - a > MAX_SPAN_TOKENS:
            continue
        chars.add((doc[a].idx, doc[b - 1].idx + len(doc[b - 1])))
    cue_c = (doc[cue[0]].idx, doc[cue[1] - 1].idx + len(doc[cue[1] - 1]))
    for q0, q1 in quotes:
        chars.add((q0, q1))
        # A quotation and everything up to another one after "he said" (PolNeAR scores a
        # discontinuous quote by its extent).
        for r0, r1 in quotes:
            if r0 > q1 and q1 <= cue_c[0] and cue_c[1] <= r0:
                chars.add((q0, r1))
    return sorted(chars | _clause_prefixes(doc, chars, cue_c[1]))


#: A content after its cue may stop before any of its first ``CLAUSE_CUTS`` commas, semicolons,
#: colons, dashes, brackets or coordinating conjunctions ("he said the plan would work[, and the
#: governor agreed]"). Held-out fold of train, with the context features of ``span_features``:
#: content exact F1 56.8 → 57.8 with the listwise ranker.
CLAUSE_CUTS = 4
_CUT_TEXTS = frozenset(",;:()[]\u2014\u2013-")


def _clause_prefixes(doc: Any, chars: set[CharRange], after: int) -> set[CharRange]:
    """Prefixes of the candidates that start at or after character ``after`` (the cue's end),
    each ending before one of the candidate's first ``CLAUSE_CUTS`` clause boundaries."""
    out: set[CharRange] = set()
    for a, b in chars:
        if a < after:
            continue
        span = doc.char_span(a, b, alignment_mode="expand")
        if span is None:
            continue
        cuts = 0
        for tok in span[1:]:
            if tok.text in _CUT_TEXTS or tok.pos_ == "CCONJ":
                last = doc[tok.i - 1]
                out.add((a, last.idx + len(last)))
                cuts += 1
                if cuts >= CLAUSE_CUTS:
                    break
    return out


def span_features(doc: Any, cue: tuple[int, int], head: Any, char_rng: CharRange, quotes: list[CharRange],
                  is_rule: bool, kind: str) -> list[str]:
    """Features of a candidate span (characters of the paragraph) for cue ``cue``."""
    text = doc.text
    span = doc.char_span(char_rng[0], char_rng[1], alignment_mode="expand")
    cue_c0 = doc[cue[0]].idx
    cue_c1 = doc[cue[1] - 1].idx + len(doc[cue[1] - 1])
    lem = head.lemma_.lower()
    if span is None or len(span) == 0:
        return ["empty"]
    root = span.root
    path = _path(root, head)
    before = char_rng[1] <= cue_c0
    contains_cue = char_rng[0] <= cue_c0 and cue_c1 <= char_rng[1]
    side = "before" if before else ("around" if contains_cue else ("after" if char_rng[0] >= cue_c1 else "overlap"))
    gap = doc[cue[0]].i - span.end if before else span.start - cue[1]
    sent = head.sent
    n_sents = len({t.sent.start for t in span})
    inside_q = sum(max(0, min(char_rng[1], q1) - max(char_rng[0], q0)) for q0, q1 in quotes)
    qfrac = inside_q / max(1, char_rng[1] - char_rng[0])
    first, last = span[0], span[-1]
    prev_char = text[char_rng[0] - 1] if char_rng[0] > 0 else "^"
    next_char = text[char_rng[1]] if char_rng[1] < len(text) else "$"
    first_word = first.lower_ if first.pos_ in ("DET", "SCONJ", "PRON", "ADP", "PUNCT", "CCONJ") else first.pos_
    f = [
        f"path={path}", f"path+cue={path}|{lem}", f"rdep={root.dep_}", f"rpos={root.pos_}",
        f"side={side}", f"gap={_bucket(max(0, gap))}", f"side+gap={side}|{_bucket(max(0, gap))}",
        f"len={_bucket(len(span))}", f"side+len={side}|{_bucket(len(span))}", f"nsents={min(n_sents, 4)}",
        f"qfrac={round(qfrac, 1)}", f"rule={is_rule}", f"rule+side={is_rule}|{side}",
        f"first={first_word}",
        f"last={last.lower_ if last.is_punct else last.pos_}", f"prevc={prev_char}", f"nextc={next_char}",
        f"startsent={span.start == span[0].sent.start}", f"endsent={span.end == span[-1].sent.end}",
        f"endpara={span.end == len(doc)}", f"startpara={span.start == 0}",
        f"subtree={span.start == root.left_edge.i and span.end == root.right_edge.i + 1}",
        f"insent={sent.start <= span.start and span.end <= sent.end}", f"cuel={lem}",
        f"cuedep={head.dep_}", f"path+side={path}|{side}",
    ]
    if kind == "source":
        f += [f"rlem={root.lemma_.lower()}" if root.pos_ == "PRON" else f"rent={root.ent_type_}",
              f"nprop={_bucket(sum(t.pos_ == 'PROPN' for t in span))}"]
    else:
        f += [f"that={first.lower_ == 'that'}", f"that+path={first.lower_ == 'that'}|{path}",
              f"qstart={text[char_rng[0]] in QUOTE_OPEN}", f"qend={text[char_rng[1] - 1] in QUOTE_CLOSE}",
              f"qboth={text[char_rng[0]] in QUOTE_OPEN and text[char_rng[1] - 1] in QUOTE_CLOSE}",
              f"rtag={root.tag_}", f"colon={doc[cue[1]].text == ':' if cue[1] < len(doc) else False}"]
        f += _context_features(doc, span)
        if is_passive(head):
            f += [f"passive+side={side}", f"passive+first={first_word}"]
    return f


_FUNCTION_POS = ("DET", "SCONJ", "PRON", "ADP", "PUNCT", "CCONJ", "AUX", "PART")


def _word(tok: Any) -> str:
    return tok.lower_ if tok.pos_ in _FUNCTION_POS else tok.pos_


def _context_features(doc: Any, span: Any) -> list[str]:
    """What lies just outside a content candidate and how its edges hang on the rest: the word
    after it (", and", ", which", "on Monday") and before it, their attachment, and whether its
    first and last words' heads are inside it. Held-out fold of train: content exact F1 54.1 →
    56.1 with the pointwise model alone, 56.8 with the listwise ranker."""
    nxt = doc[span.end] if span.end < len(doc) else None
    prv = doc[span.start - 1] if span.start > 0 else None

    def inside(tok: Any) -> str:
        return "in" if span.start <= tok.head.i < span.end or tok.head.i == tok.i else "out"

    f = [f"nxt={_word(nxt) if nxt is not None else '$'}", f"nxtdep={nxt.dep_ if nxt is not None else '$'}",
         f"prv={_word(prv) if prv is not None else '^'}", f"prvdep={prv.dep_ if prv is not None else '^'}"]
    if nxt is not None:
        after = doc[nxt.i + 1] if nxt.i + 1 < len(doc) else None
        f += [f"nxt2={_word(nxt)}|{_word(after) if after is not None else '$'}",
              f"nxtattach={nxt.dep_}|{'in' if span.start <= nxt.head.i < span.end else 'out'}"]
    return f + [f"lasthead={inside(span[-1])}|{span[-1].dep_}", f"firsthead={inside(span[0])}|{span[0].dep_}"]


QUOTE_OPEN = "\u201c\"\u00ab'\u2018"
QUOTE_CLOSE = "\u201d\"\u00bb'\u2019"


# -- neural cue tagger ---------------------------------------------------------------------------
TAGGER_PATH = Path(__file__).parent / "models_data" / "attribution_tagger.json.gz"
TAGGER_VERSION = 1
#: Categorical token fields the tagger embeds (8 dimensions each), and 0/1 flags it reads as is.
TAGGER_CATS = ("pos", "tag", "dep", "head_pos", "head_dep", "ent", "head_offset")
TAGGER_FLAGS = ("lexicon", "head_lexicon", "rule", "quoted", "sent_start")


def tagger_inputs(doc: Any, quotes: list[CharRange], rule_cue_tokens: set[int],
                  lexicon: frozenset[str]) -> tuple[list[tuple[str, ...]], list[tuple[str, str]], list[tuple[float, ...]]]:
    """Per token of ``doc``: the categorical fields, (lemma, head lemma) and the flags the
    tagger reads (spaCy's own tok2vec states, ``doc.tensor``, are added by the tagger)."""
    inq = _in_quote(doc, quotes)
    cats: list[tuple[str, ...]] = []
    lemmas: list[tuple[str, str]] = []
    flags: list[tuple[float, ...]] = []
    for t in doc:
        lem, hlem = t.lemma_.lower(), t.head.lemma_.lower()
        cats.append((t.pos_, t.tag_, t.dep_, t.head.pos_, t.head.dep_, t.ent_type_, str(max(-3, min(3, t.head.i - t.i)))))
        lemmas.append((lem, hlem))
        flags.append((float(lem in lexicon), float(hlem in lexicon), float(t.i in rule_cue_tokens),
                      float(inq[t.i]), float(t.is_sent_start)))
    return cats, lemmas, flags


def doc_tensor(doc: Any) -> Any:
    """spaCy's tok2vec states of ``doc`` (96 per token): present after a full parse; recomputed
    for docs read back from a DocBin, which does not store them."""
    if doc.tensor is not None and doc.tensor.shape[0] == len(doc) and len(doc):
        return doc.tensor
    from .models import spacy_nlp

    return spacy_nlp().get_pipe("tok2vec")(doc).tensor


@lru_cache(maxsize=1)
def _blas_controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _sigmoid(x: Any) -> Any:
    import numpy as np

    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow for large |x|


@dataclass(frozen=True)
class CueTagger:
    """A one-layer bidirectional LSTM over each paragraph's tokens; input per token: embeddings
    of the categorical fields and of the lemma and head lemma (the most frequent train lemmas),
    spaCy's tok2vec state and the flags. Output: (O, B, I) probabilities. Inference is plain
    numpy (the weights come from PyTorch, ``bench/train_attribution.py``)."""

    vocab: dict[str, dict[str, int]]  # categorical field → value → row (0: unseen)
    lemmas: dict[str, int]
    arrays: dict[str, Any]  # float32 weight arrays, PyTorch names

    def tag_probs(self, doc: Any, quotes: list[CharRange], rule_cue_tokens: set[int],
                  lexicon: frozenset[str]) -> list[tuple[float, float, float]]:
        if len(doc) == 0:
            return []
        # One BLAS thread: these products are tiny, and a threaded OpenBLAS spends 30 ms on each
        # (instead of 0.07) when the cores are busy (measured here at load 5).
        with _blas_controller().limit(limits=1, user_api="blas"):
            return self._tag_probs(doc, quotes, rule_cue_tokens, lexicon)

    def _tag_probs(self, doc: Any, quotes: list[CharRange], rule_cue_tokens: set[int],
                   lexicon: frozenset[str]) -> list[tuple[float, float, float]]:
        import numpy as np

        cats, lemmas, flags = tagger_inputs(doc, quotes, rule_cue_tokens, lexicon)
        a = self.arrays
        parts = [a[f"cats.{k}.weight"][[self.vocab[c].get(row[k], 0) for row in cats]] for k, c in enumerate(TAGGER_CATS)]
        lem = a["lem.weight"]
        parts += [lem[[self.lemmas.get(x[0], 0) for x in lemmas]], lem[[self.lemmas.get(x[1], 0) for x in lemmas]]]
        parts += [np.asarray(doc_tensor(doc), dtype=np.float32), np.asarray(flags, dtype=np.float32)]
        x = np.concatenate(parts, axis=1)
        x = np.maximum(x @ a["inp.1.weight"].T + a["inp.1.bias"], 0.0)
        h = np.concatenate([self._lstm(x, ""), self._lstm(x[::-1], "_reverse")[::-1]], axis=1)
        z = h @ a["out.1.weight"].T + a["out.1.bias"]
        z = np.exp(z - z.max(axis=1, keepdims=True))
        p = z / z.sum(axis=1, keepdims=True)
        return [(float(r[0]), float(r[1]), float(r[2])) for r in p]

    def _lstm(self, x: Any, suffix: str) -> Any:
        import numpy as np

        a = self.arrays
        w_hh = a[f"lstm.weight_hh_l0{suffix}"].T
        gates_x = x @ a[f"lstm.weight_ih_l0{suffix}"].T + a[f"lstm.bias_ih_l0{suffix}"] + a[f"lstm.bias_hh_l0{suffix}"]
        size = w_hh.shape[0]
        h = np.zeros(size, dtype=np.float32)
        c = np.zeros(size, dtype=np.float32)
        out = np.empty((len(x), size), dtype=np.float32)
        for i in range(len(x)):  # PyTorch's gate order: input, forget, cell, output
            g = gates_x[i] + h @ w_hh
            gi, gf, go = _sigmoid(g[:size]), _sigmoid(g[size:2 * size]), _sigmoid(g[3 * size:])
            c = gf * c + gi * np.tanh(g[2 * size:3 * size])
            h = go * np.tanh(c)
            out[i] = h
        return out

    def to_json(self) -> dict[str, Any]:
        import base64

        import numpy as np

        # fp16 halves the file; the probabilities move by < 1e-3 (checked by the tests).
        return {"tagger_version": TAGGER_VERSION, "vocab": self.vocab, "lemmas": self.lemmas,
                "arrays": {k: {"shape": list(v.shape),
                               "fp16": base64.b64encode(np.asarray(v, dtype="<f2").tobytes()).decode()}
                           for k, v in sorted(self.arrays.items())}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CueTagger:
        import base64

        import numpy as np

        if data.get("tagger_version") != TAGGER_VERSION:
            raise ModelUnavailable(
                f"{TAGGER_PATH.name} is tagger version {data.get('tagger_version')}, this code reads "
                f"version {TAGGER_VERSION}: retrain it with `python bench/train_attribution.py`.")
        arrays = {k: np.frombuffer(base64.b64decode(v["fp16"]), dtype="<f2").astype(np.float32).reshape(v["shape"])
                  for k, v in data["arrays"].items()}
        return cls(data["vocab"], data["lemmas"], arrays)

    def save(self, path: Path = TAGGER_PATH) -> None:
        _write_json_gz(path, self.to_json())


@lru_cache(maxsize=1)
def load_tagger(path: Path = TAGGER_PATH) -> CueTagger | None:
    if not path.is_file():
        return None
    return CueTagger.from_json(_read_json_gz(path))
