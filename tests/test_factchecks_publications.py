"""EUvsDisinfo publication lists: each case's publications become listed appearances, so an
article at such a URL matches the case outright."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from newstrace.config import Config
from newstrace.factcheck_stage import match_listed_appearances
from newstrace.factchecks import import_files
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext
from newstrace.store import Store

CASE = "https://euvsdisinfo.eu/report/nato-plans-to-invade-sildovia/"
OTHER_CASE = "https://euvsdisinfo.eu/report/arvenia-poisons-its-rivers/"


def _write(tmp_path: Path) -> tuple[Path, Path]:
    posts = tmp_path / "posts.csv"
    posts.write_text(
        "date,id,title,countries,keywords,languages,outlets\n"
        f"2020-03-01,{CASE},NATO plans to invade Sildovia,Sildovia,NATO,English,example.net\n"
        f"2020-03-02,{OTHER_CASE},Arvenia poisons its rivers on purpose,Arvenia,,English,example.org\n")
    publications = tmp_path / "publications_test.csv"
    with open(publications, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "publication", "archive"])
        writer.writerow([CASE, "https://news.example.net/world/nato-sildovia?utm_source=tw", "http://archive.example/1"])
        writer.writerow([CASE, "https://video.example.com/watch?v=abc", ""])
        writer.writerow([OTHER_CASE, "https://www.example.org/rivers", ""])
        writer.writerow(["https://euvsdisinfo.eu/report/a-case-not-in-posts/", "https://x.example/1", ""])
        writer.writerow([CASE, "not a url", ""])
    return posts, publications


def _appearances(store: Store, case_url: str) -> list[str]:
    meta = store.scalar("SELECT metadata FROM factchecks WHERE url = :u", {"u": case_url})
    return json.loads(meta).get("appearances", [])


def test_factchecks_publications_add_appearances_in_any_file_order(store: Store, tmp_path: Path) -> None:
    posts, publications = _write(tmp_path)
    summary = import_files(store, [publications, posts])  # publication lists are read last
    assert (summary.seen, summary.stored, summary.duplicate, summary.rejected) == (2 + 5, 2 + 3, 0, 2)
    assert summary.reasons["EUvsDisinfo case not imported: import its case list (posts.csv) first, "
                           "or in the same command"] == 1
    assert any("'not a url' is not a URL" in r for r in summary.reasons)
    assert _appearances(store, CASE) == ["https://news.example.net/world/nato-sildovia?utm_source=tw",
                                         "https://video.example.com/watch?v=abc"]
    assert _appearances(store, OTHER_CASE) == ["https://www.example.org/rivers"]
    ledger = store.rows("SELECT outcome, COUNT(*) AS n FROM ingest_records GROUP BY outcome ORDER BY outcome")
    assert [(r["outcome"], r["n"]) for r in ledger] == [("rejected", 2), ("stored", 5)]
    again = import_files(store, [posts, publications])  # idempotent
    # The case list is done; the publication list still waits for the case it does not hold,
    # so that one row is tried again (and rejected again), and nothing else changes.
    assert (again.skipped_files, again.seen, again.rejected, again.stored) == (1, 1, 1, 0)
    assert _appearances(store, OTHER_CASE) == ["https://www.example.org/rivers"]


def test_factchecks_publications_before_their_case_list_are_added_later(store: Store, tmp_path: Path) -> None:
    posts, publications = _write(tmp_path)
    first = import_files(store, [publications])
    assert first.stored == 0 and first.rejected == 5
    assert import_files(store, [posts]).stored == 2
    # As the rejection says: import the case list, then the publication list again.
    later = import_files(store, [publications])
    assert later.stored == 3
    assert _appearances(store, OTHER_CASE) == ["https://www.example.org/rivers"]
    ledger = store.rows("SELECT outcome, COUNT(*) AS n FROM ingest_records GROUP BY outcome ORDER BY outcome")
    assert [(r["outcome"], r["n"]) for r in ledger] == [("rejected", 2), ("stored", 5)]


def test_factchecks_publications_twice_under_another_name_adds_nothing(store: Store, tmp_path: Path) -> None:
    posts, publications = _write(tmp_path)
    import_files(store, [posts, publications])
    copy = tmp_path / "publications_copy.csv"
    copy.write_text(publications.read_text() + f"{OTHER_CASE},https://another.example/rivers,\n")
    summary = import_files(store, [copy])
    assert (summary.stored, summary.duplicate, summary.rejected) == (1, 3, 2)
    assert _appearances(store, OTHER_CASE) == ["https://www.example.org/rivers", "https://another.example/rivers"]


def test_factchecks_publication_url_matches_the_article_outright(store: Store, tmp_path: Path) -> None:
    from newstrace.factcheck_stage import run

    posts, publications = _write(tmp_path)
    import_files(store, [posts, publications])
    carried, unrelated = add_articles(store, [
        # Listed with tracking parameters; the article's URL is canonicalised the same way.
        {"title": "Weather and parking", "text": "Nothing here about any army.",
         "url": "https://news.example.net/world/nato-sildovia", "published": "2020-02-28T09:00:00+00:00"},
        {"title": "Other", "text": "Unrelated text.", "url": "https://news.example.net/world/other"},
    ])
    summary = run(StageContext(store, Config()))
    assert summary["listed_appearances"] == 1
    case_id = store.scalar("SELECT id FROM factchecks WHERE url = :u", {"u": CASE})
    rows = store.rows("SELECT factcheck_id, target_id, score, rank, matched FROM factcheck_matches WHERE rank = 0")
    assert [(r["factcheck_id"], r["target_id"], r["score"], r["matched"]) for r in rows] == [(case_id, carried, 1.0, 1)]
    assert match_listed_appearances(store) == 1  # idempotent: the same match, replaced
    assert store.scalar("SELECT COUNT(*) FROM factcheck_matches WHERE rank = 0") == 1
    assert not store.rows("SELECT 1 FROM factcheck_matches WHERE target_id = :u AND rank = 0", {"u": unrelated})


def test_factchecks_real_euvsdisinfo_publication_list(shared_data: Path) -> None:
    files = sorted((shared_data / "euvsdisinfo").glob("publications_*.csv"))
    if not files:
        pytest.skip(f"no EUvsDisinfo publications_*.csv in {shared_data / 'euvsdisinfo'}")
    from newstrace.factchecks import read_records

    fmt, records = read_records(files[0], files[0].read_bytes())
    assert fmt == "factcheck-euvsdisinfo-publications"
    records = list(records)
    assert len(records) == 15093  # data rows of publications_d807e47.csv
    rejected = [r for _, r in records if isinstance(r, str)]
    assert len(rejected) < 0.01 * len(records)
    assert records[0][1].review_url.startswith("https://euvsdisinfo.eu/report/")  # type: ignore[union-attr]
