"""`newstrace factchecks import|match|list|claimreview`: fact-check databases and matching."""

from __future__ import annotations

import json
import math
import re
import sys

import click

from .cli_common import console, db_option, err_console, escape, handle_errors, open_store
from .errors import InputError
from .factcheck_stage import claimreview_for_story, match_texts
from .factchecks import VERDICTS, import_files, list_factchecks

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")
_DATE_LIKE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[T ]\S*)?")


@click.group("factchecks")
def factchecks_group() -> None:
    """Import fact-check databases and match texts against them."""


@factchecks_group.command("import")
@db_option
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@handle_errors
def import_cmd(db: str, files: tuple[str, ...]) -> None:
    """Import ClaimReview JSON-LD (or HTML pages carrying it), Fact Check Tools API responses,
    EUvsDisinfo case lists (and their publications_*.csv, whose pages become the cases' listed
    appearances) and CLEF claim sets. Re-importing a file changes nothing."""
    with open_store(db) as store:
        summary = import_files(store, list(files))
    console.print(
        f"{summary.files} file(s), {summary.skipped_files} already imported; records seen {summary.seen}: "
        f"stored {summary.stored}, duplicate {summary.duplicate}, rejected {summary.rejected}")
    for reason, n in sorted(summary.reasons.items(), key=lambda kv: -kv[1]):
        err_console.print(f"  rejected {n}: {escape(reason)}")


def _read_queries(path: str | None) -> list[tuple[str, str, str | None]]:
    """(id, text, ISO date or None) per line: `id<TAB>text`, optionally `<TAB>YYYY-MM-DD`.
    A line without a tab is a text whose id is its line number; a last field shaped like a date
    that is not one (2025-13-45) is an error naming the line, never silently part of the text."""
    from .matching import day_number

    stream = open(path, encoding="utf-8") if path and path != "-" else sys.stdin  # noqa: SIM115
    try:
        queries = []
        for line_no, line in enumerate(stream, start=1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            qid, tab, text = line.partition("\t")
            if not tab:
                qid, text = str(line_no), line
            body, tab, last = text.rpartition("\t")
            # A third field is a date only when it is one, whole (YYYY-MM-DD or an ISO time).
            field = last.strip()
            date = field if tab and _ISO_DATE.fullmatch(field) and not math.isnan(day_number(field)) else None
            if tab and date is None and _DATE_LIKE.fullmatch(field):
                raise InputError(f"Line {line_no} of the queries: {field[:40]!r} is not a valid date. Give the "
                                 "date the text was posted as YYYY-MM-DD (or an ISO time), or leave the field out.")
            queries.append((qid, body if date else text, date))
    finally:
        if stream is not sys.stdin:
            stream.close()
    if not queries:
        raise InputError("No queries given: pass a file of `id<TAB>text` lines (optionally `<TAB>YYYY-MM-DD`), "
                         "or pipe them on stdin.")
    return queries


@factchecks_group.command("match")
@db_option
@click.argument("queries", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-k", "k", default=5, show_default=True, type=click.IntRange(1, 100), help="Fact-checks per query.")
@click.option("--format", "fmt", type=click.Choice(["tsv", "json"]), default="tsv", show_default=True,
              help="tsv: the CLEF run format (qid Q0 factcheck_id rank score tag); json: with the fact-checks.")
@handle_errors
def match_cmd(db: str, queries: str | None, k: int, fmt: str) -> None:
    """Rank the stored fact-checks for query texts (a file of `id<TAB>text` lines, or stdin).
    A third field `YYYY-MM-DD`, the date the text was posted, lets the dated re-ranker weigh the
    fact-checks' dates. A line without a tab is a text whose id is its line number."""
    rows = _read_queries(queries)
    with open_store(db, must_exist=True) as store:
        ranked = match_texts(store, [t for _, t, _ in rows], k=k, dates=[d for _, _, d in rows])
    if fmt == "json":
        out = [{"id": qid, "text": text, "date": date, "matches": matches}
               for (qid, text, date), matches in zip(rows, ranked, strict=True)]
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    for (qid, _, _), matches in zip(rows, ranked, strict=True):
        for m in matches:
            click.echo(f"{qid}\tQ0\t{m['factcheck_id']}\t{m['rank']}\t{m['score']:.6f}\tnewstrace")


@factchecks_group.command("list")
@db_option
@click.option("--verdict", type=click.Choice(VERDICTS), default=None, help="Only fact-checks with this verdict.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1), help="How many to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows.")
@handle_errors
def list_cmd(db: str, verdict: str | None, limit: int, as_json: bool) -> None:
    """List stored fact-checks, newest first."""
    with open_store(db, must_exist=True) as store:
        rows = list_factchecks(store, verdict=verdict, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
        return
    for r in rows:
        date = (r["published_at"] or "undated")[:10]
        console.print(f"{r['id']}  {date}  [bold]{r['verdict']}[/]  {escape(r['publisher'] or '')}: "
                      f"{escape(r['claim'][:120])}")


@factchecks_group.command("claimreview")
@db_option
@click.argument("story_id")
@handle_errors
def claimreview_cmd(db: str, story_id: str) -> None:
    """Print a ClaimReview (JSON-LD) for a story's central claim, with the story's appearances."""
    with open_store(db, must_exist=True) as store:
        data = claimreview_for_story(store, story_id)
    click.echo(json.dumps(data, ensure_ascii=False, indent=1))


COMMANDS = [factchecks_group]
