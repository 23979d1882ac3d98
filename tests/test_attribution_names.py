"""Names of sources: a relative-pronoun source ("the agency, which cited ...") and its antecedent."""

from __future__ import annotations

from typing import Any

import pytest

from newstrace.attribution import _source_words
from newstrace.attribution_sources import classify_source, relative_antecedent


@pytest.fixture(scope="module")
def nlp() -> Any:
    from newstrace.models import spacy_nlp

    return spacy_nlp()


def _antecedent(nlp: Any, sentence: str, pronoun: str) -> tuple[Any, tuple[int, int] | None]:
    doc = nlp(sentence)
    i = next(t.i for t in doc if t.lower_ == pronoun)
    return doc, relative_antecedent(doc, (i, i + 1))


def test_attribution_names_which_resolves_to_the_outlet_before_it(nlp: Any) -> None:
    # The demo corpus's Drunmoor Courier article: the source of "cited" is "which".
    doc, found = _antecedent(nlp, "The reports began with the Nordmere News Agency, which cited an unnamed "
                                  "source in the Maren Port Authority.", "which")
    assert found is not None and doc[found[0]:found[1]].text == "the Nordmere News Agency"
    info = classify_source(*_source_words(doc, found))
    assert (info.kind, info.outlet) == ("outlet", "Nordmere News Agency")


def test_attribution_names_who_resolves_to_the_person(nlp: Any) -> None:
    doc, found = _antecedent(nlp, "The claim came from Helena Sorvik, who told NNA that the move was illegal.", "who")
    assert found is not None and doc[found[0]:found[1]].text == "Helena Sorvik"
    assert classify_source(*_source_words(doc, found)).name == "Helena Sorvik"


def test_attribution_names_only_relative_pronouns_have_an_antecedent(nlp: Any) -> None:
    # "that" introducing what was said is no relative pronoun; a named source is left alone.
    doc, found = _antecedent(nlp, "Helena Sorvik told NNA that the move was illegal.", "that")
    assert found is None
    assert relative_antecedent(doc, (0, 2)) is None


@pytest.mark.parametrize(("sentence", "pronoun", "antecedent", "kind"), [
    # the clause hangs on the object of a preposition; the antecedent is the noun it modifies
    ("The report came from a source close to the Kremlin, who told RIA Novosti that the deal was done.", "who",
     "a source close to the Kremlin", "anonymous"),
    ("The claim came from a diplomat from Saudi Arabia, who said the talks had failed.", "who",
     "a diplomat from Saudi Arabia", None),
])
def test_attribution_names_antecedent_is_the_noun_a_prepositional_phrase_modifies(
        nlp: Any, sentence: str, pronoun: str, antecedent: str, kind: str | None) -> None:
    doc, found = _antecedent(nlp, sentence, pronoun)
    assert found is not None and doc[found[0]:found[1]].text == antecedent
    info = classify_source(*_source_words(doc, found))
    assert info.kind != "organisation"
    if kind:
        assert info.kind == kind


def test_attribution_names_non_latin_outlets_keep_their_own_key() -> None:
    """A Cyrillic outlet of the corpus is not what every non-Latin name (all of which had an
    empty key) resolves to."""
    from newstrace.attribution_sources import canonical_outlet, corpus_outlets, outlet_key

    assert outlet_key("РИА Новости") == "риа новости" and outlet_key("Спутник") != outlet_key("РИА Новости")
    assert outlet_key("The RIA-Novosti") == outlet_key("RIA Novosti") == "ria novosti"
    with corpus_outlets(["Спутник", "Maren Herald"]):
        assert canonical_outlet("Спутник") == "Спутник"
        assert canonical_outlet("Источник") is None  # "a source": no outlet
        assert canonical_outlet("the Maren Herald") == "Maren Herald"
