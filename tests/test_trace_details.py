"""Details inside a shared claim (``newstrace.details``): which phrases are candidates, and
which of them another article does not say. Real spaCy and MiniLM; the quality figures on
hand-labelled BASIL events are in BENCHMARKS.md ("Trace", details)."""

from __future__ import annotations

import pytest

from newstrace import details
from newstrace.models import spacy_nlp
from newstrace.trace import Claim


def _phrases(text: str) -> list[str]:
    return [c.text for c in details.candidates(spacy_nlp()(text))]


def test_candidates_are_the_outermost_prepositional_phrases_with_content() -> None:
    found = _phrases("The militants will leave the city with their families during the liberation of Fallujah.")
    assert found == ["with their families", "during the liberation of Fallujah"]  # not also "of Fallujah"


def test_idioms_are_not_candidates() -> None:
    assert _phrases("Of course, the talks will resume in Geneva.") == ["in Geneva"]


def test_without_closes_the_gap_left_by_the_phrase() -> None:
    text = "He left the city with their families, before dawn."
    start = text.index("with")
    assert details.without(text, start, start + len("with their families")) == "He left the city, before dawn."


def test_decide_needs_a_new_noun_and_a_gain() -> None:
    assert details.decide(("families",), 0.01)
    assert not details.decide(("families",), -0.02)  # cutting it takes shared meaning away
    assert not details.decide((), 0.05)  # nothing the other article does not name


def _claim(cid: str, article: str, text: str, cue: str | None = None) -> Claim:
    return Claim(id=cid, article_id=article, text=text, source_kind="none", source_name=None, hedges=(),
                 certainty="asserted", numbers=(), number_texts=(), entities=frozenset(), start=0, end=len(text),
                 cue=cue)


@pytest.fixture(scope="module")
def finder() -> details.DetailFinder:
    return details.DetailFinder()


def test_an_added_circumstance_is_a_detail_against_the_article_that_lacks_it(finder: details.DetailFinder) -> None:
    a = "The agreement lets the militants leave the city with their families before the assault begins."
    b = "The deal lets the militants leave the city before the assault begins."
    texts = {"A": a, "B": b + " Officials gave no more details."}
    found = details.group_details(finder, [_claim("a1", "A", a), _claim("b1", "B", b)], texts)
    assert [(d.article_id, d.phrase, d.missing_from) for d in found] == [("A", "with their families", ("B",))]
    assert found[0].new_words == {"B": ("families",)}
    assert a[found[0].start:found[0].end] == "with their families"


def test_a_phrase_the_other_article_says_elsewhere_is_not_a_detail(finder: details.DetailFinder) -> None:
    a = "The agreement lets the militants leave the city with their families before the assault begins."
    b = "The deal lets the militants leave the city before the assault begins."
    texts = {"A": a, "B": b + " Their families may go with them."}
    assert details.group_details(finder, [_claim("a1", "A", a), _claim("b1", "B", b)], texts) == []


def test_a_denial_takes_no_part(finder: details.DetailFinder) -> None:
    a = "The agreement lets the militants leave the city with their families before the assault begins."
    b = "that the militants would leave the city before the assault."
    texts = {"A": a, "B": f"Officials denied {b}"}
    denial = _claim("b1", "B", b, cue="denied")
    assert denial.stance == "denies"
    assert details.group_details(finder, [_claim("a1", "A", a), denial], texts) == []


def test_a_number_the_other_article_states_is_not_new(finder: details.DetailFinder) -> None:
    """spaCy keeps "9,000" whole; the other article's text is searched for it whole too."""
    a = "The fighters will leave the city with 9,000 weapons before the assault begins."
    b = "The fighters will leave the city before the assault begins."
    texts = {"A": a, "B": b + " Some 9,000 weapons were left behind."}
    assert details.group_details(finder, [_claim("a1", "A", a), _claim("b1", "B", b)], texts) == []
