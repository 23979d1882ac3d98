"""segment_text alone: offsets, titles, front matter, and untrusted input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from newstrace.segment import segment_text

LEAD_A = ("The city council voted on Tuesday to close the old harbour bridge to lorries after engineers "
          "found cracks in two of its supporting piers during a routine inspection last month.")
BODY_A = ("Repairs are expected to take at least eighteen months, the council said, and will cost about "
          "four million pounds, most of it paid from the regional transport budget.")
LEAD_B = ("Scientists at the national observatory have detected an unusually bright comet that should be "
          "visible to the naked eye in the southern hemisphere from early next week.")
BODY_B = ("The comet, first spotted by an amateur astronomer in Chile, is travelling towards the inner "
          "solar system and will pass closest to the sun in late March, researchers said.")


def test_segment_two_articles_with_captions_and_kicker() -> None:
    text = "\n\n".join([
        "Photo of the harbour bridge at dusk as traffic queues on the approach road in the rain (AP Photo/J. Doe)",
        "City Desk", LEAD_A, BODY_A,
        "Bright Comet Expected to Light Up Southern Skies Next Week",
        "City Desk", LEAD_B, BODY_B,
    ])
    first, second = segment_text("Council Closes Harbour Bridge to Lorries", text)
    assert first.title == "Council Closes Harbour Bridge to Lorries"
    assert first.text == LEAD_A + "\n\n" + BODY_A
    assert first.front_matter[-1] == "City Desk"
    assert second.title == "Bright Comet Expected to Light Up Southern Skies Next Week"
    assert second.text == LEAD_B + "\n\n" + BODY_B
    assert second.front_matter == ("City Desk",)
    assert text[second.start :].startswith(second.title)


def test_segment_subhead_inside_one_story_is_not_a_boundary() -> None:
    text = "\n\n".join([LEAD_A, BODY_A, "What Happens to Lorries Now",
                      "Lorries will be sent around the harbour bridge on the ring road while the bridge "
                      "piers are repaired, the council said, adding that the bridge stays open to cars.",
                      "Hauliers said the detour around the bridge would add an hour to each lorry trip."])
    assert len(segment_text("Council Closes Harbour Bridge to Lorries", text)) == 1


def test_segment_question_and_quote_lines_are_not_titles() -> None:
    text = "\n\n".join([
        LEAD_A, BODY_A, "So What Happens to the Harbour Bridge Now?",
        "Engineers will inspect every pier of the harbour bridge again in spring before the council "
        "decides whether the repairs can start, a spokesman said.",
        "\u201cWe Cannot Risk Another Crack in the Piers\u201d",
        "The council leader said the cracks in the bridge piers left no choice but to close the bridge "
        "to lorries until the repairs are finished.",
    ])
    assert len(segment_text("Council Closes Harbour Bridge", text)) == 1


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("Ab cD.\n\n?\u201c\u201d:,-\u2014Xyz 19")), max_size=600),
       st.text(max_size=30))
def test_segment_arbitrary_text_keeps_offsets(text: str, title: str) -> None:
    segments = segment_text(title, text)
    assert segments
    if len(segments) == 1:
        assert (segments[0].title, segments[0].text) == (title, text)
    previous_end = 0
    for seg in segments:
        assert text[seg.text_start : seg.end] == seg.text
        assert previous_end <= seg.start <= seg.text_start <= seg.end <= len(text)
        previous_end = seg.end


def test_segment_hard_wrapped_line_is_not_a_title() -> None:
    text = "\n\n".join([LEAD_A, BODY_A, "Scientists at the national observatory, who first saw the comet",
                      "last week, said it " + LEAD_B[0].lower() + LEAD_B[1:], BODY_B])
    assert len(segment_text("Council Closes Harbour Bridge", text)) == 1
