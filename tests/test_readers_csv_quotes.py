"""A quote left open in one CSV row costs that row, not the rest of the file."""

from __future__ import annotations

from pathlib import Path

from newstrace.config import Config
from newstrace.ingest import ingest
from newstrace.store import Store


def _rows(n: int, bad: dict[int, str]) -> str:
    lines = ["url,title,text"]
    for i in range(n):
        lines.append(bad.get(i, f"https://r.example/{i},Title {i},Body of article {i} with words."))
    return "\n".join(lines) + "\n"


def _rejections(store: Store) -> list[dict]:
    return store.rows("SELECT locator, reason, detail FROM ingest_records WHERE outcome = 'rejected'")


def test_readers_csv_unclosed_quote_rejects_one_row_and_reads_on(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "unclosed.csv"
    path.write_text(_rows(1000, {2: 'https://r.example/bad,"Unclosed title,Body.'}), "utf-8")
    report = ingest(store, [str(path)])
    assert (report.seen, report.stored, report.duplicates, report.rejected) == (1000, 999, 0, 1)
    assert report.seen == report.stored + report.duplicates + report.rejected
    [rejected] = _rejections(store)
    assert rejected["reason"] == "invalid CSV row"
    assert rejected["detail"].startswith("unclosed quote at line 4")
    assert store.scalar("SELECT COUNT(*) FROM articles WHERE url = 'https://r.example/999'") == 1


def test_readers_csv_quote_closed_by_a_later_stray_quote(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_text(_rows(50, {5: 'https://r.example/bad,"Open title,Body.',
                               20: 'https://r.example/bad2,"Second open" title,Body.'}), "utf-8")
    report = ingest(store, [str(path)])
    assert report.seen == report.stored + report.duplicates + report.rejected
    assert report.stored >= 48  # every good row between the two bad ones is kept
    assert store.scalar("SELECT COUNT(*) FROM articles WHERE url = 'https://r.example/19'") == 1
    assert any(r["detail"].startswith("unclosed quote at line 7") for r in _rejections(store))


def test_readers_csv_multiline_quoted_text_is_one_row(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text('url,title,text\nhttps://m.example/1,One,"First paragraph.\n\nSecond, with ""quotes"".\n'
                    'Third."\nhttps://m.example/2,Two,Plain body of the second article.\n', "utf-8")
    report = ingest(store, [str(path)])
    assert (report.seen, report.stored, report.rejected) == (2, 2, 0)
    text = store.scalar("SELECT text FROM articles WHERE title = 'One'")
    assert text == 'First paragraph.\n\nSecond, with "quotes".\nThird.'


def test_readers_csv_swallowing_field_over_the_limit_reads_on(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "limit.csv"
    path.write_text(_rows(200, {3: 'https://r.example/bad,"Unclosed title,Body.'}), "utf-8")
    config = Config({"ingest.max_record_bytes": 2000})
    report = ingest(store, [str(path)], config=config)
    assert report.seen == report.stored + report.duplicates + report.rejected
    assert report.stored == 199 and report.rejected == 1
    [rejected] = _rejections(store)
    assert "line 5" in rejected["detail"]


def test_readers_csv_resumed_run_after_unclosed_quote_adds_nothing(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "unclosed.csv"
    path.write_text(_rows(30, {2: 'https://r.example/bad,"Unclosed title,Body.'}), "utf-8")
    ingest(store, [str(path)])
    with store.transaction() as conn:
        conn.exec_driver_sql("UPDATE ingest_sources SET complete = 0")
    again = ingest(store, [str(path)])
    assert again.seen == 0 and again.already_done == 30
    assert store.scalar("SELECT COUNT(*) FROM ingest_records") == 30


def test_readers_csv_space_after_a_closing_quote_is_still_one_good_row(store: Store, tmp_path: Path) -> None:
    """'"line one\\nline two" ' is well quoted (a space after the closing quote): the row is read,
    as csv reads it, with LF or CRLF line ends."""
    for name, data in (("lf.csv", b'title,text\nA,"line one\nline two" \nB,plain\n'),
                       ("crlf.csv", b'title,text\r\nA,"line one\r\nline two" \r\nB,plain\r\n')):
        path = tmp_path / name
        path.write_bytes(data)
        report = ingest(store, [str(path)])
        assert (report.stored + report.duplicates, report.rejected) == (2, 0), name
    texts = {r["text"].strip() for r in store.rows("SELECT text FROM articles")}
    assert texts == {"line one\nline two", "plain"}
