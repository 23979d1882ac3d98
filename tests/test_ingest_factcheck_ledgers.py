"""A file may be both an article input and a fact-check file: the two ledgers are kept apart."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from newstrace.factchecks import import_files
from newstrace.ingest import ingest
from newstrace.store import Store

REVIEW = {"@context": "https://schema.org", "@type": "ClaimReview", "url": "https://checker.example/grain",
          "datePublished": "2025-05-07T09:00:00Z", "author": {"@type": "Organization", "name": "Checker"},
          "claimReviewed": "Kaldor will export 3,500 tonnes of contaminated grain to Vestria.",
          "reviewRating": {"@type": "Rating", "alternateName": "False"}}

PAGE = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Fact check: grain</title>
<meta property="og:site_name" content="Checker">
<script type="application/ld+json">{json.dumps(REVIEW)}</script></head><body><article>
<h1>No, Kaldor is not exporting contaminated grain</h1>
<p>A report claimed that more than 3,500 tonnes of contaminated grain would be exported from Kaldor
City to Vestria. The ministry denied it and no shipment records support the claim.</p>
<p>We rate the claim false: the only source is an anonymous official quoted by one agency.</p>
</article></body></html>"""


def test_ingest_then_factcheck_import_of_the_same_file(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "fc2.html"
    path.write_text(PAGE, "utf-8")
    assert ingest(store, [str(path)]).stored == 1
    summary = import_files(store, [path])
    assert (summary.skipped_files, summary.seen, summary.stored) == (0, 1, 1)
    assert store.scalar("SELECT COUNT(*) FROM factchecks") == 1
    # Both are done now: neither is read again, in either order.
    assert import_files(store, [path]).skipped_files == 1
    assert ingest(store, [str(path)]).files[0].status == "already ingested"


def test_factcheck_import_then_ingest_of_the_same_file(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "fc2.html"
    path.write_text(PAGE, "utf-8")
    assert import_files(store, [path]).stored == 1
    report = ingest(store, [str(path)])
    assert report.files[0].status == "ingested" and report.stored == 1


def test_old_store_factcheck_rows_move_to_their_own_key(tmp_path: Path) -> None:
    """A store written before the ledgers were split: its fact-check rows (bare SHA-256 key,
    format factcheck-*) still mean 'imported', and its article rows still mean 'ingested'."""
    db = tmp_path / "old.db"
    checks, page = tmp_path / "checks.json", tmp_path / "page.html"
    checks.write_text(json.dumps([REVIEW]), "utf-8")
    page.write_text(PAGE, "utf-8")
    with Store.open(db) as store:
        assert ingest(store, [str(page)]).stored == 1
        assert import_files(store, [checks]).stored == 1
        new_key = store.scalar("SELECT source_key FROM ingest_sources WHERE format LIKE 'factcheck-%'")
        old_key = hashlib.sha256(checks.read_bytes()).hexdigest()
        with store.transaction() as conn:  # rewrite the fact-check rows as the old code wrote them
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            conn.exec_driver_sql("UPDATE ingest_sources SET source_key = ? WHERE source_key = ?", (old_key, new_key))
            conn.exec_driver_sql("UPDATE ingest_records SET source_key = ? WHERE source_key = ?", (old_key, new_key))
            # back to schema 11: later migrations' objects go too, so that they apply again
            conn.exec_driver_sql("DELETE FROM schema_migrations WHERE version >= 12")
            conn.exec_driver_sql("DROP TABLE IF EXISTS claim_details")
    with Store.open(db) as store:  # migrates again
        keys = {r["format"]: r["source_key"] for r in store.rows("SELECT format, source_key FROM ingest_sources")}
        assert keys["factcheck-json"] == "factcheck:" + hashlib.sha256(checks.read_bytes()).hexdigest()
        assert store.scalar("SELECT COUNT(*) FROM ingest_records WHERE source_key = :k",
                            {"k": keys["factcheck-json"]}) == 1
        assert store.scalar("PRAGMA foreign_key_check") is None
        assert import_files(store, [checks]).skipped_files == 1
        assert ingest(store, [str(page)]).files[0].status == "already ingested"
        assert ingest(store, [str(checks)]).files[0].status != "already ingested"
