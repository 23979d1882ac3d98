"""Bad input never crashes or hangs ingest: each case is rejected (or read) with its reason,
counted, and the run goes on to the next input."""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path

import pytest

from newstrace.config import Config
from newstrace.ingest import IngestReport, ingest
from newstrace.store import Store

GOOD = {"url": "https://example.com/good", "title": "Good", "text": "A good article that is read."}


def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "zz_good.jsonl"
    path.write_text(json.dumps(GOOD) + "\n", "utf-8")
    return path


def run(store: Store, paths: list[Path], config: Config | None = None) -> IngestReport:
    report = ingest(store, [str(p) for p in paths], config=config)
    assert report.seen == report.stored + report.duplicates + report.rejected
    ledger = store.scalar("SELECT COUNT(*) FROM ingest_records")
    assert ledger == report.seen + report.already_done
    return report


def ledger(store: Store) -> dict[str, tuple[str, str | None]]:
    rows = store.rows("SELECT s.path, r.locator, r.outcome, r.reason FROM ingest_records r "
                      "JOIN ingest_sources s USING (source_key)")
    return {f"{Path(r['path']).name} {r['locator']}": (r["outcome"], r["reason"]) for r in rows}


def assert_run_went_on(store: Store) -> None:
    texts = [r["text"] for r in store.rows("SELECT text FROM articles")]
    assert GOOD["text"] in texts


def test_utf16_with_and_without_bom_is_decoded(store: Store, tmp_path: Path) -> None:
    text = "Заголовок новости\nТекст статьи о событиях в Мосуле. Second sentence here."
    cases = {
        "le_bom.txt": b"\xff\xfe" + text.encode("utf-16-le"),
        "be_bom.txt": b"\xfe\xff" + text.encode("utf-16-be"),
        "le_nobom.txt": ("Plain title\n" + "Body text in UTF-16 without a byte-order mark. " * 5).encode("utf-16-le"),
        "be_nobom.jsonl": (json.dumps({"title": "T", "text": "UTF-16 big endian JSON lines."}) + "\n").encode("utf-16-be"),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    report = run(store, [tmp_path])
    # The two files with a BOM hold the same text in LE and BE: one article, seen twice.
    assert (report.stored, report.duplicates, report.rejected) == (3, 1, 0)
    texts = {r["title"]: r["text"] for r in store.rows("SELECT title, text FROM articles")}
    assert texts["Заголовок новости"].startswith("Текст статьи")
    assert texts["T"] == "UTF-16 big endian JSON lines."
    assert texts["Plain title"].startswith("Body text in UTF-16")


def test_cp1251_labelled_utf8_is_guessed_and_flagged(store: Store, tmp_path: Path) -> None:
    russian = "Министерство обороны России сообщило, что боевики покинули город Мосул. " * 4
    (tmp_path / "cp.jsonl").write_bytes(
        json.dumps({"title": "Новости", "text": russian}, ensure_ascii=False).encode("cp1251") + b"\n")
    page = (f'<html><head><meta charset="utf-8"><title>Новости</title></head><body><article><p>{russian}</p>'
            "<p>Второй абзац страницы: жители города рассказали о боях на окраинах.</p></article></body></html>")
    (tmp_path / "cp.html").write_bytes(page.encode("cp1251"))
    report = run(store, [tmp_path, good_file(tmp_path)])
    assert report.rejected == 0 and report.stored == 3
    rows = store.rows("SELECT text, metadata FROM articles WHERE text LIKE '%Мосул%'")
    assert len(rows) == 2
    for row in rows:
        assert "Министерство обороны" in row["text"]
        assert "decoded as" in json.loads(row["metadata"])["ingest_warnings"][0]
    assert any("decoded as" in w for w in report.warnings)


def test_binary_file_named_html_is_rejected(store: Store, tmp_path: Path) -> None:
    rng = __import__("random").Random(1)
    (tmp_path / "image.html").write_bytes(bytes(rng.randrange(256) for _ in range(20000)) + b"\x00" * 100)
    (tmp_path / "image.jsonl").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(5000))
    run(store, [tmp_path / "image.html", tmp_path / "image.jsonl", good_file(tmp_path)])
    entries = ledger(store)
    assert entries["image.html file"] == ("rejected", "binary file")
    assert entries["image.jsonl file"] == ("rejected", "binary file")
    assert_run_went_on(store)


@pytest.mark.parametrize("name", ["e.txt", "e.jsonl", "e.json", "e.csv", "e.html", "e.warc", "e.rss", "e.jsonl.gz"])
def test_empty_files_are_rejected_as_empty(store: Store, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(b""))
    else:
        path.write_bytes(b"")
    run(store, [path, good_file(tmp_path)])
    assert ledger(store)[f"{name} file"] == ("rejected", "empty file")
    assert_run_went_on(store)


def test_whitespace_only_files_are_empty(store: Store, tmp_path: Path) -> None:
    for spaces, name in enumerate(("w.txt", "w.jsonl", "w.html"), 1):
        (tmp_path / name).write_text(" " * spaces + "\n\n \t\n", "utf-8")  # distinct bytes: distinct inputs
    report = run(store, [tmp_path])
    assert report.reasons == {"empty file": 3}


def test_50mb_page_is_rejected_without_parsing(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "huge.html"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("<html><body>")
        paragraph = "<p>" + "word " * 200 + "</p>\n"
        for _ in range(50_000_000 // len(paragraph) + 1):
            handle.write(paragraph)
        handle.write("</body></html>")
    assert path.stat().st_size > 50_000_000
    run(store, [path, good_file(tmp_path)])
    outcome, reason = ledger(store)["huge.html file"]
    assert (outcome, reason) == ("rejected", "page too large")
    assert_run_went_on(store)


def test_deeply_nested_html_does_not_crash(store: Store, tmp_path: Path) -> None:
    depth = 100_000
    page = "<html><body>" + "<div>" * depth + "<p>Deep text. " * 30 + "</div>" * depth + "</body></html>"
    (tmp_path / "deep.html").write_text(page, "utf-8")
    report = run(store, [tmp_path / "deep.html", good_file(tmp_path)])
    assert report.seen == 2
    outcome, reason = ledger(store)["deep.html file"]
    assert outcome == "stored" or reason in {"unparseable HTML", "no article text"}
    assert_run_went_on(store)


def test_gzip_bomb_is_stopped(store: Store, tmp_path: Path) -> None:
    # 2,048 gzip members of 1 MiB of 'a' each: a 2 GiB stream in about 4 MB.
    member = gzip.compress(b"a" * (1 << 20), compresslevel=9)
    (tmp_path / "bomb.jsonl.gz").write_bytes(member * 2048)
    (tmp_path / "bomb.warc.gz").write_bytes(gzip.compress(b"\x00" * (1 << 20), compresslevel=9) * 2048)
    config = Config({"ingest.max_record_bytes": 1_000_000})
    run(store, [tmp_path / "bomb.jsonl.gz", tmp_path / "bomb.warc.gz", good_file(tmp_path)], config)
    reasons = {k: v for k, v in ledger(store).items() if k.startswith("bomb")}
    assert ("rejected", "decompression limit") in reasons.values()
    assert all(outcome == "rejected" for outcome, _ in reasons.values())
    assert_run_went_on(store)


def test_gzip_size_limit_is_a_setting(store: Store, tmp_path: Path) -> None:
    lines = b"".join(json.dumps({"text": f"article number {i} " * 20}).encode() + b"\n" for i in range(20000))
    (tmp_path / "big.jsonl.gz").write_bytes(gzip.compress(lines))
    report = run(store, [tmp_path / "big.jsonl.gz"], Config({"ingest.max_decompressed_bytes": len(lines) // 2}))
    assert report.reasons["decompression limit"] == 1
    assert 0 < report.stored < 20000  # what was read before the limit is kept


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>Laughs</title>
<item><title>Bomb</title><link>https://evil.example/1</link><description>&lol9;</description></item>
</channel></rss>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<rss version="2.0"><channel><title>XXE</title>
<item><title>Leak</title><link>https://evil.example/2</link><description>Data: &xxe;</description></item>
</channel></rss>"""


EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE rss SYSTEM "file:///etc/passwd">
<rss version="2.0"><channel><title>DTD</title>
<item><title>Harmless</title><link>https://safe.example/3</link><description>Plain entry.</description></item>
</channel></rss>"""


def test_external_dtd_is_never_loaded(store: Store, tmp_path: Path) -> None:
    (tmp_path / "dtd.rss").write_text(EXTERNAL_DTD, "utf-8")
    report = run(store, [tmp_path / "dtd.rss"])
    assert report.stored == 1
    assert "root:" not in json.dumps(store.rows("SELECT * FROM articles"))


def test_entity_attacks_in_feeds_are_rejected(store: Store, tmp_path: Path) -> None:
    (tmp_path / "laughs.rss").write_text(BILLION_LAUGHS, "utf-8")
    (tmp_path / "xxe.xml").write_text(EXTERNAL_ENTITY, "utf-8")
    (tmp_path / "xxe16.xml").write_bytes(EXTERNAL_ENTITY.encode("utf-16"))
    run(store, [tmp_path / "laughs.rss", tmp_path / "xxe.xml", tmp_path / "xxe16.xml", good_file(tmp_path)])
    entries = ledger(store)
    for name in ("laughs.rss", "xxe.xml", "xxe16.xml"):
        assert entries[f"{name} file"] == ("rejected", "unsafe XML")
    everything = json.dumps(store.rows("SELECT * FROM articles"))
    assert "root:" not in everything and "lollol" not in everything
    assert_run_went_on(store)


def _warc_gz(records: list[tuple[str, bytes, str]]) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    for url, payload, content_type in records:
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(payload),
                                                      http_headers=headers))
    return out.getvalue()


def article_page(n: int) -> bytes:
    body = "".join(f"<p>Paragraph {i} of article {n} tells of the events of the day in detail.</p>" for i in range(12))
    return (f"<html><head><title>Article {n}</title></head><body><article><h1>Article {n}</h1>{body}"
            "</article></body></html>").encode()


def test_truncated_warc_keeps_records_before_the_cut(store: Store, tmp_path: Path) -> None:
    data = _warc_gz([(f"https://news.example/{n}", article_page(n), "text/html; charset=utf-8") for n in range(6)])
    (tmp_path / "cut.warc.gz").write_bytes(data[: int(len(data) * 0.6)])
    report = run(store, [tmp_path / "cut.warc.gz", good_file(tmp_path)])
    assert report.reasons["truncated WARC record"] + report.reasons["truncated gzip"] == 1
    assert 1 <= report.stored - 1 < 6
    assert_run_went_on(store)


def test_warc_non_html_responses_are_rejected_with_reason(store: Store, tmp_path: Path) -> None:
    data = _warc_gz([("https://news.example/a", article_page(1), "text/html"),
                     ("https://news.example/logo.png", b"\x89PNG....", "image/png")])
    (tmp_path / "mixed.warc.gz").write_bytes(data)
    report = run(store, [tmp_path / "mixed.warc.gz"])
    assert report.stored == 1 and report.reasons == {"not HTML": 1}
    url = store.scalar("SELECT canonical_url FROM article_urls")
    assert url == "https://news.example/a"


def test_invalid_dates_store_null_and_keep_raw(store: Store, tmp_path: Path) -> None:
    records = [{"title": "a", "text": "first text", "published": "2016-13-45"},
               {"title": "b", "text": "second text", "published": "yesterday"},
               {"title": "c", "text": "third text", "published": "2016-10-17 09:30"},
               {"title": "d", "text": "fourth text", "published": "2016-10-17T09:30:00Z"}]
    (tmp_path / "dates.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    report = run(store, [tmp_path / "dates.jsonl"])
    assert report.stored == 4 and report.rejected == 0
    rows = {r["title"]: r for r in store.articles(live_only=False)}
    assert rows["a"]["published_at"] is None and rows["a"]["metadata"]["published_raw"] == "2016-13-45"
    assert rows["b"]["published_at"] is None and rows["b"]["metadata"]["published_raw"] == "yesterday"
    assert rows["c"]["published_at"] is None
    assert rows["c"]["metadata"]["ingest_warnings"] == ["published time has no time zone"]
    assert rows["d"]["published_at"] == "2016-10-17T09:30:00+00:00"


def test_duplicate_ids_with_different_text_are_both_kept(store: Store, tmp_path: Path) -> None:
    records = [{"id": 7, "title": "one", "text": "first version"},
               {"id": 7, "title": "one", "text": "second, different version"},
               {"id": 7, "title": "one", "text": "first version"}]
    (tmp_path / "ids.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    report = run(store, [tmp_path / "ids.jsonl"])
    assert (report.stored, report.duplicates) == (2, 1)
    second = store.rows("SELECT metadata FROM articles WHERE text LIKE 'second%'")[0]
    assert json.loads(second["metadata"])["id_clash"]["first_locator"] == "line 1"


def test_malformed_json_lines_among_good_ones(store: Store, tmp_path: Path) -> None:
    lines = [json.dumps({"text": "good one"}), "{not json", "[1, 2]", json.dumps({"text": "good two"}),
             '{"text": "unterminated', json.dumps({"title": "no text"})]
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    report = run(store, [tmp_path / "mixed.jsonl"])
    assert report.stored == 2
    assert report.reasons == {"invalid JSON": 2, "not an object": 1, "missing text": 1}


def test_csv_without_text_column_names_the_columns(store: Store, tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text("stories_id,title,url\n1,A,https://a.example/1\n", "utf-8")
    report = run(store, [tmp_path / "export.csv", good_file(tmp_path)])
    assert report.reasons == {"no text column": 1}
    detail = store.scalar("SELECT detail FROM ingest_records WHERE reason = 'no text column'")
    assert "stories_id, title, url" in detail and "--map text=" in detail
    assert_run_went_on(store)
