"""Cheap proper names, as evidence that two articles report one event.

Two reports of one event that share no sentence still name the same people and bodies: "Ingrid
Holm", "Green Coalition", "Maren Port Authority". A single capitalised word ("Velling",
"Sildovia") names a place or a country that many unrelated stories share, so only names of two
or more capitalised words count, and a name carried by too many articles of the store (a "White
House") is no evidence at all (the reuse stage drops those by document frequency).

This is a pure function over text, with no model: it runs on every article of the reuse stage,
which must keep up with the lexical pass. Evaluated on the demo corpus (examples/truth.json) and
the seeds; see BENCHMARKS.md, "Text reuse".
"""

from __future__ import annotations

import re

# Words that start a sentence or a title capitalised without naming anything ("Yesterday Ingrid
# Holm ..." names Ingrid Holm), and calendar words (a shared "Monday" or "March" says nothing
# about the event).
_NOT_NAME = frozenset(
    """a an the in on at of for to and or but by from with as after before while when where this
    that these those he she it they we i you his her its their our my your mr mrs ms dr
    monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december read more related breaking update exclusive
    watch video photo yesterday today tomorrow tonight earlier later meanwhile however also last
    next""".split()
)
_WORD = r"(?:[A-Z][\w'’.-]*[a-z][\w'’-]*|[A-Z]{2,})"
_NAME = re.compile(rf"{_WORD}(?:[ \t]+{_WORD})+")
_POSSESSIVE = re.compile(r"['’]s$")


def proper_names(text: str) -> set[str]:
    """Lower-cased names of two or more capitalised words in ``text`` ("Tomas Reval", "Maren
    Port Authority"), with possessives and leading function or calendar words removed."""
    names: set[str] = set()
    for match in _NAME.finditer(text):
        # A possessive ends a name: "Arvenia's Port Maren" is Arvenia and Port Maren.
        parts: list[list[str]] = [[]]
        for word in match.group(0).split():
            parts[-1].append(_POSSESSIVE.sub("", word).strip(".-'’"))
            if _POSSESSIVE.search(word):
                parts.append([])
        for words in parts:
            while words and words[0].lower() in _NOT_NAME:
                words.pop(0)
            while words and words[-1].lower() in _NOT_NAME:
                words.pop()
            if len(words) >= 2:
                names.add(" ".join(w.lower() for w in words))
    return names
