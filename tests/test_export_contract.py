"""The export contract: versioned, every exported table present, JSON and CSV agree."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from newstrace.errors import InputError
from newstrace.export import EXPORT_SCHEMA_VERSION, EXPORT_TABLES, export
from newstrace.fixtures import add_articles
from newstrace.store import Store


def test_export_json_has_every_table_and_decodes_metadata(store: Store, tmp_path: Path) -> None:
    add_articles(store, [{"title": "<b>T</b>", "text": "x \"quoted\"", "metadata": {"k": [1, 2]}}])
    out = tmp_path / "e.json"
    manifest = export(store, "json", out)
    data = json.loads(out.read_text())
    assert data["newstrace_export"] == EXPORT_SCHEMA_VERSION
    assert list(data["tables"]) == list(EXPORT_TABLES)
    assert data["tables"]["articles"][0]["metadata"] == {"k": [1, 2]}
    assert data["tables"]["articles"][0]["title"] == "<b>T</b>"
    assert manifest["tables"]["articles"] == 1
    assert set(data["missing"]) == set(EXPORT_TABLES) - set(store.tables())


def test_export_csv_writes_one_file_per_table(store: Store, tmp_path: Path) -> None:
    add_articles(store, [{"title": "A, with comma", "text": "line1\nline2"}])
    export(store, "csv", tmp_path / "out")
    with open(tmp_path / "out" / "articles.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["title"] == "A, with comma" and rows[0]["text"] == "line1\nline2"
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["tables"]["articles"] == 1
    for table in EXPORT_TABLES:
        assert (tmp_path / "out" / f"{table}.csv").exists()


def test_export_rejects_unknown_format_and_csv_to_stdout(store: Store) -> None:
    with pytest.raises(InputError, match="Unknown export format"):
        export(store, "xml", None)
    with pytest.raises(InputError, match="give a folder"):
        export(store, "csv", None)
