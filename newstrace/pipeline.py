"""The analysis pipeline: named stages, each a function from store tables to store tables.

Each stage declares the tables it ``requires`` and ``assigns`` (as spaCy components do), so
the order is checked at start-up. A stage is incremental (it processes only the live articles
it has not seen, tracked in ``stage_done``) and idempotent: running ``analyze`` twice changes
nothing the second time. ``analyze(until=...)`` stops after the named stage.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .config import Config
from .errors import StageError
from .store import Store, utcnow

CORE_TABLES = frozenset({"articles", "article_urls", "ingest_sources", "ingest_records", "stage_done"})


class Progress:
    """Progress callbacks for long work; the CLI passes a rich-backed one. Default: silent."""

    def start(self, description: str, total: int | None) -> None:
        """A new phase begins; ``total`` units of work, or None when unknown."""

    def advance(self, amount: int = 1) -> None:
        """``amount`` more units of the current phase are done."""

    def finish(self) -> None:
        """The current phase is over."""


@dataclass
class StageContext:
    store: Store
    config: Config
    progress: Progress = field(default_factory=Progress)


@dataclass(frozen=True)
class Stage:
    name: str
    target: str  # "module:function", imported only when the stage runs
    requires: tuple[str, ...]
    assigns: tuple[str, ...]
    help: str

    def function(self) -> Callable[[StageContext], dict[str, Any]]:
        module_name, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]


#: The stages, in order. A stage joins this list when its module lands.
STAGES: tuple[Stage, ...] = (
    Stage("segment", "newstrace.segment:run", ("articles",), ("articles",),
          "split pages that hold several articles run together"),
    Stage("sentences", "newstrace.sentences:run", ("articles",), ("sentences",),
          "split live articles into sentences with character offsets"),
    Stage("reuse", "newstrace.reuse:run", ("articles", "sentences"), ("pairs", "passages"),
          "find copies, partial reuse and rewrites between articles, passage by passage"),
    Stage("stories", "newstrace.stories:run", ("articles", "sentences", "pairs"), ("stories", "story_articles"),
          "group articles into stories, incrementally, with stable story ids"),
    Stage("claims", "newstrace.claims:run", ("articles", "story_articles"), ("attributions", "claims", "citations"),
          "who said what: attributions, hedges, check-worthy claims and cited outlets"),
    Stage("trace", "newstrace.trace_stage:run", ("stories", "story_articles", "pairs", "claims", "attributions"),
          ("claim_groups", "claim_variants", "claim_details", "mutations", "provenance_edges",
           "story_origins"),
          "group claims across a story, type their mutations, build the provenance graph"),
    Stage("factcheck_match", "newstrace.factcheck_stage:run", ("stories", "story_articles", "claims"),
          ("factcheck_matches", "factcheck_article_flags", "factcheck_embeddings", "factcheck_match_state"),
          "match claims and story titles to imported fact-checks; carry verdicts to every article"),
)


def table_stages() -> dict[str, str]:
    """The stage that writes each table (``articles``, which ingest creates, left out): an empty
    table whose stage never ran means "not analysed", not "none found"."""
    return {table: stage.name for stage in STAGES for table in stage.assigns if table != "articles"}


def check_order(stages: tuple[Stage, ...] = STAGES) -> None:
    """Raise StageError if a stage requires a table that no earlier stage assigns."""
    available = set(CORE_TABLES)
    for stage in stages:
        missing = [t for t in stage.requires if t not in available]
        if missing:
            raise StageError(f"Stage {stage.name!r} requires {missing}, which no earlier stage assigns.")
        available.update(stage.assigns)


def stage_names() -> list[str]:
    return [s.name for s in STAGES]


def analyze(
    store: Store,
    config: Config | None = None,
    *,
    until: str | None = None,
    progress: Progress | None = None,
) -> dict[str, dict[str, Any]]:
    """Run every stage in order (up to and including ``until``); return each stage's summary."""
    check_order()
    names = stage_names()
    if until is not None and until not in names:
        raise StageError(f"No stage {until!r}. Stages, in order: {', '.join(names)}.")
    ctx = StageContext(store, config or Config(), progress or Progress())
    results: dict[str, dict[str, Any]] = {}
    for stage in STAGES:
        started = utcnow()
        summary = stage.function()(ctx) or {}
        with store.transaction() as conn:
            conn.exec_driver_sql(
                "INSERT INTO stage_runs(stage, started_at, finished_at, summary) VALUES (?,?,?,?)",
                (stage.name, started, utcnow(), json.dumps(summary, default=str)),
            )
        results[stage.name] = summary
        if stage.name == until:
            break
    return results
