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
    # Ingested, never analysed: every stage's table is listed as not analysed (not "none found").
    assert set(data["missing"]) >= {"pairs", "passages", "stories", "story_articles", "claims", "claim_groups",
                                     "mutations", "factcheck_matches"}
    assert "articles" not in data["missing"] and "factchecks" not in data["missing"]


def test_export_missing_lists_only_stages_that_never_ran(store: Store, tmp_path: Path) -> None:
    from newstrace.config import Config
    from newstrace.pipeline import analyze

    add_articles(store, [{"title": "One", "text": "A single short article about nothing much."}])
    analyze(store, Config(), until="reuse")
    missing = export(store, "json", tmp_path / "e.json")["missing"]
    assert "pairs" not in missing and "passages" not in missing  # reuse ran and found no pair
    assert {"stories", "claims", "mutations"} <= set(missing)


def test_export_csv_defuses_spreadsheet_formulas_unless_raw(store: Store, tmp_path: Path) -> None:
    add_articles(store, [{"title": "=HYPERLINK(\"http://evil.example\",\"x\")", "text": "@SUM(1) -2 +3 body"}])
    manifest = export(store, "csv", tmp_path / "out")
    with open(tmp_path / "out" / "articles.csv", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert row["title"] == "'=HYPERLINK(\"http://evil.example\",\"x\")" and row["text"] == "'@SUM(1) -2 +3 body"
    assert manifest["csv_formula_guard"] is True
    export(store, "csv", tmp_path / "raw", guard_formulas=False)
    with open(tmp_path / "raw" / "articles.csv", newline="") as fh:
        assert next(csv.DictReader(fh))["title"].startswith("=HYPERLINK")


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
