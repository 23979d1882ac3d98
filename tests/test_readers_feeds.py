"""Feeds: the text after a script or style element is kept; the feed names its items' outlet."""

from __future__ import annotations

from pathlib import Path

import pytest

from newstrace.ingest import ingest
from newstrace.readers_web import feed_outlet, html_fragment_text
from newstrace.store import Store


@pytest.mark.parametrize(("fragment", "text"), [
    ("<script>x</script>Feed copy of Kaldor grain", "Feed copy of Kaldor grain"),
    ("<p>A</p><script src=w.js></script>More text after tweet embed.<p>C</p>", "A\nMore text after tweet embed.\nC"),
    ("<style>p {color: red}</style><p>Styled</p> tail <b>bold</b>", "Styled\ntail bold"),
    ("<p>One <script>var a = 1;</script>two</p>", "One two"),
])
def test_readers_fragment_text_keeps_text_after_removed_elements(fragment: str, text: str) -> None:
    assert html_fragment_text(fragment) == text


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>{title}</title><link>https://www.dailycourant.example/</link>
<item><title>Grain exports</title><link>https://www.dailycourant.example/world/grain</link>
<pubDate>Mon, 11 Mar 2024 09:30:00 +0000</pubDate>
<content:encoded><![CDATA[<p>More than 3,500 tonnes of grain will be exported.</p>
<script async src="https://platform.example/widgets.js"></script>The ministry denied the report on Tuesday.]]></content:encoded>
</item>
<item><title>Agency copy</title><link>https://www.dailycourant.example/world/agency</link>
<source url="https://nna.example/rss">Nordmere News Agency</source>
<description>Agency text of the same report, carried by the feed.</description></item>
</channel></rss>"""

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Velling mayor</title>
<meta property="og:site_name" content="The Daily Courant">
<link rel="canonical" href="https://dailycourant.example/world/velling"></head><body><article>
<h1>Green candidate takes mayor's office in Velling</h1>
<p>The Green candidate won the mayoral election in the Arvenian town of Velling on Sunday, the
electoral commission said, ending two decades of rule by the same party.</p>
<p>Turnout was 61 percent, up from 48 percent at the last election, officials said.</p>
</article></body></html>"""


def test_readers_feed_text_after_embedded_script_is_stored(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "courant.rss"
    path.write_text(RSS.format(title="The Daily Courant"), "utf-8")
    ingest(store, [str(path)])
    text = store.scalar("SELECT text FROM articles WHERE title = 'Grain exports'")
    assert text == "More than 3,500 tonnes of grain will be exported.\nThe ministry denied the report on Tuesday."


def test_readers_feed_title_is_the_outlet_of_its_items(store: Store, tmp_path: Path) -> None:
    feed, page = tmp_path / "courant.rss", tmp_path / "velling.html"
    feed.write_text(RSS.format(title="The Daily Courant - World"), "utf-8")
    page.write_text(PAGE, "utf-8")
    ingest(store, [str(feed), str(page)])
    outlets = {r["title"]: r["outlet"] for r in store.rows("SELECT title, outlet FROM articles")}
    # One outlet, one name: the feed's (section suffix trimmed) and the page's og:site_name agree.
    assert outlets["Grain exports"] == "The Daily Courant"
    assert outlets["Green candidate takes mayor's office in Velling"] == "The Daily Courant"
    # An item that names its own source keeps it.
    assert outlets["Agency copy"] == "Nordmere News Agency"


def test_readers_feed_without_title_falls_back_to_the_domain(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "untitled.rss"
    path.write_text(RSS.format(title=""), "utf-8")
    ingest(store, [str(path)])
    assert store.scalar("SELECT outlet FROM articles WHERE title = 'Grain exports'") == "dailycourant.example"


@pytest.mark.parametrize(("title", "outlet"), [
    ("Pitchside", "Pitchside"), ("BBC News - World", "BBC News"), ("Reuters: Top News", "Reuters"),
    ("Pitchside RSS feed", "Pitchside"), ("The Daily Courant | Latest headlines", "The Daily Courant"),
    ("World News", "World News"), ("Top News - Reuters", "Top News - Reuters"),
    ("Sport: 2024 results", "Sport: 2024 results"), ("", None),
])
def test_readers_feed_outlet_trims_only_generic_tails(title: str, outlet: str | None) -> None:
    assert feed_outlet(title) == outlet


def test_readers_section_feed_title_does_not_become_the_outlet(store: Store, tmp_path: Path) -> None:
    """A section's feed ("Politics: Latest" on dailycourant.example) does not name the outlet:
    its items keep the site's domain, as any record without an outlet does."""
    path = tmp_path / "politics.rss"
    path.write_text(RSS.format(title="Politics: Latest"), "utf-8")
    ingest(store, [str(path)])
    assert store.scalar("SELECT outlet FROM articles WHERE title = 'Grain exports'") == "dailycourant.example"


@pytest.mark.parametrize(("name", "url", "names"), [
    ("The Daily Courant", "https://www.dailycourant.example/", True),
    ("BBC News", "https://feeds.bbci.co.uk/news/rss.xml", True),
    ("The Guardian", "https://www.theguardian.com/world/rss", True),
    ("Politics", "https://www.bbc.co.uk/news/politics", False),
    ("Anything", None, True),
])
def test_readers_feed_title_must_name_the_site(name: str, url: str | None, names: bool) -> None:
    from newstrace.readers_web import names_site

    assert names_site(name, url) is names
