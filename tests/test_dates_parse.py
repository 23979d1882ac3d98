"""Publication times: timezone-aware UTC or None, never guessed."""

from __future__ import annotations

from datetime import UTC

import pytest

from newstrace.dates import NO_TIMEZONE, NOT_UNDERSTOOD, parse_published, parse_timezone
from newstrace.errors import InputError


@pytest.mark.parametrize(("raw", "iso"), [
    ("2016-10-17T09:30:00+03:00", "2016-10-17T06:30:00+00:00"),
    ("2016-10-17T09:30:00Z", "2016-10-17T09:30:00+00:00"),
    ("2016-10-17 09:30:00.123456+00:00", "2016-10-17T09:30:00+00:00"),
    ("Mon, 17 Oct 2016 09:30:00 +0300", "2016-10-17T06:30:00+00:00"),
    ("Mon, 17 Oct 2016 09:30:00 GMT", "2016-10-17T09:30:00+00:00"),
    ("17 October 2016 09:30 +0100", "2016-10-17T08:30:00+00:00"),
    (1476696600, "2016-10-17T09:30:00+00:00"),
    ("1476696600000", "2016-10-17T09:30:00+00:00"),
])
def test_dates_instants_become_utc(raw: object, iso: str) -> None:
    assert parse_published(raw).iso == iso


@pytest.mark.parametrize("raw", ["2016-10-17 09:30", "20161017093000", "2016-10-17", "17 October 2016",
                                 "Mon, 17 Oct 2016 09:30:00 -0000"])
def test_dates_without_zone_are_not_guessed(raw: str) -> None:
    parsed = parse_published(raw)
    assert parsed.iso is None and parsed.problem == NO_TIMEZONE


@pytest.mark.parametrize("raw", ["yesterday", "2016-13-45", "n/a", "32/13/2016", True, "99999999999999999999"])
def test_dates_invalid_are_null_with_reason(raw: object) -> None:
    parsed = parse_published(raw)
    assert parsed.iso is None and parsed.problem is not None


def test_dates_assumed_zone_is_applied_only_when_chosen() -> None:
    moscow = parse_timezone("Europe/Moscow")
    assert parse_published("2016-10-17 09:30", moscow).iso == "2016-10-17T06:30:00+00:00"
    assert parse_published("20161017093000", parse_timezone("UTC")).iso == "2016-10-17T09:30:00+00:00"
    assert parse_published("2016-10-17T09:30:00+00:00", moscow).iso == "2016-10-17T09:30:00+00:00"
    assert parse_timezone("+03:00").utcoffset(None).total_seconds() == 3 * 3600  # type: ignore[union-attr]
    assert parse_timezone("utc") is UTC


def test_dates_unknown_zone_says_how_to_fix() -> None:
    with pytest.raises(InputError, match="IANA"):
        parse_timezone("Mars/Olympus")


def test_dates_empty_is_unknown_without_problem() -> None:
    assert parse_published(None).problem is None and parse_published("").iso is None
    assert parse_published("nonsense words").problem == NOT_UNDERSTOOD
