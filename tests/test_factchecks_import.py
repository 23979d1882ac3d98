"""Fact-check import: every format, idempotent re-import, rejections recorded with reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newstrace.errors import InputError
from newstrace.factchecks import import_files, normalise_verdict, parse_date
from newstrace.store import Store

CLAIMREVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://checker.example/2023/05/moon-cheese/",
    "datePublished": "2023-05-02T10:00:00+02:00",
    "author": {"@type": "Organization", "name": "Checker"},
    "claimReviewed": "The Moon is made of cheese.",
    "name": "No, the Moon is not made of cheese",
    "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "A. Blogger"},
                     "datePublished": "2023-04-30",
                     "appearance": [{"@type": "CreativeWork", "url": "https://blog.example/moon"}]},
    "reviewRating": {"@type": "Rating", "ratingValue": 1, "bestRating": 5, "worstRating": 1,
                     "alternateName": "Pants on Fire"},
}


def _second(claim: str, url: str, rating: str) -> dict:
    return {**CLAIMREVIEW, "claimReviewed": claim, "url": url,
            "reviewRating": {"@type": "Rating", "alternateName": rating}}


def _rows(store: Store) -> list[dict]:
    return store.rows("SELECT * FROM factchecks ORDER BY claim")


def test_factchecks_single_claimreview_is_stored_with_normalised_fields(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "one.jsonld"
    path.write_text(json.dumps(CLAIMREVIEW))
    summary = import_files(store, [path])
    assert (summary.seen, summary.stored, summary.rejected) == (1, 1, 0)
    row = _rows(store)[0]
    assert row["claim"] == "The Moon is made of cheese."
    assert row["verdict"] == "false" and row["rating"] == "Pants on Fire"
    assert row["published_at"] == "2023-05-02T08:00:00+00:00"  # converted to UTC
    assert row["publisher"] == "Checker" and row["claimant"] == "A. Blogger"
    assert row["claim_date"] == "2023-04-30T00:00:00+00:00"
    assert json.loads(row["metadata"])["appearances"] == ["https://blog.example/moon"]
    assert row["source_format"] == "claimreview"


def test_factchecks_list_and_graph_and_html_embedding(store: Store, tmp_path: Path) -> None:
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([CLAIMREVIEW, _second("Vaccines contain microchips.",
                                                        "https://checker.example/chips", "False")]))
    graph = tmp_path / "graph.json"
    graph.write_text(json.dumps({"@context": "https://schema.org", "@graph": [
        {"@type": "WebPage", "name": "x"},
        _second("Drinking bleach cures flu.", "https://checker.example/bleach", "Misleading")]}))
    page = tmp_path / "page.html"
    page.write_text(
        "<!doctype html><html><head><title>t</title>"
        '<script type="application/ld+json">{"@type": "Organization", "name": "Checker"}</script>'
        f'<script type="application/ld+json">{json.dumps(_second("Five planets align tonight.", "https://checker.example/planets", "Half True"))}</script>'
        "</head><body>text</body></html>")
    summary = import_files(store, [listed, graph, page])
    assert summary.stored == 4 and summary.rejected == 0
    verdicts = {r["claim"]: r["verdict"] for r in _rows(store)}
    assert verdicts == {"The Moon is made of cheese.": "false", "Vaccines contain microchips.": "false",
                        "Drinking bleach cures flu.": "misleading", "Five planets align tonight.": "mixed"}
    formats = {r["format"] for r in store.rows("SELECT format FROM ingest_sources")}
    assert formats == {"factcheck-json", "factcheck-html"}


def test_factchecks_google_api_response_shape(store: Store, tmp_path: Path) -> None:
    response = {"claims": [
        {"text": "Tap water in Springfield is radioactive", "claimant": "Social media users",
         "claimDate": "2022-01-03T00:00:00Z",
         "claimReview": [
             {"publisher": {"name": "FactFinders", "site": "factfinders.example"},
              "url": "https://factfinders.example/tap-water", "title": "Springfield water is safe",
              "reviewDate": "2022-01-05T00:00:00Z", "textualRating": "Falso", "languageCode": "es"},
             {"publisher": {"name": "OtherCheck", "site": "othercheck.example"},
              "url": "https://othercheck.example/water", "reviewDate": "2022-01-06T12:00:00Z",
              "textualRating": "Not true", "languageCode": "en"}]},
        {"text": "A claim nobody reviewed"},
    ], "nextPageToken": "abc"}
    path = tmp_path / "api.json"
    path.write_text(json.dumps(response))
    summary = import_files(store, [path])
    assert (summary.seen, summary.stored, summary.rejected) == (3, 2, 1)
    rows = store.rows("SELECT publisher, verdict, claimant, source_format FROM factchecks ORDER BY publisher")
    assert [r["publisher"] for r in rows] == ["FactFinders", "OtherCheck"]
    assert rows[1]["verdict"] == "false" and rows[0]["claimant"] == "Social media users"
    assert rows[0]["verdict"] == "false"  # "Falso"
    assert {r["source_format"] for r in rows} == {"google-factcheck-api"}
    reason = store.scalar("SELECT reason FROM ingest_records WHERE outcome = 'rejected'")
    assert "without claimReview" in reason


def test_factchecks_reimport_is_idempotent_and_resumes(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text(json.dumps([CLAIMREVIEW, _second("Cats can fly.", "https://checker.example/cats", "False")]))
    first = import_files(store, [path])
    before = store.counts()
    again = import_files(store, [path])
    assert first.stored == 2 and again.skipped_files == 1 and again.seen == 0
    assert store.counts() == before
    # The same reviews in another file (another format) are duplicates, not new fact-checks.
    copy = tmp_path / "copy.html"
    copy.write_text(f'<html><script type="application/ld+json">{json.dumps(CLAIMREVIEW)}</script></html>')
    third = import_files(store, [copy])
    assert (third.duplicate, third.stored) == (1, 0)
    assert store.scalar("SELECT COUNT(*) FROM factchecks") == 2
    # A killed run leaves the source incomplete; the next run skips the records already entered.
    store_key = store.scalar("SELECT source_key FROM ingest_sources WHERE path = :p", {"p": str(path)})
    with store.transaction() as conn:
        conn.exec_driver_sql("UPDATE ingest_sources SET complete = 0 WHERE source_key = ?", (store_key,))
    resumed = import_files(store, [path])
    assert resumed.seen == 0 and store.counts() == {**before, **{"ingest_records": store.counts()["ingest_records"],
                                                              "ingest_sources": store.counts()["ingest_sources"]}}


def test_factchecks_malformed_records_are_rejected_with_reasons(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([
        json.dumps(CLAIMREVIEW),
        "{not json",
        json.dumps({"@type": "ClaimReview", "url": "https://x.example/1"}),  # no claim
        json.dumps({"@type": "WebPage"}),
    ]) + "\n")
    summary = import_files(store, [bad])
    assert (summary.seen, summary.stored, summary.rejected) == (4, 1, 3)
    ledger = store.rows("SELECT locator, outcome, reason FROM ingest_records ORDER BY locator")
    reasons = {r["locator"]: r["reason"] for r in ledger if r["outcome"] == "rejected"}
    assert reasons["line 2"].startswith("not valid JSON")
    assert "without claimReviewed" in reasons["line 3: claimreview[0]"]
    assert "no ClaimReview" in reasons["line 4: "]
    assert len(ledger) == summary.seen  # seen = stored + duplicate + rejected, all in the ledger
    page = tmp_path / "plain.html"
    page.write_text("<html><body>no markup</body></html>")
    assert import_files(store, [page]).rejected == 1
    # A file in no known format is one rejected record, and the files after it are still read.
    (tmp_path / "x.txt").write_text("hello")
    (tmp_path / "ok.json").write_text(json.dumps(_second("Cats can fly.", "https://checker.example/cats", "False")))
    mixed = import_files(store, [tmp_path / "x.txt", tmp_path / "ok.json"])
    assert (mixed.rejected, mixed.stored) == (1, 1)
    assert "not a fact-check format" in next(iter(mixed.reasons))
    # A missing path stops the run before any work.
    with pytest.raises(InputError, match="No file"):
        import_files(store, [tmp_path / "ok.json", tmp_path / "missing.json"])


def test_factchecks_euvsdisinfo_slice(store: Store, shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "euvsdisinfo" / "posts.csv").read_text("utf-8").splitlines(keepends=True)
    path = tmp_path / "posts.csv"
    path.write_text("".join(lines[:201]) + ",not-a-url,A case without its URL,,,,\n")
    summary = import_files(store, [path])
    assert summary.seen == 201 and summary.rejected == 1
    assert summary.stored + summary.duplicate == 200
    row = store.rows("SELECT * FROM factchecks WHERE claim = 'German special services helped Navalny'")[0]
    assert row["verdict"] == "false" and row["publisher"] == "EUvsDisinfo"
    assert row["published_at"] == "2021-02-18T00:00:00+00:00"
    meta = json.loads(row["metadata"])
    assert meta["outlets"] == ["TASS - Russian"] and meta["date_precision"] == "day"


def test_factchecks_clef_claim_sets(store: Store, shared_data: Path, tmp_path: Path) -> None:
    tsv = (shared_data / "clef2020-claim-retrieval" / "verified_claims.docs.tsv").read_text("utf-8")
    path = tmp_path / "verified_claims.docs.tsv"
    path.write_text("\n".join(tsv.split("\n")[:101]) + "\n")
    jsonl = (shared_data / "clef2022-claim-retrieval" / "vclaims.jsonl").read_text("utf-8").splitlines()[:50]
    path2 = tmp_path / "vclaims.jsonl"
    path2.write_text("\n".join(jsonl) + "\n")
    summary = import_files(store, [path, path2])
    assert summary.rejected == 0 and summary.seen == 150
    by_format = {r["source_format"]: r["n"] for r in store.rows(
        "SELECT source_format, COUNT(*) AS n FROM factchecks GROUP BY source_format")}
    # The 2020 set repeats one claim and title under two ids among its first 100 rows, and a
    # 2022 claim with the same wording and title as a 2020 one is the same fact-check.
    assert by_format["clef2020"] == 99 and by_format["clef2022"] + summary.duplicate - 1 == 50
    fries = store.rows("SELECT * FROM factchecks WHERE title = '$1 McDonald''s Any Size Fries'")[0]
    assert fries["verdict"] == "other" and fries["rating"] is None
    assert fries["published_at"] == "2015-05-26T00:00:00+00:00"


def test_factchecks_verdicts_and_dates() -> None:
    assert normalise_verdict("Mostly False") == "false"
    assert normalise_verdict("Half True") == "mixed"
    assert normalise_verdict("Not true") == "false"
    assert normalise_verdict("True") == "true"
    assert normalise_verdict("Missing context") == "misleading"
    assert normalise_verdict("Unproven") == "unproven"
    assert normalise_verdict("Satire") == "other"
    assert normalise_verdict(None, 5, 5, 1) == "true"
    assert normalise_verdict(None, 1, 5, 1) == "false"
    assert normalise_verdict(None) == "other"
    assert parse_date("yesterday-ish") == (None, None)
    assert parse_date("2020-01-02T03:04:05-05:00") == ("2020-01-02T08:04:05+00:00", "time")


def test_factchecks_pretty_printed_jsonld_graph_is_one_document(store: Store, tmp_path: Path) -> None:
    """A .jsonld @graph written one review per line has lines starting with '{' but is one JSON
    document, not JSON Lines."""
    reviews = [CLAIMREVIEW, _second("Cats can fly.", "https://checker.example/cats", "False"),
               _second("Water is dry.", "https://checker.example/water", "False")]
    path = tmp_path / "graph.jsonld"
    path.write_text('{"@context": "https://schema.org", "@graph": [\n'
                    + ",\n".join(json.dumps(r) for r in reviews) + "\n]}\n")
    summary = import_files(store, [path])
    assert (summary.seen, summary.stored, summary.rejected) == (3, 3, 0)
    assert store.scalar("SELECT format FROM ingest_sources") == "factcheck-json"


def test_factchecks_jsonl_without_extension_is_still_read_line_by_line(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "reviews.jsonld"
    path.write_text(json.dumps(CLAIMREVIEW) + "\n"
                    + json.dumps(_second("Cats can fly.", "https://checker.example/cats", "False")) + "\n")
    summary = import_files(store, [path])
    assert (summary.seen, summary.stored) == (2, 2)
    assert store.scalar("SELECT format FROM ingest_sources") == "factcheck-jsonl"


def test_factchecks_summary_counts_factchecks_apart_from_appearances(store: Store, tmp_path: Path) -> None:
    from rich.console import Console

    from newstrace.demo import DemoSummary, print_summary

    posts = tmp_path / "posts.csv"
    posts.write_text("date,id,title\n2024-03-12,https://euvsdisinfo.example/case-1,Arvenia ships waste\n"
                     "2024-03-13,https://euvsdisinfo.example/case-2,Sildovia hides grain\n")
    pubs = tmp_path / "publications_1.csv"
    pubs.write_text("id,publication\nhttps://euvsdisinfo.example/case-1,https://a.example/1\n"
                    "https://euvsdisinfo.example/case-2,https://b.example/2\n")
    summary = import_files(store, [posts, pubs])
    assert (summary.stored, summary.factchecks, summary.appearances) == (4, 2, 2)
    assert store.scalar("SELECT COUNT(*) FROM factchecks") == summary.factchecks
    console = Console(record=True, width=200)
    print_summary(DemoSummary("x.db", None, {"seen": 0, "stored": 0, "duplicates": 0, "rejected": 0,
                                             "already_done": 0}, vars(summary), {}), console)
    assert "Fact-checks: 2 stored, 2 appearance(s) added to them, 0 rejected." in console.export_text()


def test_factchecks_match_queries_bad_date_names_the_line(tmp_path: Path) -> None:
    from newstrace.cli_factchecks import _read_queries

    path = tmp_path / "queries.tsv"
    path.write_text("q1\tArvenia ships waste\t2024-03-12\n\nq2\tCanada site crashed\t2025-13-45\n")
    with pytest.raises(InputError, match=r"Line 3 .*'2025-13-45' is not a valid date"):
        _read_queries(str(path))
    path.write_text("Arvenia ships waste to Sildovia\nq2\tCanada site crashed\n")
    assert _read_queries(str(path)) == [("1", "Arvenia ships waste to Sildovia", None),
                                        ("q2", "Canada site crashed", None)]
