"""The factcheck_match stage: article and story matches, before/after flags, ClaimReview export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newstrace.config import Config
from newstrace.factcheck_stage import claimreview_for_story, relation, run
from newstrace.factchecks import import_files
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext
from newstrace.store import Store, utcnow

WASTE_EARLY = {
    "title": "Source: 4,000 containers of seized waste to be shipped from Port Maren to Sildovia",
    "text": "More than 4,000 containers of seized industrial waste will be shipped from Port Maren to "
            "Sildovia before the eastern terminal closes, a source told the agency.",
    "published": "2024-03-11T08:00:00+00:00", "outlet": "nna.example",
    "url": "https://nna.example/world/20240311/port-maren-waste-containers-sildovia.html",
}
WASTE_LATE = {
    "title": "Port authority statement draws criticism",
    "text": "Critics said on Thursday that the port authority's short statement left questions open.",
    "published": "2024-03-14T10:00:00+00:00", "outlet": "patriotdispatch.example",
    "url": "https://patriotdispatch.example/world/port-statement",
}
FOOTBALL = {
    "title": "Velling wins the cup final on penalties",
    "text": "Velling beat Castrell on penalties in the cup final on Saturday evening.",
    "published": "2024-03-16T20:00:00+00:00", "outlet": "pitchside.example",
}


@pytest.fixture
def demo_factcheck(examples_dir: Path) -> Path:
    path = examples_dir / "factchecks" / "claimreview.jsonld"
    if not path.exists():
        pytest.skip(f"the demo fact-check {path} is not there")
    return path


def _stories(store: Store, members: dict[str, list[str]]) -> None:
    now = utcnow()
    with store.transaction() as conn:
        for story_id, ids in members.items():
            conn.exec_driver_sql("INSERT INTO stories(id, title, size, created_at, updated_at) VALUES (?,?,?,?,?)",
                                 (story_id, "", len(ids), now, now))
            conn.exec_driver_sql("INSERT INTO story_articles VALUES (?,?,?,?,?)",
                                 [(a, story_id, now, 1.0, "new") for a in ids])


def test_factchecks_stage_attaches_to_story_and_flags_articles(store: Store, demo_factcheck: Path) -> None:
    assert import_files(store, [demo_factcheck]).stored == 1
    early, late, football = add_articles(store, [WASTE_EARLY, WASTE_LATE, FOOTBALL])
    _stories(store, {"s-waste": [early, late], "s-cup": [football]})
    summary = run(StageContext(store, Config()))
    assert summary["articles"] == 3 and "claims" in summary  # says that no claims were there
    fc_id = store.scalar("SELECT id FROM factchecks")
    direct = store.rows("SELECT target_id, matched, rank FROM factcheck_matches WHERE target_kind = 'article' "
                        "AND factcheck_id = :f ORDER BY target_id", {"f": fc_id})
    matched = {r["target_id"]: r["matched"] for r in direct}
    assert matched[early] == 1 and matched.get(late, 0) == 0 and matched.get(football, 0) == 0
    story = store.rows("SELECT target_id, matched FROM factcheck_matches WHERE target_kind = 'story'")
    assert {r["target_id"]: r["matched"] for r in story} == {"s-waste": 1, "s-cup": 0}
    flags = {r["article_id"]: r["relation"] for r in store.rows("SELECT * FROM factcheck_article_flags")}
    # The fact-check is of 2024-03-13 09:00 UTC: one article before it, the other after.
    assert flags == {early: "before", late: "after"}
    assert summary["published_after_factcheck"] == 1

    before = store.rows("SELECT * FROM factcheck_matches ORDER BY target_kind, target_id, factcheck_id")
    again = run(StageContext(store, Config()))
    assert again["articles"] == 0
    after = store.rows("SELECT * FROM factcheck_matches ORDER BY target_kind, target_id, factcheck_id")
    assert [{k: v for k, v in r.items() if k != "matched_at"} for r in after] == \
           [{k: v for k, v in r.items() if k != "matched_at"} for r in before]


def test_factchecks_stage_rematches_when_new_factchecks_arrive(store: Store, tmp_path: Path) -> None:
    add_articles(store, [FOOTBALL])
    first = tmp_path / "a.json"
    first.write_text(json.dumps({"@type": "ClaimReview", "claimReviewed": "Bleach cures the flu.",
                                 "url": "https://c.example/bleach", "reviewRating": {"alternateName": "False"}}))
    import_files(store, [first])
    assert run(StageContext(store, Config()))["articles"] == 1
    second = tmp_path / "b.json"
    second.write_text(json.dumps({"@type": "ClaimReview", "claimReviewed": "Velling won the cup final on penalties.",
                                  "url": "https://c.example/cup", "reviewRating": {"alternateName": "True"}}))
    import_files(store, [second])
    summary = run(StageContext(store, Config()))
    assert summary["articles"] == 1 and summary["stories"].startswith("none in the store")
    top = store.rows("SELECT f.claim, m.matched FROM factcheck_matches m JOIN factchecks f ON f.id = m.factcheck_id "
                     "WHERE m.rank = 1")
    assert top == [{"claim": "Velling won the cup final on penalties.", "matched": 1}]


def test_factchecks_stage_without_factchecks_says_so(store: Store) -> None:
    add_articles(store, [FOOTBALL])
    summary = run(StageContext(store, Config()))
    assert summary["factchecks"] == 0 and "import" in summary["note"]


def test_factchecks_claimreview_export_fills_appearances(store: Store, demo_factcheck: Path) -> None:
    import_files(store, [demo_factcheck])
    early, late, football = add_articles(store, [WASTE_EARLY, WASTE_LATE, FOOTBALL])
    _stories(store, {"s-waste": [early, late], "s-cup": [football]})
    run(StageContext(store, Config()))
    review = claimreview_for_story(store, "s-waste")
    assert review["@type"] == "ClaimReview" and review["claimReviewed"].startswith("More than 4,000 containers")
    item = review["itemReviewed"]
    assert [a["url"] for a in item["appearance"]] == [WASTE_EARLY["url"], WASTE_LATE["url"]]
    assert item["firstAppearance"]["url"] == WASTE_EARLY["url"]
    assert item["firstAppearance"]["datePublished"] == WASTE_EARLY["published"]
    assert review["reviewRating"]["alternateName"] == "False"
    assert review["isBasedOn"].startswith("https://clearcheck.example/")
    unchecked = claimreview_for_story(store, "s-cup")
    assert "reviewRating" not in unchecked and unchecked["itemReviewed"]["appearance"] == []
    assert "no article" not in unchecked["_newstrace"]["chosen"]["firstAppearance"]
    with pytest.raises(Exception, match="No story"):
        claimreview_for_story(store, "s-missing")


def test_factchecks_relation_handles_day_precision_and_missing_dates() -> None:
    assert relation("2024-03-12T23:00:00+00:00", "2024-03-13T00:00:00+00:00", "day") == "before"
    assert relation("2024-03-13T23:00:00+00:00", "2024-03-13T00:00:00+00:00", "day") == "unknown"
    assert relation("2024-03-13T10:00:00+00:00", "2024-03-13T09:00:00+00:00", "time") == "after"
    assert relation(None, "2024-03-13T09:00:00+00:00", "time") == "unknown"


def test_factchecks_demo_corpus_matches_its_central_claim(store: Store, examples_dir: Path,
                                                           demo_factcheck: Path) -> None:
    from newstrace.ingest import ingest
    from newstrace.segment import run as segment

    corpus = examples_dir / "corpus"
    if not (corpus / "nna-port-maren-waste.html").exists():
        pytest.skip("the demo corpus is not there")
    ingest(store, [str(corpus)])
    segment(StageContext(store, Config()))
    import_files(store, [demo_factcheck])
    run(StageContext(store, Config()))
    truth = json.loads((examples_dir / "truth.json").read_text("utf-8"))
    port_titles = {a["title"] for a in truth["articles"] if a["story"] == "port"}
    top = store.rows(
        "SELECT a.title, m.score, m.matched FROM factcheck_matches m JOIN articles a ON a.id = m.target_id "
        "WHERE m.target_kind = 'article' AND m.rank <= 1")  # rank 0: listed by the fact-checker
    matched = {r["title"] for r in top if r["matched"]}
    # The origin's headline and its retellings are matched; nothing outside the story is.
    assert "Port Maren to ship thousands of waste containers to Sildovia before terminal closure - source" in matched
    assert len(matched) >= 5 and matched <= port_titles
    outside = [r["score"] for r in top if r["title"] not in port_titles]
    inside = [r["score"] for r in top if r["title"] in matched]
    assert outside and max(outside) < min(inside)


def test_factchecks_stage_matches_claims_that_arrive_later(store: Store, demo_factcheck: Path) -> None:
    import_files(store, [demo_factcheck])
    (early,) = add_articles(store, [WASTE_LATE])
    first = run(StageContext(store, Config()))
    assert first["articles"] == 1 and "claims" in first
    with store.transaction() as conn:  # the claims stage reaches the article later
        conn.exec_driver_sql(
            "INSERT INTO claims(id, article_id, sentence_idx, start, end, text, source_kind, certainty, "
            "checkworthiness) VALUES (7, ?, 0, 0, 10, ?, 'anonymous', 'asserted', 0.9)",
            (early, "More than 4,000 containers of seized waste will be shipped from Port Maren to Sildovia."))
    second = run(StageContext(store, Config()))
    assert second["articles"] == 1 and "claims" not in second
    row = store.rows("SELECT matched, rank FROM factcheck_matches WHERE target_kind = 'claim' AND target_id = '7'")
    assert row == [{"matched": 1, "rank": 1}]
    assert run(StageContext(store, Config()))["articles"] == 0
