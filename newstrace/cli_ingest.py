"""`newstrace ingest`: read files, folders, globs or stdin into the store."""

from __future__ import annotations

import click
from rich.table import Table

from .cli_common import console, db_option, err_console, escape, handle_errors, open_store, progress_display
from .config import Config
from .errors import InputError
from .ingest import IngestOptions, IngestReport, expand_paths
from .ingest import ingest as run_ingest
from .readers import FIELDS, FORMATS

__all__ = ["COMMANDS", "ingest"]


def _parse_map(values: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value in values:
        name, sep, column = value.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise InputError(f"--map {value!r}: write FIELD=COLUMN, e.g. --map text=body. "
                             f"Fields: {', '.join(FIELDS)}.")
        mapping[name.strip()] = column.strip()
    return mapping


def _delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    return {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(value.lower(), value)


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True)
@db_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Read every input as this format instead of detecting it.")
@click.option("--map", "mappings", multiple=True, metavar="FIELD=COLUMN",
              help="Take an article field from another JSON key or CSV column, e.g. --map text=body "
                   "(repeatable; fields: " + ", ".join(FIELDS) + ").")
@click.option("--csv-delimiter", default=None, help="CSV delimiter (a character, or tab/comma/semicolon/pipe); "
              "default: guessed from the header line.")
@click.option("--csv-columns", default=None, metavar="A,B,...",
              help="Column names for CSV files without a header line (e.g. raw GDELT files).")
@click.option("--outlet", default=None, help="Set this outlet on every article (default: the input's outlet "
              "field, else the registered domain of the URL).")
@click.option("--assume-timezone", default=None, metavar="ZONE",
              help="Read times without a zone in ZONE (UTC, +03:00, Europe/Moscow); default: store them as unknown.")
@click.option("--date-order", type=click.Choice(["dmy", "mdy"]), default=None,
              help="Read numeric dates whose day and month could be swapped (06/05/2025) as day-month-year "
                   "or month-day-year; default: the ingest.date_order setting, else store them as unknown.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="A TOML settings file (default: ./newstrace.toml when present).")
@click.option("--quiet", is_flag=True, help="No progress display.")
@handle_errors
def ingest(paths: tuple[str, ...], db: str, fmt: str | None, mappings: tuple[str, ...], csv_delimiter: str | None,
           csv_columns: str | None, outlet: str | None, assume_timezone: str | None, date_order: str | None,
           config_path: str | None, quiet: bool) -> None:
    """Read articles from PATHS (files, folders, globs, or - for stdin) into the store.

    Formats: plain text (first line is the title when it looks like one), JSON Lines, JSON
    arrays, CSV, HTML, WARC(.gz) and RSS/Atom, each optionally gzipped. Ingesting the same
    input again changes nothing; an interrupted run resumes where it stopped. Rejected files
    and records are counted with their reason and the run goes on.

    \b
    Examples:
      newstrace ingest articles.jsonl crawl.warc.gz feeds/
      newstrace ingest export.csv --map text=body --map published=date --assume-timezone UTC
      cat page.html | newstrace ingest - --format html
    """
    options = IngestOptions(
        format=fmt, field_map=_parse_map(mappings), csv_delimiter=_delimiter(csv_delimiter),
        csv_columns=tuple(c.strip() for c in csv_columns.split(",")) if csv_columns else None,
        outlet=outlet, assume_timezone=assume_timezone, date_order=date_order,
    )
    options.validate()
    expand_paths(paths)  # a missing path is an error before the store is created
    config = Config.load(config_path)
    store = open_store(db)
    try:
        with progress_display(quiet) as progress:
            report = run_ingest(store, paths, options, config=config, progress=progress)
    finally:
        store.close()
    print_report(report, db)


def print_report(report: IngestReport, db: str) -> None:
    table = Table(title="Ingest", show_header=True, header_style="bold")
    for column in ("input", "format", "status", "seen", "stored", "duplicates", "rejected"):
        numeric = column in ("seen", "stored", "duplicates", "rejected")
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    shown = report.files[:30]
    for row in shown:
        table.add_row(escape(row.path), row.format, row.status, str(row.seen), str(row.stored),
                      str(row.duplicates), str(row.rejected))
    if len(report.files) > len(shown):
        table.add_row(f"... {len(report.files) - len(shown)} more inputs", "", "", "", "", "", "")
    table.add_row("[bold]total[/]", "", "", str(report.seen), str(report.stored), str(report.duplicates),
                  str(report.rejected))
    console.print(table)
    if report.already_done:
        console.print(f"Resumed: {report.already_done} records were already in the store from an earlier run.")
    if report.reasons:
        reasons = Table(title="Rejected, by reason", show_header=True, header_style="bold")
        reasons.add_column("reason")
        reasons.add_column("records", justify="right")
        reasons.add_column("example")
        for reason, count in report.reasons.most_common():
            reasons.add_row(escape(reason), str(count), escape(report.examples.get(reason, "")[:160]))
        console.print(reasons)
        console.print(f"Every rejection is kept with its detail: SELECT * FROM ingest_records WHERE outcome = "
                      f"'rejected' (in {escape(db)}).")
    for note in report.notes:
        err_console.print(f"[yellow]Note:[/] {escape(note)}")
    if report.warnings:
        for warning, count in report.warnings.most_common():
            err_console.print(f"[yellow]Warning:[/] {escape(warning)}: {count} record(s)" + _warning_hint(warning))


def _warning_hint(warning: str) -> str:
    if "published" not in warning:
        return ""
    hint = " (stored with published_at NULL and the raw value in metadata.published_raw"
    if "ambiguous" in warning:
        return hint + "; give the order with --date-order dmy|mdy)"
    if "time zone" in warning:
        return hint + "; see --assume-timezone)"
    return hint + ")"


COMMANDS = [ingest]
