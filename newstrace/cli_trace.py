"""`newstrace trace STORY` (the story's lineage in the terminal) and `newstrace graph STORY`."""

from __future__ import annotations

import json

import click
from rich.tree import Tree

from .cli_common import console, db_option, err_console, escape, handle_errors, open_store
from .errors import InputError
from .provenance import GRAPH_FORMATS, export_graph, lineage


@click.command("trace")
@db_option
@click.argument("story_id")
@click.option("--json", "as_json", is_flag=True, help="Print the lineage as JSON.")
@click.option("--claims", "claim_limit", type=click.IntRange(min=0), default=15, show_default=True,
              help="How many claim groups to print in each part (told by several articles / by one); 0 for none.")
@handle_errors
def trace_cmd(db: str, story_id: str, as_json: bool, claim_limit: int) -> None:
    """Print a story's lineage: origin, who copied or rewrote whom, how claims changed, and which
    claims several articles tell and which only one tells."""
    with open_store(db, must_exist=True) as store:
        data = lineage(store, story_id)  # a prefix or a merged id resolves to the live story
    story_id = data["story_id"]
    if as_json:
        console.print_json(json.dumps(data, default=str))
        return
    if not data["articles"]:
        raise InputError(f"Story {story_id} has no articles.")
    origin = data["origin"]
    label = f"story [bold]{escape(story_id)}[/]"
    if origin:
        if origin["cited_origin"]:
            label += (f"\ncited origin: [bold]{escape(origin['cited_origin'])}[/] ({escape(origin['cited_origin_kind'] or '')})"
                      + (f" via [bold]{escape(origin['via_outlet'])}[/]" if origin["via_outlet"] else "")
                      + f", cited by {origin['citing_articles']} article(s)")
        else:
            label += "\ncited origin: none cited"
    tree = Tree(label)
    titles = {a["id"]: a for a in data["articles"]}
    children: dict[str | None, list[str]] = {}
    for a in data["articles"]:
        parent = data["parent"].get(a["id"], (None, None))[0]
        children.setdefault(parent if parent in titles else None, []).append(a["id"])

    def node_label(aid: str) -> str:
        a = titles[aid]
        relation = data["parent"].get(aid, (None, ""))[1]
        arrow = f"[cyan]{relation}[/] ← " if relation else ""
        cites = data["cites"].get(aid)
        cite = f" [dim]cites {escape(', '.join(cites))}[/]" if cites else ""
        when = a["published_at"] or "date unknown"
        return f"{arrow}{escape(a['outlet'] or '?')} · {escape(when)} · {escape(a['label'][:80])} [dim]{aid}[/]{cite}"

    def grow(branch: Tree, parent: str | None) -> None:
        for aid in children.get(parent, []):
            grow(branch.add(node_label(aid)), aid)

    grow(tree, None)
    console.print(tree)
    muts = data["mutations"]
    if muts:
        console.print(f"\n[bold]{len(muts)} mutation(s)[/], dangerous first:")
        for m in muts:
            flag = "[bold red]DANGEROUS[/] " if m["dangerous"] else ""
            src = titles.get(m["from_article_id"], {}).get("outlet") or m["from_article_id"]
            dst = titles.get(m["to_article_id"], {}).get("outlet") or m["to_article_id"]
            console.print(f"- {flag}[yellow]{m['type']}[/] {escape(str(src))} → {escape(str(dst))}")
            if m.get("what"):
                console.print(f"    what:   {escape(m['what'])}")
            if m["before_text"]:
                console.print(f"    before: {escape(m['before_text'][:200])}")
            if m["after_text"]:
                console.print(f"    after:  {escape(m['after_text'][:200])}")
    else:
        console.print("\nno mutations found along the lineage")
    if claim_limit:
        _print_claim_groups(data["claim_groups"], titles, claim_limit)


def _article_name(article: dict) -> str:  # type: ignore[type-arg]
    title = article.get("label") or article.get("title") or ""
    name = article.get("outlet") or (title[:40] + "…" if len(title) > 40 else title) or article.get("id") or article.get("article_id")
    return escape(str(name))


def _print_claim_groups(groups: list[dict], titles: dict, limit: int) -> None:  # type: ignore[type-arg]
    """Claims told by several articles, each article's wording with the words that no other
    article's wording uses underlined; then claims that only one article tells."""
    if not groups:
        console.print("\nno claim groups: claims are grouped in stories of two or more articles, after "
                      "`newstrace analyze` (`newstrace claims STORY` lists each article's claims)")
        return
    shared: list[dict] = []  # type: ignore[type-arg]
    single: list[dict] = []  # type: ignore[type-arg]
    for g in groups:
        (shared if len({v["article_id"] for v in g["variant_rows"]}) > 1 else single).append(g)
    console.print(f"\n[bold]{len(shared)} claim(s) told by several articles[/], {len(single)} by one article only "
                  "[dim](a claim one article tells and another denies counts as several)[/]")
    if shared:
        console.print("[dim]underlined: words that no other article's wording of the claim uses "
                      "(a detail one telling adds, or a paraphrase); detail: a phrase with a noun, name or "
                      "number that another article telling the claim never uses (about 3 in 4 are real "
                      "additions: check both texts)[/]")
    for g in shared[:limit]:
        flag = "[bold red]DANGEROUS[/] " if g["dangerous"] else ""
        denied = f", [bold magenta]denied by {g['denied_by']}[/]" if g.get("denied_by") else ""
        console.print(f"- {flag}told by {g['articles']} article(s){denied}, {g['variants']} wording(s)")
        for v in g["variant_rows"]:
            text = "".join(f"[underline bold]{escape(piece)}[/]" if marked else escape(piece) for piece, marked in v["runs"])
            stance = " [bold magenta](denies)[/]" if v.get("stance") == "denies" else ""
            console.print(f"    {_article_name(titles.get(v['article_id'], v))}{stance}: {text}")
        for d in g.get("details", []):
            told = ", ".join(_article_name(titles.get(m["article_id"], m)) for m in d["told_by"])
            missing = ", ".join(_article_name(titles.get(m["article_id"], m))
                                + (f" [dim](never uses: {escape(', '.join(m['never_uses']))})[/]" if m["never_uses"] else "")
                                for m in d["missing_from"])
            console.print(f"    [bold]detail[/] [bold]{escape(d['phrase'])}[/]: told by {told}; "
                          f"not said by {missing}")
    _more(len(shared), limit)
    by_article: dict[str, list[str]] = {}
    for g in single[:limit]:
        v = g["variant_rows"][0] if g["variant_rows"] else {"text": g["label"]}
        text = escape(v["text"]) + (" [bold magenta](denied)[/]" if v.get("stance") == "denies" else "")
        by_article.setdefault(g["first_article_id"], []).append(text)
    position = {a: k for k, a in enumerate(titles)}
    for article_id in sorted(by_article, key=lambda a: position.get(a, len(position))):
        article = titles.get(article_id, {"id": article_id})
        name = _article_name(article)
        suffix = f" [dim]{escape(article_id)}[/]" if name != article_id else ""
        console.print(f"\n[bold]Told only by {name}[/]{suffix}:")
        for text in by_article[article_id]:
            console.print(f"- {text}")
    _more(len(single), limit)


def _more(total: int, limit: int) -> None:
    if total > limit:
        console.print(f"  … and {total - limit} more (raise --claims, or use --json for all)")


@click.command("graph")
@db_option
@click.argument("story_id")
@click.option("--format", "fmt", type=click.Choice(GRAPH_FORMATS), default="graphml", show_default=True)
@click.option("-o", "--out", required=True, help="File to write.")
@handle_errors
def graph_cmd(db: str, story_id: str, fmt: str, out: str) -> None:
    """Write a story's provenance graph as GraphML, GEXF (Gephi) or JSON."""
    with open_store(db, must_exist=True) as store:
        path = export_graph(store, story_id, fmt, out)
    err_console.print(f"wrote {escape(str(path))}")


COMMANDS = [trace_cmd, graph_cmd]
