"""The motivating case: RT's and Sputnik's retellings of one RIA Novosti report are one story;
Sputnik's Havice article, scraped onto the same page, is another."""

from __future__ import annotations

from pathlib import Path

from newstrace import sentences, stories
from newstrace.config import Config
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext

SPLIT_LINE = "Iraqi Army Moves to Capture Kirkuk Town in Preparation for Mosul Offensive"


def seed_items(seeds_dir: Path) -> list[dict[str, str]]:
    rt = (seeds_dir / "000_53800d2f82c219fd.txt").read_text("utf-8")
    sputnik = (seeds_dir / "002_1b1bbd95c77efbd5.txt").read_text("utf-8")
    at = sputnik.index(SPLIT_LINE)
    mosul, havice = sputnik[:at].strip(), sputnik[at:].strip()
    return [
        {"title": "", "text": rt, "outlet": "rt.com"},
        {"title": mosul.split("\n", 1)[0], "text": mosul.split("\n", 1)[1].strip(), "outlet": "sputniknews.com"},
        {"title": havice.split("\n", 1)[0], "text": havice.split("\n", 1)[1].strip(), "outlet": "sputniknews.com"},
    ]


def test_stories_seeds_mosul_together_havice_apart(store, seeds_dir):
    rt, mosul, havice = add_articles(store, seed_items(seeds_dir))
    ctx = StageContext(store, Config())
    sentences.run(ctx)
    summary = stories.run(ctx)
    assert summary["articles"] == 3
    story_of = {r["article_id"]: r["story_id"] for r in store.rows("SELECT * FROM story_articles")}
    assert story_of[rt] == story_of[mosul]
    assert story_of[havice] != story_of[rt]
    listed = {s["id"]: s for s in stories.list_stories(store)}
    assert listed[story_of[rt]]["size"] == 2
    assert listed[story_of[rt]]["outlets"] == ["rt.com", "sputniknews.com"]
    assert listed[story_of[havice]]["title"] == SPLIT_LINE
