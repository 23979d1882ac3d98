"""The tuned top layer: shared bottom pass, weights round trip, training, and cross-fitting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from newstrace.matching_tuned import (
    StateCache,
    bottom_states,
    encode_states,
    encode_with_tuned,
    layer_fingerprint,
    layer_from_file,
    new_top_layer,
    packaged_top_layer,
    save_top_layer,
    seen_key,
    train_top_layer,
    unseen_cosines,
)
from newstrace.models import embed

QUERIES = [
    "NASA faked the 1969 moon landing on a Hollywood set, insiders say",
    "Wombats are herding other animals into their burrows to escape the bushfires",
    "Drinking bleach will cure you of the flu, doctors don't want you to know",
    "Einstein once said that we are just slowed-down sound and light",
]
DOCS = [
    "The Moon landing in 1969 was staged in a film studio. Was the Moon Landing Faked?",
    "Wombats are herding animals into their burrows to escape the wildfires in Australia.",
    "Drinking bleach cures the flu. Does Bleach Cure Flu?",
    "Albert Einstein said we are slowed down sound and light waves.",
    "A video shows an augmented reality dragon flying over a baseball stadium.",
    "A shark swam down a flooded highway after the hurricane.",
]


def test_matching_tuned_shared_pass_gives_minilm_vectors() -> None:
    base, tuned = encode_with_tuned(QUERIES, packaged_top_layer())
    reference = embed(QUERIES)
    # The same model in bf16, batched differently: equal up to rounding.
    assert np.all(np.sum(base * reference, axis=1) > 0.99)
    assert np.allclose(np.linalg.norm(tuned, axis=1), 1.0, atol=1e-4)
    # An untuned copy of the last layer reproduces MiniLM; the packaged one has moved.
    _, untuned = encode_with_tuned(QUERIES, new_top_layer())
    assert np.all(np.sum(untuned * base, axis=1) > 0.9999)
    assert np.all(np.sum(tuned * base, axis=1) < 0.998)


def test_matching_tuned_weights_round_trip(tmp_path: Path) -> None:
    layer = new_top_layer()
    path = tmp_path / "layer.json.gz"
    save_top_layer(layer, path, {"tuned_on": "nothing"})
    again = layer_from_file(path)
    states = bottom_states(QUERIES)
    # int8 differences from MiniLM's bf16-rounded layer: the vectors agree to about three decimals.
    assert np.allclose(encode_states(layer, states), encode_states(again, states), atol=5e-3)
    assert layer_fingerprint(again) == layer_fingerprint(layer_from_file(path))
    with pytest.raises(Exception, match="tuned matching layer is missing"):
        layer_from_file(tmp_path / "absent.json.gz")


def test_matching_tuned_training_pulls_pairs_together() -> None:
    query_states, doc_states = bottom_states(QUERIES), bottom_states(DOCS)
    positives = [[0], [1], [2], [3]]
    negatives = [[4, 5, 1], [4, 5, 0], [4, 5, 3], [4, 5, 2]]

    def margin(layer: object) -> float:
        sims = encode_states(layer, query_states) @ encode_states(layer, doc_states).T
        right = sims[np.arange(4), np.arange(4)]
        wrong = np.where(np.eye(4, 6, dtype=bool), -1.0, sims).max(axis=1)
        return float((right - wrong).mean())

    before = margin(new_top_layer())
    tuned = train_top_layer(query_states, doc_states, positives, negatives, epochs=8, batch_size=4, lr=1e-4)
    assert margin(tuned) > before + 0.02
    again = train_top_layer(query_states, doc_states, positives, negatives, epochs=8, batch_size=4, lr=1e-4)
    assert layer_fingerprint(again) == layer_fingerprint(tuned)  # fixed seeds, one thread


def test_matching_tuned_cross_fitting_uses_a_layer_that_never_saw_the_query() -> None:
    from newstrace.matching import FactCheckDoc, Matcher

    docs = [FactCheckDoc(str(i), text) for i, text in enumerate(DOCS)]
    matcher = Matcher.build(docs)
    plain, moved = new_top_layer(), packaged_top_layer()
    layers = [(plain, frozenset({seen_key(QUERIES[0])})),
              (moved, frozenset({seen_key(q) for q in QUERIES[1:]}))]
    cosines = unseen_cosines(layers, matcher, QUERIES[:2], StateCache(None))
    assert np.allclose(cosines[0], encode_with_tuned(QUERIES[:1], moved)[1] @ matcher.tuned_doc_vecs().T, atol=0.02)
    _, plain_query = encode_with_tuned(QUERIES[1:2], plain)
    assert np.argmax(cosines[1]) == np.argmax(plain_query @ np.vstack(encode_with_tuned(DOCS, plain)[1]).T)
    with pytest.raises(ValueError, match="cross-fitting"):
        unseen_cosines([(plain, frozenset({seen_key(QUERIES[0])}))], matcher, QUERIES[:1], StateCache(None))


def test_matching_soft_overlap_matches_a_plain_loop() -> None:
    from newstrace.matching import STOPWORDS
    from newstrace.matching_soft import SoftOverlap

    soft = SoftOverlap.build(DOCS, STOPWORDS)
    query = QUERIES[1]
    candidates = np.array([1, 0, 4, 5])
    covered_query, covered_doc = soft.scores(query, candidates)
    ids = [i for i in sorted(set(soft.tokenizer.encode(query.lower(), add_special_tokens=False).ids))
           if i not in soft.ignored]
    for row, d in enumerate(candidates):
        pieces = soft.doc_tokens[int(d)]
        sims = soft.unit_vectors[ids] @ soft.unit_vectors[pieces].T
        w_q, w_d = soft.weight[ids], soft.weight[pieces]
        assert covered_query[row] == pytest.approx(float(w_q @ sims.max(axis=1) / w_q.sum()), abs=1e-5)
        assert covered_doc[row] == pytest.approx(float(w_d @ sims.max(axis=0) / w_d.sum()), abs=1e-5)


def test_matching_query_vectors_carry_both_channels() -> None:
    from newstrace.errors import InputError
    from newstrace.matching import FactCheckDoc, Matcher

    matcher = Matcher.build([FactCheckDoc(str(i), text) for i, text in enumerate(DOCS)])
    vecs = matcher.embed_queries(QUERIES)
    assert vecs.shape == (4, 768)
    ranked = matcher.rank(QUERIES, k=1, query_vecs=vecs)
    assert [r[0].factcheck_id for r in ranked] == ["0", "1", "2", "3"]
    with pytest.raises(InputError, match="embed_queries"):
        matcher.rank(QUERIES, query_vecs=vecs[:, :384])
