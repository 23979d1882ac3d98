"""The segment stage in the store: singles go live, pages split, reruns change nothing."""

from __future__ import annotations

import json
from pathlib import Path

from newstrace.articles import Article
from newstrace.config import Config
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext
from newstrace.segment import run, segment_text
from newstrace.store import Store


def _basil(shared_data: Path, year: int, n: int) -> list[dict]:
    """``n`` BASIL articles of a year, one per event, as fixture items (paragraphs as text).

    One per event: three tellings of one event run together are the hard case this rule-based
    stage often leaves whole (see bench/segment.py), not what these tests are about."""
    items = []
    for path in sorted((shared_data / "basil" / "articles" / str(year)).glob("*.json"))[::3][:n]:
        data = json.loads(path.read_text("utf-8"))
        paragraphs = [" ".join(s.strip() for s in para) for para in data["body-paragraphs"]]
        items.append({"title": data["title"].strip(), "text": "\n\n".join(p for p in paragraphs if p),
                      "outlet": data["source"].lower(), "url": data["url"], "published": data["date"]})
    return items


def _page(items: list[dict]) -> dict:
    """Articles run together on one page, as a scraper would hand them over."""
    text = items[0]["text"]
    for item in items[1:]:
        text += "\n\n" + item["title"] + "\n\n" + item["text"]
    return {**items[0], "title": items[0]["title"], "text": text, "url": "https://example.org/page"}


def _ctx(store: Store, **overrides: object) -> StageContext:
    return StageContext(store, Config(overrides))


def test_segment_single_articles_stay_single(store: Store, shared_data: Path) -> None:
    items = _basil(shared_data, 2016, 10) + _basil(shared_data, 2019, 10)
    ids = add_articles(store, items, status="new")
    summary = run(_ctx(store))
    assert summary["single"] == 20 and summary["split"] == 0
    rows = {a["id"]: a for a in store.articles(ids)}
    for article_id, item in zip(ids, items, strict=True):
        assert rows[article_id]["text"] == item["text"]
        assert rows[article_id]["title"] == item["title"]


def test_segment_rerun_changes_nothing(store: Store, shared_data: Path) -> None:
    items = _basil(shared_data, 2017, 6)
    add_articles(store, [_page(items[0:2]), _page(items[2:5]), items[5]], status="new")
    first = run(_ctx(store))
    assert first == {"pages": 3, "single": 1, "split": 2, "parts_added": 5, "parts_existing": 0}
    snapshot = store.rows("SELECT id, title, text, status, parent_id, segment_index FROM articles ORDER BY id")
    second = run(_ctx(store))
    assert second == {"pages": 0, "single": 0, "split": 0, "parts_added": 0, "parts_existing": 0}
    assert store.rows("SELECT id, title, text, status, parent_id, segment_index FROM articles ORDER BY id") == snapshot
    parts = store.rows("SELECT title FROM articles WHERE parent_id IS NOT NULL ORDER BY parent_id, segment_index")
    assert sorted(p["title"] for p in parts) == sorted(i["title"] for i in items[:5])


def test_segment_part_equal_to_stored_article_is_not_duplicated(store: Store, shared_data: Path) -> None:
    # The same article stored earlier from its own URL, then found again on a page. (Articles
    # whose scraped body opens by repeating the title are left out: their part drops that line.)
    items = [i for i in _basil(shared_data, 2018, 10) if not i["text"].startswith(i["title"])][:2]
    [existing_id] = add_articles(store, [items[1]], status="live")
    [page_id] = add_articles(store, [_page(items)], status="new")
    summary = run(_ctx(store))
    assert summary["split"] == 1 and summary["parts_added"] == 1 and summary["parts_existing"] == 1
    assert store.scalar("SELECT COUNT(*) FROM articles WHERE id = :i", {"i": existing_id}) == 1
    parts = store.rows("SELECT id, title FROM articles WHERE parent_id = :p", {"p": page_id})
    assert [p["title"] for p in parts] == [items[0]["title"]]
    live_titles = sorted(a["title"] for a in store.articles())
    assert live_titles == sorted([items[0]["title"], items[1]["title"]])


def test_segment_empty_and_tiny_texts_go_live_unchanged(store: Store) -> None:
    texts = ["", "Hello.", "Breaking News Headline\n\nOne line of body.\n\nAnother Headline Here\n\nMore.",
             "Short Title Line\n\n" + "Word " * 30 + "end.\n\nSecond Short Title\n\n" + "Word " * 30 + "end."]
    ids = add_articles(store, [{"title": "", "text": t} for t in texts], status="new")
    summary = run(_ctx(store))
    assert summary == {"pages": 4, "single": 4, "split": 0, "parts_added": 0, "parts_existing": 0}
    assert [a["text"] for a in sorted(store.articles(ids), key=lambda a: ids.index(a["id"]))] == texts
    for text in [*texts, "   ", "\n\n\n"]:
        [only] = segment_text("", text)
        assert (only.title, only.text) == ("", text)


def test_segment_disabled_marks_pages_live_as_is(store: Store, shared_data: Path) -> None:
    items = _basil(shared_data, 2019, 2)
    [page_id] = add_articles(store, [_page(items)], status="new")
    summary = run(_ctx(store, **{"segment.enabled": False}))
    assert summary["single"] == 1 and summary["split"] == 0
    assert store.scalar("SELECT status FROM articles WHERE id = :i", {"i": page_id}) == "live"


def test_segment_only_new_articles_are_touched(store: Store, shared_data: Path) -> None:
    items = _basil(shared_data, 2015, 2)
    # A live article that happens to hold two articles was settled before: leave it alone.
    [live_id] = add_articles(store, [_page(items)], status="live")
    assert run(_ctx(store))["pages"] == 0
    assert store.scalar("SELECT COUNT(*) FROM articles") == 1
    assert store.articles([live_id])[0]["status"] == "live"
    assert Article(title=items[0]["title"], text=_page(items)["text"]).id == live_id
