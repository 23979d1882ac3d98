"""Numbers normalised to value, unit and modifier."""

from __future__ import annotations

import pytest

from newstrace.quantities import find_dates, find_quantities


@pytest.mark.parametrize(("text", "expected"), [
    ("More than 9,000 Islamic State (IS, formerly ISIS, ISIL) militants will leave",
     [("More than 9,000", 9000.0, "militants", "more than")]),
    ("thousands of Islamic State militants", [("thousands of", 1000.0, "militants", "thousands of")]),
    ("83 soldiers were killed and over 100 injured",
     [("83", 83.0, "soldiers", None), ("over 100", 100.0, "injured", "over")]),
    ("raised $3.2 million, 50 percent of it online",
     [("$3.2 million", 3_200_000.0, "USD", None), ("50 percent", 50.0, "percent", None)]),
    ("fighting for more than five years", [("more than five", 5.0, "years", "more than")]),
    ("an additional 600 troops", [("600", 600.0, "troops", None)]),
])
def test_claims_quantities_normalised(text: str, expected: list[tuple[object, ...]]) -> None:
    found = find_quantities(text)
    assert [(q.text, q.value, q.unit, q.modifier) for q in found] == expected
    for q in found:
        assert text[q.start:q.end] == q.text


@pytest.mark.parametrize("text", ["on September 17", "since 2014", "due on October 19, 2016"])
def test_claims_quantities_skip_calendar_numbers(text: str) -> None:
    assert find_quantities(text) == []
    assert find_dates(text), "a skipped calendar number is a date"


@pytest.mark.parametrize("text", ["more than 4,000 containers", "handled 1.2 million containers last year",
                                  "83 soldiers on Monday"])
def test_claims_quantities_counts_are_not_dates(text: str) -> None:
    assert find_dates(text) == []
