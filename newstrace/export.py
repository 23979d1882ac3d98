"""Export the store's results as JSON or CSV in a documented, versioned schema.

The export contract is ``EXPORT_SCHEMA_VERSION`` plus the tables in ``EXPORT_TABLES``, each
exported with all its columns. JSON: one object ``{"newstrace_export": VERSION, "tables":
{name: [rows]}}`` (JSON columns decoded). CSV: a folder with one ``<table>.csv`` per table and a
``manifest.json``. A table whose stage has not run on the store yet is exported (empty) and
listed under ``missing``, so consumers can tell "none found" from "not analysed". In CSV, text
that a spreadsheet would run as a formula (starting with = + - @) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from .errors import InputError
from .store import Store, utcnow

EXPORT_SCHEMA_VERSION = 1

#: Exported tables, in order. Later stages append theirs (and bump the version on a change
#: that removes or renames a column).
EXPORT_TABLES: tuple[str, ...] = (
    "articles",
    "article_urls",
    "ingest_records",
    "pairs",
    "passages",
    "stories",
    "story_articles",
    "attributions",
    "claims",
    "citations",
    "claim_groups",
    "claim_variants",
    "claim_details",
    "mutations",
    "provenance_edges",
    "factchecks",
    "factcheck_matches",
    "factcheck_article_flags",
)
#: Exported tables read from a view of the same rows and more: ``pairs`` holds the reuse stage's
#: pairs and the same-event pairs of articles in one story (column ``basis``: reuse | story).
EXPORT_SOURCES: dict[str, str] = {"pairs": "related_pairs"}
#: Columns holding JSON text, decoded in the JSON export.
JSON_COLUMNS = frozenset({"metadata", "hedges", "numbers", "entities", "outlets", "evidence", "details", "shared_names",
                          "missing_from", "new_words"})
FORMATS = ("json", "csv")


def _iter_rows(store: Store, table: str) -> Iterator[dict[str, Any]]:
    with store.read() as conn:
        result = conn.exec_driver_sql(f'SELECT * FROM "{EXPORT_SOURCES.get(table, table)}"')
        keys = list(result.keys())
        for row in result:
            yield dict(zip(keys, row, strict=True))


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for key in JSON_COLUMNS.intersection(row):
        value = row[key]
        if isinstance(value, str):
            try:
                row[key] = json.loads(value)
            except ValueError:
                pass
    return row


def not_analysed(store: Store, tables: Sequence[str], present: set[str]) -> list[str]:
    """Tables whose stage has never run on this store (or that it does not have): an empty one
    means "not analysed", not "none found"."""
    from .pipeline import table_stages

    stage_of = table_stages()
    ran = {r["stage"] for r in store.rows("SELECT DISTINCT stage FROM stage_runs")} if "stage_runs" in present else set()
    return [t for t in tables if t not in present or (t in stage_of and stage_of[t] not in ran)]


#: Spreadsheets run a cell that starts with one of these as a formula ("=HYPERLINK(...)"); a
#: text cell from an article or a fact-check that starts so gets a leading apostrophe in CSV.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export(store: Store, fmt: str, out: str | Path | None, tables: tuple[str, ...] | None = None, *,
           guard_formulas: bool = True) -> dict[str, Any]:
    """Write the export; ``out`` None means stdout (JSON only). Returns the manifest.

    CSV cells of text that a spreadsheet would run as a formula get a leading apostrophe unless
    ``guard_formulas`` is False (the manifest records which)."""
    if fmt not in FORMATS:
        raise InputError(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.")
    wanted = tables or EXPORT_TABLES
    unknown = [t for t in wanted if t not in EXPORT_TABLES]
    if unknown:
        raise InputError(f"Not an exported table: {', '.join(unknown)}. Tables: {', '.join(EXPORT_TABLES)}.")
    present = set(store.tables())
    manifest: dict[str, Any] = {
        "newstrace_export": EXPORT_SCHEMA_VERSION,
        "exported_at": utcnow(),
        "tables": {},
        "missing": not_analysed(store, wanted, present),
    }
    if fmt == "csv":
        manifest["csv_formula_guard"] = guard_formulas
    if fmt == "json":
        stream: IO[str]
        close = False
        if out is None or str(out) == "-":
            stream = sys.stdout
        else:
            stream = open(out, "w", encoding="utf-8")  # noqa: SIM115
            close = True
        try:
            # Streamed by hand so a large store never sits in memory as one object.
            head = json.dumps({k: manifest[k] for k in ("newstrace_export", "exported_at", "missing")})
            stream.write(head[:-1] + ', "tables": {')
            for i, table in enumerate(wanted):
                stream.write(("," if i else "") + f"\n{json.dumps(table)}: [")
                count = 0
                if table in present:
                    for row in _iter_rows(store, table):
                        stream.write(("," if count else "") + "\n  " + json.dumps(_decode(row), ensure_ascii=False, default=str))
                        count += 1
                stream.write("\n]")
                manifest["tables"][table] = count
            stream.write("\n}}\n")
        finally:
            if close:
                stream.close()
        return manifest
    if out is None or str(out) == "-":
        raise InputError("CSV export writes one file per table: give a folder with -o OUT_DIR.")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for table in wanted:
        columns = store.columns(EXPORT_SOURCES.get(table, table)) if table in present else []
        count = 0
        with open(folder / f"{table}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            if table in present:
                cell = _csv_cell if guard_formulas else (lambda v: v)
                for row in _iter_rows(store, table):
                    writer.writerow([cell(row[c]) for c in columns])
                    count += 1
        manifest["tables"][table] = count
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), "utf-8")
    return manifest
