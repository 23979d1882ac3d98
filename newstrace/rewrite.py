"""Rewrites and translations: sentence-to-sentence alignment by meaning.

Two articles that say the same things in other words share few word n-grams, so the verbatim
aligner finds nothing. Here every sentence is embedded with all-MiniLM-L6-v2 (through
``newstrace.models.embed``) and the two articles' sentences are matched one to one so that the
total cosine is as large as possible (the assignment problem, solved exactly by scipy's
``linear_sum_assignment``); pairs below ``min_cosine`` are dropped. Order is not enforced:
rewrites reorder freely (Sputnik moves RT's second sentence to its middle).

The cheap first pass is one vector per article (title and lead), compared by cosine; the
per-sentence alignment runs only on candidate pairs. A model2vec static model distilled from
MiniLM would make that first pass faster, but ``model2vec.distill`` needs ``skeletoken``,
which is not installed here, so newstrace uses MiniLM itself (one vector per article).

Pure functions over vectors and texts; the model is called only in ``embed_texts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_MIN_SENTENCE_WORDS = 5


@dataclass(frozen=True)
class AlignedSentence:
    a_idx: int  # index into the A sentences given
    b_idx: int
    cosine: float


def embed_texts(texts: Sequence[str]) -> np.ndarray:
    """Unit float32 rows for ``texts`` (MiniLM); an empty list gives a (0, 384) array."""
    from .models import embed

    return embed(list(texts))


def lead_text(title: str, sentences: Sequence[str], max_chars: int = 400) -> str:
    """Title and first sentences, about ``max_chars`` long: what one article vector encodes."""
    parts = [title.strip()] if title.strip() else []
    size = len(parts[0]) if parts else 0
    for sentence in sentences:
        if size >= max_chars:
            break
        parts.append(sentence.strip())
        size += len(sentence)
    return " ".join(parts)[: max_chars * 2]


def alignable(sentence: str, min_words: int = _MIN_SENTENCE_WORDS) -> bool:
    """Whether a sentence is long enough to carry a claim: bylines, datelines and outlet names
    ("Sputnik-Middle East") are not, and would align with anything of their kind."""
    return len(sentence.split()) >= min_words


def align_sentences(vectors_a: np.ndarray, vectors_b: np.ndarray, min_cosine: float) -> list[AlignedSentence]:
    """One-to-one sentence pairs of largest total cosine, each at least ``min_cosine``."""
    if len(vectors_a) == 0 or len(vectors_b) == 0:
        return []
    from scipy.optimize import linear_sum_assignment

    similarity = vectors_a.astype(np.float32) @ vectors_b.astype(np.float32).T
    rows, cols = linear_sum_assignment(-similarity)
    out = [
        AlignedSentence(int(r), int(c), round(float(similarity[r, c]), 4))
        for r, c in zip(rows, cols, strict=True)
        if similarity[r, c] >= min_cosine
    ]
    return sorted(out, key=lambda s: (s.a_idx, s.b_idx))


def nearest_articles(query: np.ndarray, stored: np.ndarray, k: int, min_cosine: float,
                     exclude_self_from: int | None = None) -> list[tuple[int, int, float]]:
    """For each query row, up to ``k`` stored rows with cosine >= ``min_cosine``, as
    (query_row, stored_row, cosine). With ``exclude_self_from``, query row q is stored row
    ``exclude_self_from + q`` and is not its own neighbour."""
    out: list[tuple[int, int, float]] = []
    if len(query) == 0 or len(stored) == 0 or k <= 0:
        return out
    step = 1024  # bounded memory: 1,024 x 100,000 floats at a time
    for begin in range(0, len(query), step):
        sims = query[begin: begin + step] @ stored.T
        if exclude_self_from is not None:
            rows = np.arange(sims.shape[0])
            sims[rows, exclude_self_from + begin + rows] = -1.0
        kk = min(k, sims.shape[1])
        top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
        for r in range(sims.shape[0]):
            for c in top[r]:
                if sims[r, c] >= min_cosine:
                    out.append((begin + r, int(c), round(float(sims[r, c]), 4)))
    return out


def vectors_to_blob(vectors: np.ndarray) -> bytes:
    """float16 bytes: half the space, and cosines change by less than 0.001."""
    return np.asarray(vectors, dtype=np.float16).tobytes()


def blob_to_vectors(blob: bytes, dim: int = 384) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float16).astype(np.float32).reshape(-1, dim)


def order_agreement(aligned: Sequence[AlignedSentence]) -> float:
    """Share of aligned pairs that keep one common order in both articles (longest increasing
    subsequence of B positions taken in A order). A rewrite follows its source's structure;
    independent reports of one event order their facts their own way (measured on BASIL's
    first 50 events: of 26 same-event pairs with >= 5 aligned sentences covering half the shorter
    article, none reached 0.9)."""
    import bisect

    if not aligned:
        return 0.0
    tails: list[int] = []
    for pair in sorted(aligned, key=lambda s: s.a_idx):
        k = bisect.bisect_left(tails, pair.b_idx)
        if k == len(tails):
            tails.append(pair.b_idx)
        else:
            tails[k] = pair.b_idx
    return round(len(tails) / len(aligned), 4)


def fill_gaps(aligned: Sequence[AlignedSentence], vectors_a: np.ndarray, vectors_b: np.ndarray,
              min_cosine: float, max_moved: int = 0) -> list[AlignedSentence]:
    """Sentence pairs that a rewrite's order implies: between two consecutive aligned pairs
    (taken in their longest common order), or before the first or after the last of them, a
    sentence of A and one of B that are each other's best match inside that gap, at
    ``min_cosine`` or more. A translation or a loose rewrite says
    some sentences in words too far apart for the global threshold ("planes would only strike
    detached, vacated or uninhabited buildings" / "warplanes will launch airstrikes solely
    against isolated and abandoned houses"), but they sit where the order puts them.

    ``max_moved``: then, among the sentences still unpaired on both sides, a pair that are each
    other's best match at ``min_cosine`` or more is taken if it crosses at most this many
    anchors: a rewrite moves a sentence or two (the seeds' airstrike sentences sit two anchors
    apart), while a chance resemblance lands anywhere."""
    import bisect

    if not aligned or len(vectors_a) == 0 or len(vectors_b) == 0:
        return []
    # The longest chain of aligned pairs increasing in both articles: the anchors.
    ordered = sorted(aligned, key=lambda s: s.a_idx)
    tails: list[int] = []
    tail_index: list[int] = []
    previous: list[int] = [-1] * len(ordered)
    for k, pair in enumerate(ordered):
        pos = bisect.bisect_left(tails, pair.b_idx)
        if pos == len(tails):
            tails.append(pair.b_idx)
            tail_index.append(k)
        else:
            tails[pos] = pair.b_idx
            tail_index[pos] = k
        previous[k] = tail_index[pos - 1] if pos > 0 else -1
    chain: list[AlignedSentence] = []
    k = tail_index[-1] if tail_index else -1
    while k >= 0:
        chain.append(ordered[k])
        k = previous[k]
    chain.reverse()
    used_a = {s.a_idx for s in aligned}
    used_b = {s.b_idx for s in aligned}
    bounds = [(-1, -1)] + [(s.a_idx, s.b_idx) for s in chain] + [(len(vectors_a), len(vectors_b))]
    out = []
    for (a0, b0), (a1, b1) in zip(bounds, bounds[1:], strict=False):
        gap_a = [i for i in range(a0 + 1, a1) if i not in used_a]
        gap_b = [j for j in range(b0 + 1, b1) if j not in used_b]
        if not gap_a or not gap_b:
            continue
        sims = vectors_a[gap_a].astype(np.float32) @ vectors_b[gap_b].astype(np.float32).T
        for r, i in enumerate(gap_a):
            c = int(sims[r].argmax())
            if sims[r, c] >= min_cosine and int(sims[:, c].argmax()) == r:
                out.append(AlignedSentence(i, gap_b[c], round(float(sims[r, c]), 4)))
    if max_moved > 0:
        out += _moved([*aligned, *out], vectors_a, vectors_b, used_a | {s.a_idx for s in out},
                      used_b | {s.b_idx for s in out}, min_cosine, max_moved)
    return out


def _moved(anchors: Sequence[AlignedSentence], vectors_a: np.ndarray, vectors_b: np.ndarray,
           used_a: set[int], used_b: set[int], min_cosine: float, max_moved: int) -> list[AlignedSentence]:
    """Mutual best matches among unpaired sentences that cross at most ``max_moved`` of the
    pairs aligned so far."""
    rest_a = [i for i in range(len(vectors_a)) if i not in used_a]
    rest_b = [j for j in range(len(vectors_b)) if j not in used_b]
    if not rest_a or not rest_b:
        return []
    sims = vectors_a[rest_a].astype(np.float32) @ vectors_b[rest_b].astype(np.float32).T
    out = []
    for r, i in enumerate(rest_a):
        c = int(sims[r].argmax())
        if sims[r, c] < min_cosine or int(sims[:, c].argmax()) != r:
            continue
        j = rest_b[c]
        crossed = sum(1 for s in anchors if (s.a_idx < i) != (s.b_idx < j))
        if crossed <= max_moved:
            out.append(AlignedSentence(i, j, round(float(sims[r, c]), 4)))
    return out
