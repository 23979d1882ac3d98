"""How the UI names what it shows: outlets under one spelling, untitled articles, pronoun sources.

- *Outlets.* A cited outlet's name as the attribution stage stored it can differ from the
  articles' ``outlet`` field by a "The", case or punctuation only (its static outlet table says
  "The Guardian" where a corpus may say "Guardian"; the browser audit saw "The Maren Herald" beside
  "Maren Herald"): shown as stored, one outlet got two outlet pages and two graph nodes. Names are compared here
  by ``attribution_sources.outlet_key`` (case, accents, quote marks, a leading "the"; letters
  of every script kept) with dotted initials and all punctuation folded too, and every spelling is
  shown under one name: the outlet of the corpus's articles when one has that key (its page has
  articles), else the spelling cited most often. Domains ("rt.com") and names ("RT") keep apart:
  telling them to be one outlet needs a table, not a fold.
- *Untitled articles* get ``provenance.article_label``, as in the CLI.
- *Pronoun sources.* "which" or "he" that the attribution stage did not resolve names nobody:
  the sources table leaves it out and says how many there were.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..attribution_sources import PRONOUNS, RELATIVE_PRONOUNS, outlet_key
from ..provenance import article_label

#: Source texts that name nobody unless resolved to what they refer to.
UNRESOLVED_PRONOUNS = RELATIVE_PRONOUNS | PRONOUNS
#: Characters of the opening the labels of untitled articles read (eight words fit).
OPENING_CHARS = 120

_PUNCT = re.compile(r"[^\w\s]+|_+")


def opening_sql(alias: str = "a") -> str:
    """SQL for the opening of an untitled article's text (NULL when it has a title: no need to
    read the text then)."""
    return (f"CASE WHEN COALESCE(TRIM({alias}.title), '') = '' THEN substr({alias}.text, 1, {OPENING_CHARS}) "
            "END")


def label(article: Mapping[str, Any]) -> str:
    """An article's name on a page: its title, else what the CLI calls it (file name, opening)."""
    row = dict(article)
    if not row.get("opening") and row.get("text"):
        row["opening"] = str(row["text"])[:OPENING_CHARS]
    return article_label(row)


def name_key(name: str | None) -> str:
    """The key under which two spellings of one outlet compare equal: accents, case, a
    possessive "'s", dotted initials ("U.S." / "US"), punctuation and a leading "the" folded.
    Letters of every script are kept ("Спутник", "BBC 中文" is not "BBC")."""
    text = re.sub(r"\b(\w)\.(?=\w\b)", r"\1", name or "")  # U.S. -> US
    text = re.sub(r"\b(\w)\.(?=\s|$)", r"\1", text)  # the last initial: "U.S." -> "us"
    return re.sub(r"^the ", "", " ".join(_PUNCT.sub(" ", outlet_key(text)).split()))


def is_unresolved_pronoun(source_text: str | None) -> bool:
    return (source_text or "").strip().lower() in UNRESOLVED_PRONOUNS


class OutletNames:
    """One shown name per outlet, from the corpus's outlets and the cited outlets' spellings."""

    def __init__(self, article_outlets: Iterable[str], cited_counts: Iterable[tuple[str, int]]) -> None:
        self._corpus: set[str] = set()
        self._shown: dict[str, str] = {}
        self._spellings: dict[str, set[str]] = {}
        # The corpus's own spelling wins (its outlet page is the one with articles); among cited
        # spellings only, the most cited one.
        for name in article_outlets:
            self._add(str(name), corpus=True)
        for name, _n in sorted(cited_counts, key=lambda nc: (-int(nc[1]), str(nc[0]))):
            self._add(str(name), corpus=False)

    def _add(self, name: str, *, corpus: bool) -> None:
        key = name_key(name)
        if not key:
            return
        if corpus:
            self._corpus.add(name)
        self._spellings.setdefault(key, set()).add(name)
        self._shown.setdefault(key, name)

    def shown(self, name: str) -> str:
        """The name to show and link for ``name``. An outlet of the corpus keeps its own name
        (two corpus outlets that differ only in case keep their own pages)."""
        if name in self._corpus:
            return name
        return self._shown.get(name_key(name), name)

    def spellings(self, name: str) -> list[str]:
        """Every stored cited spelling shown as ``name``, ``name`` itself included."""
        return sorted({s for s in self._spellings.get(name_key(name), set()) if s not in self._corpus or s == name}
                      | {name})


def merge_outlet_nodes(edges: list[dict[str, Any]], shown: Any) -> list[dict[str, Any]]:
    """Provenance edges with every outlet node under its shown name, duplicates dropped (two
    spellings of one cited outlet were two nodes)."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for edge in edges:
        e = dict(edge)
        for side in ("src", "dst"):
            if e.get(f"{side}_kind") == "outlet" and e.get(side):
                e[side] = shown(str(e[side]))
        key = (e.get("src_kind"), e.get("src"), e.get("dst_kind"), e.get("dst"), e.get("relation"))
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def split_pronoun_sources(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The sources table's rows without unresolved pronouns, and how often each was left out."""
    kept: list[dict[str, Any]] = []
    left_out: dict[str, int] = {}
    for row in rows:
        if is_unresolved_pronoun(row.get("source_text")):
            word = str(row["source_text"]).strip().lower()
            left_out[word] = left_out.get(word, 0) + int(row.get("times") or 0)
        else:
            kept.append(row)
    return kept, left_out
