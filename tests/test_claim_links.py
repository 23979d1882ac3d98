"""The learned claim link scorer: its features on hand-built claims, its gate, and the packaged
weights on real MiniLM vectors (the seeds' wordings)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from newstrace.claim_links import (
    CANDIDATE_COSINE,
    DEFAULT_LINK_SCORER,
    FEATURES,
    LinkScorer,
    default_link_scorer,
    link_claims,
    link_features,
    link_probabilities,
)
from newstrace.config import Config
from newstrace.errors import ConfigError
from newstrace.trace import Claim, similarity_matrix


def claim(cid: str, article: str, text: str, *, source: str | None = None,
          numbers: tuple[tuple[float | None, str, str], ...] = ()) -> Claim:
    return Claim(cid, article, text, "none" if source is None else "named_person", source, (), "asserted",
                 numbers, (), frozenset())


def feature(rows: np.ndarray, pairs: list[tuple[int, int]], pair: tuple[int, int], name: str) -> float:
    return float(rows[pairs.index(pair), FEATURES.index(name)])


def test_claim_links_features_reward_rare_shared_words_and_best_counterparts() -> None:
    claims = [
        claim("a1", "A", "Mosul militants will get safe passage to Syria", numbers=((9000.0, "", ""),)),
        claim("a2", "A", "Mosul residents fled the western districts"),
        claim("b1", "B", "Militants from Mosul get safe passage to Syria", numbers=((9000.0, "", ""),)),
        claim("b2", "B", "Mosul airport was shelled overnight"),
    ]
    cosines = np.array([[1.0, 0.5, 0.9, 0.5],
                        [0.5, 1.0, 0.6, 0.7],
                        [0.9, 0.6, 1.0, 0.4],
                        [0.5, 0.7, 0.4, 1.0]])
    pairs, rows = link_features(claims, cosines)
    assert pairs == [(0, 2), (0, 3), (1, 2), (1, 3)]  # cross-article pairs only
    assert rows.shape == (4, len(FEATURES))
    # "mosul" is in every claim of the story: sharing only it weighs little.
    assert feature(rows, pairs, (1, 3), "rare_word_overlap") < 0.2
    assert feature(rows, pairs, (0, 2), "rare_word_overlap") > 0.8
    assert feature(rows, pairs, (0, 2), "shared_trigrams") == pytest.approx(0.3)  # "get safe passage", "safe passage to", "passage to syria"
    assert feature(rows, pairs, (0, 2), "same_quantity") == 1.0
    assert feature(rows, pairs, (0, 2), "best_counterparts") == 1.0
    assert feature(rows, pairs, (1, 2), "best_counterparts") == 0.0  # b1 is a1's, not a2's
    # a1-b1 stands 0.9 - max(0.6, 0.5) above the best rival on either side.
    assert feature(rows, pairs, (0, 2), "cosine_margin") == pytest.approx(0.3)
    assert feature(rows, pairs, (0, 2), "same_source") == -1.0  # neither names a source


def test_claim_links_same_source_feature_compares_names() -> None:
    claims = [claim("a", "A", "x y z", source="Sergei Lavrov"), claim("b", "B", "x y z", source="Lavrov"),
              claim("c", "C", "x y z", source="John Kerry")]
    pairs, rows = link_features(claims, np.eye(3))
    assert feature(rows, pairs, (0, 1), "same_source") == 1.0
    assert feature(rows, pairs, (0, 2), "same_source") == 0.0


def test_claim_links_probabilities_keep_same_article_entries_and_gate_unrelated_pairs() -> None:
    claims = [claim("a1", "A", "one two three"), claim("a2", "A", "four five six"),
              claim("b1", "B", "seven eight nine")]
    cosines = np.array([[1.0, 0.9, CANDIDATE_COSINE - 0.01], [0.9, 1.0, 0.95], [CANDIDATE_COSINE - 0.01, 0.95, 1.0]])
    base = cosines.copy()
    out = link_probabilities(claims, cosines, base)
    assert out[0, 1] == out[1, 0] == 0.9  # same article: the similarity, for restatements
    assert out[0, 2] == out[2, 0] == 0.0  # below the candidate cosine, no shared word: never linked
    assert 0.0 < out[1, 2] < 1.0 and out[1, 2] == out[2, 1]
    assert base[1, 2] == 0.95  # the input is not changed


def test_claim_links_scorer_checks_its_features() -> None:
    assert DEFAULT_LINK_SCORER["features"] == list(FEATURES)
    with pytest.raises(ValueError, match="train_claim_links"):
        LinkScorer.from_dict({**DEFAULT_LINK_SCORER, "features": ["cosine"]})


@pytest.fixture(scope="module")
def embed():  # type: ignore[no-untyped-def]
    from newstrace.models import embed as embed_texts

    return embed_texts


def test_claim_links_packaged_scorer_links_a_retelling_and_not_its_neighbours(embed) -> None:  # type: ignore[no-untyped-def]
    # The seeds' central claim as two outlets word it, and a neighbouring claim of each article.
    claims = [
        claim("a1", "A", "Saudi Arabia has struck a deal with Islamic State militants in Mosul, allowing them free "
                         "passage to Syria"),
        claim("a2", "A", "The militants will be transported to Syria in exchange for not striking Raqqa"),
        claim("b1", "B", "Saudi Arabia reached an agreement with Islamic State militants in Mosul on safe passage to "
                         "Syria"),
        claim("b2", "B", "Iraqi forces have surrounded Mosul from three sides"),
    ]
    vectors = np.asarray(embed([c.text for c in claims]), dtype=np.float64)
    cosines = vectors @ vectors.T
    links = link_probabilities(claims, cosines, cosines, default_link_scorer())
    assert links[0, 2] >= Config()["trace.link_probability"]
    assert links[1, 2] == links[0, 3] == links[1, 3] == 0.0  # below the candidate cosine
    groups = link_claims(claims, ["A", "B"], [("A", "B")], sims=cosines.copy(), vectors=vectors,
                         pairs=[], passages=[], config=Config())
    assert sorted(sorted(c.id for c in g) for g in groups) == [["a1", "b1"], ["a2"], ["b2"]]
    # The cosine rule, kept as an option, links the same two here.
    cosine_groups = link_claims(claims, ["A", "B"], [("A", "B")], sims=cosines.copy(), vectors=vectors, pairs=[],
                                passages=[], config=Config({"trace.link_scorer": "cosine"}))
    assert sorted(sorted(c.id for c in g) for g in cosine_groups) == [["a1", "b1"], ["a2"], ["b2"]]


def test_claim_links_regate_pairs_raised_only_by_a_shared_number() -> None:
    # Cosine 0.55 and no shared word, but one shared quantity: the similarity (0.65 with the
    # number bonus) lets the pair be scored, and the gate still gives it 0.
    claims = [claim("a", "A", "one two three", numbers=((4000.0, "", ""),)),
              claim("b", "B", "four five six", numbers=((4000.0, "", ""),))]
    cosines = np.array([[1.0, 0.55], [0.55, 1.0]])
    base = similarity_matrix(claims, 0.1, vectors=np.array([[1.0, 0.0], [0.55, np.sqrt(1 - 0.55 ** 2)]]))
    assert base[0, 1] == pytest.approx(0.65)
    assert link_probabilities(claims, cosines, base)[0, 1] == 0.0


def test_claim_links_scoring_only_candidates_equals_scoring_every_pair() -> None:
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(40)]
    claims = [claim(str(i), f"art{i % 5}", " ".join(rng.choice(words, 8)), source=["X", None][i % 2])
              for i in range(60)]
    vectors = rng.normal(size=(60, 16))
    vectors[30:] += 2 * vectors[:30]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    cosines = vectors @ vectors.T
    base = similarity_matrix(claims, 0.1, vectors=vectors)
    got = link_probabilities(claims, cosines, base)
    pairs, rows = link_features(claims, cosines)  # every cross-article pair
    probability = default_link_scorer().probability(rows)
    gate = (rows[:, 0] >= CANDIDATE_COSINE) | (rows[:, 1] >= 0.6)
    for (i, j), p, open_ in zip(pairs, probability, gate, strict=True):
        assert got[i, j] == pytest.approx(p if open_ else 0.0)
    assert (got[:, :] > 0).sum() > 10  # the test has linked pairs to compare


def test_claim_links_probability_threshold_cannot_open_the_gate() -> None:
    with pytest.raises(ConfigError):
        Config({"trace.link_probability": 0.0})


def test_claim_links_passage_pairs_are_matched_on_similarity() -> None:
    # A rewrite whose two aligned claims score below the gate: the passage links each claim with
    # its counterpart by similarity, not the first claim of each side.
    # Every claim lies inside the passage (characters 0-10 of its article).
    claims = [replace(claim(cid, article, text), start=0, end=10)
              for cid, article, text in (("a1", "A", "alpha"), ("a2", "A", "beta"), ("b1", "B", "gamma"),
                                         ("b2", "B", "delta"))]
    sims = np.array([[1.0, 0.1, 0.30, 0.55],
                     [0.1, 1.0, 0.50, 0.30],
                     [0.30, 0.50, 1.0, 0.1],
                     [0.55, 0.30, 0.1, 1.0]])
    passage = {"a_id": "A", "b_id": "B", "a_start": 0, "a_end": 100, "b_start": 0, "b_end": 100}
    vectors = np.eye(4)  # cosines 0: only the passage can link
    for mode in ("learned", "cosine"):
        groups = link_claims(claims, ["A", "B"], [("A", "B")], sims=sims.copy(), vectors=vectors,
                             pairs=[{"a_id": "A", "b_id": "B", "relation": "rewrite"}], passages=[passage],
                             config=Config({"trace.link_scorer": mode}))
        assert sorted(sorted(c.id for c in g) for g in groups) == [["a1", "b2"], ["a2", "b1"]], mode


def test_claim_links_link_a_retelling_in_a_story_of_one_claim_per_article(embed) -> None:  # type: ignore[no-untyped-def]
    claims = [
        claim("a1", "A", "Saudi Arabia has struck a deal with Islamic State militants in Mosul, allowing them free "
                         "passage to Syria"),
        claim("b1", "B", "Saudi Arabia reached an agreement with Islamic State militants in Mosul on safe passage to "
                         "Syria"),
    ]
    vectors = np.asarray(embed([c.text for c in claims]), dtype=np.float64)
    cosines = vectors @ vectors.T
    assert link_probabilities(claims, cosines, cosines)[0, 1] >= Config()["trace.link_probability"]
    groups = link_claims(claims, ["A", "B"], [("A", "B")], sims=cosines.copy(), vectors=vectors, pairs=[],
                         passages=[], config=Config())
    assert [sorted(c.id for c in g) for g in groups] == [["a1", "b1"]]
