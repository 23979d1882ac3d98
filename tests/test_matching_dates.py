"""Dated matching: a query's date weighed against the fact-checks' dates, by the dated model."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from newstrace.cli_factchecks import _read_queries
from newstrace.matching import (
    DATE_FEATURES,
    FEATURES,
    FactCheckDoc,
    Matcher,
    Reranker,
    day_number,
    default_dated_reranker,
    embedded_tweet_date,
)

# Two reviews of near-identical claims, months apart: only the date tells them apart.
DOCS = [
    FactCheckDoc("march", "Americans crashed Canada's immigration website after the primaries.",
                 "Did Americans Crash Canada's Immigration Site?", "2016-03-02"),
    FactCheckDoc("november", "Americans crashed Canada's immigration website after the election.",
                 "Did Americans Crash Canada's Immigration Site?", "2016-11-09"),
    FactCheckDoc("bleach", "Drinking bleach cures the flu.", "Does Bleach Cure Flu?", "2020-03-20"),
    FactCheckDoc("undated", "Wombats are herding animals into their burrows to escape the wildfires.", "Wombats"),
]
QUERY = "So many Americans want to move that Canada's immigration website crashed"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.build(DOCS)


def test_matching_dates_parsed_from_iso_and_tweet_trailers() -> None:
    assert day_number("2016-11-09T23:10:00+00:00") == day_number("2016-11-09") == 736277.0
    assert math.isnan(day_number(None)) and math.isnan(day_number("next Tuesday"))
    tweet = "Wombats! pic.twitter.com/x — Bio Div (@BioDiv) January 14, 2020"
    assert embedded_tweet_date(tweet) == "2020-01-14"
    assert embedded_tweet_date("No trailer here, January 14, 2020") is None


def test_matching_query_date_picks_the_review_of_that_week(matcher: Matcher) -> None:
    ranked = matcher.rank([QUERY, QUERY], k=2, query_dates=["2016-11-10", "2016-03-01"])
    assert [r[0].factcheck_id for r in ranked] == ["november", "march"]
    assert ranked[0][0].score > ranked[0][1].score


def test_matching_query_without_a_date_is_ranked_by_the_undated_model(matcher: Matcher) -> None:
    plain = matcher.rank([QUERY, "Wombats shelter animals from the fires"], k=3)
    with_none = matcher.rank([QUERY, "Wombats shelter animals from the fires"], k=3, query_dates=[None, None])
    assert plain == with_none
    # A dated query against an undated fact-check still ranks it (its date features read "unknown").
    dated = matcher.rank(["Wombats shelter animals from the fires"], k=1, query_dates=["2020-01-14"])
    assert dated[0][0].factcheck_id == "undated"


def test_matching_dated_reranker_round_trips() -> None:
    model = default_dated_reranker()
    assert model is not None and model.dated and len(model.coef) == len(FEATURES) + len(DATE_FEATURES)
    again = Reranker.from_dict(model.as_dict())
    assert again == model


def test_matching_cli_reads_an_optional_date_field(tmp_path: Path) -> None:
    path = tmp_path / "queries.tsv"
    path.write_text("q1\tCanada's site crashed\t2016-11-10\nq2\tA text\twith a tab\nq3\tno date\n")
    assert _read_queries(str(path)) == [("q1", "Canada's site crashed", "2016-11-10"),
                                        ("q2", "A text\twith a tab", None), ("q3", "no date", None)]
