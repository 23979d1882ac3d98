"""What every CLI command shares: the --db option, opening the store, turning newstrace's
errors into clean messages, and a rich progress display for long work."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .errors import NewstraceError
from .pipeline import Progress as ProgressHook
from .store import DEFAULT_DB, Store
from .textio import strip_controls

F = TypeVar("F", bound=Callable[..., Any])

#: stdout for results, stderr for progress and errors, so results can be piped.
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

__all__ = ["console", "err_console", "escape", "db_option", "config_option", "open_store",
           "handle_errors", "RichProgress"]


def escape(text: str) -> str:
    """Untrusted text made safe for the terminal: rich markup escaped ("[link=...]" is shown, not
    run) and escape sequences and control characters removed (a title holding ESC[2J would
    clear the screen; stores written before ingest stripped them may still hold some)."""
    return _escape_markup(strip_controls(str(text)))


def db_option(func: F) -> F:
    """--db FILE, defaulting to $NEWSTRACE_DB or ./newstrace.db."""
    return click.option(
        "--db", "db", type=click.Path(dir_okay=False), envvar="NEWSTRACE_DB", default=DEFAULT_DB,
        show_default=True, show_envvar=True, help="The SQLite store to read and write.",
    )(func)


def config_option(func: F) -> F:
    return click.option(
        "--config", "config_path", type=click.Path(dir_okay=False), default=None,
        help="A TOML settings file (default: ./newstrace.toml when present).",
    )(func)


def open_store(db: str, *, must_exist: bool = False) -> Store:
    if must_exist and db != ":memory:" and not os.path.exists(db):
        raise NewstraceError(
            f"No store at {db!r}. Ingest articles first (`newstrace ingest FILES --db {db}`) "
            "or point --db / NEWSTRACE_DB at an existing store."
        )
    return Store.open(db)


def handle_errors(func: F) -> F:
    """Turn NewstraceError, and an OSError on a path the user gave, into a one-line
    `Error: ...` and exit code 2 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NewstraceError as exc:
            err_console.print(f"[bold red]Error:[/] {escape(str(exc))}")
            raise SystemExit(2) from None
        except BrokenPipeError:
            # The reader of our output went away (`newstrace export | head`): not an error of
            # ours to report. Point stdout at nothing so that Python's exit flush stays quiet.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            raise SystemExit(1) from None
        except OSError as exc:
            # A path the user gave cannot be read or written (no such folder, a file where a
            # folder is expected, no permission): say which and why, not a traceback.
            if exc.filename:
                err_console.print(f"[bold red]Error:[/] cannot use {escape(str(exc.filename))}: "
                                  f"{escape(exc.strerror or str(exc))}. {_os_hint(exc)}")
            else:
                err_console.print(f"[bold red]Error:[/] {escape(exc.strerror or str(exc))} while writing or reading. "
                                  "Check free disk space and the output's destination.")
            raise SystemExit(2) from None
        except KeyboardInterrupt:
            err_console.print("Interrupted. Work committed so far is kept; run the command again to resume.")
            raise SystemExit(130) from None

    return wrapper  # type: ignore[return-value]


def _os_hint(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "Check the path: the file, or the folder it should be written to, does not exist."
    if isinstance(exc, FileExistsError):
        return "Something is already at that path (a file where a folder is expected?): choose another path."
    if isinstance(exc, (IsADirectoryError, NotADirectoryError)):
        return "A folder was given where a file is expected, or the reverse: check the path."
    if isinstance(exc, PermissionError):
        return "You may not read or write there: choose another path or change its permissions."
    return "Check the path, free disk space and permissions."


class RichProgress(ProgressHook):
    """Progress on stderr: rich bars on a terminal; off a terminal (nohup, CI, a pipe) plain
    lines at each phase's start and end and at most every ``interval`` seconds between, so a
    long run's log shows it is alive. Nothing with quiet=True."""

    def __init__(self, quiet: bool = False, *, console: Console | None = None, interval: float = 30.0) -> None:
        self.console = console or err_console
        self.enabled = not quiet and self.console.is_terminal
        self.plain = not quiet and not self.console.is_terminal
        self.interval = interval
        self._progress: Progress | None = None
        self._task: Any = None
        self._phase: tuple[str, int | None, int, float, float] | None = None  # name, total, done, started, last

    def start(self, description: str, total: int | None) -> None:
        self.finish()
        if self.plain:
            now = time.monotonic()
            self._phase = (description, total, 0, now, now)
            self.console.print(f"{escape(description)}: started ({total if total is not None else '?'} to do)",
                               highlight=False, soft_wrap=True)
            return
        if not self.enabled:
            return
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=self.console, transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task(escape(description), total=total)

    def advance(self, amount: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, amount)
        elif self._phase is not None:
            name, total, done, started, last = self._phase
            done += amount
            now = time.monotonic()
            if now - last >= self.interval:
                of = f"/{total}" if total is not None else ""
                self.console.print(f"{escape(name)}: {done}{of} after {now - started:.0f} s",
                                   highlight=False, soft_wrap=True)
                last = now
            self._phase = (name, total, done, started, last)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        if self._phase is not None:
            name, _, done, started, _ = self._phase
            self.console.print(f"{escape(name)}: done, {done} in {time.monotonic() - started:.1f} s",
                               highlight=False, soft_wrap=True)
            self._phase = None


@contextmanager
def progress_display(quiet: bool = False) -> Iterator[RichProgress]:
    hook = RichProgress(quiet)
    try:
        yield hook
    finally:
        hook.finish()
