"""CLI: `newstrace pair A B` prints how two articles are related, with the evidence."""

from __future__ import annotations

import json

import click
from rich.table import Table

from .cli_common import console, db_option, escape, handle_errors, open_store
from .reuse import pair_evidence


def _side(article: dict) -> str:
    date = (article["published_at"] or "date unknown")[:16]
    return f"{article['id']}  {article['outlet'] or '?'}  {date}  {article['title'] or '(no title)'}"


@click.command("pair")
@db_option
@click.argument("a")
@click.argument("b")
@click.option("--width", type=int, default=160, show_default=True, help="Characters of each passage to show.")
@handle_errors
def pair_command(db: str, a: str, b: str, width: int) -> None:
    """Show how articles A and B (ids or unique id prefixes) are related: copy, partial,
    rewrite or same-event, which came first, and every passage of evidence.

    Example: newstrace pair 344fd6a5 602bdf14
    """
    with open_store(db, must_exist=True) as store:
        evidence = pair_evidence(store, a, b)
    console.print(f"A: {escape(_side(evidence['a']))}")
    console.print(f"B: {escape(_side(evidence['b']))}")
    pair = evidence["pair"]
    if pair is None:
        if evidence["compared"]:
            console.print("Unrelated: the reuse stage found no shared text and no shared meaning.")
        else:
            console.print("Not compared yet: run `newstrace analyze` first.")
        return
    direction = {"a->b": "A came first (A -> B)", "b->a": "B came first (B -> A)",
                 "unknown": "direction unknown (a date is missing or the dates are equal)"}[pair["direction"]]
    console.print(f"[bold]{pair['relation']}[/], {direction}")
    if pair.get("basis") == "story":
        console.print(
            f"Both are in story {escape(pair['story_id'])}, with no shared passage and no aligned "
            f"sentences: independent reports of one event. See `newstrace story {escape(pair['story_id'])}`.")
        return
    console.print(
        f"verbatim coverage A {pair['coverage_a']:.0%}, B {pair['coverage_b']:.0%}; "
        f"{pair['verbatim_passages']} verbatim passages, {pair['aligned_sentences']} aligned sentence pairs"
        + (f" (mean cosine {pair['semantic_score']:.2f})" if pair["semantic_score"] is not None else "")
        + (f"; title+lead cosine {pair['lead_cosine']:.2f}" if pair["lead_cosine"] is not None else "")
    )
    if pair.get("shared_names"):
        names = ", ".join(json.loads(pair["shared_names"]))
        console.print(f"people and bodies both name (within days of each other): {escape(names)}")
    table = Table(show_lines=True)
    for column in ("kind", "score", "A", "B"):
        table.add_column(column)

    def cut(text: str, start: int, end: int) -> str:
        text = " ".join(text.split())
        return f"[{start}:{end}] " + (text if len(text) <= width else text[: width - 1] + "…")

    for p in evidence["passages"]:
        table.add_row(p["kind"], f"{p['score']:.2f}", escape(cut(p["a_text"], p["a_start"], p["a_end"])),
                      escape(cut(p["b_text"], p["b_start"], p["b_end"])))
    console.print(table)


COMMANDS = [pair_command]
