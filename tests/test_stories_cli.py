"""`newstrace stories` and `newstrace story ID` print stories, with untrusted text shown as-is."""

from __future__ import annotations

import zlib

import numpy as np
from click.testing import CliRunner

from newstrace import models, sentences, stories
from newstrace.cli_common import console
from newstrace.cli_stories import COMMANDS, stories_command, story_command
from newstrace.config import Config
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext

FLOOD = "zebra flood river levee town water rescue boats families shelter"


def hashed_bag_of_words(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """A deterministic stand-in for the embedder (bag of words hashed into 384 dimensions)."""
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().replace(".", " ").split():
            out[i, zlib.crc32(word.encode()) % 384] += 1.0
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_stories_cli_lists_and_shows(store, monkeypatch):
    monkeypatch.setattr(models, "embed", hashed_bag_of_words)
    monkeypatch.setattr(console, "width", 250)  # keep table cells on one line
    first, second = add_articles(store, [
        {"title": "[bold red]Flood[/] in town", "text": FLOOD + ".", "outlet": "a.com",
         "published": "2024-03-01T10:00:00+00:00"},
        {"title": "Flood again", "text": FLOOD + " again.", "outlet": "[link=x]b.com",
         "published": "2024-03-02T10:00:00+00:00"},
    ])
    ctx = StageContext(store, Config({"stories.threshold": 0.5}))
    sentences.run(ctx)
    stories.run(ctx)
    runner = CliRunner()
    listed = runner.invoke(stories_command, ["--db", store.path])
    assert listed.exit_code == 0, listed.output
    assert "[bold red]Flood[/] in town" in listed.output
    assert "2024-03-01" in listed.output and f"s-{first}" in listed.output
    shown = runner.invoke(story_command, ["--db", store.path, f"s-{first}"])
    assert shown.exit_code == 0, shown.output
    assert "[link=x]b.com" in shown.output and second in shown.output
    assert "2 articles" in shown.output
    missing = runner.invoke(story_command, ["--db", store.path, "s-missing"])
    assert missing.exit_code == 2 and "newstrace stories" in missing.output


def test_stories_cli_commands_have_help():
    assert [c.name for c in COMMANDS] == ["stories", "story"]
    assert all(c.help for c in COMMANDS)


def test_story_id_prefix_resolves_in_every_command(store):
    """README: "A story id may be shortened to a unique prefix" in `story`, `trace`, `claims`,
    `factchecks claimreview` and the web UI alike; an ambiguous prefix says so."""
    from starlette.testclient import TestClient

    from newstrace.cli_factchecks import factchecks_group
    from newstrace.cli_trace import trace_cmd
    from newstrace.web.app import create_app
    from newstrace.web.sample import build_sample

    build_sample(store)
    db = ["--db", str(store.path)]
    shown = CliRunner().invoke(story_command, [*db, "mosul-9"])
    assert shown.exit_code == 0, shown.output
    assert "9,000 IS fighters to be let out of Mosul" in shown.output
    assert CliRunner().invoke(trace_cmd, [*db, "mosul-9", "--json"]).exit_code == 0
    review = CliRunner().invoke(factchecks_group, ["claimreview", *db, "mosul-9"])
    assert review.exit_code == 0, review.output
    page = TestClient(create_app(store.path)).get("/story/mosul-9")
    assert page.status_code == 200 and "let out of Mosul" in page.text
    from newstrace.provenance import lineage, story_graph

    assert lineage(store, "mosul-9")["articles"] and story_graph(store, "mosul-9").graph["story_id"].startswith("mosul-9")
    with store.transaction() as conn:
        conn.exec_driver_sql("INSERT INTO stories(id, title, size, created_at, updated_at) VALUES ('mosul-9001', 'another', 1, '2024', '2024')")
    ambiguous = CliRunner().invoke(story_command, [*db, "mosul-9"])
    assert ambiguous.exit_code == 2 and "start of several story ids" in ambiguous.output
    assert TestClient(create_app(store.path)).get("/story/mosul-9").status_code == 404
    unknown = CliRunner().invoke(story_command, [*db, "nothing-like-it"])
    assert unknown.exit_code == 2 and "No story 'nothing-like-it'" in unknown.output


def test_cli_strips_terminal_control_sequences_from_stored_text(store):
    """A store written before ingest stripped control characters may hold them: the CLI never
    passes ESC sequences (screen clearing, hidden OSC 8 links) to the terminal."""
    from newstrace.cli_trace import trace_cmd
    from newstrace.web.sample import build_sample

    ids = build_sample(store, payload="\x1b[2J\x1b]8;;https://evil.example\x07click\x1b]8;;\x07")
    db = ["--db", str(store.path)]
    for command, args in ((stories_command, []), (story_command, [ids["stories"][0]]),
                          (trace_cmd, [ids["stories"][0]])):
        result = CliRunner().invoke(command, [*db, *args])
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output
        assert "click" in result.output or command is not stories_command
