"""Numbers in claims, normalised to (value, unit, modifier) so that outlets can be compared:
"more than 9,000 militants" → 9000.0, "militants", "more than"; "$3.2 million" → 3200000.0,
"USD"; "83 soldiers" → 83.0, "soldiers"; "thousands of militants" → 1000.0, "militants",
"thousands of" (a lower bound, said as such).

Evidence is the text alone (regular expressions): digits with thousands separators and
decimals, number words up to the billions, scale words, currency signs and "percent". Calendar
numbers (years, days of a month) are not quantities and are skipped; ``find_dates`` returns them
instead (a statement dated to a year or a day is checkable against the record).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MODIFIERS = (
    "more than", "over", "at least", "no fewer than", "no less than", "upwards of", "in excess of",
    "fewer than", "less than", "under", "at most", "up to", "no more than", "nearly", "almost",
    "about", "around", "approximately", "roughly", "some", "an estimated", "estimated", "close to",
    "exactly", "just over", "just under", "as many as", "as few as",
)
WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "a hundred": 100, "hundred": 100, "a thousand": 1000, "dozen": 12,
    "a dozen": 12,
}
SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
          "mln": 1e6, "bln": 1e9, "m": 1e6, "bn": 1e9, "k": 1e3}
VAGUE = {"hundreds of": 100.0, "thousands of": 1000.0, "tens of thousands of": 10000.0,
         "hundreds of thousands of": 100000.0, "millions of": 1e6, "dozens of": 12.0}
CURRENCIES = {"$": "USD", "€": "EUR", "£": "GBP", "₽": "RUB"}
MONTHS = ("january february march april may june july august september october november december "
          "jan feb mar apr jun jul aug sep sept oct nov dec").split()
STOP_UNIT = frozenset("of the a an and or to in on at for from by with that which who was were is "
                      "are will would have has had".split())

#: Modifiers that say the same bound ("more than 3,500" and "over 3,500" state one figure).
MODIFIER_CLASSES = {
    **dict.fromkeys(("more than", "over", "upwards of", "in excess of", "just over"), "above"),
    **dict.fromkeys(("at least", "no fewer than", "no less than"), "at least"),
    **dict.fromkeys(("fewer than", "less than", "under", "just under"), "below"),
    **dict.fromkeys(("at most", "up to", "no more than", "as many as"), "at most"),
    **dict.fromkeys(("nearly", "almost", "close to"), "nearly"),
    **dict.fromkeys(("about", "around", "approximately", "roughly", "some", "an estimated", "estimated"), "about"),
    "exactly": "",
}
#: Units that change what a number measures; any other word after a number names what is counted
#: ("9,000 militants", "9,000 fighters"), which rewording changes without changing the figure.
MEASURE_UNITS = frozenset(
    "USD EUR GBP RUB percent tonnes tonne tons ton kg kilograms kilogrammes grams km kilometres kilometers "
    "miles metres meters feet litres liters gallons barrels hectares acres hours days weeks months years".split())


def comparable(value: float | None, unit: str | None, modifier: str | None) -> tuple[float | None, str, str]:
    """The part of a (value, unit, modifier) triple that a change of wording cannot change: the
    value, a measurement unit (not the counted noun) and the bound the modifier states."""
    mod = (modifier or "").lower()
    return value, unit if unit in MEASURE_UNITS else "", MODIFIER_CLASSES.get(mod, mod)


_MOD = "|".join(re.escape(m) for m in sorted(MODIFIERS, key=len, reverse=True))
_WORDS = "|".join(re.escape(w) for w in sorted(WORD_NUMBERS, key=len, reverse=True))
_VAGUE = "|".join(re.escape(v) for v in sorted(VAGUE, key=len, reverse=True))
_NUMBER = re.compile(
    rf"(?:(?P<mod>{_MOD})\s+)?"
    rf"(?:(?P<vague>{_VAGUE})"
    rf"|(?:(?P<cur>[$€£₽])\s?)?(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    rf"(?:\s?(?P<scale>hundred|thousand|million|billion|trillion|mln|bln|bn)\b)?"
    rf"(?P<pct>\s?%|\s(?:percent|per cent)\b)?"
    rf"|(?P<word>\b(?:{_WORDS}))(?:\s(?P<wscale>hundred|thousand|million|billion)\b)?)"
    r"(?![\w,.]\d)",
    re.I,
)
_NEXT_WORDS = re.compile(r"[\s(]*([A-Za-z][\w'’-]*)")


@dataclass(frozen=True)
class Quantity:
    text: str
    value: float
    unit: str | None
    modifier: str | None
    start: int
    end: int

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "value": self.value, "unit": self.unit, "modifier": self.modifier,
                "start": self.start, "end": self.end}


def _is_calendar(text: str, start: int, end: int, digits: str) -> bool:
    before = text[max(0, start - 12):start].lower().split()
    after = text[end:end + 12].lower().split()
    if before and before[-1].strip(",.") in MONTHS:
        return True
    if after and after[0].strip(",.") in MONTHS:
        return True
    # A bare four-digit year: "since 2014", "in 2016".
    return bool(re.fullmatch(r"(1[89]|20)\d\d", digits))


def _unit_after(text: str, end: int) -> str | None:
    """The counted noun: the first lower-case word after the number, skipping capitalised
    names and parentheses ("9,000 Islamic State (IS, ISIL) militants" → "militants")."""
    pos = end
    for _ in range(8):
        match = _NEXT_WORDS.match(text, pos)
        if not match:
            return None
        word = match.group(1)
        pos = match.end()
        # Skip a parenthesis ("(IS, formerly ISIS, ISIL)").
        if text[match.start():match.start(1)].strip().startswith("("):
            close = text.find(")", pos)
            if close != -1:
                pos = close + 1
            continue
        low = word.lower()
        if low in STOP_UNIT:
            return None
        if word[:1].isupper():
            continue
        return low
    return None


def find_quantities(text: str, start: int = 0, end: int | None = None) -> list[Quantity]:
    """Quantities in ``text[start:end]`` with offsets into ``text``."""
    end = len(text) if end is None else end
    out: list[Quantity] = []
    for match in _NUMBER.finditer(text, start, end):
        if not any(match.group(g) for g in ("vague", "num", "word")):
            continue
        a, b = match.span()
        modifier = match.group("mod").lower() if match.group("mod") else None
        unit: str | None = None
        if match.group("vague"):
            vague = match.group("vague").lower()
            value = VAGUE[vague]
            modifier = modifier or vague
        elif match.group("num"):
            digits = match.group("num")
            if _is_calendar(text, match.start("num"), b, digits) and not match.group("cur"):
                continue
            value = float(digits.replace(",", ""))
            if match.group("scale"):
                value *= SCALES[match.group("scale").lower()]
            if match.group("cur"):
                unit = CURRENCIES[match.group("cur")]
            if match.group("pct"):
                unit = "percent"
        else:
            word = match.group("word").lower()
            if word in ("one", "a hundred", "a thousand") and not match.group("mod"):
                continue  # "one of the", "a hundred years" are too often not counts
            value = float(WORD_NUMBERS[word])
            if match.group("wscale"):
                value *= SCALES[match.group("wscale").lower()]
        if unit is None:
            unit = _unit_after(text, b)
        out.append(Quantity(text[a:b], value, unit, modifier, a, b))
    return out


def find_dates(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str]]:
    """The calendar numbers that ``find_quantities`` skips in ``text[start:end]`` (a bare year,
    a day next to a month name), as (start, end, text) with offsets into ``text``."""
    end = len(text) if end is None else end
    out = []
    for match in _NUMBER.finditer(text, start, end):
        digits = match.group("num")
        if digits and not match.group("cur") and _is_calendar(text, match.start("num"), match.end(), digits):
            out.append((match.start("num"), match.end("num"), digits))
    return out


_CALENDAR_WORD = re.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
                            r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")


def stated_figures(text: str, *, calendar_words: bool = False) -> set[str]:
    """The numbers and calendar dates ``text`` states, as comparable strings; with
    ``calendar_words``, month and weekday names too ("in October")."""
    found = {f"{q.value:g}" for q in find_quantities(text)} | {digits for _, _, digits in find_dates(text)}
    if calendar_words:
        found |= {m.lower() for m in _CALENDAR_WORD.findall(text)}
    return found
