"""The store: a real SQLite file in WAL mode, numbered migrations, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from newstrace.errors import SchemaError, StoreError
from newstrace.fixtures import add_articles
from newstrace.store import Store, migrations


def test_store_is_wal_sqlite_with_all_migrations(store: Store) -> None:
    assert store.scalar("PRAGMA journal_mode") == "wal"
    assert store.schema_version() == migrations()[-1][0]
    assert {"articles", "article_urls", "ingest_sources", "ingest_records", "stage_done", "sentences"} <= set(store.tables())
    assert store.integrity_check() == "ok"


def test_store_migrate_twice_applies_nothing(store: Store) -> None:
    assert store.migrate() == []


def test_store_migration_numbers_are_unique_and_ordered() -> None:
    versions = [v for v, _, _ in migrations()]
    assert versions == sorted(set(versions)) and versions[0] == 1


def test_store_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    with Store.open(path) as s, s.transaction() as conn:
        conn.exec_driver_sql("INSERT INTO schema_migrations VALUES (9999, 'future', 'now')")
    with pytest.raises(SchemaError, match="Upgrade newstrace"):
        Store.open(path)


def test_store_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a newstrace database"):
        Store.open(path)


def test_store_missing_folder_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "nope" / "x.db")


def test_store_content_hash_makes_reinsert_harmless(store: Store) -> None:
    items = [{"title": "T", "text": "Body text.", "published": "2016-10-17T00:00:00+00:00"}]
    first = add_articles(store, items)
    second = add_articles(store, items)
    assert first == second
    assert store.scalar("SELECT COUNT(*) FROM articles") == 1


def test_store_pending_tracks_stage_progress(store: Store) -> None:
    ids = add_articles(store, [{"title": "A", "text": "a"}, {"title": "B", "text": "b"}])
    assert sorted(store.pending("x")) == sorted(ids)
    with store.transaction() as conn:
        Store.mark_done(conn, "x", ids[:1])
    assert store.pending("x") == ids[1:]
