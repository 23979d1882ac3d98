"""`newstrace report` (one offline HTML file) and `newstrace serve` (the local web UI and JSON API)."""

from __future__ import annotations

import click

from .cli_common import console, db_option, err_console, escape, handle_errors, open_store
from .report import DEFAULT_MAX_STORIES, write_report


@click.command("report")
@db_option
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default="newstrace-report.html",
              show_default=True, help="The HTML file to write.")
@click.option("--stories", "max_stories", type=click.IntRange(min=0), default=DEFAULT_MAX_STORIES,
              show_default=True, help="How many stories (largest first) the report details.")
@handle_errors
def report_cmd(db: str, output: str, max_stories: int) -> None:
    """Write a self-contained HTML report that opens with no network.

    Example: newstrace report --db corpus.db -o report.html
    """
    with open_store(db, must_exist=True) as store:
        path = write_report(store, output, max_stories=max_stories)
    console.print(f"Wrote {escape(str(path))}")


@click.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Only loopback addresses unless --allow-remote.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="Port to listen on.")
@click.option("--allow-remote", is_flag=True,
              help="Allow a non-loopback --host. The UI has no login: anyone who reaches it reads the store.")
@handle_errors
def serve_cmd(db: str, host: str, port: int, allow_remote: bool) -> None:
    """Browse stories, pairs, claims and outlets in a local web UI, with a JSON API under /api/.

    Example: newstrace serve --db corpus.db  (then open http://127.0.0.1:8765/)
    """
    from .web.server import check_host, check_port, serve

    check_host(host, allow_remote)
    check_port(host, port)
    with open_store(db, must_exist=True):
        pass  # bring the schema up to date; the UI itself only reads
    err_console.print(f"Serving {escape(db)} at http://{escape(host)}:{port}/ (API: /api/openapi.json). "
                      "Ctrl-C stops.")
    serve(db, host=host, port=port, allow_remote=allow_remote)


COMMANDS = [report_cmd, serve_cmd]
