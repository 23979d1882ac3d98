"""Publication times: parsed to timezone-aware UTC, or None; never silently guessed.

A value is stored only when it names an instant: an ISO-8601 or RFC 2822 time with a UTC
offset (or ``Z``), or a Unix epoch number (which is UTC by definition). A time without an
offset (``2016-10-17 09:30``, GDELT's ``20161017093000``, a bare date) does not name an
instant, so it is stored as NULL unless the caller chose a zone (``--assume-timezone``).
Values that do not parse ("yesterday", "2016-13-45") and years outside 1800-2200 become NULL
too, and so do placeholders that would otherwise pose as the oldest article of a story: epoch 0
(and 1970-01-01T00:00:00Z itself), negative epochs, epoch numbers before 1990 (the web's news
archives start later; a small number in a date field is a default, not a time) and all-zero
dates (``0000-00-00``). A numeric date whose day and month could be swapped
(``06/05/2025``: both parts 12 or less and different) is NULL unless the caller states the
order (``--date-order dmy|mdy``). In every NULL case the caller keeps the raw value and the
reason (see ``ingest``).
"""

from __future__ import annotations

import email.utils
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InputError

__all__ = ["ParsedDate", "parse_published", "parse_timezone", "ambiguous_day_month", "DATE_ORDERS",
           "NO_TIMEZONE", "NOT_UNDERSTOOD", "OUT_OF_RANGE", "AMBIGUOUS", "PLACEHOLDER_EPOCH_ZERO",
           "PLACEHOLDER_NEGATIVE", "PLACEHOLDER_EARLY_EPOCH", "PLACEHOLDER_ZEROS"]

NO_TIMEZONE = "published time has no time zone"
NOT_UNDERSTOOD = "published time not understood"
OUT_OF_RANGE = "published time out of range"
AMBIGUOUS = "published date is ambiguous: day and month could be swapped"
PLACEHOLDER_EPOCH_ZERO = "published time is a placeholder (epoch 0, 1970-01-01T00:00:00Z)"
PLACEHOLDER_NEGATIVE = "published time is a placeholder (negative epoch)"
PLACEHOLDER_EARLY_EPOCH = "published time is a placeholder (epoch number before 1990)"
PLACEHOLDER_ZEROS = "published time is a placeholder (all zeros, e.g. 0000-00-00)"
#: ``dmy``: 06/05/2025 is 6 May; ``mdy``: 5 June.
DATE_ORDERS = ("dmy", "mdy")

_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:[T ]?(\d{2})(\d{2})(\d{2})?)?$")
_EPOCH = re.compile(r"^-?\d{9,13}(\.\d+)?$")
_NEGATIVE_NUMBER = re.compile(r"^-\d+(\.\d+)?$")
_ZEROS = re.compile(r"^[0\s\-/.:T]*0[0\s\-/.:T]*Z?$")
# Day and month before the year, anywhere in the text: 06/05/2025, 6.5.25, "10:30 06-05-2025",
# "Thursday, 06/05/2025" (not 2025-06-05 or 2025/06/05, where the year comes first).
_DAY_MONTH = re.compile(r"(?<![\d/.\-])(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})(?![\d/.\-])")
_MIN_YEAR, _MAX_YEAR = 1800, 2200
#: 1990-01-01T00:00:00Z: an epoch number before this is a default value, not a publication time.
_EARLIEST_EPOCH = 631152000


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """``iso`` is the UTC ISO-8601 string to store, or None; ``problem`` says why not."""

    iso: str | None
    problem: str | None = None


def parse_timezone(name: str) -> tzinfo:
    """``UTC``, an offset like ``+03:00``, or an IANA zone name like ``Europe/Moscow``."""
    text = name.strip()
    if text.upper() in {"UTC", "Z", "GMT"}:
        return UTC
    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", text)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"Unknown time zone {name!r}. Use UTC, an offset such as +03:00, or an IANA name "
            "such as Europe/Moscow."
        ) from None


def ambiguous_day_month(text: str) -> bool:
    """True for a numeric date whose first two numbers could each be the day or the month
    (``06/05/2025``); ``13/05/2025`` and ``05/05/2025`` are not ambiguous."""
    match = _DAY_MONTH.search(text.strip())
    if not match:
        return False
    first, second = int(match.group(1)), int(match.group(3))
    return 1 <= first <= 12 and 1 <= second <= 12 and first != second


def _finish(moment: datetime, assume: tzinfo | None) -> ParsedDate:
    if not _MIN_YEAR <= moment.year <= _MAX_YEAR:
        return ParsedDate(None, OUT_OF_RANGE)
    if moment.tzinfo is None or moment.utcoffset() is None:
        if assume is None:
            return ParsedDate(None, NO_TIMEZONE)
        moment = moment.replace(tzinfo=assume)
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return ParsedDate(None, OUT_OF_RANGE)
    # Epoch 0 written out, in UTC or in a local zone ("1970-01-01T00:00:00+02:00", "Wed, 31 Dec
    # 1969 19:00:00 -0500"): a default value, not a publication time.
    if abs((utc - _EPOCH_ZERO).total_seconds()) <= 14 * 3600 and utc.minute in (0, 30, 45) and not utc.second:
        return ParsedDate(None, PLACEHOLDER_EPOCH_ZERO)
    return ParsedDate((utc.replace(microsecond=0) if utc.microsecond else utc).isoformat())


_EPOCH_ZERO = datetime(1970, 1, 1, tzinfo=UTC)


def _from_epoch(value: float) -> ParsedDate:
    if value == 0:
        return ParsedDate(None, PLACEHOLDER_EPOCH_ZERO)
    if value < 0:
        return ParsedDate(None, PLACEHOLDER_NEGATIVE)
    if abs(value) > 1e11:  # milliseconds
        value /= 1000.0
    if value < _EARLIEST_EPOCH:
        return ParsedDate(None, PLACEHOLDER_EARLY_EPOCH)
    try:
        moment = datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return ParsedDate(None, OUT_OF_RANGE)
    return _finish(moment, None)


def parse_published(value: object, assume: tzinfo | None = None, order: str | None = None) -> ParsedDate:
    """Parse a publication time from an input field; see the module docstring for the rules.
    ``order`` (``dmy`` or ``mdy``) reads a day/month-ambiguous numeric date; None leaves it NULL."""
    if value is None or value == "":
        return ParsedDate(None)
    if isinstance(value, bool):
        return ParsedDate(None, NOT_UNDERSTOOD)
    if isinstance(value, int) and _COMPACT.match(str(value)):
        # 20250605 as a JSON number (GDELT's SQLDATE): a date, not seconds since 1970.
        return parse_published(str(value), assume, order)
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if isinstance(value, datetime):
        return _finish(value, assume)
    if isinstance(value, date):
        return _finish(datetime(value.year, value.month, value.day), assume)
    if not isinstance(value, str):
        return ParsedDate(None, NOT_UNDERSTOOD)
    text = value.strip()
    if not text or len(text) > 100:
        return ParsedDate(None, NOT_UNDERSTOOD if text else None)
    # Fast path: ISO 8601 (Python 3.11 reads 'Z', offsets, a space for 'T', bare dates).
    try:
        return _finish(datetime.fromisoformat(text), assume)
    except ValueError:
        pass
    if _EPOCH.match(text):
        return _from_epoch(float(text))
    if _ZEROS.match(text):
        return ParsedDate(None, PLACEHOLDER_ZEROS)
    if _NEGATIVE_NUMBER.match(text):
        return ParsedDate(None, PLACEHOLDER_NEGATIVE)
    compact = _COMPACT.match(text)
    if compact:
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in compact.groups())
        try:
            return _finish(datetime(y, mo, d, h, mi, s), assume)
        except ValueError:
            return ParsedDate(None, NOT_UNDERSTOOD)
    try:  # RFC 2822, as in RSS and e-mail: "Mon, 17 Oct 2016 09:30:00 +0300"
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        moment = None
    if moment is not None:
        if text.rstrip().endswith("-0000"):  # RFC 2822: "-0000" means the zone is unknown
            moment = moment.replace(tzinfo=None)
        return _finish(moment, assume)
    return _parse_loose(text, assume, order)


def _parse_loose(text: str, assume: tzinfo | None, order: str | None = None) -> ParsedDate:
    """Free forms ("17 October 2016 09:30 GMT+3") through dateutil, never fuzzy. A numeric
    date with day and month in doubt is read only in the order the caller gave."""
    from dateutil import parser as dateutil_parser

    if not any(ch.isdigit() for ch in text):  # "yesterday", "n/a": no date at all
        return ParsedDate(None, NOT_UNDERSTOOD)
    if order is None and ambiguous_day_month(text):
        return ParsedDate(None, AMBIGUOUS)
    try:
        with warnings.catch_warnings():  # unknown zone names ("EST") warn and yield a naive time
            warnings.simplefilter("ignore")
            # dayfirst only for a date in doubt: it also turns year-first 2025/06/05 into 6 May.
            dayfirst = order == "dmy" and ambiguous_day_month(text)
            moment = dateutil_parser.parse(text, fuzzy=False, dayfirst=dayfirst)
    except (ValueError, OverflowError, TypeError, dateutil_parser.ParserError):
        return ParsedDate(None, NOT_UNDERSTOOD)
    return _finish(moment, assume)


def day_number(value: str | None) -> float:
    """Days since 0001-01-01 of an ISO date or date-time, NaN when absent or unreadable."""
    if not value:
        return float("nan")
    try:
        return float(date.fromisoformat(str(value)[:10]).toordinal())
    except ValueError:
        return float("nan")
