"""`newstrace claims ARTICLE|STORY` and `newstrace attributions FILE...`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .cli_common import console, db_option, escape, handle_errors, open_store
from .errors import InputError


@click.command("claims")
@db_option
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print attributions and claims as JSON.")
@click.option("--min-checkworthiness", type=float, default=None,
              help="Extract on request with this threshold (default: the attribution.min_checkworthiness setting).")
@handle_errors
def claims_cmd(db: str, ref: str, as_json: bool, min_checkworthiness: float | None) -> None:
    """Print the attributions and claims of an article or of every article of a story.

    REF is an article id (or a unique prefix of one) or a story id. Articles that the
    `claims` stage has not processed are analysed on request and stored.
    """
    from .claims import article_claims
    from .config import Config

    threshold = min_checkworthiness if min_checkworthiness is not None else float(
        Config.load()["attribution.min_checkworthiness"])
    with open_store(db, must_exist=True) as store:
        data = article_claims(store, ref, min_checkworthiness=threshold)
    if as_json:
        console.print_json(json.dumps(data, ensure_ascii=False, default=str))
        return
    for article in data:
        _print_article(article)


def _print_article(article: dict[str, Any]) -> None:
    head = f"[bold]{escape(article['article_id'])}[/] {escape(article['outlet'] or '')}"
    if article["title"]:
        head += f" — {escape(article['title'])}"
    console.print(head)
    by_id = {a["id"]: a for a in article["attributions"]}
    console.print(f"  attributions: {len(article['attributions'])}")
    for a in article["attributions"]:
        who = a["source_name"] or a["source_text"] or "(no source)"
        extra = f" via {a['cited_outlet']}" if a["cited_outlet"] else ""
        role = f", {a['source_role']}" if a["source_role"] else ""
        content = (a["content_text"] or "")[:100]
        console.print(f"   [{a['sentence_idx']:>3}] {escape(who)} ({a['source_kind']}{escape(role)}){escape(extra)} "
                      f"[italic]{escape(a['cue_text'])}[/] {a['quote']}: {escape(content)}")
    console.print(f"  claims: {len(article['claims'])}")
    for c in article["claims"]:
        att = by_id.get(c["attribution_id"])
        who = (att["source_name"] or att["source_text"]) if att else "unattributed"
        hedges = ", ".join(h["text"] for h in c["hedges"])
        numbers = ", ".join(f"{n['modifier'] + ' ' if n['modifier'] else ''}{n['value']:g} {n['unit'] or ''}".strip()
                            for n in c["numbers"])
        console.print(f"   [{c['sentence_idx']:>3}] {c['checkworthiness']:.2f} {c['certainty']:8s} "
                      f"{escape(c['source_kind'])} ({escape(who or '')}): {escape(c['text'][:110])}")
        if hedges or numbers:
            console.print(f"         hedges: {escape(hedges or '-')}   numbers: {escape(numbers or '-')}")
    console.print()


@click.command("attributions")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@handle_errors
def attributions_cmd(files: tuple[Path, ...]) -> None:
    """Print the attributions of plain-text FILEs as JSON, with character offsets.

    One object per file: {"file", "attributions": [{"source": {"start", "end", "text"}, "cue",
    "content", "quote", "source_kind", ...}]}. Offsets index the file's text as decoded
    (UTF-8), so that others can score them against their own annotation.
    """
    from .attribution import extract_attributions

    out = []
    for path in files:
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            raise InputError(f"No file {str(path)!r}.") from None
        except UnicodeDecodeError:
            raise InputError(f"{str(path)!r} is not UTF-8 text; convert it first (e.g. with iconv).") from None
        out.append({"file": str(path), "attributions": [a.as_dict() for a in extract_attributions(text)]})
    click.echo(json.dumps(out, ensure_ascii=False, indent=1))


COMMANDS = [claims_cmd, attributions_cmd]
