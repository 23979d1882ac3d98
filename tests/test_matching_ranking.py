"""Matching: query cleaning, the re-ranker's pieces, and ranking real texts with real models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from newstrace.matching import (
    FEATURES,
    FactCheckDoc,
    Matcher,
    Reranker,
    calibrate_threshold,
    clean_query,
    default_reranker,
    fit_logistic,
    tokens,
)

DOCS = [
    FactCheckDoc("moon", "The Moon landing in 1969 was staged in a film studio.", "Was the Moon Landing Faked?"),
    FactCheckDoc("bleach", "Drinking bleach cures the flu.", "Does Bleach Cure Flu?"),
    FactCheckDoc("waste", "More than 4,000 containers of industrial waste will be shipped from Port Maren to Sildovia.",
                 "Will Arvenia Ship 4,000 Containers of Waste to Sildovia?"),
    FactCheckDoc("wombats", "Wombats are herding animals into their burrows to escape the wildfires in Australia.",
                 "Are Wombats Saving Animals From Australia Fires?"),
    FactCheckDoc("einstein", "Albert Einstein said we are slowed down sound and light waves.",
                 "Did Einstein Say We Are Slowed-Down Sound?"),
    FactCheckDoc("stadium", "A video shows an augmented reality dragon flying over a baseball stadium.",
                 "Did an AR Dragon Fly Over a Stadium?"),
]


def test_matching_clean_query_strips_tweet_wrapping() -> None:
    tweet = ("Wombats are heroes! #AustralianFires pic.twitter.com/0eJtwJyS1J https://t.co/abc "
             "— Center for Bio Div (@CenterForBioDiv) January 14, 2020")
    cleaned = clean_query(tweet)
    assert "pic.twitter" not in cleaned and "https" not in cleaned and "2020" not in cleaned
    assert "Australian Fires" in cleaned and "Center for Bio Div" in cleaned
    assert clean_query("@JoeBiden said &amp; did") == "Joe Biden said & did"
    assert tokens("The wombats were herding animals") == ["wombat", "herd", "animal"]


def test_matching_calibrated_threshold_reaches_the_asked_precision() -> None:
    scores = [0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5]
    correct = [True, True, True, True, False, True, False]
    t = calibrate_threshold(scores, correct, precision=0.8)
    kept = [c for s, c in zip(scores, correct, strict=True) if s >= t]
    assert t == 0.6 and sum(kept) / len(kept) >= 0.8
    assert calibrate_threshold([0.9], [False]) == 1.0  # never right: nothing is "matched"


def test_matching_logistic_fit_separates_and_round_trips() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, len(FEATURES)))
    y = (x[:, 0] + 0.5 * x[:, 2] > 0.3).astype(float)
    mean, scale, coef, intercept = fit_logistic(x, y)
    model = Reranker(mean, scale, coef, intercept, 0.5)
    accuracy = ((model.score(x) > 0.5) == (y > 0)).mean()
    assert accuracy > 0.95 and coef[0] > coef[1]
    again = Reranker.from_dict(model.as_dict())
    assert np.allclose(again.score(x), model.score(x))


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.build(DOCS, reranker=default_reranker())


def test_matching_ranks_paraphrases_and_tweets_first(matcher: Matcher) -> None:
    queries = [
        "NASA faked the 1969 moon landing on a Hollywood set, insiders say",
        "How are animals surviving the #AustralianFires? Wombats are herding them into burrows "
        "pic.twitter.com/x — Bio Div (@BioDiv) January 14, 2020",
        "Arvenia will secretly ship 4000 containers of waste to Sildovia",
    ]
    ranked = matcher.rank(queries, k=3)
    assert [r[0].factcheck_id for r in ranked] == ["moon", "wombats", "waste"]
    for r in ranked:
        assert [m.rank for m in r] == [1, 2, 3]
        assert r[0].score >= r[1].score >= r[2].score
    assert all(r[0].matched for r in ranked)


def test_matching_unrelated_text_is_not_matched(matcher: Matcher) -> None:
    ranked = matcher.rank(["The city council approved a new budget for road repairs on Tuesday."], k=2)
    assert not any(m.matched for m in ranked[0])


def test_matching_embedding_cache_is_reused(tmp_path: Path) -> None:
    first = Matcher.build(DOCS[:3], reranker=default_reranker(), cache_dir=tmp_path)
    files = sorted(tmp_path.glob("emb-*.npy"))
    assert len(files) == 2
    second = Matcher.build(DOCS[:3], reranker=default_reranker(), cache_dir=tmp_path)
    assert np.array_equal(first._claim_vecs, second._claim_vecs)
    assert sorted(tmp_path.glob("emb-*.npy")) == files


def test_matching_soft_overlap_prefers_the_paraphrase() -> None:
    from newstrace.matching import STOPWORDS
    from newstrace.matching_soft import SoftOverlap

    texts = ["Canada's immigration website crashed after the election.",
             "A shark swam down a flooded highway after the hurricane."]
    soft = SoftOverlap.build(texts, STOPWORDS)
    covered_query, covered_doc = soft.scores("Canadian immigration site overloaded after the vote", np.array([0, 1]))
    assert covered_query[0] > covered_query[1] + 0.1 and covered_doc[0] > covered_doc[1] + 0.1
    assert covered_query[0] < 1.0  # "overloaded" is near "crashed", not the same piece
    same, _ = soft.scores(texts[0], np.array([0]))
    assert same[0] == pytest.approx(1.0, abs=1e-5)
    none_q, none_d = soft.scores("the of and", np.array([0, 1]))  # function words only: no evidence
    assert not none_q.any() and not none_d.any()


def test_matching_subtitle_is_searched_and_falls_back_to_the_title() -> None:
    docs = [FactCheckDoc("quiet", "A viral photograph shows a rare animal.", "Is This Photo Real?",
                         subtitle="Pictures of a pink manta ray off Lady Elliot Island drew wide attention."),
            FactCheckDoc("other", "A viral photograph shows a rare bird.", "Is This Bird Real?")]
    assert docs[1].summary == "Is This Bird Real?"
    matcher = Matcher.build(docs, reranker=default_reranker())
    assert matcher.bm25_scores("pink manta ray", field_name="s")[0] > 0
    assert matcher.bm25_scores("pink manta ray", field_name="ct")[0] == 0
    assert matcher.rank(["pink manta ray near Lady Elliot Island"], k=1)[0][0].factcheck_id == "quiet"
    # Subtitle vectors given with the others are used as they are; without them, the title's.
    again = Matcher.build(docs, reranker=default_reranker(),
                          embeddings=(matcher._claim_vecs, matcher._title_vecs))
    assert np.array_equal(again._subtitle_vecs[1], matcher._title_vecs[1])
    assert not np.array_equal(again._subtitle_vecs[0], matcher._title_vecs[0])


def test_matching_collection_rank_counts_higher_scores() -> None:
    from newstrace.matching import _collection_rank

    scores = np.array([0.1, 0.9, 0.5, 0.9, -1e9])
    assert _collection_rank(scores, np.array([1, 3, 2, 0, 4])).tolist() == [0, 0, 2, 3, 4]
