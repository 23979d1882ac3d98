"""Ingesting twice changes nothing; one article under two URLs is one article; the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from newstrace.cli_ingest import ingest as ingest_command
from newstrace.ingest import ingest
from newstrace.store import Store


def _tables(store: Store) -> dict[str, list[tuple]]:
    with store.read() as conn:
        return {t: sorted(tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {t}"))
                for t in ("articles", "article_urls", "ingest_records", "ingest_sources")}


def test_ingest_twice_changes_nothing(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps({"text": "one", "url": "https://a.example/1"}) + "\n{bad\n", "utf-8")
    (tmp_path / "b.txt").write_text("Title\nBody", "utf-8")
    first = ingest(store, [str(tmp_path)])
    before = _tables(store)
    second = ingest(store, [str(tmp_path), str(tmp_path / "a.jsonl")])
    assert (first.stored, first.rejected) == (2, 1)
    assert second.seen == 0 and {f.status for f in second.files} == {"already ingested"}
    assert _tables(store) == before


def test_ingest_same_article_two_urls(store: Store, tmp_path: Path) -> None:
    lines = [{"title": "T", "text": "Same text.", "url": "https://www.rt.com/news/1?utm_source=x"},
             {"title": "T", "text": "Same  text.", "url": "https://russian.rt.com/copy/1"}]
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    (tmp_path / "copy.jsonl").write_text(json.dumps(lines[0]) + "\n" + json.dumps({"text": "x"}) + "\n", "utf-8")
    report = ingest(store, [str(tmp_path)])
    assert (report.stored, report.duplicates) == (2, 2)
    urls = store.rows("SELECT url, canonical_url FROM article_urls ORDER BY canonical_url")
    assert [u["canonical_url"] for u in urls] == ["https://rt.com/news/1", "https://russian.rt.com/copy/1"]
    outcomes = store.rows("SELECT outcome, COUNT(*) n FROM ingest_records GROUP BY outcome ORDER BY outcome")
    assert outcomes == [{"outcome": "duplicate", "n": 2}, {"outcome": "stored", "n": 2}]


def test_ingest_folder_takes_known_extensions_only(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Title\nBody", "utf-8")
    (tmp_path / "style.css").write_text("body { color: red }", "utf-8")
    (tmp_path / ".hidden.txt").write_text("Hidden\nBody", "utf-8")
    report = ingest(store, [str(tmp_path)])
    assert [Path(f.path).name for f in report.files] == ["a.txt"]


def test_ingest_cli_missing_path_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(ingest_command, [str(tmp_path / "nope.jsonl"), "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 2
    assert "No such file or folder" in result.output
    assert not (tmp_path / "s.db").exists()


def test_ingest_cli_stdin_glob_and_summary(tmp_path: Path) -> None:
    (tmp_path / "x1.jsonl").write_text('{"text": "first"}\n{"oops": 1}\n', "utf-8")
    (tmp_path / "x2.jsonl").write_text('{"text": "second"}\n', "utf-8")
    db = str(tmp_path / "s.db")
    runner = CliRunner()
    result = runner.invoke(ingest_command, [str(tmp_path / "x*.jsonl"), "--db", db, "--quiet"])
    assert result.exit_code == 0, result.output
    assert "missing text" in result.output
    result = runner.invoke(ingest_command, ["-", "--db", db, "--format", "text"], input="Headline\nStdin body\n")
    assert result.exit_code == 0, result.output
    store = Store.open(db)
    assert store.scalar("SELECT COUNT(*) FROM articles") == 3
    assert store.scalar("SELECT source FROM articles WHERE title = 'Headline'") == "<stdin>"
    store.close()


def test_ingest_cli_bad_map_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(ingest_command, ["-", "--db", str(tmp_path / "s.db"), "--map", "body"], input="")
    assert result.exit_code == 2 and "FIELD=COLUMN" in result.output
    result = CliRunner().invoke(ingest_command, ["-", "--db", str(tmp_path / "s.db"), "--map", "bodytext=x"], input="")
    assert result.exit_code == 2 and "not an article field" in result.output


def test_ingest_folder_without_readable_files_is_an_error(tmp_path: Path) -> None:
    import pytest

    from newstrace.errors import InputError
    from newstrace.ingest import expand_paths

    empty, odd = tmp_path / "empty", tmp_path / "odd"
    empty.mkdir()
    odd.mkdir()
    (odd / "notes.docx").write_bytes(b"PK\x03\x04")
    (odd / ".hidden.txt").write_text("Hidden article text.")
    for folder in (empty, odd):
        with pytest.raises(InputError, match=r"No readable file in .*\.jsonl"):
            expand_paths([str(folder)])
        result = CliRunner().invoke(ingest_command, [str(folder), "--db", str(tmp_path / "x.db"), "--quiet"])
        assert result.exit_code == 2 and "No readable file" in result.output
        assert not (tmp_path / "x.db").exists()  # nothing written


def test_ingest_empty_folder_beside_other_inputs_is_a_note(tmp_path: Path) -> None:
    """A drop folder that is empty today, named beside a file, does not fail the run."""
    empty = tmp_path / "incoming"
    empty.mkdir()
    good = tmp_path / "a.jsonl"
    good.write_text('{"title": "T", "text": "An article about the port of Maren and its terminal."}\n')
    result = CliRunner().invoke(ingest_command, [str(empty), str(good), "--db", str(tmp_path / "x.db"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Note:" in result.output and "no readable file in" in result.output
