"""Each input format is read into the right article fields."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from newstrace.ingest import IngestOptions, ingest
from newstrace.readers import detect_format, split_title
from newstrace.store import Store

PAGE = """<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">
<title>Plan to move fighters | Example News</title>
<link rel="canonical" href="https://www.example-news.com/world/mosul?utm_source=twitter">
<meta property="og:site_name" content="Example News">
<meta property="article:published_time" content="2016-10-17T09:30:00+03:00">
</head><body><nav>Home | World | Sport</nav><article><h1>Plan to move fighters from Mosul</h1>
<p>The United States and Saudi Arabia agreed to let thousands of fighters leave Mosul, a source said.</p>
<p>More than 9,000 fighters would be moved to eastern Syria, the source told the agency on Monday.</p>
<p>The claim could not be independently verified, and officials in Washington denied it.</p>
</article><footer>Copyright Example News</footer></body></html>"""

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Wire</title><link>https://wirenews.com/</link><language>en-us</language>
<item><title>Full story</title><link>https://wirenews.com/full?utm_medium=rss</link>
<pubDate>Mon, 17 Oct 2016 09:30:00 +0300</pubDate><description>Short teaser.</description>
<content:encoded><![CDATA[<p>First paragraph of the full story.</p><p>Second paragraph with more.</p>]]></content:encoded>
</item>
<item><title>Teaser only</title><link>https://wirenews.com/teaser</link><description>Only a summary here.</description></item>
</channel></rss>"""


def test_readers_seed_titles(store: Store, seeds_dir: Path) -> None:
    report = ingest(store, [str(seeds_dir / "000_53800d2f82c219fd.txt"), str(seeds_dir / "002_1b1bbd95c77efbd5.txt")])
    assert report.stored == 2
    rows = {Path(r["source"]).name: r for r in store.rows("SELECT source, title, text FROM articles")}
    assert rows["000_53800d2f82c219fd.txt"]["title"] == ""
    assert rows["000_53800d2f82c219fd.txt"]["text"].startswith("The US and Saudi Arabia have agreed")
    assert rows["002_1b1bbd95c77efbd5.txt"]["title"] == "Washington and Riyadh \u2018Plan to Move Daesh from Mosul to Syria\u2019"
    assert not rows["002_1b1bbd95c77efbd5.txt"]["text"].startswith("Washington and Riyadh")


def test_readers_split_title_rules() -> None:
    assert split_title("Short headline\nBody.") == ("Short headline", "Body.")
    assert split_title("A full sentence ends here.\nBody.") == ("", "A full sentence ends here.\nBody.")
    assert split_title("One line only") == ("", "One line only")
    assert split_title("First sentence. Second one\nBody")[0] == ""


def test_readers_html_page_fields(store: Store, tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(PAGE, "utf-8")
    ingest(store, [str(tmp_path / "page.html")])
    row = store.articles(live_only=False)[0]
    assert row["title"].startswith("Plan to move fighters")
    assert "More than 9,000 fighters" in row["text"] and "Copyright" not in row["text"]
    assert row["published_at"] == "2016-10-17T06:30:00+00:00"
    assert row["url"] == "https://example-news.com/world/mosul"
    assert row["outlet"] == "Example News" and row["language"] == "en"  # og:site_name over the domain
    assert row["metadata"]["sitename"] == "Example News"
    assert row["status"] == "new"


def test_readers_feed_prefers_full_content(store: Store, tmp_path: Path) -> None:
    (tmp_path / "wire.xml").write_text(FEED, "utf-8")
    report = ingest(store, [str(tmp_path / "wire.xml")])
    assert report.stored == 2
    rows = {r["title"]: r for r in store.articles(live_only=False)}
    full = rows["Full story"]
    assert full["text"] == "First paragraph of the full story.\nSecond paragraph with more."
    assert full["metadata"]["text_from"] == "content"
    assert full["published_at"] == "2016-10-17T06:30:00+00:00"
    assert full["url"] == "https://wirenews.com/full" and full["outlet"] == "Wire"  # the feed names its outlet
    assert rows["Teaser only"]["metadata"]["text_from"] == "summary"


def test_readers_csv_mapping_and_recipe(store: Store, tmp_path: Path) -> None:
    (tmp_path / "gdelt.tsv").write_text(
        "DATE\tSourceCommonName\tDocumentIdentifier\tbody\n"
        "20161017093000\trt.com\thttps://www.rt.com/news/360386-mosul\tMilitants will be redeployed.\n", "utf-8")
    options = IngestOptions(field_map={"published": "DATE", "outlet": "SourceCommonName",
                                       "url": "DocumentIdentifier", "text": "body"}, assume_timezone="UTC")
    report = ingest(store, [str(tmp_path / "gdelt.tsv")], options)
    assert report.stored == 1
    row = store.articles(live_only=False)[0]
    assert (row["published_at"], row["outlet"], row["url"]) == (
        "2016-10-17T09:30:00+00:00", "rt.com", "https://rt.com/news/360386-mosul")


def test_readers_csv_without_header(store: Store, tmp_path: Path) -> None:
    (tmp_path / "raw.csv").write_text("1,Some title,Some body text\n2,Other,Other text\n", "utf-8")
    (tmp_path / "raw.tsv").write_text("3\tTab title\tTab, separated, body\n", "utf-8")
    report = ingest(store, [str(tmp_path / "raw.csv"), str(tmp_path / "raw.tsv")],
                    IngestOptions(csv_columns=("id", "title", "text")))
    assert report.stored == 3
    assert store.scalar("SELECT text FROM articles WHERE title = 'Tab title'") == "Tab, separated, body"


def test_readers_json_array_and_gzip_lines(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps([{"text": "one", "lang": "de"}, {"text": "two"}, 3]), "utf-8")
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(b'{"text": "three", "language": "fr"}\n'))
    report = ingest(store, [str(tmp_path)])
    assert (report.stored, report.rejected) == (3, 1)
    rows = {r["text"]: r for r in store.articles(live_only=False)}
    assert rows["one"]["metadata"] == {"lang": "de"}  # unknown fields are kept
    assert rows["three"]["language"] == "fr"


def test_readers_detect_format_by_content() -> None:
    assert detect_format("x.html", b"<?xml version='1.0'?><rss version='2.0'>") == "feed"
    assert detect_format("x.txt", b"<!DOCTYPE html><html>") == "html"
    assert detect_format("x", b"WARC/1.0\r\n") == "warc"
    assert detect_format("x.data", b'{"text": "a"}\n{"text": "b"}\n') == "jsonl"
    assert detect_format("x.json", b'{\n  "text": "a"\n}') == "json"
    assert detect_format("notes.txt", b"[Updated] a headline\nbody") == "text"
    assert detect_format("x.csv", b"<html>") == "csv"
