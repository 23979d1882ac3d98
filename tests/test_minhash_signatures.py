"""MinHash signatures estimate shingle Jaccard, are stable, and LSH banding finds near copies."""

from __future__ import annotations

import random

import numpy as np

from newstrace import minhash


def _text(rng: random.Random, words: int = 400) -> list[str]:
    vocab = [f"w{i}" for i in range(3000)]
    return [rng.choice(vocab) for _ in range(words)]


def _exact_jaccard(a: str, b: str, k: int = 5) -> float:
    wa, wb = a.lower().split(), b.lower().split()
    sa = {tuple(wa[i: i + k]) for i in range(len(wa) - k + 1)}
    sb = {tuple(wb[i: i + k]) for i in range(len(wb) - k + 1)}
    return len(sa & sb) / len(sa | sb)


def test_minhash_estimate_tracks_exact_jaccard() -> None:
    rng = random.Random(7)
    base = _text(rng)
    texts = [" ".join(base)]
    for rate in (0.0, 0.02, 0.05, 0.1, 0.3, 1.0):
        texts.append(" ".join(w if rng.random() > rate else f"x{rng.random()}" for w in base))
    sig = minhash.signatures(texts, num_perm=256)
    for other in texts[1:]:
        exact = _exact_jaccard(texts[0], other)
        estimate = minhash.estimated_jaccard(sig[0], sig[texts.index(other)])
        assert abs(exact - estimate) < 0.1, (exact, estimate)


def test_minhash_signatures_are_stable_and_chunk_independent() -> None:
    rng = random.Random(1)
    texts = [" ".join(_text(rng, 100)) for _ in range(30)]
    whole = minhash.signatures(texts, chunk=256)
    chunked = minhash.signatures(texts, chunk=7)
    assert np.array_equal(whole, chunked)
    # Pinned values: stored signatures must not change between processes or releases
    # (Python's hash() of a str would); case does not matter.
    pinned = [877847855, 4287822, 160086713, 1041235607]
    assert minhash.signatures(["The quick brown fox jumps over the lazy dog"])[0, :4].tolist() == pinned


def test_minhash_normalises_typography() -> None:
    a = "Russia’s “achievements” in Syria — ostensibly a success, the source said"
    b = "Russia's \"achievements\" in Syria - ostensibly a success, the source said"
    sig = minhash.signatures([a, b])
    assert minhash.estimated_jaccard(sig[0], sig[1]) == 1.0


def test_minhash_empty_and_short_texts() -> None:
    sig = minhash.signatures(["", "two words", "two words", "   "])
    keys = minhash.band_keys(sig, 64, 2)
    assert (keys[0] == 0).all() and (keys[3] == 0).all()
    assert minhash.estimated_jaccard(sig[1], sig[2]) == 1.0
    assert minhash.candidate_pairs(keys).tolist() == [[1, 2]]


def test_minhash_banding_finds_near_copies_only_with_new_rows() -> None:
    rng = random.Random(3)
    originals = [_text(rng) for _ in range(50)]
    texts = [" ".join(t) for t in originals]
    # Row 50 is a light edit of row 10; row 51 of row 20.
    for source in (10, 20):
        texts.append(" ".join(w if rng.random() > 0.03 else "edited" for w in originals[source]))
    keys = minhash.band_keys(minhash.signatures(texts), 64, 2)
    assert minhash.candidate_pairs(keys).tolist() == [[10, 50], [20, 51]]
    is_new = np.zeros(len(texts), dtype=bool)
    is_new[51] = True
    assert minhash.candidate_pairs(keys, is_new).tolist() == [[20, 51]]
