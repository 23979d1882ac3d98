"""Details inside a shared claim: what one telling adds that the others do not say.

Two outlets often carry one claim, and one of them adds something to it: Sputnik's "safe
passage to leave the city *with their families*" against RT's "free passage". The claim is
shared; the detail is not. Grouping cannot show this (the two wordings are one claim), and the
word marking of the story page marks paraphrases as well as additions. This module finds the
added phrases.

A *candidate* is a prepositional phrase of the wording (``with their families``, ``from
Mosul``, ``during the liberation of Fallujah``), the unit in which a retelling most often adds
circumstance: who with, where from, when, for whom. Only the outermost phrase is a candidate
(``during the liberation of the Iraqi city of Fallujah``, not also ``of Fallujah``), and idioms
that carry no information ("of course", "in fact") are not.

A candidate is a *detail* against another article when that article does not say it (``decide``):
the phrase holds a noun, name or number that the other article's text does not use anywhere
(in any form), and cutting the phrase out brings the wording closer in meaning to the other
article's wording (MiniLM cosine; ``MIN_GAIN``). The second test removes most paraphrases: a
phrase that says in other words what the other wording says ("for the jihadists" against "the
militants") takes shared meaning with it when cut. Measured on hand labels of 30 BASIL events
(``bench/claim_details.py``; BENCHMARKS.md "Trace"): on the 15 dev events, every candidate
with a new noun has precision 0.42 (recall 0.80); with the cut test 0.70 (recall 0.50). A
static word-vector test for paraphrased nouns added nothing there and was dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: Prepositional idioms that add no information to the claim they sit in.
_IDIOMS = frozenset({
    "of course", "in fact", "in particular", "for example", "for instance", "in addition", "at least",
    "at all", "in general", "at first", "at last", "in turn", "on the other hand", "in other words",
    "by the way", "for now", "at the moment", "in part", "among other things", "above all", "at once",
    "in short", "after all", "in any case", "of all", "as well", "so far", "for the first time",
})
#: Longest candidate, in tokens: a longer phrase is a clause of its own, not a detail of one.
MAX_TOKENS = 12
_CONTENT_POS = frozenset({"NOUN", "PROPN", "NUM", "ADJ", "VERB"})
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)+")


@dataclass(frozen=True)
class Candidate:
    """A prepositional phrase of a claim's wording: character offsets into the wording, its
    text, and its content words (lower case, as written)."""

    start: int
    end: int
    text: str
    words: tuple[str, ...]


def word_form(word: str) -> str:
    """A word folded for comparing two texts: case, and the plural of regular nouns."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def text_forms(text: str) -> frozenset[str]:
    """Every word form of ``text`` (see ``word_form``), and its numbers whole ("9,000", "2.5":
    spaCy keeps them as one token, so a candidate's number is compared whole)."""
    return frozenset(word_form(w) for w in _WORD.findall(text)) | frozenset(_NUMBER.findall(text))


def candidates(doc: Any) -> list[Candidate]:
    """The outermost prepositional phrases of a parsed wording (spaCy ``Doc``) that hold a
    content word, idioms excepted."""
    spans: list[tuple[int, int]] = []
    for tok in doc:
        if tok.dep_ != "prep" or not any(c.dep_ in ("pobj", "pcomp") for c in tok.children):
            continue
        spans.append((tok.left_edge.i, tok.right_edge.i + 1))  # "just before X": from its modifier
    outer = [s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)]
    found = []
    for start, end in sorted(set(outer)):
        span = doc[start:end]
        if end - start > MAX_TOKENS or span.text.lower().strip(" ,.") in _IDIOMS:
            continue
        words = tuple(t.text.lower() for t in span if t.pos_ in _CONTENT_POS and t.is_alpha or t.like_num)
        if words:
            found.append(Candidate(span.start_char, span.end_char, span.text, words))
    return found


def new_words(candidate: Candidate, other_text_forms: frozenset[str]) -> list[str]:
    """The candidate's content words that the other article's text never uses, in any form
    (a plural, or a demonym's ending: "Sildovia" is used by a text that says "Sildovian")."""
    from .trace import named_in

    return [w for w in candidate.words if word_form(w) not in other_text_forms
            and not (len(w) >= 4 and named_in(w, [f for f in other_text_forms if f[:3] == w[:3]]))]


#: How much closer (MiniLM cosine) the wording comes to the other article's wording without the
#: phrase: a phrase whose removal does not bring the two closer is not what sets them apart (it
#: restates something the other wording says in other words).
MIN_GAIN = 0.0
_NOUNS = frozenset({"NOUN", "PROPN", "NUM"})


@dataclass(frozen=True)
class Verdict:
    """Whether a candidate is a detail against one other article, and the evidence."""

    is_detail: bool
    new_nouns: tuple[str, ...]  # the phrase's nouns, names or numbers the other article never uses
    gain: float  # cosine to the other wording without the phrase minus with it


def decide(new_nouns: Sequence[str], gain: float, *, min_gain: float = MIN_GAIN) -> bool:
    """A detail: it names something new (a noun, name or number the other article never uses),
    and it is part of what sets the two wordings apart."""
    return bool(new_nouns) and gain > min_gain


def without(text: str, start: int, end: int) -> str:
    """``text`` with [start, end) cut out and the spaces around the cut closed."""
    return re.sub(r"\s+([,.;:])", r"\1", re.sub(r"\s{2,}", " ", f"{text[:start]} {text[end:]}")).strip()


class DetailFinder:
    """Finds the details of a claim group's wordings (spaCy's parse and MiniLM)."""

    def __init__(self, min_gain: float = MIN_GAIN) -> None:
        self.min_gain = min_gain
        self.begin_story()

    def begin_story(self) -> None:
        """Forget the parses and vectors of the previous story (they are kept only within one)."""
        from .lineage import Encoder

        self._docs: dict[str, Any] = {}
        self._text_forms: dict[str, frozenset[str]] = {}
        self.encoder = Encoder()

    def _doc(self, text: str) -> Any:
        from .models import spacy_nlp

        if text not in self._docs:
            self._docs[text] = spacy_nlp()(text)
        return self._docs[text]

    def _texts_to_embed(self, members: Sequence[dict[str, Any]], texts: dict[str, str]) -> list[str]:
        """The wordings, their clauses, and each wording cut of a candidate that names something
        some other article of the group never uses (only those get a gain computed)."""
        from .lineage import clause_spans

        articles = {m["article_id"] for m in members}
        found = [" ".join(m["text"] for m in members if m["article_id"] == a) for a in sorted(articles)]
        for m in members:
            found += [m["text"][x:y] for x, y in clause_spans(m["text"])] or [m["text"]]
            doc = self._doc(m["text"])
            nouns = {t.text.lower() for t in doc if t.pos_ in _NOUNS or t.like_num}
            others = [self._forms(texts.get(a, "")) for a in articles - {m["article_id"]}]
            found += [without(m["text"], c.start, c.end) for c in candidates(doc)
                      if any(nouns.intersection(new_words(c, f)) for f in others)]
        return found

    def _forms(self, text: str) -> frozenset[str]:
        if text not in self._text_forms:
            self._text_forms[text] = text_forms(text)
        return self._text_forms[text]

    def prefetch(self, groups: Sequence[Sequence[dict[str, Any]]], texts: dict[str, str]) -> None:
        """Parse and embed what judging ``groups`` needs, in one call to the encoder (many small
        calls cost far more than one large one; see ``lineage.Encoder.prefetch``)."""
        self.encoder.prefetch([t for members in groups if len({m["article_id"] for m in members}) >= 2
                               for t in self._texts_to_embed(members, texts)])

    def judge_group(self, members: Sequence[dict[str, Any]], texts: dict[str, str]) -> list[tuple[dict[str, Any], str, Candidate, Verdict]]:
        """Every (wording, other article, candidate, verdict) of one claim group. ``members``:
        the group's telling variants (``article_id``, ``text``); ``texts``: article id -> text."""
        from .lineage import clause_spans

        articles = sorted({m["article_id"] for m in members})
        if len(articles) < 2:
            return []
        forms = {a: self._forms(texts.get(a, "")) for a in articles}
        parsed = [(m, self._doc(m["text"])) for m in members]
        cands = {id(m): candidates(doc) for m, doc in parsed}
        nouns = {id(m): {t.text.lower() for t in doc if t.pos_ in _NOUNS or t.like_num} for m, doc in parsed}
        # A compound claim ("the containers will be loaded at night, and inspectors have been
        # told not to open them") is in the group by one of its clauses: a phrase counts only
        # in the clause closest to the other article's wording (the other clause is another claim).
        parts = {id(m): clause_spans(m["text"]) or [(0, len(m["text"]))] for m in members}
        other_parts = {a: [m["text"][x:y] for m in members if m["article_id"] == a for x, y in parts[id(m)]]
                       for a in articles}
        wording = {a: " ".join(m["text"] for m in members if m["article_id"] == a) for a in articles}
        encoder = self.encoder  # what ``prefetch`` did not embed, ``cosines`` embeds on demand
        found = []
        for m in members:
            for other in articles:
                if other == m["article_id"]:
                    continue
                clause_cosines = [float(encoder.cosines([m["text"][x:y]], other_parts[other]).max())
                                  for x, y in parts[id(m)]]
                best = max(range(len(clause_cosines)), key=clause_cosines.__getitem__)
                x, y = parts[id(m)][best]
                base = float(encoder.cosines([m["text"]], [wording[other]])[0, 0])
                for cand in cands[id(m)]:
                    if not (x <= cand.start and cand.end <= y):
                        continue  # part of the compound's other claim
                    new_nouns = tuple(w for w in new_words(cand, forms[other]) if w in nouns[id(m)])
                    gain = 0.0
                    if new_nouns:
                        cut = without(m["text"], cand.start, cand.end)
                        gain = float(encoder.cosines([cut], [wording[other]])[0, 0]) - base
                    verdict = Verdict(decide(new_nouns, gain, min_gain=self.min_gain), new_nouns, round(gain, 4))
                    found.append((m, other, cand, verdict))
        return found


@dataclass(frozen=True)
class Detail:
    """A detail to store: the phrase (offsets into its article), and the articles of the
    group that do not say it."""

    claim_id: str
    article_id: str
    start: int
    end: int
    phrase: str
    missing_from: tuple[str, ...]
    new_words: dict[str, tuple[str, ...]]  # article of ``missing_from`` -> the phrase's words it never uses


def _tellers(members: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"id": c.id, "article_id": c.article_id, "start": c.start, "text": c.text}
            for c in members if c.stance == "tells"]


def story_details(finder: DetailFinder, groups: Sequence[Sequence[Any]], texts: dict[str, str]) -> list[list[Detail]]:
    """The details of each of a story's claim groups (see ``group_details``), its texts parsed
    and embedded once."""
    finder.begin_story()
    finder.prefetch([_tellers(members) for members in groups], texts)
    return [group_details(finder, members, texts) for members in groups]


def group_details(finder: DetailFinder, members: Sequence[Any], texts: dict[str, str]) -> list[Detail]:
    """The details of one claim group (``members``: its claims, with ``id``, ``article_id``,
    ``start``, ``text`` and ``stance``). Only wordings that tell the claim take part (a denial
    is not a telling to add to), and only a group told by two or more articles has any."""
    tellers = _tellers(members)
    by_phrase: dict[tuple[str, int], tuple[dict[str, Any], Candidate, dict[str, tuple[str, ...]]]] = {}
    for m, other, cand, verdict in finder.judge_group(tellers, texts):
        if not verdict.is_detail:
            continue
        entry = by_phrase.setdefault((m["id"], cand.start), (m, cand, {}))
        entry[2][other] = verdict.new_nouns
    return [Detail(m["id"], m["article_id"], m["start"] + cand.start, m["start"] + cand.end, cand.text,
                   tuple(sorted(missing)), {a: missing[a] for a in sorted(missing)})
            for m, cand, missing in by_phrase.values()]
