"""CLI: `newstrace stories` lists stories, `newstrace story ID` shows one."""

from __future__ import annotations

import click
from rich.table import Table

from .cli_common import console, db_option, escape, handle_errors, open_store
from .stories import get_story, list_stories


def _day(iso: str | None) -> str:
    return iso[:10] if iso else "—"


def _outlets(outlets: list[str], limit: int = 3) -> str:
    shown = ", ".join(outlets[:limit])
    return shown + (f" +{len(outlets) - limit}" if len(outlets) > limit else "")


@click.command("stories")
@db_option
@click.option("--limit", type=int, default=50, show_default=True, help="Show at most this many stories.")
@click.option("--min-size", type=int, default=1, show_default=True, help="Only stories with at least this many articles.")
@click.option("--sort", type=click.Choice(["size", "recent"]), default="size", show_default=True,
              help="Biggest first, or most recently seen first.")
@handle_errors
def stories_command(db: str, limit: int, min_size: int, sort: str) -> None:
    """List stories: size, outlets, first seen and title.

    Run `newstrace analyze` first; then show one story with `newstrace story ID`.
    """
    with open_store(db, must_exist=True) as store:
        rows = list_stories(store, limit=limit, min_size=min_size, sort=sort)
    if not rows:
        console.print("No stories yet. Run `newstrace analyze` to cluster the ingested articles.")
        return
    table = Table(title=f"Stories ({len(rows)} shown)")
    table.add_column("id", no_wrap=True)
    table.add_column("size", justify="right")
    table.add_column("outlets")
    table.add_column("first seen", no_wrap=True)
    table.add_column("title")
    for row in rows:
        table.add_row(escape(row["id"]), str(row["size"]),
                      f"{row['outlet_count']}: {escape(_outlets(row['outlets']))}" if row["outlets"] else "0",
                      _day(row["first_seen"]), escape(row["title"]))
    console.print(table)


@click.command("story")
@db_option
@click.argument("story_id")
@handle_errors
def story_command(db: str, story_id: str) -> None:
    """Show one story: its articles, oldest first, and how each joined.

    An id that was merged into another story shows the story it joined.
    """
    with open_store(db, must_exist=True) as store:
        story = get_story(store, story_id)
    if story["resolved_from"]:
        console.print(f"{escape(story['resolved_from'])} was merged into {escape(story['id'])}.")
    console.print(f"[bold]{escape(story['title'] or '(untitled)')}[/bold]")
    console.print(f"id {escape(story['id'])} · {story['size']} articles · {story['outlet_count']} outlets · "
                  f"first seen {_day(story['first_seen'])} · last seen {_day(story['last_seen'])}")
    if story["merged_from"]:
        console.print("merged from: " + escape(", ".join(story["merged_from"])))
    table = Table()
    table.add_column("published", no_wrap=True)
    table.add_column("outlet")
    table.add_column("article", no_wrap=True)
    table.add_column("joined by")
    table.add_column("score", justify="right")
    table.add_column("title")
    for article in story["articles"]:
        table.add_row(_day(article["published_at"]), escape(article["outlet"] or "—"), escape(article["id"]),
                      article["joined_by"], f"{article['score']:.2f}", escape(article["title"] or "(untitled)"))
    console.print(table)


COMMANDS = [stories_command, story_command]
