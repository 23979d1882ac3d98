"""The seed pages: Sputnik's page holds two articles, RT's holds one."""

from __future__ import annotations

from pathlib import Path

from newstrace.config import Config
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext
from newstrace.segment import run, segment_text
from newstrace.store import Store

SPUTNIK = "002_1b1bbd95c77efbd5.txt"
RT = "000_53800d2f82c219fd.txt"
MOSUL_TITLE = "Washington and Riyadh \u2018Plan to Move Daesh from Mosul to Syria\u2019"
HAVICE_TITLE = "Iraqi Army Moves to Capture Kirkuk Town in Preparation for Mosul Offensive"
KICKER = "Sputnik-Middle East"


def _sputnik(seeds_dir: Path) -> tuple[str, str]:
    """The page as the plain-text reader gives it: first line the title, the rest the text."""
    title, _, text = (seeds_dir / SPUTNIK).read_text("utf-8").partition("\n")
    return title, text


def _check_sputnik_parts(segments: list, text: str) -> None:
    assert [s.title for s in segments] == [MOSUL_TITLE, HAVICE_TITLE]
    mosul, havice = segments
    assert mosul.text.startswith("Intelligence agencies of the United States and Saudi Arabia")
    assert mosul.text.endswith("the rest will pretend that they surrender.\u201d")
    assert havice.text.startswith("As the hour of the upcoming assault on Mosul draws near")
    assert havice.text.endswith("remains their main stronghold.")
    for seg in segments:
        assert text[seg.text_start : seg.end] == seg.text
        assert KICKER not in seg.text and KICKER not in seg.title
        assert "Badr Organisation undergo training" not in seg.text  # a photo caption
        assert "Iraqi army soldiers drive through" not in seg.text  # a photo caption
        assert "Havice" not in mosul.text
    assert havice.front_matter[-1] == KICKER
    assert havice.front_matter[0].startswith("Iraqi army soldiers drive through the city of Kirkuk")
    assert mosul.end <= havice.start == text.index(HAVICE_TITLE)


def test_segment_sputnik_page_titled_splits_in_two(seeds_dir: Path) -> None:
    title, text = _sputnik(seeds_dir)
    _check_sputnik_parts(segment_text(title, text), text)


def test_segment_sputnik_page_untitled_reads_first_title_from_text(seeds_dir: Path) -> None:
    text = (seeds_dir / SPUTNIK).read_text("utf-8")
    _check_sputnik_parts(segment_text("", text), text)


def test_segment_rt_page_untitled_stays_whole(seeds_dir: Path) -> None:
    text = (seeds_dir / RT).read_text("utf-8")
    assert len(text) > 1000
    [only] = segment_text("", text)
    assert (only.title, only.text, only.start, only.end) == ("", text, 0, len(text))


def test_segment_stage_on_seed_pages(store: Store, seeds_dir: Path) -> None:
    title, text = _sputnik(seeds_dir)
    rt_text = (seeds_dir / RT).read_text("utf-8")
    page_url = "https://sputniknews.com/middleeast/201610171046365184-mosul-daesh-syria/"
    rt_id, page_id = add_articles(store, [
        {"title": "", "text": rt_text, "outlet": "rt.com", "url": "https://www.rt.com/news/362795-us-saudi-isis-mosul/"},
        {"title": title, "text": text, "outlet": "sputniknews.com", "url": page_url,
         "published": "2016-10-17T09:00:00+00:00", "language": "en", "author": "Sputnik"},
    ], status="new")

    summary = run(StageContext(store, Config()))

    assert summary == {"pages": 2, "single": 1, "split": 1, "parts_added": 2, "parts_existing": 0}
    rt = store.articles([rt_id])[0]
    assert (rt["title"], rt["text"], rt["parent_id"]) == ("", rt_text, None)
    assert store.scalar("SELECT status FROM articles WHERE id = :i", {"i": page_id}) == "split"
    parts = store.rows("SELECT * FROM articles WHERE parent_id = :p ORDER BY segment_index", {"p": page_id})
    assert [p["title"] for p in parts] == [MOSUL_TITLE, HAVICE_TITLE]
    assert [p["segment_index"] for p in parts] == [0, 1]
    assert [p["url"] for p in parts] == [f"{page_url}#part-0", f"{page_url}#part-1"]
    for part in parts:
        assert part["status"] == "live"
        assert (part["outlet"], part["published_at"], part["language"], part["author"]) == (
            "sputniknews.com", "2016-10-17T09:00:00+00:00", "en", "Sputnik")
        assert KICKER not in part["text"]
    assert '"segmented_from": "' + page_id + '"' in parts[1]["metadata"]
    # The URL belongs to the page: the parts get no article_urls rows of their own.
    assert store.rows("SELECT article_id FROM article_urls WHERE url = :u", {"u": page_url}) == [{"article_id": page_id}]
    assert store.scalar("SELECT COUNT(*) FROM article_urls WHERE article_id IN (SELECT id FROM articles WHERE parent_id IS NOT NULL)") == 0
    # Analysis stages see the RT article and the two parts, not the page.
    assert {a["id"] for a in store.articles()} == {rt_id, parts[0]["id"], parts[1]["id"]}
