"""Every CLI command has help text and is documented in the README (sqlite-utils' test_docs)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from newstrace.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")


def _commands(group: click.Group, prefix: str = "newstrace") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, path))
    return found


@pytest.mark.parametrize("path,command", _commands(main), ids=lambda v: v if isinstance(v, str) else "")
def test_cli_docs_command_has_help_and_is_in_readme(path: str, command: click.Command) -> None:
    assert (command.help or "").strip(), f"{path} has no help text"
    assert re.search(re.escape(path) + r"\b", README), f"{path} is not documented in README.md"


def test_cli_docs_every_option_has_help() -> None:
    for path, command in _commands(main):
        for param in command.params:
            if isinstance(param, click.Option) and param.name not in ("help", "version"):
                assert (param.help or "").strip() or param.is_flag and param.name == "quiet" or param.name in (
                    "fmt", "tables"), f"{path} {param.opts} has no help"
