"""Matching texts (claims, titles, tweets) to fact-checks: retrieve, re-rank, decide.

Evidence, in order of cost:

1. Lexical: BM25 (bm25s) over each fact-check's claim + title, its claim, its subtitle (a
   Snopes-style one-line summary; the title stands in when there is none) and all three, after
   the query is cleaned of what social posts add around a claim (URLs, ``pic.twitter.com``
   links, the ``— Name (@handle) Date`` trailer of an embedded tweet, hashtags run together).
2. Neural: cosine of all-MiniLM-L6-v2 embeddings of the query against the claim, the title and
   the subtitle, by a numpy dot product over the whole collection; and the cosine of a tuned
   copy of MiniLM's last layer (``matching_tuned``) between the query and the fact-check's
   fields joined, which shares the five bottom layers with the first (one layer more per query).
3. The union of the top-N lists of six retrievers is re-ranked by a logistic regression over
   33 features of each (query, fact-check) pair: the scores, their ranks in the whole
   collection, their gaps to the collection's best, reciprocal-rank fusion, overlap of numbers,
   capitalised words and words of each field, and a soft word overlap over static token
   vectors (``matching_soft``). The model is fitted on labelled pairs (CLEF CheckThat! train
   and dev splits); its output is a probability-like score. Subtitle channels and soft overlap
   took CLEF 2022 dev MAP@5 (no query dates, fitted on train) from 0.952 to 0.968, and CLEF
   2020 dev from 0.872 to 0.883; the tuned channel (its three features fitted on cross-fitted
   cosines) from 0.968 to 0.975 and from 0.883 to 0.888. A gradient-boosted or pairwise
   ranker on the same features, bigram BM25, and a second embedding of the tweet without its
   author gained nothing in 5-fold cross-validation over 2022 train + dev; a listwise (softmax
   over each query's candidates) fit of the same model gained 0.003 there and lost 0.004 on
   CLEF 2020 dev, and other L2 weights nothing (``bench/claim_matching.py --cv``).
4. "matched" is decided by a threshold on that score, calibrated on held-out labelled queries
   so that at least 90% of the top-1 fact-checks above it are the right one.
5. Dates, when the query has one (an article's publication date, an embedded tweet's date): a
   second model adds how far the query's date lies from the fact-check's. On CLEF 2022 train,
   half the tweets were posted in the week before their fact-check and 95% no later than its
   day (CLEF's tweets are those a fact-check quotes, so this is partly how the set was built);
   with the date, CLEF 2022 dev MAP@5 went from 0.952 to 0.980 and wrong matches of queries
   whose fact-check was hidden from 15 to 3 of 199 (both models fitted on train only). A query
   without a date is ranked and thresholded by the first model alone, unchanged.

``Matcher`` works on plain ``FactCheckDoc`` records, so the benchmark and the store stage use the
same code. Embeddings of a collection are cached on disk, keyed by a hash of its texts.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dates import day_number
from .errors import InputError
from .matching_tuned import doc_text

if TYPE_CHECKING:
    import numpy as np

    from .matching_soft import SoftOverlap

# -- text normalisation --------------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)\S+|pic\.twitter\.com/\S+", re.I)
# The trailer of an embedded tweet: "— Center for Bio Div (@CenterForBioDiv) January 14, 2020".
_TWEET_TRAILER = re.compile(
    r"[\u2014\u2013]\s*([^\u2014\u2013(]{0,80})\(@(\w+)\)\s+([A-Z][a-z]+ \d{1,2}, \d{4})\s*\"?\s*$"
)
_HASHTAG = re.compile(r"#(\w+)")
_MENTION = re.compile(r"@(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z]{2,}\b")

# Function words carry no evidence about which claim is meant; these are also dropped from
# the "claim words present" feature.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    s t rt amp via""".split()
)


def clean_query(text: str) -> str:
    """A social post or headline reduced to its claim-bearing words (see the module docstring)."""
    text = html.unescape(text)
    text = _TWEET_TRAILER.sub(lambda m: " " + m.group(1), text)
    text = _URL.sub(" ", text)
    text = _HASHTAG.sub(lambda m: " " + _CAMEL.sub(" ", m.group(1)), text)
    text = _MENTION.sub(lambda m: " " + _CAMEL.sub(" ", m.group(1)), text)
    return _SPACE.sub(" ", text).strip().strip('"').strip()


def _stem(word: str) -> str:
    # A light suffix stripper (no stemmer package is installed): enough to meet plurals and
    # common verb forms half way, which is what BM25 needs most on short claims.
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("edly", ""), ("ed", ""), ("es", ""),
                         ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + keep
    return word


def tokens(text: str) -> list[str]:
    """Lower-cased, stemmed content words of ``text``."""
    return [_stem(w) for w in _WORD.findall(text.lower().replace("\u2019", "'")) if w not in STOPWORDS]


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


_QUOTES = re.compile("[\"'\u201c\u201d\u2018\u2019]")


def _identity(doc: FactCheckDoc) -> str:
    return _SPACE.sub(" ", _QUOTES.sub("", f"{doc.claim}|{doc.title}").lower()).strip()


def _capitalised(text: str) -> set[str]:
    return {w.lower() for w in _CAPITALISED.findall(text)} - STOPWORDS


# -- records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactCheckDoc:
    """What the matcher needs of a fact-check: its id, the claim reviewed, the title, and the
    subtitle (a one-sentence summary under the title, as Snopes writes; empty when the source
    has none, and then the title stands in for it)."""

    id: str
    claim: str
    title: str = ""
    published: str | None = None  # ISO date (or date-time) of the fact-check, when known
    subtitle: str = ""

    @property
    def summary(self) -> str:
        """The subtitle, else the title, else the claim: the text of the third field."""
        return self.subtitle or self.title or self.claim


@dataclass(frozen=True)
class Match:
    factcheck_id: str
    rank: int  # 1-based
    score: float  # re-ranker output in [0, 1]
    matched: bool  # score >= the calibrated threshold
    bm25: float
    cosine: float


# Per (query, fact-check) pair. Channels: BM25 over claim+title ("ct"), the claim ("c"), the
# subtitle ("s") and all three ("cts"); MiniLM cosine with the claim, title and subtitle, and the
# best of claim/title ("ct") or of all three ("max"). "_rel" is the score over the collection's best,
# "_gap" the score minus the best, "_rinv" 1/(1 + rank in the whole collection).
FEATURES = (
    "bm25_ct_rel", "bm25_ct_log", "cos_claim", "cos_title", "cos_ct_gap", "bm25_ct_rinv", "cos_ct_rinv",
    "number_overlap", "number_conflict", "capital_overlap", "claim_words_present", "title_words_present",
    "bm25_claim_rel", "cos_claim_gap", "cos_title_gap",
    "cos_subtitle", "cos_subtitle_gap", "cos_subtitle_rinv", "bm25_subtitle_rel", "subtitle_words_present",
    "bm25_cts_rel", "bm25_cts_rinv", "cos_max_gap", "cos_max_rinv", "reciprocal_rank_fusion",
    "query_words_covered",
    "soft_query_covered", "soft_doc_covered", "soft_query_covered_gap", "soft_doc_covered_gap",
    "cos_tuned", "cos_tuned_gap", "cos_tuned_rinv",
)
# Appended for queries with a date. The window is where most CLEF 2022 train tweets fall
# relative to their fact-check (days, query minus fact-check): 5th-75th percentile -647..0,
# quartiles -7 and 0; widened by a few days for time zones and late posts.
DATE_FEATURES = ("date_known", "date_near", "date_log_gap")
DATE_WINDOW = (-10, 3)
_TWEET_DATE = re.compile(r"\(@\w+\)\s+([A-Z][a-z]+ \d{1,2}, \d{4})")


def embedded_tweet_date(text: str) -> str | None:
    """The ISO date of an embedded tweet's "— Name (@handle) January 14, 2020" trailer, if any."""
    from datetime import datetime

    found = _TWEET_DATE.search(text)
    if not found:
        return None
    try:
        return datetime.strptime(found.group(1), "%B %d, %Y").date().isoformat()
    except ValueError:
        return None


@dataclass
class Reranker:
    """Logistic regression over ``FEATURES`` (standardised), and the "matched" threshold."""

    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    threshold: float
    fitted_on: str = ""
    dated: bool = False  # fitted on FEATURES + DATE_FEATURES

    def score(self, x: np.ndarray) -> np.ndarray:
        import numpy as np

        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.coef) + self.intercept)))

    def as_dict(self) -> dict[str, Any]:
        features = list(FEATURES) + (list(DATE_FEATURES) if self.dated else [])
        return {"features": features, "mean": self.mean, "scale": self.scale, "coef": self.coef,
                "intercept": self.intercept, "threshold": self.threshold, "fitted_on": self.fitted_on}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reranker:
        features = list(data.get("features", []))
        if features not in (list(FEATURES), list(FEATURES) + list(DATE_FEATURES)):
            raise InputError("The re-ranker was fitted on other features; fit it again with this version.")
        return cls(list(data["mean"]), list(data["scale"]), list(data["coef"]), float(data["intercept"]),
                   float(data["threshold"]), str(data.get("fitted_on", "")), len(features) > len(FEATURES))


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, iterations: int = 50) -> tuple[
        list[float], list[float], list[float], float]:
    """L2-regularised logistic regression by Newton's method (no scikit-learn at run time).

    Returns (mean, scale, coef, intercept) over standardised features."""
    import numpy as np

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    # Balance the classes: one relevant candidate per query against dozens of others.
    pos = max(1.0, float(y.sum()))
    neg = max(1.0, float(len(y) - y.sum()))
    weight = np.where(y > 0, len(y) / (2 * pos), len(y) / (2 * neg))
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0  # no shrinkage of the intercept
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        grad = z.T @ (weight * (p - y)) + penalty * w
        hess = (z * (weight * p * (1 - p))[:, None]).T @ z + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return mean.tolist(), scale.tolist(), w[:-1].tolist(), float(w[-1])


def calibrate_threshold(top1_scores: Sequence[float], top1_correct: Sequence[bool], *,
                        precision: float = 0.9) -> float:
    """The lowest score such that, among held-out queries whose top-1 scores at least that, at
    least ``precision`` of the top-1 fact-checks are right."""
    pairs = sorted(zip(top1_scores, top1_correct, strict=True), reverse=True)
    best = 1.0
    right = 0
    for i, (score, correct) in enumerate(pairs, start=1):
        right += int(correct)
        if right / i >= precision:
            best = float(score)
    return best


# -- the matcher --------------------------------------------------------------------------------


# Queries are encoded in batches of 16. sentence-transformers sorts a batch by length and pads
# it to its longest text: CLEF 2022 tweets run from 5 to 138 tokens (mean 44), so batches of
# 128 spent about half their CPU time on padding. Measured on the 202 CLEF 2022 dev-test
# tweets (bf16, one thread, median of 4): 3.6 CPU-s at 128, 2.5 at 64, 2.0 at 32, 1.8 at 16.
QUERY_BATCH_SIZE = 16
# ... and on one torch thread. Batches that small give two threads little to share, and on a
# shared machine the second thread waits for a busy core: on the same 202 tweets, interleaved,
# 5 runs at load average 4 on 2 cores, 2 threads did 35 q/s at batch 128 and 17 q/s at batch 16,
# one thread 43 and 81 q/s (2.2 CPU-s instead of 5.8 for the old batch 128 on 2 threads).
QUERY_THREADS = 1


@contextmanager
def _blas_threads(n: int) -> Iterator[None]:
    """Run numpy's BLAS (OpenBLAS) on ``n`` threads inside the block. Per query the matrix
    products are small (the soft overlap's word pieces, 30 x 1,000 x 256): two BLAS threads
    spin waiting for each other on a busy machine. On 100 CLEF 2022 dev queries at load
    average 4, the soft overlap took 8-15 CPU-ms per query on OpenBLAS's default two threads
    and 1.1-1.5 on one."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n, user_api="blas"):
        yield


@contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    """Run torch on ``n`` intra-op threads inside the block, then restore the process setting."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def embed_cached(texts: list[str], cache_dir: Path | None, *, batch_size: int = 128) -> np.ndarray:
    """MiniLM embeddings of ``texts``, read from / written to ``cache_dir`` keyed by their hash."""
    from .models import EMBEDDING_DTYPE, embed

    return _cached(texts, cache_dir, "emb", EMBEDDING_DTYPE, lambda: embed(texts, batch_size=batch_size))


def tuned_cached(texts: list[str], cache_dir: Path | None, layer: Any, *, batch_size: int = 32) -> np.ndarray:
    """A tuned layer's vectors of ``texts`` (``matching_tuned``), cached like ``embed_cached``
    and keyed by the layer's weights too."""
    from .matching_tuned import encode_with_tuned, layer_fingerprint
    from .models import EMBEDDING_DTYPE

    return _cached(texts, cache_dir, "tuned", f"{EMBEDDING_DTYPE}-{layer_fingerprint(layer)}",
                   lambda: encode_with_tuned(texts, layer, batch_size=batch_size)[1])


def _cached(texts: list[str], cache_dir: Path | None, kind: str, salt: str, compute: Any) -> np.ndarray:
    import numpy as np

    if cache_dir is None:
        return np.asarray(compute())
    key = hashlib.sha256((salt + "\x1f" + "\x1e".join(texts)).encode("utf-8")).hexdigest()[:20]
    path = Path(cache_dir) / f"{kind}-{key}.npy"
    if path.exists():
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            return vectors
    vectors = np.asarray(compute())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(path)  # atomic: a killed run never leaves half a cache file
    return vectors


@dataclass
class _Candidates:
    doc_index: np.ndarray  # (m,) indices into the collection
    features: np.ndarray  # (m, len(FEATURES))
    bm25: np.ndarray
    cosine: np.ndarray
    dated: bool = False  # features carry DATE_FEATURES: the query had a date


# The candidate pool: the top N of each of these score channels, merged. The tuned cosine as a
# seventh retriever gave the same CLEF 2022 dev MAP@5 (0.9749, fitted on train): not kept.
RETRIEVERS = ("bm25_ct", "bm25_cts", "bm25_s", "cos_ct", "cos_max", "cos_subtitle")

# Ranks past this depth are all "deep" alike (1/(1+rank) is below 0.001 there); it keeps the
# rank of each candidate a partial sort instead of a full one.
RANK_DEPTH = 1000


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    import numpy as np

    return np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))


def _collection_rank(scores: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """For the fact-checks ``idx``: how many fact-checks of the whole collection score higher
    (capped at ``RANK_DEPTH``)."""
    import numpy as np

    head = np.sort(scores[_top(scores, min(RANK_DEPTH, len(scores)))])  # ascending
    higher = len(head) - np.searchsorted(head, scores[idx], side="right")
    return np.where(scores[idx] < head[0], len(head), higher).astype(np.float64)


@dataclass
class Matcher:
    """Ranks fact-checks for query texts. Build with ``Matcher.build(docs)``."""

    docs: list[FactCheckDoc]
    reranker: Reranker | None = None
    dated_reranker: Reranker | None = None  # for queries with a date; None: the packaged one
    # Candidates: the top N of each of six retrievers (BM25 over claim+title, over all fields and
    # over the subtitle; cosine with claim/title, with any field, with the subtitle), merged.
    # On CLEF 2022 train + dev (5-fold cross-validation) N = 10, 20 and 40 gave the same MAP@5.
    candidates_per_retriever: int = 20
    _bm25: dict[str, Any] = field(default_factory=dict, repr=False)
    _claim_vecs: Any = field(default=None, repr=False)
    _title_vecs: Any = field(default=None, repr=False)
    _subtitle_vecs: Any = field(default=None, repr=False)
    _soft: SoftOverlap | None = field(default=None, repr=False)
    _doc_numbers: list[set[str]] = field(default_factory=list, repr=False)
    _doc_capitals: list[set[str]] = field(default_factory=list, repr=False)
    _claim_tokens: list[set[str]] = field(default_factory=list, repr=False)
    _title_tokens: list[set[str]] = field(default_factory=list, repr=False)
    _subtitle_tokens: list[set[str]] = field(default_factory=list, repr=False)
    _same_as: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _doc_days: Any = field(default=None, repr=False)
    # The tuned top layer (``matching_tuned``); None: the packaged one. The benchmark sets a
    # layer that was not tuned on the queries it scores.
    tuned_layer: Any = None
    _tuned_vecs: Any = field(default=None, repr=False)  # the tuned layer's vector of each fact-check
    _cache_dir: Path | None = field(default=None, repr=False)

    @classmethod
    def build(cls, docs: Sequence[FactCheckDoc], *, reranker: Reranker | None = None,
              dated_reranker: Reranker | None = None, cache_dir: Path | None = None,
              embeddings: tuple[Any, ...] | None = None, tuned_layer: Any = None) -> Matcher:
        """Index ``docs`` (BM25, embeddings, static token vectors). A re-ranker left None is the
        packaged default. ``embeddings``: (claim, title) or (claim, title, subtitle) vectors
        already at hand; subtitle vectors left out are encoded for the docs that have a
        subtitle and are the title's for the others. ``tuned_layer``: see the field; the docs'
        vectors from it are cached in ``cache_dir`` like the embeddings."""
        import bm25s
        import numpy as np

        from .matching_soft import SoftOverlap

        if not docs:
            raise InputError("There are no fact-checks to match against. Import some first: "
                             "`newstrace factchecks import FILE`.")
        matcher = cls(list(docs), reranker, dated_reranker, tuned_layer=tuned_layer)
        docs = matcher.docs
        matcher._doc_days = np.array([day_number(d.published) for d in docs], dtype=np.float64)
        fields = {
            "ct": [f"{d.claim} {d.title}" for d in docs],
            # The claim alone: a title often adds words the query never uses.
            "c": [d.claim for d in docs],
            "s": [d.summary for d in docs],
            "cts": [f"{d.claim} {d.title} {d.summary}" for d in docs],
        }
        for name, texts in fields.items():
            index = bm25s.BM25(k1=1.2, b=0.75)
            index.index([tokens(t) or ["<empty>"] for t in texts], show_progress=False)
            matcher._bm25[name] = index
        if embeddings is None:
            embeddings = (embed_cached([d.claim for d in docs], cache_dir),
                          embed_cached([d.title or d.claim for d in docs], cache_dir))
        matcher._claim_vecs, matcher._title_vecs = embeddings[0], embeddings[1]
        if len(embeddings) > 2:
            matcher._subtitle_vecs = embeddings[2]
        else:
            subtitle_vecs = np.array(matcher._title_vecs, copy=True)
            with_subtitle = [i for i, d in enumerate(docs) if d.subtitle]
            if with_subtitle:
                subtitle_vecs[with_subtitle] = embed_cached([docs[i].subtitle for i in with_subtitle], cache_dir)
            matcher._subtitle_vecs = subtitle_vecs
        matcher._cache_dir = cache_dir
        matcher._soft = SoftOverlap.build(fields["cts"], STOPWORDS)
        matcher._doc_numbers = [_numbers(d.claim + " " + d.title) for d in docs]
        matcher._doc_capitals = [_capitalised(f"{d.claim} {d.title} {d.summary}") for d in docs]
        matcher._claim_tokens = [set(tokens(d.claim)) for d in docs]
        matcher._title_tokens = [set(tokens(d.title)) for d in docs]
        matcher._subtitle_tokens = [set(tokens(d.summary)) for d in docs]
        groups: dict[str, set[str]] = {}
        for d in docs:
            groups.setdefault(_identity(d), set()).add(d.id)
        matcher._same_as = {i: g for g in groups.values() if len(g) > 1 for i in g}
        return matcher

    def tuned_doc_vecs(self) -> np.ndarray:
        """The tuned layer's vector of each fact-check, encoded (or read from the cache) on first
        use: a matcher built only to train a layer never needs them."""
        if self._tuned_vecs is None:
            self._tuned_vecs = tuned_cached([doc_text(d.claim, d.title, d.subtitle) for d in self.docs],
                                            self._cache_dir, self.top_layer())
        return self._tuned_vecs

    def top_layer(self) -> Any:
        """The tuned top layer in use (``tuned_layer``, else the packaged one)."""
        from .matching_tuned import packaged_top_layer

        return self.tuned_layer if self.tuned_layer is not None else packaged_top_layer()

    def with_identical(self, gold: Sequence[set[str]]) -> list[set[str]]:
        """Gold sets widened to fact-checks identical to a gold one (same claim and title up to
        quote marks and case): collections repeat reviews, and either copy is the right answer."""
        return [set().union(*(self._same_as.get(g, {g}) for g in gs)) if gs else set() for gs in gold]

    # -- retrieval -------------------------------------------------------------------------
    def bm25_scores(self, query: str, *, field_name: str = "ct") -> np.ndarray:
        """BM25 score of every fact-check for one (cleaned) query over one field: "ct"
        (claim + title), "c" (claim), "s" (subtitle) or "cts" (all three)."""
        import numpy as np

        index = self._bm25[field_name]
        words = [w for w in tokens(query) if w in index.vocab_dict]
        if not words:
            return np.zeros(len(self.docs), dtype=np.float64)
        return np.asarray(index.get_scores(words), dtype=np.float64)

    def embed_queries(self, queries: Sequence[str], cache_dir: Path | None = None) -> np.ndarray:
        """Vectors of the cleaned queries (pass them to ``rank`` to reuse them): per query, its
        MiniLM vector then the tuned layer's (384 + 384 columns), from one shared pass through
        the five bottom layers."""
        import numpy as np

        from .matching_tuned import encode_with_tuned, layer_fingerprint
        from .models import EMBEDDING_DTYPE, sentence_encoder

        sentence_encoder()  # loaded first: loading sets the process's torch threads
        layer = self.top_layer()
        cleaned = [clean_query(q) for q in queries]
        with _torch_threads(QUERY_THREADS):
            return _cached(cleaned, cache_dir, "query", f"{EMBEDDING_DTYPE}-{layer_fingerprint(layer)}",
                           lambda: np.hstack(encode_with_tuned(cleaned, layer, batch_size=QUERY_BATCH_SIZE)))

    def candidates(self, queries: Sequence[str], query_vecs: np.ndarray | None = None,
                   exclude: Sequence[set[str]] | None = None,
                   query_dates: Sequence[str | None] | None = None,
                   tuned_cosines: np.ndarray | None = None) -> list[_Candidates]:
        """The top N of each retriever, merged, with re-ranking features (and ``DATE_FEATURES``
        for a query with a date in ``query_dates``).

        ``exclude`` (per query) hides fact-checks, as if they had never been written: that is
        how the matcher learns, and is calibrated on, queries that have no fact-check.
        ``tuned_cosines`` (queries x fact-checks) replaces the tuned channel's cosines: the
        benchmark passes cosines of an encoder that was not tuned on those queries."""
        import numpy as np

        hidden: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(queries)
        if exclude is not None:
            position = {d.id: i for i, d in enumerate(self.docs)}
            hidden = [np.array([position[f] for f in ex if f in position], dtype=np.int64) for ex in exclude]

        cleaned = [clean_query(q) for q in queries]
        if query_vecs is None:
            query_vecs = self.embed_queries(queries)
        if tuned_cosines is None:
            self.tuned_doc_vecs()  # encoded (once) before BLAS is held to one thread
        with _blas_threads(QUERY_THREADS):
            return self._candidates(cleaned, query_vecs, hidden, query_dates, tuned_cosines)

    def _candidates(self, cleaned: list[str], query_vecs: np.ndarray, hidden: list[np.ndarray],
                    query_dates: Sequence[str | None] | None, tuned_cosines: np.ndarray | None) -> list[_Candidates]:
        import numpy as np

        if query_vecs.shape[1] != 2 * self._claim_vecs.shape[1]:
            raise InputError("Query vectors must come from Matcher.embed_queries (MiniLM and tuned vectors side "
                             "by side); pass none to have them encoded.")
        base, tuned = np.hsplit(query_vecs, 2)
        cosines = {"claim": base @ self._claim_vecs.T, "title": base @ self._title_vecs.T,
                   "subtitle": base @ self._subtitle_vecs.T,
                   "tuned": tuned @ self.tuned_doc_vecs().T if tuned_cosines is None else tuned_cosines}
        out = []
        for qi, query in enumerate(cleaned):
            scores = {f"bm25_{name}": self.bm25_scores(query, field_name=name) for name in self._bm25}
            for name, matrix in cosines.items():
                scores[f"cos_{name}"] = matrix[qi].astype(np.float64)
            scores["cos_ct"] = np.maximum(scores["cos_claim"], scores["cos_title"])
            scores["cos_max"] = np.maximum(scores["cos_ct"], scores["cos_subtitle"])
            if len(hidden[qi]):
                for arr in scores.values():
                    arr[hidden[qi]] = -1e9
            cand = self._features(query, scores)
            day = day_number(query_dates[qi]) if query_dates is not None else float("nan")
            if not np.isnan(day):
                cand.features = np.hstack([cand.features, self._date_features(day, cand.doc_index)])
                cand.dated = True
            out.append(cand)
        return out

    def _date_features(self, query_day: float, idx: np.ndarray) -> np.ndarray:
        import numpy as np

        delta = query_day - self._doc_days[idx]
        known = ~np.isnan(delta)
        gap = np.where(known, delta, 0.0)
        near = known & (gap >= DATE_WINDOW[0]) & (gap <= DATE_WINDOW[1])
        return np.stack([known.astype(np.float64), near.astype(np.float64), known * np.log1p(np.abs(gap))], axis=1)

    def _features(self, query: str, scores: dict[str, np.ndarray], idx: np.ndarray | None = None) -> _Candidates:
        import numpy as np

        if idx is None:
            n = min(self.candidates_per_retriever, len(self.docs))
            pool = [_top(scores[k], n) for k in RETRIEVERS]
            idx = np.unique(np.concatenate(pool))
        best = {k: float(v.max()) for k, v in scores.items()}
        rank = {k: _collection_rank(scores[k], idx)
                for k in ("bm25_ct", "bm25_cts", "bm25_s", "cos_claim", "cos_title", "cos_subtitle", "cos_ct", "cos_max",
                          "cos_tuned")}
        cand = {k: v[idx] for k, v in scores.items()}
        fusion = sum(1.0 / (60.0 + rank[k]) for k in ("bm25_ct", "bm25_s", "cos_claim", "cos_title", "cos_subtitle"))
        assert self._soft is not None
        soft_query, soft_doc = self._soft.scores(query, idx)
        q_numbers = _numbers(query)
        q_capitals = _capitalised(query)
        q_tokens = set(tokens(query))
        overlaps = []
        for d in idx:
            d_numbers = self._doc_numbers[d]
            shared_numbers = len(q_numbers & d_numbers)
            claim_words, title_words, subtitle_words = self._claim_tokens[d], self._title_tokens[d], self._subtitle_tokens[d]
            overlaps.append((
                shared_numbers / max(1, len(d_numbers)),
                float(bool(q_numbers) and bool(d_numbers) and not shared_numbers),
                len(q_capitals & self._doc_capitals[d]) / max(1, len(self._doc_capitals[d])),
                len(q_tokens & claim_words) / max(1, len(claim_words)),
                len(q_tokens & title_words) / max(1, len(title_words)),
                len(q_tokens & subtitle_words) / max(1, len(subtitle_words)),
                len(q_tokens & (claim_words | title_words | subtitle_words)) / max(1, len(q_tokens)),
            ))
        ov = np.asarray(overlaps, dtype=np.float64).reshape(len(idx), 7)

        def rel(k: str) -> np.ndarray:
            return cand[k] / (best[k] + 1e-9)

        def gap(k: str) -> np.ndarray:
            return cand[k] - best[k]

        def rinv(k: str) -> np.ndarray:
            return 1.0 / (1.0 + rank[k])

        columns = [
            rel("bm25_ct"), np.log1p(np.maximum(cand["bm25_ct"], 0.0)), cand["cos_claim"], cand["cos_title"],
            gap("cos_ct"), rinv("bm25_ct"), rinv("cos_ct"),
            ov[:, 0], ov[:, 1], ov[:, 2], ov[:, 3], ov[:, 4],
            rel("bm25_c"), gap("cos_claim"), gap("cos_title"),
            cand["cos_subtitle"], gap("cos_subtitle"), rinv("cos_subtitle"), rel("bm25_s"), ov[:, 5],
            rel("bm25_cts"), rinv("bm25_cts"), gap("cos_max"), rinv("cos_max"), fusion,
            ov[:, 6],
            soft_query, soft_doc, soft_query - soft_query.max(), soft_doc - soft_doc.max(),
            cand["cos_tuned"], gap("cos_tuned"), rinv("cos_tuned"),
        ]
        return _Candidates(idx, np.column_stack(columns), cand["bm25_ct"], cand["cos_max"])

    # -- ranking ---------------------------------------------------------------------------
    def rank(self, queries: Sequence[str], *, k: int = 5, query_vecs: np.ndarray | None = None,
             exclude: Sequence[set[str]] | None = None,
             query_dates: Sequence[str | None] | None = None,
             tuned_cosines: np.ndarray | None = None) -> list[list[Match]]:
        """The top ``k`` fact-checks for each query, best first, with scores and "matched".

        ``query_dates`` (ISO, per query, None where unknown) lets the dated model weigh how close
        each fact-check's date is; a query without one is ranked by the undated model."""
        import numpy as np

        undated = self.reranker or default_reranker()
        dated = self.dated_reranker or default_dated_reranker()
        results = []
        for cand in self.candidates(queries, query_vecs, exclude, query_dates, tuned_cosines):
            reranker = dated if (cand.dated and dated is not None) else undated
            scores = reranker.score(cand.features[:, : len(reranker.mean)])
            order = np.argsort(-scores, kind="stable")[:k]
            results.append([
                Match(self.docs[int(cand.doc_index[j])].id, r + 1, float(scores[j]),
                      bool(scores[j] >= reranker.threshold), float(cand.bm25[j]), float(cand.cosine[j]))
                for r, j in enumerate(order)
            ])
        return results

    def fit(self, queries: Sequence[str], gold: Sequence[set[str]], *, fitted_on: str = "", l2: float = 1.0,
            query_vecs: np.ndarray | None = None, precision: float = 0.9,
            query_dates: Sequence[str | None] | None = None, tuned_cosines: np.ndarray | None = None) -> Reranker:
        """Fit the re-ranker on labelled queries (gold: the relevant fact-check ids per query).

        Each query is used twice: as it is, and with its fact-checks hidden, so that the model
        learns what a query that nobody has fact-checked looks like (CLEF queries all have a
        match; news claims mostly do not). The "matched" threshold is calibrated by 2-fold
        cross-fitting (never on the pairs a model was fitted on) over both versions, one to one:
        among top-1 fact-checks scoring at least the threshold, ``precision`` are right.

        With ``query_dates``, the queries that have a date also fit ``dated_reranker`` (the same,
        over FEATURES + DATE_FEATURES). ``tuned_cosines``: see ``candidates``; fit on cosines
        of an encoder that was not tuned on these queries (cross-fitted by folds), else the
        model learns to trust the tuned channel more than it deserves on new queries. Returns
        the undated model."""
        import numpy as np

        gold = self.with_identical(gold)
        if query_vecs is None:
            query_vecs = self.embed_queries(queries)
        present = self.candidates(queries, query_vecs, tuned_cosines=tuned_cosines)
        hidden = self.candidates(queries, query_vecs, exclude=gold, tuned_cosines=tuned_cosines)
        model = self._fit_model(present, hidden, gold, fitted_on, l2, precision)
        self.reranker = model
        if query_dates is not None:
            with_date = [i for i, d in enumerate(query_dates) if not np.isnan(day_number(d))]
            if with_date:
                sub_q = [queries[i] for i in with_date]
                sub_dates = [query_dates[i] for i in with_date]
                sub_gold = [gold[i] for i in with_date]
                sub_tuned = tuned_cosines[with_date] if tuned_cosines is not None else None
                self.dated_reranker = self._fit_model(
                    self.candidates(sub_q, query_vecs[with_date], query_dates=sub_dates, tuned_cosines=sub_tuned),
                    self.candidates(sub_q, query_vecs[with_date], exclude=sub_gold, query_dates=sub_dates,
                                    tuned_cosines=sub_tuned),
                    sub_gold, f"{fitted_on}, queries with a date" if fitted_on else "queries with a date", l2,
                    precision)
                self.dated_reranker.dated = True
        return model

    def _fit_model(self, present: list[_Candidates], hidden: list[_Candidates], gold: list[set[str]],
                   fitted_on: str, l2: float, precision: float) -> Reranker:
        import numpy as np

        ids = [d.id for d in self.docs]
        cands = present + hidden
        labels = [np.array([ids[int(i)] in g for i in c.doc_index], dtype=np.float64)
                  for c, g in zip(present, gold, strict=True)]
        labels += [np.zeros(len(c.doc_index)) for c in hidden]

        def fit_on(which: Any) -> Reranker:
            x = np.vstack([cands[i].features for i in which])
            y = np.concatenate([labels[i] for i in which])
            mean, scale, coef, intercept = fit_logistic(x, y, l2=l2)
            return Reranker(mean, scale, coef, intercept, 1.0, fitted_on)

        model = fit_on(range(len(cands)))
        top1 = []
        fold_of = np.tile(np.arange(len(present)) % 2, 2)  # a query and its hidden twin share a fold
        for fold in (0, 1):
            part = fit_on(np.flatnonzero(fold_of != fold))
            for i in np.flatnonzero(fold_of == fold):
                s = part.score(cands[i].features)
                j = int(np.argmax(s))
                top1.append((float(s[j]), bool(labels[i][j])))
        model.threshold = calibrate_threshold([s for s, _ in top1], [c for _, c in top1], precision=precision)
        return model


# Fitted by `python bench/claim_matching.py --fit-default` on CLEF CheckThat! 2022 task 2A
# English train + dev queries (which include the CLEF 2020 train, dev and test tweets), with
# cross-fitted tuned cosines (each query's from a layer not tuned on it; see ``matching_tuned``).
# Figures reported for CLEF 2020 test are never taken with these weights: the benchmark fits
# its own model on CLEF 2020 train + dev for them.
DEFAULT_RERANKER: dict[str, Any] | None = {
    "features": list(FEATURES),
    "mean": [0.310333, 1.2621, 0.283155, 0.295564, -0.2812, 0.0614052, 0.060372, 0.0154706, 0.115699, 0.0811276, 0.108467, 0.136992, 0.298406, -0.290954, -0.288804, 0.283253, -0.244711, 0.0593116, 0.317451, 0.0978538, 0.367067, 0.0643802, -0.25285, 0.0644178, 0.0327133, 0.109467, 0.341637, 0.311425, -0.172753, -0.145024, 0.259738, -0.290775, 0.0560326],
    "scale": [0.280321, 0.889231, 0.137839, 0.144055, 0.165228, 0.145841, 0.145303, 0.117124, 0.319863, 0.112162, 0.103521, 0.149064, 0.281464, 0.164288, 0.165696, 0.136211, 0.145848, 0.145666, 0.302848, 0.0988625, 0.261086, 0.144305, 0.155631, 0.144116, 0.0137398, 0.082109, 0.0751721, 0.0595472, 0.106132, 0.0691007, 0.130878, 0.164499, 0.143954],
    "coef": [0.175251, -0.29411, 0.2465, 0.120372, -0.274956, -0.0367262, 0.101839, 0.163594, -0.282166, -0.205406, 0.141473, 0.211009, 0.603928, 0.356319, 0.019402, 0.0719345, -0.00112624, -0.01361, 0.0790535, -0.146154, -0.0314547, 0.324724, 0.0373443, 0.113597, -0.0492966, -0.203119, 0.297718, -0.00325207, 0.978622, 0.255468, 0.241144, 1.46049, 0.141302],
    "intercept": -5.7807,
    "threshold": 0.997992,
    "fitted_on": "CLEF 2022 2A-EN train+dev",
}


def default_reranker() -> Reranker:
    """The packaged re-ranker (see ``DEFAULT_RERANKER``)."""
    if DEFAULT_RERANKER is None:
        raise InputError("No packaged re-ranker: run `python bench/claim_matching.py --fit-default`.")
    return Reranker.from_dict(DEFAULT_RERANKER)


# The same, over FEATURES + DATE_FEATURES, fitted on the 2022 train + dev queries that carry a
# tweet date (1,191 of 1,196) against the fact-checks' dates (13,941 of 14,231 dated);
# printed by the same command.
DEFAULT_DATED_RERANKER: dict[str, Any] | None = {
    "features": list(FEATURES) + list(DATE_FEATURES),
    "mean": [0.310228, 1.26105, 0.282957, 0.295399, -0.281194, 0.0613833, 0.0603486, 0.0154913, 0.114959, 0.0809748, 0.108361, 0.136847, 0.298358, -0.290963, -0.288774, 0.283043, -0.244744, 0.0592888, 0.317524, 0.0977537, 0.367029, 0.0643548, -0.252826, 0.064396, 0.0326987, 0.109399, 0.341457, 0.311239, -0.172769, -0.144874, 0.25956, -0.290774, 0.0560083, 0.977849, 0.0232263, 6.16231],
    "scale": [0.280324, 0.888792, 0.137819, 0.144025, 0.165199, 0.145825, 0.145283, 0.117185, 0.318973, 0.11199, 0.103466, 0.148948, 0.281498, 0.164225, 0.165707, 0.13616, 0.145897, 0.145647, 0.302961, 0.098799, 0.261139, 0.144286, 0.155645, 0.144097, 0.0137328, 0.0821094, 0.0751134, 0.0594319, 0.106129, 0.0688833, 0.130849, 0.164518, 0.143934, 0.147175, 0.150621, 1.71012],
    "coef": [-0.0900991, -0.5728, 1.08523, -0.1934, -0.69896, -0.0682996, 0.350122, 0.0983175, -0.103898, -0.368828, 0.129395, 0.442318, 0.364554, 0.0805596, 0.245005, -0.320726, -0.103195, 0.118068, -0.169933, 0.141714, 0.0558034, 0.262813, -0.551004, -0.0262326, 0.357765, -0.0390335, 0.422686, 0.00596309, 1.28553, 0.09665, -0.532298, 2.57612, 0.0257397, 0.311265, 0.35745, -0.96272],
    "intercept": -7.61415,
    "threshold": 0.996861,
    "fitted_on": "CLEF 2022 2A-EN train+dev, queries with a date",
}


def default_dated_reranker() -> Reranker | None:
    """The packaged re-ranker for queries with a date, or None (then dates are not used)."""
    return Reranker.from_dict(DEFAULT_DATED_RERANKER) if DEFAULT_DATED_RERANKER else None
