"""Hedges and certainty on sentences in the seeds' style."""

from __future__ import annotations

from newstrace.hedges import certainty, find_hedges


def test_hedges_distancing_cue_and_modal_kinds() -> None:
    text = "The matter was ostensibly settled, he claimed, and the city could fall."
    found = [(h.text, h.kind) for h in find_hedges(text)]
    assert found == [("ostensibly", "distancing"), ("claimed", "cue"), ("could", "modal")]
    for h in find_hedges(text):
        assert text[h.start:h.end] == h.text


def test_hedges_certainty_levels() -> None:
    assert certainty(find_hedges("Militants reportedly left Mosul.")) == "hedged"
    assert certainty(find_hedges("Militants may leave Mosul.")) == "modal"
    assert certainty(find_hedges("Militants will leave Mosul.")) == "asserted"


def test_hedges_noun_claims_is_not_a_hedge() -> None:
    assert find_hedges("Washington rejected the claims of Damascus.") == []


def test_hedges_window_and_offset() -> None:
    text = "Allegedly, 83 soldiers were killed. It was reportedly a mistake."
    second = text.index("It")
    hedges = find_hedges(text, second, len(text), offset=100)
    assert [(h.text, h.start) for h in hedges] == [("reportedly", 100 + text.index("reportedly"))]
