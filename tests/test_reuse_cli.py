"""`newstrace pair A B` prints the relation and its evidence, and errors cleanly."""

from __future__ import annotations

import random

import click
from click.testing import CliRunner

from newstrace import reuse, sentences
from newstrace.cli_reuse import COMMANDS, pair_command
from newstrace.config import Config
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext
from newstrace.store import Store


def test_reuse_cli_pair_prints_evidence(store: Store) -> None:
    rng = random.Random(2)
    words = "army city report minister source agency forces attack offensive deal talks troops".split()
    text = " ".join(rng.choice(words) + str(rng.randint(0, 99)) for _ in range(150))
    ids = add_articles(store, [
        {"text": text, "outlet": "a.com", "published": "2020-01-01T00:00:00+00:00"},
        {"text": "Copied.\n" + text, "outlet": "b.com", "published": "2020-01-02T00:00:00+00:00"},
        {"text": "Unrelated words about a football match and its goals, fans and coaches.", "outlet": "c.com"},
    ])
    ctx = StageContext(store, Config({"reuse.semantic": False}))
    sentences.run(ctx)
    reuse.run(ctx)
    runner = CliRunner()
    result = runner.invoke(pair_command, ["--db", store.path, ids[1][:8], ids[0]])
    assert result.exit_code == 0, result.output
    assert "copy" in result.output and "verbatim" in result.output
    assert "came first" in result.output
    result = runner.invoke(pair_command, ["--db", store.path, ids[0], ids[2]])
    assert result.exit_code == 0 and "Unrelated" in result.output
    result = runner.invoke(pair_command, ["--db", store.path, ids[0], "ffffffffffff"])
    assert result.exit_code == 2 and "No article" in result.output
    assert all(isinstance(c, click.Command) and c.help for c in COMMANDS)
