"""Hedges and certainty: the words by which a writer keeps distance from a claim.

Evidence is a small lexicon, matched on word boundaries (case-insensitive):
- ``distancing`` adverbs and phrases: "reportedly", "allegedly", "ostensibly", "purportedly",
  "supposedly", "apparently", "it is believed", "is said to";
- ``cue`` verbs of doubtful attribution: "claimed", "suggested", "alleged", "insisted"
  (these hedge when they report the claim: "..., he claimed");
- ``modal`` downgrades: "may", "might", "could", "possibly", "probably", "likely"
  (a claim with "could" is weaker than one with "will"). "would" is not one: in reported
  speech it is mostly the backshifted "will" ("he said the US would send 600 troops").
Certainty of a claim: ``hedged`` with any distancing or cue hedge, ``modal`` with only modal
ones, ``asserted`` with none. Dropping a hedge on the way between outlets is what the trace
stage looks for, so the lexicon errs toward the explicit, well-known markers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DISTANCING = (
    "reportedly", "allegedly", "ostensibly", "purportedly", "supposedly", "apparently",
    "seemingly", "so-called", "it is believed", "is believed to", "are believed to",
    "is said to", "are said to", "it is claimed", "it is alleged", "rumoured", "rumored",
    "unconfirmed", "unverified", "according to some", "it appears",
)
CUE_HEDGES = (
    "claimed", "claims", "claiming", "suggested", "suggests", "suggesting", "alleged", "alleges",
    "alleging", "insisted", "insists", "speculated", "speculates", "asserted", "contended",
)
MODALS = (
    "may", "might", "could", "possibly", "probably", "likely", "perhaps", "maybe",
    "may have", "might have", "could have",
)
KINDS = ("distancing", "cue", "modal")


@dataclass(frozen=True)
class Hedge:
    text: str
    start: int
    end: int
    kind: str  # distancing | cue | modal

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "start": self.start, "end": self.end, "kind": self.kind}


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted(words, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ordered) + r")(?![\w-])", re.I)


_PATTERNS = [(kind, _pattern(words)) for kind, words in
             (("distancing", DISTANCING), ("cue", CUE_HEDGES), ("modal", MODALS))]
# "claims" and "suggests" are also nouns/other senses; "the claims of" is no hedge.
_NOT_CUE_BEFORE = re.compile(r"(?:the|these|those|his|her|their|its|such|false|new)\s+$", re.I)


def find_hedges(text: str, start: int = 0, end: int | None = None, *, offset: int = 0) -> list[Hedge]:
    """Hedges in ``text[start:end]``, with offsets into ``text`` plus ``offset``."""
    end = len(text) if end is None else end
    window = text[start:end]
    found: list[Hedge] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(window):
            a, b = start + match.start(), start + match.end()
            if any(a < y and x < b for x, y in taken):
                continue
            if kind == "cue" and _NOT_CUE_BEFORE.search(text[max(0, a - 12):a]):
                continue
            taken.append((a, b))
            found.append(Hedge(text[a:b], a + offset, b + offset, kind))
    found.sort(key=lambda h: h.start)
    return found


def certainty(hedges: list[Hedge]) -> str:
    """'hedged' (distancing or cue hedge), 'modal' (only modal downgrades) or 'asserted'."""
    kinds = {h.kind for h in hedges}
    if kinds & {"distancing", "cue"}:
        return "hedged"
    if "modal" in kinds:
        return "modal"
    return "asserted"
