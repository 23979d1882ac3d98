"""The `newstrace` command: a thin layer over the library.

Core commands live here; each analysis area adds its own from ``newstrace/cli_<area>.py``
(a ``COMMANDS`` list), registered below.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from . import __version__
from .cli_common import (
    config_option,
    console,
    db_option,
    err_console,
    escape,
    handle_errors,
    open_store,
    progress_display,
)
from .config import Config, import_if_present
from .export import EXPORT_TABLES, FORMATS, export
from .pipeline import STAGES, analyze, stage_names
from .status import store_status

#: Modules that contribute commands, in help order.
COMMAND_MODULES = (
    "newstrace.cli_ingest",
    "newstrace.cli_reuse",
    "newstrace.cli_stories",
    "newstrace.cli_attribution",
    "newstrace.cli_trace",
    "newstrace.cli_factchecks",
    "newstrace.cli_web",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="newstrace")
def main() -> None:
    """newstrace: how a news story travels across outlets.

    Ingest articles, analyse them (reuse, stories, attributions, claim mutations, provenance,
    fact-checks), then read the report, browse the web UI or export the results.
    """


@main.command("analyze")
@db_option
@config_option
@click.option("--until", type=click.Choice(stage_names()), default=None,
              help="Stop after this stage (stages run in order).")
@click.option("--quiet", "-q", is_flag=True, help="No progress (bars on a terminal, plain lines otherwise).")
@handle_errors
def analyze_cmd(db: str, config_path: str | None, until: str | None, quiet: bool) -> None:
    """Run every analysis stage on what is new in the store (incremental, resumable)."""
    config = Config.load(config_path)
    with open_store(db, must_exist=True) as store, progress_display(quiet) as progress:
        results = analyze(store, config, until=until, progress=progress)
    table = Table("stage", "result", title="analyze")
    for name, summary in results.items():
        table.add_row(name, escape(", ".join(f"{k}={v}" for k, v in summary.items())))
    console.print(table)


@main.command("status")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@handle_errors
def status_cmd(db: str, as_json: bool) -> None:
    """Show counts per table, the ingest ledger and rejections, and the stages run."""
    with open_store(db, must_exist=True) as store:
        status = store_status(store)
    if as_json:
        from dataclasses import asdict

        console.print_json(json.dumps(asdict(status) | {"balanced": status.balanced}))
        return
    console.print(f"store [bold]{escape(str(status.path))}[/] (schema {status.schema_version})")
    ledger = Table("seen", "stored", "duplicates", "rejected", "seen = stored + duplicates + rejected",
                   title="ingest ledger")
    ledger.add_row(str(status.seen), str(status.stored), str(status.duplicates), str(status.rejected),
                   "yes" if status.balanced else "[red]NO[/]")
    console.print(ledger)
    if status.factcheck_records:
        fc = status.factcheck_records
        console.print(f"fact-check imports: {sum(fc.values())} records seen: " + ", ".join(
            f"{n} {outcome}" for outcome, n in sorted(fc.items())))
    counts = Table("table", "rows", title="tables")
    for name, n in status.counts.items():
        counts.add_row(name, str(n))
    console.print(counts)
    if status.rejections:
        rej = Table("reason", "records", "example", title="rejections")
        for r in status.rejections:
            rej.add_row(escape(r["reason"] or ""), str(r["n"]), escape(r["example"] or ""))
        console.print(rej)
    if status.stages:
        st = Table("stage", "articles done", "last run", title="stages")
        for s in status.stages:
            st.add_row(s["stage"], str(s["articles_done"]), s["last_run"] or "")
        console.print(st)


@main.command("export")
@db_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("-o", "--out", default=None, help="Output file (JSON; default stdout) or folder (CSV).")
@click.option("--table", "tables", multiple=True, type=click.Choice(EXPORT_TABLES),
              help="Export only these tables (repeatable).")
@click.option("--raw-csv", is_flag=True,
              help="CSV: write text cells as stored, even those a spreadsheet would run as a formula (= + - @).")
@handle_errors
def export_cmd(db: str, fmt: str, out: str | None, tables: tuple[str, ...], raw_csv: bool) -> None:
    """Write the store's tables as JSON or CSV (schema in the README, versioned)."""
    with open_store(db, must_exist=True) as store:
        manifest = export(store, fmt, out, tables or None, guard_formulas=not raw_csv)
    if out not in (None, "-"):
        err_console.print(f"wrote {sum(manifest['tables'].values())} rows from "
                          f"{len(manifest['tables'])} tables to {escape(str(out))}")


@main.command("config")
@config_option
@handle_errors
def config_cmd(config_path: str | None) -> None:
    """List every setting with its value and one-line help."""
    config = Config.load(config_path)
    table = Table("setting", "value", "help", title=f"settings ({escape(config.source)})")
    for name, setting in sorted(config.settings.items()):
        table.add_row(name, escape(repr(config[name])), escape(setting.help))
    console.print(table)


@main.command("stages")
def stages_cmd() -> None:
    """List the analysis stages in order, with the tables each reads and writes."""
    table = Table("stage", "requires", "assigns", "what it does")
    for s in STAGES:
        table.add_row(s.name, ", ".join(s.requires), ", ".join(s.assigns), s.help)
    console.print(table)


@main.command("demo")
@click.option("--db", default="demo/newstrace.db", show_default=True, help="Where to build the demo store.")
@click.option("--examples", type=click.Path(exists=True, file_okay=False), default=None,
              help="The example corpus folder (default: the bundled examples/).")
@click.option("--quiet", "-q", is_flag=True, help="No progress (bars on a terminal, plain lines otherwise).")
@handle_errors
def demo_cmd(db: str, examples: str | None, quiet: bool) -> None:
    """Ingest the bundled example corpus, run every stage, and print where the results are."""
    from .demo import run_demo

    Path(db).parent.mkdir(parents=True, exist_ok=True)
    with progress_display(quiet) as progress:
        summary = run_demo(db, examples, progress=progress)
    from .demo import print_summary

    print_summary(summary, console)


def _register() -> None:
    for module_name in COMMAND_MODULES:
        module = import_if_present(module_name)
        if module is None:
            continue
        for command in module.COMMANDS:
            main.add_command(command)


_register()
