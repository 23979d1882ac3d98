"""The pipeline: stage order checked at start-up, --until, and idempotent incremental runs."""

from __future__ import annotations

import pytest

from newstrace.errors import StageError
from newstrace.fixtures import add_articles
from newstrace.pipeline import STAGES, Stage, analyze, check_order
from newstrace.store import Store


def test_pipeline_declared_order_is_consistent() -> None:
    check_order()
    names = [s.name for s in STAGES]
    assert len(names) == len(set(names))


def test_pipeline_order_check_catches_a_missing_table() -> None:
    bad = (Stage("late", "x:y", ("claims",), ("mutations",), "needs claims"),)
    with pytest.raises(StageError, match="requires \\['claims'\\]"):
        check_order(bad)


def test_pipeline_until_unknown_stage_lists_the_stages(store: Store) -> None:
    with pytest.raises(StageError, match="Stages, in order: segment"):
        analyze(store, until="nope")


def test_pipeline_until_stops_early_and_rerun_is_idempotent(store: Store) -> None:
    add_articles(store, [{"title": "One", "text": "A first sentence. A second one."}], status="new")
    results = analyze(store, until="sentences")
    assert list(results) == ["segment", "sentences"]
    assert store.scalar("SELECT COUNT(*) FROM sentences") == 2
    before = store.counts()
    analyze(store, until="sentences")
    after = store.counts()
    before.pop("stage_runs"), after.pop("stage_runs")
    assert before == after
