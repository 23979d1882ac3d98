"""What is in a store: row counts per table, the ingest ledger's totals, rejections by reason,
and which stages have run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .store import Store


@dataclass(frozen=True)
class StoreStatus:
    path: str | None
    schema_version: int
    counts: dict[str, int]
    articles_by_status: dict[str, int]
    seen: int
    stored: int
    duplicates: int
    rejected: int
    factcheck_records: dict[str, int] = field(default_factory=dict)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        """The ledger invariant: every record seen was stored, merged as a duplicate, or rejected."""
        return self.seen == self.stored + self.duplicates + self.rejected


def store_status(store: Store, *, max_rejections: int = 20) -> StoreStatus:
    # Fact-check imports share the ledger (formats 'factcheck-*'); articles are counted apart.
    outcomes = {r["outcome"]: r["n"] for r in store.rows(
        "SELECT outcome, COUNT(*) AS n FROM ingest_records r JOIN ingest_sources s USING (source_key) "
        "WHERE s.format NOT LIKE 'factcheck-%' GROUP BY outcome")}
    fc_outcomes = {r["outcome"]: r["n"] for r in store.rows(
        "SELECT outcome, COUNT(*) AS n FROM ingest_records r JOIN ingest_sources s USING (source_key) "
        "WHERE s.format LIKE 'factcheck-%' GROUP BY outcome")}
    by_status = {r["status"]: r["n"] for r in store.rows(
        "SELECT status, COUNT(*) AS n FROM articles GROUP BY status")}
    rejections = store.rows(
        "SELECT reason, COUNT(*) AS n, MIN(s.path || ' @ ' || r.locator) AS example "
        "FROM ingest_records r JOIN ingest_sources s USING (source_key) "
        "WHERE outcome = 'rejected' GROUP BY reason ORDER BY n DESC LIMIT :k",
        {"k": max_rejections},
    )
    stages = store.rows(
        "SELECT stage, MAX(finished_at) AS last_run, "
        "(SELECT COUNT(*) FROM stage_done d WHERE d.stage = r.stage) AS articles_done "
        "FROM stage_runs r GROUP BY stage ORDER BY MIN(id)"
    )
    return StoreStatus(
        path=store.path,
        schema_version=store.schema_version(),
        counts=store.counts(),
        articles_by_status=by_status,
        seen=sum(outcomes.values()),
        stored=outcomes.get("stored", 0),
        duplicates=outcomes.get("duplicate", 0),
        rejected=outcomes.get("rejected", 0),
        factcheck_records=fc_outcomes,
        rejections=rejections,
        stages=stages,
    )
