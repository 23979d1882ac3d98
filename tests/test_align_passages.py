"""Verbatim passage alignment: offsets on both sides, coverage, and the boilerplate filter."""

from __future__ import annotations

from newstrace import align

SOURCE = (
    "The US and Saudi Arabia have agreed to grant free passage to thousands of Islamic State "
    "militants before the Iraqi city of Mosul is stormed. The jihadists will be redeployed to "
    "fight against the government in Syria, a military-diplomatic source told RIA Novosti."
)


def test_align_finds_copied_passage_with_offsets() -> None:
    other = "Breaking news from our desk.\nAccording to reports, " + SOURCE + "\nOur own comment follows here."
    evidence = align.align_passages(SOURCE, other)
    assert len(evidence.passages) == 1
    p = evidence.passages[0]
    assert SOURCE[p.a_start: p.a_end] == SOURCE.rstrip(".")[: p.a_end - p.a_start]
    assert other[p.b_start: p.b_end] == SOURCE[p.a_start: p.a_end]
    assert evidence.coverage_a == 1.0
    assert 0.6 < evidence.coverage_b < 1.0


def test_align_tolerates_small_edits_in_one_passage() -> None:
    edited = SOURCE.replace("thousands of", "more than 9,000").replace("stormed", "attacked")
    evidence = align.align_passages(SOURCE, edited)
    assert len(evidence.passages) == 1
    assert evidence.passages[0].score < 1.0
    assert evidence.coverage_a > 0.9


def test_align_unrelated_texts_share_nothing() -> None:
    other = "Iraqi army soldiers drive through the city of Kirkuk as they head to the frontline today."
    evidence = align.align_passages(SOURCE, other)
    assert evidence.passages == ()
    assert evidence.coverage_a == 0.0


def test_align_skips_boilerplate_lines() -> None:
    footer = "Read more about this story and subscribe to our newsletter for daily updates from the region"
    a = "First story about an election in a small country and its results.\n" + footer
    b = "Second story about the weather which was cold and rainy all week.\n" + footer
    assert align.align_passages(a, b).passages  # without the filter the footer is "reuse"
    hashes = {align.line_hash(footer)}
    skip_a, skip_b = align.boilerplate_spans(a, hashes), align.boilerplate_spans(b, hashes)
    assert skip_a == [(a.index(footer), len(a))]
    evidence = align.align_passages(a, b, skip_a=skip_a, skip_b=skip_b)
    assert evidence.passages == ()
    assert evidence.words_a == len("First story about an election in a small country and its results".split())


def test_align_line_hash_ignores_case_and_typography() -> None:
    assert align.line_hash("Read more: “Daesh” — news") == align.line_hash("read MORE \"daesh\" - news")
    assert align.line_hash("  ...  ") is None


def test_align_quoted_spans_and_unquoted_share() -> None:
    from newstrace.align import quoted_spans, unquoted_share

    text = 'He said: "We will never allow this to happen again" and left. \u00abNon\u00bb, she said.'
    spans = quoted_spans(text)
    assert [text[a:b] for a, b in spans] == ['"We will never allow this to happen again"', "\u00abNon\u00bb"]
    assert unquoted_share([(0, len(text))], spans) < 0.5
    assert unquoted_share([(0, 8)], spans) == 1.0
    assert unquoted_share([], spans) == 1.0
