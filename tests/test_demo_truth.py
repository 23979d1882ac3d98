"""The whole pipeline on the demo corpus, scored against its written truth.

The floors below are the figures measured when each stage landed; a change may not lower them
without saying so (raise them when a change improves a figure). The report is printed, so
`pytest -s tests/test_demo_truth.py` shows precision and recall.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from newstrace.demo import run_demo
from newstrace.evaluation import TruthReport, evaluate, load_truth
from newstrace.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory, examples_dir: Path) -> Iterator[Store]:
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    run_demo(db, examples_dir)
    with Store.open(db) as store:
        yield store


@pytest.fixture(scope="module")
def report(demo_store: Store, examples_dir: Path) -> TruthReport:
    result = evaluate(demo_store, load_truth(examples_dir / "truth.json"))
    print(json.dumps(asdict(result), indent=2))
    return result


def test_demo_truth_every_article_is_found(report: TruthReport) -> None:
    assert report.unmatched_titles == []


def test_demo_truth_stories(report: TruthReport) -> None:
    assert report.stories["bcubed_precision"] >= 1.0
    assert report.stories["bcubed_f1"] >= 1.0  # the four true stories exactly


def test_demo_truth_pair_relations(report: TruthReport) -> None:
    for relation in ("copy", "partial", "rewrite"):
        assert report.relations[relation]["precision"] == 1.0 and report.relations[relation]["recall"] == 1.0
    assert report.relations["same-event"]["precision"] == 1.0
    assert report.direction_accuracy == 1.0  # never a wrong direction; unknown stays unknown


def test_demo_truth_mutations_and_dangerous_flags(report: TruthReport) -> None:
    # measured 1.00 / 1.00 (15 of 15 found, none extra; see BENCHMARKS.md, development figures)
    assert report.mutations["recall"] >= 1.0
    assert report.mutations["precision"] >= 1.0
    assert report.dangerous["recall"] == 1.0  # every dangerous mutation the truth plants is flagged
    assert report.dangerous["precision"] == 1.0  # measured: 3 of 3 flags right


def test_demo_truth_origin_is_the_anonymous_source_via_the_agency(report: TruthReport) -> None:
    assert report.origin_ok


def test_demo_truth_the_attribution_stripping_copy_is_flagged(demo_store: Store, report: TruthReport) -> None:
    rows = demo_store.rows(
        "SELECT a.outlet FROM mutations m JOIN articles a ON a.id = m.to_article_id "
        "WHERE m.type = 'attribution-removed' AND m.dangerous = 1")
    assert "Patriot Dispatch" in {r["outlet"] for r in rows}


def test_demo_truth_fact_check_reaches_the_story(demo_store: Store) -> None:
    rows = demo_store.rows(
        "SELECT DISTINCT f.verdict FROM factcheck_matches m JOIN factchecks f ON f.id = m.factcheck_id "
        "WHERE m.matched = 1 AND m.target_kind = 'story'")
    assert "false" in {r["verdict"] for r in rows}


def test_demo_truth_claim_carriers_and_the_denial(demo_store: Store, report: TruthReport) -> None:
    # measured 1.00 / 0.861 (68 of 79 carriers; see BENCHMARKS.md, development figures). With the
    # cosine rule the Drunmoor Courier's port statistics ("about 300,000 containers last year")
    # were grouped with the 4,000-containers claim (0.986); the learned links keep them apart.
    # Most of the missed ones are the minister's "routine maintenance", which the claims stage
    # does not make a claim of.
    assert report.claim_carriers["precision"] == 1.0
    assert report.claim_carriers["recall"] >= 0.86
    # APB reports the 4,000-containers claim only to deny it: a denial in the group, not a teller.
    assert report.claim_carriers["denials"]["tp"] >= 1 and report.claim_carriers["denials"]["fp"] == 0
    assert "port-denial-apb" not in report.claim_carrier_errors.get("port-4000-containers", {}).get("false_carriers", [])
    denied = demo_store.rows("SELECT g.articles, g.denied_by, a.outlet FROM claim_groups g JOIN claim_variants v "
                             "ON v.group_id = g.id JOIN articles a ON a.id = v.article_id WHERE v.stance = 'denies'")
    assert [(r["outlet"], r["denied_by"]) for r in denied] == [("APB", 1)] and denied[0]["articles"] >= 9


def test_demo_truth_claimreview_appearance_leaves_out_the_denial(demo_store: Store) -> None:
    from newstrace.factcheck_stage import claimreview_for_story

    story = demo_store.rows("SELECT story_id FROM story_articles sa JOIN articles a ON a.id = sa.article_id "
                            "WHERE a.outlet = 'APB' AND a.title LIKE '%denies%'")[0]["story_id"]
    review = claimreview_for_story(demo_store, story)
    apb = demo_store.rows("SELECT url FROM articles WHERE outlet = 'APB' AND title LIKE '%denies%'")[0]["url"]
    urls = {a["url"] for a in review["itemReviewed"]["appearance"]}
    assert apb not in urls and len(urls) >= 9
    assert "deny" in review["_newstrace"]["chosen"]["appearance"]
