"""The store: one SQLite file in WAL mode, behind SQLAlchemy Core.

Stages talk to the store only through this module and plain SQL over the tables that the
numbered migrations in ``newstrace/migrations`` create, so that a PostgreSQL store can follow
by adding a dialect's migrations without touching the stages.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .errors import SchemaError, StoreError

DEFAULT_DB = "newstrace.db"
_MIGRATION_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards escaped, for a pattern with ``ESCAPE '\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def utcnow() -> str:
    """Now, as the ISO-8601 UTC string the store uses for every time."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def migrations() -> list[tuple[int, str, str]]:
    """The packaged migrations as (version, name, sql), in order."""
    found = []
    for entry in resources.files("newstrace.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise StoreError(f"Two migrations share a number: {versions}")
    return found


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script, split where SQLite says a statement is complete
    (so a ';' inside a comment or a string does not split)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            body = "\n".join(x for x in buffer.splitlines() if not x.strip().startswith("--")).strip()
            if body.rstrip(";").strip():
                statements.append(body)
            buffer = ""
    rest = "\n".join(x for x in buffer.splitlines() if not x.strip().startswith("--")).strip()
    if rest and sqlite3.complete_statement(rest + ";"):  # a last statement without its ';'
        statements.append(rest)
    elif rest:
        raise StoreError(f"A migration ends with an incomplete statement: {buffer.strip()[:200]!r}")
    return statements


class Store:
    """A newstrace database. Open with ``Store.open(path)``; close with ``close()``."""

    def __init__(self, engine: Engine, path: str | None = None) -> None:
        self.engine = engine
        self.path = path

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path = DEFAULT_DB, *, migrate: bool = True) -> Store:
        """Open (creating if needed) the SQLite store at ``path`` and bring its schema up to date."""
        path = str(path)
        if path != ":memory:":
            parent = Path(path).expanduser().resolve().parent
            if not parent.exists():
                raise StoreError(
                    f"Cannot create the database {path!r}: the folder {str(parent)!r} does not "
                    "exist. Create it first or pass another --db path."
                )
        url = "sqlite://" if path == ":memory:" else f"sqlite:///{Path(path).expanduser()}"
        engine = sa.create_engine(
            url,
            connect_args={"timeout": 60, "check_same_thread": False},
            # One connection per thread; SQLite serialises writers itself.
            poolclass=sa.pool.StaticPool if path == ":memory:" else sa.pool.QueuePool,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            # Let SQLAlchemy's transactions map onto SQLite ones (pysqlite quirk).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        store = cls(engine, path)
        try:
            if migrate:
                store.migrate()
        except sa.exc.DatabaseError as exc:
            engine.dispose()
            raise StoreError(
                f"{path!r} is not a newstrace database (or is damaged): {exc.orig}. "
                "Pass another --db path, or move the file away."
            ) from exc
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ----------------------------------------------------------------------------
    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            has = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'"
            ).first()
            if not has:
                return 0
            return int(conn.exec_driver_sql("SELECT MAX(version) FROM schema_migrations").scalar() or 0)

    def migrate(self) -> list[int]:
        """Apply the packaged migrations this store lacks; return the versions applied."""
        known = migrations()
        newest = known[-1][0] if known else 0
        current = self.schema_version()
        if current > newest:
            raise SchemaError(
                f"The database {self.path!r} has schema version {current}, newer than this "
                f"newstrace understands ({newest}). Upgrade newstrace."
            )
        applied = []
        with self.transaction() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            current = int(conn.exec_driver_sql("SELECT MAX(version) FROM schema_migrations").scalar() or 0)
            for version, name, sql in known:
                if version <= current:
                    continue
                for statement in _split_sql(sql):
                    conn.exec_driver_sql(statement)
                conn.execute(
                    sa.text("INSERT INTO schema_migrations VALUES (:v, :n, :t)"),
                    {"v": version, "n": name, "t": utcnow()},
                )
                applied.append(version)
        return applied

    # -- access ----------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction (BEGIN IMMEDIATE): committed on success, rolled back on error."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading (each statement sees the latest committed data)."""
        with self.engine.connect() as conn:
            yield conn

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a read query and return plain dict rows."""
        with self.read() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql), params or {})]

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        with self.read() as conn:
            return conn.execute(sa.text(sql), params or {}).scalar()

    def tables(self) -> list[str]:
        return [
            r["name"]
            for r in self.rows(
                "SELECT name FROM sqlite_master WHERE type IN ('table','view') "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]

    def columns(self, table: str) -> list[str]:
        if table not in self.tables():
            raise StoreError(f"No table {table!r} in the store.")
        return [r["name"] for r in self.rows(f'PRAGMA table_info("{table}")')]

    def counts(self) -> dict[str, int]:
        """Row count of every table (not views)."""
        names = [
            r["name"]
            for r in self.rows(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        with self.read() as conn:
            return {n: int(conn.exec_driver_sql(f'SELECT COUNT(*) FROM "{n}"').scalar() or 0) for n in names}

    def integrity_check(self) -> str:
        return str(self.scalar("PRAGMA integrity_check"))

    # -- incremental stages ----------------------------------------------------------------
    def pending(self, stage: str, *, limit: int | None = None) -> list[str]:
        """Ids of live articles the stage has not processed yet, oldest first."""
        sql = (
            "SELECT a.id FROM articles a WHERE a.status = 'live' AND NOT EXISTS "
            "(SELECT 1 FROM stage_done d WHERE d.stage = :stage AND d.article_id = a.id) "
            "ORDER BY COALESCE(a.published_at, '9999'), a.id"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [r["id"] for r in self.rows(sql, {"stage": stage})]

    @staticmethod
    def mark_done(conn: Connection, stage: str, article_ids: Iterable[str]) -> None:
        """Record, inside the caller's transaction, that the stage processed these articles."""
        conn.exec_driver_sql(
            "INSERT OR IGNORE INTO stage_done(stage, article_id) VALUES (?, ?)",
            [(stage, a) for a in article_ids],
        )

    def done_count(self, stage: str) -> int:
        return int(self.scalar("SELECT COUNT(*) FROM stage_done WHERE stage = :s", {"s": stage}) or 0)

    def articles(self, ids: Sequence[str] | None = None, *, live_only: bool = True) -> list[dict[str, Any]]:
        """Article rows (metadata decoded), for the given ids or all live ones."""
        where = ["status = 'live'"] if live_only else []
        params: dict[str, Any] = {}
        if ids is not None:
            if not ids:
                return []
            where.append("id IN (SELECT value FROM json_each(:ids))")
            params["ids"] = json.dumps(list(ids))
        sql = "SELECT * FROM articles"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY COALESCE(published_at, '9999'), id"
        out = self.rows(sql, params)
        for row in out:
            row["metadata"] = json.loads(row["metadata"] or "{}")
        return out
