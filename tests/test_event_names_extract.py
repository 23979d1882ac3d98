"""Proper names as same-event evidence: two or more capitalised words, possessives split."""

from __future__ import annotations

from newstrace.event_names import proper_names


def test_event_names_multiword_only() -> None:
    text = ("Velling's newly elected mayor, Ingrid Holm, said on Monday that she would meet "
            "Deputy Transport Minister Marta Kovell. Sildovia said nothing.")
    assert proper_names(text) == {"ingrid holm", "deputy transport minister marta kovell"}


def test_event_names_possessive_ends_a_name_and_function_words_are_trimmed() -> None:
    text = "Arvenia's Port Maren is run by The Maren Port Authority, officials said on Tuesday."
    assert proper_names(text) == {"port maren", "maren port authority"}


def test_event_names_calendar_words_are_not_names() -> None:
    assert proper_names("On Monday March 16 the team plays.") == set()


def test_event_names_time_words_opening_a_sentence_are_trimmed() -> None:
    text = "Yesterday Ingrid Holm met Per Lund. Meanwhile Green Coalition members celebrated."
    assert proper_names(text) == {"ingrid holm", "per lund", "green coalition"}
