"""The demo: ingest the bundled example corpus, import its fact-check, run every stage, write
the HTML report, and summarise what was found (``make demo`` / ``newstrace demo``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Config, import_if_present
from .errors import InputError
from .pipeline import Progress, analyze
from .store import Store

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@dataclass
class DemoSummary:
    db: str
    report: str | None
    ingest: dict[str, Any]
    factchecks: dict[str, Any] | None
    stages: dict[str, dict[str, Any]]
    stories: list[dict[str, Any]] = field(default_factory=list)
    dangerous: list[dict[str, Any]] = field(default_factory=list)
    matches: list[dict[str, Any]] = field(default_factory=list)


def run_demo(db: str | Path, examples: str | Path | None = None, *, progress: Progress | None = None) -> DemoSummary:
    from .ingest import ingest

    folder = Path(examples) if examples else EXAMPLES
    corpus = folder / "corpus"
    if not corpus.is_dir():
        raise InputError(f"No example corpus at {corpus}. Run the demo from a checkout of newstrace "
                         "or pass --examples FOLDER (a folder with corpus/ and factchecks/).")
    db = str(db)
    with Store.open(db) as store:
        report = ingest(store, [str(corpus)], progress=progress)
        fc_summary = None
        factchecks = import_if_present("newstrace.factchecks")
        fc_folder = folder / "factchecks"
        if factchecks is not None and fc_folder.is_dir():
            files: list[str | Path] = sorted(p for p in fc_folder.iterdir() if p.is_file())
            fc_summary = vars(factchecks.import_files(store, files))
        stages = analyze(store, Config(), progress=progress)
        report_path = None
        report_module = import_if_present("newstrace.report")
        if report_module is not None:
            report_path = str(report_module.write_report(store, Path(db).with_name("report.html")))
        summary = DemoSummary(db, report_path, report.as_dict(), fc_summary, stages)
        tables = set(store.tables())
        if "stories" in tables:
            summary.stories = store.rows(
                "SELECT s.id, s.title, s.size, o.cited_origin, o.cited_origin_kind, o.via_outlet "
                "FROM stories s LEFT JOIN story_origins o ON o.story_id = s.id "
                "WHERE s.size >= 2 ORDER BY s.size DESC, s.id")
        if "mutations" in tables:
            summary.dangerous = store.rows(
                "SELECT m.type, a.outlet AS to_outlet, m.before_text, m.after_text FROM mutations m "
                "JOIN articles a ON a.id = m.to_article_id WHERE m.dangerous = 1 ORDER BY m.id")
        if "factcheck_matches" in tables:
            summary.matches = store.rows(
                "SELECT DISTINCT f.verdict, f.claim, m.story_id FROM factcheck_matches m "
                "JOIN factchecks f ON f.id = m.factcheck_id WHERE m.matched = 1 AND m.story_id IS NOT NULL")
    return summary


def print_summary(summary: DemoSummary, console: Any) -> None:
    from rich.markup import escape

    ing = summary.ingest
    console.print(f"[bold]Ingested[/] {ing['seen']} records: {ing['stored']} stored, "
                  f"{ing['duplicates']} duplicates merged, {ing['rejected']} rejected "
                  f"({ing['already_done']} already in the store).")
    if summary.factchecks:
        fc = summary.factchecks
        added = f", {fc['appearances']} appearance(s) added to them" if fc.get("appearances") else ""
        console.print(f"[bold]Fact-checks[/]: {fc.get('factchecks', fc.get('stored', 0))} stored{added}, "
                      f"{fc.get('rejected', 0)} rejected.")
    for name, result in summary.stages.items():
        console.print(f"  {name}: " + escape(", ".join(f"{k}={v}" for k, v in result.items())))
    if summary.stories:
        console.print(f"\n[bold]{len(summary.stories)} stories told by two or more articles[/]:")
        for s in summary.stories:
            origin = ""
            if s.get("cited_origin"):
                origin = f" — cited origin: {escape(s['cited_origin'])} ({escape(s['cited_origin_kind'] or '')})"
                if s.get("via_outlet"):
                    origin += f" via {escape(s['via_outlet'])}"
            console.print(f"  [cyan]{s['id']}[/] {s['size']} articles: {escape(s['title'] or '')}{origin}")
    if summary.dangerous:
        console.print(f"\n[bold red]{len(summary.dangerous)} dangerous mutation(s)[/] "
                      "(less traceable or more certain than the text they came from):")
        for m in summary.dangerous:
            console.print(f"  {m['type']} in {escape(m['to_outlet'] or '?')}: {escape((m['after_text'] or '')[:120])}")
    if summary.matches:
        console.print("\n[bold]Fact-checked[/]:")
        for m in summary.matches:
            console.print(f"  story {m['story_id']}: [bold]{escape(m['verdict'] or '')}[/] — {escape(m['claim'][:100])}")
    console.print(f"\n[bold]Results[/]: store {escape(summary.db)}")
    if summary.report:
        console.print(f"  report: {escape(summary.report)} (open it in a browser; it needs no network)")
    console.print(f"  browse: newstrace serve --db {escape(summary.db)}")
    console.print(f"  lineage: newstrace trace STORY_ID --db {escape(summary.db)}")
    console.print(f"  export: newstrace export --db {escape(summary.db)} -o results.json")
