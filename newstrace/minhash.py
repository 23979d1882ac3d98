"""Word shingles, MinHash signatures and LSH banding, vectorised over batches of texts.

This is the cheap lexical evidence of the ``reuse`` stage: which pairs of articles may share
text. Every function here is pure (texts or arrays in, arrays out, no store, no globals that
change), so the same code can later run inside Spark ``mapPartitions`` jobs unchanged.

How it is fast: a batch of texts is normalised and lowered in one C-level ``str`` call,
viewed as bytes, and tokenised with a byte lookup table; word hashes come from prefix sums of
a polynomial hash (no Python loop per word); shingles combine consecutive word hashes; the
signature is *one-permutation hashing* (Li, Owen & Zhang 2012) with rotation densification
(Shrivastava & Li 2014): each shingle is hashed once and falls into one of ``num_perm`` bins,
instead of being hashed ``num_perm`` times. The probability that two signatures agree in a bin
is, as with classic MinHash, the Jaccard similarity of the two shingle sets.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
EMPTY = np.uint32(0xFFFFFFFF)
_DOC_SEPARATOR = "\x01"
# Typographic quotes, apostrophes and dashes become their ASCII forms, so "Russia’s" and
# "Russia's" give the same words; the separator character cannot occur inside a text.
_NORMALISE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u00a0": " ", "\u2026": " ", _DOC_SEPARATOR: " ",
})
# Word bytes: ASCII letters and digits, and every byte of a non-ASCII UTF-8 character (so
# Cyrillic, accented Latin and CJK stay inside words).
_WORD_BYTE = np.zeros(256, dtype=bool)
_WORD_BYTE[ord("0"): ord("9") + 1] = True
_WORD_BYTE[ord("a"): ord("z") + 1] = True
_WORD_BYTE[0x80:] = True
_POLY = np.uint64(0x100000001B3)  # odd, so it has an inverse modulo 2**64
_POLY_INV = np.uint64(pow(int(_POLY), -1, 2**64))
_SHINGLE_MULT = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
     0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9],
    dtype=np.uint64,
)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads every input bit over every output bit (uint64 in/out)."""
    x = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return x


def normalise_text(text: str) -> str:
    """The form shingles are computed on: ASCII quotes and dashes, lower case."""
    return text.translate(_NORMALISE).lower()


def _powers(base: np.uint64, count: int) -> np.ndarray:
    powers = np.full(count, base, dtype=np.uint64)
    powers[0] = 1
    with np.errstate(over="ignore"):
        return np.cumprod(powers, dtype=np.uint64)


def word_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Stable 64-bit hashes of the words of every text, and each word's text index.

    Words are runs of ASCII letters/digits or non-ASCII characters in the normalised text.
    Hashes do not depend on the process (unlike ``hash(str)``), so they can be stored.
    """
    joined = _DOC_SEPARATOR.join(normalise_text(t) for t in texts)
    data = np.frombuffer(joined.encode("utf-8"), dtype=np.uint8)
    if data.size == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    is_word = _WORD_BYTE[data]
    edges = np.diff(is_word.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    # Polynomial hash of each word from prefix sums: sum(b[j] * P**j) over the word, shifted
    # back to position 0 by P**-start, so equal words hash equally wherever they stand.
    with np.errstate(over="ignore"):
        prefix = np.concatenate(([np.uint64(0)], np.cumsum(data.astype(np.uint64) * _powers(_POLY, data.size),
                                                            dtype=np.uint64)))
        raw = (prefix[ends] - prefix[starts]) * _powers(_POLY_INV, data.size)[starts]
    separators = np.flatnonzero(data == ord(_DOC_SEPARATOR))
    doc_of_word = np.searchsorted(separators, starts)
    return mix64(raw), doc_of_word.astype(np.int64)


def shingle_hashes(texts: Sequence[str], shingle_words: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every run of ``shingle_words`` consecutive words, and each shingle's text index.

    A text shorter than ``shingle_words`` words gives one shingle of all its words, so short
    texts still have a signature.
    """
    if not 1 <= shingle_words <= len(_SHINGLE_MULT):
        raise ValueError(f"shingle_words must be 1..{len(_SHINGLE_MULT)}, got {shingle_words}")
    words, docs = word_hashes(texts)
    n = words.size
    k = shingle_words
    if n == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    count = max(n - k + 1, 0)
    combined = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(k):
            combined += words[offset: offset + count] * _SHINGLE_MULT[offset]
    whole = docs[:count] == docs[k - 1: k - 1 + count]
    shingles, shingle_docs = combined[whole], docs[:count][whole]
    # Texts with fewer than k words: one shingle of all their words.
    per_doc = np.bincount(docs, minlength=len(texts))
    short = np.flatnonzero((per_doc > 0) & (per_doc < k))
    if short.size:
        first = np.searchsorted(docs, short)
        extra = np.zeros(short.size, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for offset in range(k - 1):
                has = offset < per_doc[short]
                extra[has] += words[first[has] + offset] * _SHINGLE_MULT[offset]
        shingles = np.concatenate((shingles, extra))
        shingle_docs = np.concatenate((shingle_docs, short))
    return mix64(shingles), shingle_docs


def signatures_from_shingles(shingles: np.ndarray, shingle_docs: np.ndarray, n_docs: int,
                             num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """One-permutation MinHash signatures, shape (n_docs, num_perm), uint32.

    A text with no shingle gets a row of ``EMPTY``; ``band_keys`` gives such rows no keys.
    """
    if num_perm & (num_perm - 1) or not 8 <= num_perm <= 1024:
        raise ValueError(f"num_perm must be a power of two between 8 and 1024, got {num_perm}")
    bits = num_perm.bit_length() - 1
    hashed = mix64(shingles ^ np.uint64(seed * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF))
    bins = (hashed >> np.uint64(64 - bits)).astype(np.int64)
    values = (hashed & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    sig = np.full(n_docs * num_perm, EMPTY, dtype=np.uint32)
    np.minimum.at(sig, shingle_docs * num_perm + bins, values)
    return densify(sig.reshape(n_docs, num_perm))


def densify(sig: np.ndarray) -> np.ndarray:
    """Fill empty bins from the next non-empty bin to the right (circularly), remixed with the
    distance, so two texts agree in a filled bin about as often as in a real one."""
    empty = sig == EMPTY
    if not empty.any():
        return sig
    n, k = sig.shape
    positions = np.where(np.concatenate((~empty, ~empty), axis=1), np.arange(2 * k), 2 * k)
    next_full = np.minimum.accumulate(positions[:, ::-1], axis=1)[:, ::-1][:, :k]
    has_any = ~empty.all(axis=1)
    rows, cols = np.nonzero(empty & has_any[:, None])
    source = next_full[rows, cols]
    distance = (source - cols).astype(np.uint64)
    borrowed = sig[rows, source % k].astype(np.uint64)
    out = sig.copy()
    out[rows, cols] = (mix64(borrowed + (distance << np.uint64(32))) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    # A remixed value could by chance equal EMPTY; keep EMPTY meaning "no shingle".
    out[rows, cols] = np.minimum(out[rows, cols], EMPTY - np.uint32(1))
    return out


def signatures(texts: Sequence[str], num_perm: int = 128, shingle_words: int = 5, seed: int = 1,
               chunk: int = 256) -> np.ndarray:
    """MinHash signatures of ``texts`` (rows in order), shape (len(texts), num_perm), uint32.

    Texts are processed ``chunk`` at a time: small enough for the arrays to stay in cache
    (measured: 256 texts of 500 words run about 4x faster per text than 2,000 at once).
    """
    parts = [np.zeros((0, num_perm), dtype=np.uint32)]
    for begin in range(0, len(texts), chunk):
        batch = texts[begin: begin + chunk]
        shingles, docs = shingle_hashes(batch, shingle_words)
        parts.append(signatures_from_shingles(shingles, docs, len(batch), num_perm, seed))
    return np.concatenate(parts)


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray | float:
    """Share of agreeing bins: an unbiased estimate of the Jaccard similarity of shingle sets.
    Works on single rows or row-aligned matrices; a text without shingles scores 0."""
    agree = (sig_a == sig_b) & (sig_a != EMPTY)
    result = agree.mean(axis=-1)
    return float(result) if np.ndim(result) == 0 else result


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per band, shape (n, bands); a band's number is mixed into its key, so keys
    of different bands never need to be kept apart. Rows of empty texts get key 0 (ignored)."""
    n, k = sig.shape
    if bands * rows > k:
        raise ValueError(f"bands*rows ({bands}*{rows}) exceeds the signature length {k}")
    cube = sig[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    keys = np.zeros((n, bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            keys = mix64(keys ^ cube[:, :, r])
        keys = mix64(keys + np.arange(1, bands + 1, dtype=np.uint64) * _SHINGLE_MULT[0])
    keys[keys == 0] = 1  # 0 means "no key"
    keys[(sig == EMPTY).all(axis=1)] = 0
    return keys


def candidate_pairs(keys: np.ndarray, is_new: np.ndarray | None = None,
                    max_bucket: int = 1000) -> np.ndarray:
    """Row index pairs (i < j) that share at least one band key, as an (m, 2) int64 array.

    With ``is_new`` (a boolean per row), only pairs with at least one new row are returned: the
    incremental case, where old-old pairs were found before. Buckets larger than ``max_bucket``
    are skipped: they hold boilerplate-only texts rather than evidence of reuse.
    """
    n, bands = keys.shape
    flat = keys.ravel()
    owner = np.repeat(np.arange(n, dtype=np.int64), bands)
    keep = flat != 0
    flat, owner = flat[keep], owner[keep]
    order = np.argsort(flat, kind="stable")
    flat, owner = flat[order], owner[order]
    boundary = np.flatnonzero(np.diff(flat) != 0) + 1
    starts = np.concatenate(([0], boundary))
    sizes = np.diff(np.concatenate((starts, [flat.size])))
    found: list[np.ndarray] = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= max_bucket)]):
        # All buckets of one size at once: (buckets, size) member matrix, then all i<j pairs.
        bucket_starts = starts[sizes == size]
        members = owner[bucket_starts[:, None] + np.arange(size)]
        left, right = np.triu_indices(int(size), k=1)
        pairs = np.stack((members[:, left].ravel(), members[:, right].ravel()), axis=1)
        found.append(pairs)
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(found)
    pairs = np.sort(pairs, axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    if is_new is not None:
        pairs = pairs[is_new[pairs[:, 0]] | is_new[pairs[:, 1]]]
    return np.unique(pairs, axis=0)


def tokenise_floor(texts: Sequence[str]) -> int:
    """A plain regex tokenising pass over ``texts`` (the speed floor benchmarks compare with)."""
    import re

    word = re.compile(r"\w+")
    return sum(len(word.findall(t.lower())) for t in texts)
