"""Publication times: timezone-aware UTC or None, never guessed."""

from __future__ import annotations

from datetime import UTC

import pytest

from newstrace.dates import (
    AMBIGUOUS,
    NO_TIMEZONE,
    NOT_UNDERSTOOD,
    PLACEHOLDER_EARLY_EPOCH,
    PLACEHOLDER_EPOCH_ZERO,
    PLACEHOLDER_NEGATIVE,
    PLACEHOLDER_ZEROS,
    ParsedDate,
    ambiguous_day_month,
    parse_published,
    parse_timezone,
)
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


@pytest.mark.parametrize(("raw", "problem"), [
    (0, PLACEHOLDER_EPOCH_ZERO), ("0", PLACEHOLDER_ZEROS), (0.0, PLACEHOLDER_EPOCH_ZERO),
    (-5, PLACEHOLDER_NEGATIVE), ("-1", PLACEHOLDER_NEGATIVE),
    (86400, PLACEHOLDER_EARLY_EPOCH), (631151999, PLACEHOLDER_EARLY_EPOCH), (5_000_000, PLACEHOLDER_EARLY_EPOCH),
    ("0000-00-00", PLACEHOLDER_ZEROS), ("0000-00-00 00:00:00", PLACEHOLDER_ZEROS), ("00/00/0000", PLACEHOLDER_ZEROS),
    ("1970-01-01T00:00:00Z", PLACEHOLDER_EPOCH_ZERO), ("Thu, 01 Jan 1970 00:00:00 +0000", PLACEHOLDER_EPOCH_ZERO),
])
def test_dates_placeholders_are_null_with_reason(raw: object, problem: str) -> None:
    parsed = parse_published(raw)
    assert parsed.iso is None and parsed.problem == problem


def test_dates_epochs_from_1990_are_kept() -> None:
    assert parse_published(631152000).iso == "1990-01-01T00:00:00+00:00"
    assert parse_published("1999-01-01T00:00:00Z").iso == "1999-01-01T00:00:00+00:00"


@pytest.mark.parametrize("raw", ["06/05/2025 10:00 UTC", "6.5.2025 10:00 +0000", "06-05-25 10:00 UTC"])
def test_dates_day_month_ambiguous_is_null_unless_order_given(raw: str) -> None:
    assert parse_published(raw) == ParsedDate(None, AMBIGUOUS)
    assert parse_published(raw, order="dmy").iso == "2025-05-06T10:00:00+00:00"
    assert parse_published(raw, order="mdy").iso == "2025-06-05T10:00:00+00:00"


@pytest.mark.parametrize(("raw", "iso"), [
    ("13/05/2025 10:00 UTC", "2025-05-13T10:00:00+00:00"),  # 13 cannot be a month
    ("05/05/2025 10:00 UTC", "2025-05-05T10:00:00+00:00"),  # same either way
    ("2025/06/05 10:00 UTC", "2025-06-05T10:00:00+00:00"),  # year first: year-month-day
])
def test_dates_unambiguous_numeric_dates_are_read(raw: str, iso: str) -> None:
    assert ambiguous_day_month(raw) is False
    assert parse_published(raw).iso == iso


def test_dates_order_does_not_invent_a_zone() -> None:
    assert parse_published("06/05/2025 10:00", order="dmy").problem == NO_TIMEZONE


@pytest.mark.parametrize(("value", "order", "expected"), [
    ("2025/06/05", "dmy", "2025-06-05T00:00:00+00:00"),  # year first: never read day-first
    ("2025.06.05", "dmy", "2025-06-05T00:00:00+00:00"),
    ("Thursday, 06/05/2025", "dmy", "2025-05-06T00:00:00+00:00"),
    ("Thursday, 06/05/2025", "mdy", "2025-06-05T00:00:00+00:00"),
    (20250605, None, "2025-06-05T00:00:00+00:00"),  # GDELT's SQLDATE as a JSON number
])
def test_dates_order_applies_only_to_dates_in_doubt(value: object, order: str | None, expected: str) -> None:
    assert parse_published(value, UTC, order).iso == expected


@pytest.mark.parametrize("value", ["10:30 06/05/2025", "Thursday, 06/05/2025"])
def test_dates_ambiguous_day_month_found_anywhere(value: str) -> None:
    assert parse_published(value, UTC).problem == AMBIGUOUS


@pytest.mark.parametrize("value", ["1970-01-01T00:00:00+02:00", "Thu, 01 Jan 1970 00:00:00 +0100",
                                   "Wed, 31 Dec 1969 19:00:00 -0500"])
def test_dates_epoch_zero_in_a_local_zone_is_a_placeholder(value: str) -> None:
    parsed = parse_published(value)
    assert parsed.iso is None and parsed.problem == PLACEHOLDER_EPOCH_ZERO
