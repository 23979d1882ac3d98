"""Terminal control characters in input never reach the store (and so never a terminal)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from newstrace.factchecks import import_files
from newstrace.ingest import ingest
from newstrace.store import Store
from newstrace.textio import strip_controls, strip_controls_deep

ESC = "\u001b"
OSC8 = f"{ESC}]8;;https://evil.example\u0007click{ESC}]8;;\u0007"
BODY = "KALDOR CITY - More than 3,500 tonnes of contaminated grain will be exported to Vestria next month."
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize(("raw", "clean"), [
    (f"{ESC}[2J{ESC}[31mCLEARED{ESC}[0m title", "CLEARED title"),
    (f"see {OSC8} here", "see click here"),
    ("one\r\ntwo\rthree", "one\ntwo\nthree"),
    ("tab\tand\nnewline kept\x00\x07\x9b2J", "tab\tand\nnewline kept2J"),
    # Separators keep words apart (content ids fold white space, so they do not change).
    ("Line\x0bbreak\x0cpage\x85next\x1frecord", "Line\nbreak\npage\nnext\nrecord"),
    # Mojibake ("“A” said" read as Latin-1): a C1 character goes alone, never the text after it.
    ("\u00e2\x80\x9cA\u00e2\x80\x9d said \u00e2\x80\x9cB\u00e2\x80\x9d, more text.", "\u00e2A\u00e2 said \u00e2B\u00e2, more text."),
    (f"unterminated {ESC}]8;;https://x.example keeps the rest", "unterminated 8;;https://x.example keeps the rest"),
    ("Grain ą Kaldor — «quoted» 中文", "Grain ą Kaldor — «quoted» 中文"),
])
def test_textio_strip_controls(raw: str, clean: str) -> None:
    assert strip_controls(raw) == clean


def test_textio_strip_controls_deep_cleans_keys_and_nested_values() -> None:
    assert strip_controls_deep({f"{ESC}[2Jkey": [f"a{ESC}[1mb", 3, {"k": "\x07v"}]}) == {"key": ["ab", 3, {"k": "v"}]}


def _stored_strings(store: Store) -> list[str]:
    rows = store.rows("SELECT title, text, outlet, author, url, language, metadata, source FROM articles")
    rows += store.rows("SELECT url, canonical_url FROM article_urls")
    rows += store.rows("SELECT locator, reason, detail FROM ingest_records")
    return [str(v) for row in rows for v in row.values() if v is not None]


def test_ingest_strips_controls_from_every_field(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "ansi.jsonl"
    records = [
        {"url": f"https://harborpress.example/grain{ESC}[2J", "title": f"{ESC}[2J{ESC}[31mCLEARED{ESC}[0m {OSC8} title\rOVER",
         "text": f"{BODY}\r\nSecond line{ESC}[1A.", "outlet": f"Harbor{ESC}[5m Press", "author": "A.\x07 Writer",
         f"{ESC}[2Jextra": f"value{ESC}]0;pwned\u0007", "published": "2025-05-06T10:00:00Z"},
        {f"{ESC}[2Jbody": "no text field here", "[bold red]boom": 2},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", "utf-8")
    report = ingest(store, [str(path)])
    assert (report.stored, report.rejected) == (1, 1)
    row = store.rows("SELECT * FROM articles")[0]
    assert row["title"] == "CLEARED click title\nOVER"
    assert row["text"] == f"{BODY}\nSecond line."
    assert (row["outlet"], row["author"]) == ("Harbor Press", "A. Writer")
    assert json.loads(row["metadata"])["extra"] == "value"
    assert all(CONTROL.search(s) is None for s in _stored_strings(store)), _stored_strings(store)
    detail = store.scalar("SELECT detail FROM ingest_records WHERE outcome = 'rejected'")
    assert "fields present: body, [bold red]boom" in detail and ESC not in detail
    assert all(ESC not in example for example in report.examples.values())


def test_ingest_strips_controls_in_csv_and_feeds(store: Store, tmp_path: Path) -> None:
    csv_path = tmp_path / "a.csv"
    csv_path.write_text(f'url,title,text,outlet\nhttps://c.example/1,"Red{ESC}[31m title","{BODY}",Out{ESC}[2Jlet\n', "utf-8")
    feed = tmp_path / "f.rss"
    feed.write_text(f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>Wire&#x1b;[2J desk</title><link>https://wire.example/</link>
<item><title>Feed &#x1b;]8;;https://evil.example&#x7;title</title><link>https://wire.example/1</link>
<description>{BODY} Feed copy.</description></item></channel></rss>""", "utf-8")
    report = ingest(store, [str(csv_path), str(feed)])
    assert report.stored == 2
    assert all(CONTROL.search(s) is None for s in _stored_strings(store)), _stored_strings(store)
    assert store.scalar("SELECT outlet FROM articles WHERE url = 'https://c.example/1'") == "Outlet"


def test_factchecks_import_strips_controls(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "review.json"
    path.write_text(json.dumps({"@type": "ClaimReview", "url": "https://checker.example/x",
                                "claimReviewed": f"Grain {ESC}[2Jclaim{OSC8}",
                                "author": {"name": f"Check{ESC}[31mer"},
                                "reviewRating": {"alternateName": f"False{ESC}[0m"}}), "utf-8")
    assert import_files(store, [path]).stored == 1
    row = store.rows("SELECT claim, publisher, rating FROM factchecks")[0]
    assert row == {"claim": "Grain claimclick", "publisher": "Checker", "rating": "False"}
