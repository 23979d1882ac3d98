"""The demo corpus (examples/) against its truth: reuse relations and directions of its pairs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from newstrace import reuse
from newstrace.config import Config
from newstrace.ingest import ingest
from newstrace.pipeline import StageContext, analyze
from newstrace.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(examples_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    truth = json.loads((examples_dir / "truth.json").read_text("utf-8"))
    store = Store.open(tmp_path_factory.mktemp("demo") / "demo.db")
    ingest(store, [str(examples_dir / "corpus")])
    analyze(store, until="sentences")
    reuse.run(StageContext(store, Config()))
    key = {a["title"]: a["key"] for a in truth["articles"]}
    articles = {a["id"]: a for a in store.articles()}
    found = {}
    for row in store.rows("SELECT * FROM pairs"):
        ka, kb = key[articles[row["a_id"]]["title"]], key[articles[row["b_id"]]["title"]]
        row["a_key"], row["b_key"] = ka, kb
        row["earlier_key"] = key[articles[row["earlier_id"]]["title"]] if row["earlier_id"] else None
        found[frozenset((ka, kb))] = row
    store.close()
    expected = {frozenset((p["from"], p["to"])): p for p in truth["pairs"]}
    return {"found": found, "expected": expected}


def test_reuse_demo_copies_and_partials_reproduced(demo: dict[str, Any]) -> None:
    for pair, truth in demo["expected"].items():
        if truth["relation"] in ("copy", "partial"):
            assert demo["found"].get(pair, {}).get("relation") == truth["relation"], sorted(pair)


def test_reuse_demo_no_pair_outside_the_truth(demo: dict[str, Any]) -> None:
    extra = [sorted(p) for p in demo["found"] if p not in demo["expected"]]
    assert extra == []


def test_reuse_demo_directions(demo: dict[str, Any]) -> None:
    for pair, row in demo["found"].items():
        truth = demo["expected"][pair]
        if truth["direction"] == "unknown":
            assert row["direction"] == "unknown", sorted(pair)
        else:
            assert row["earlier_key"] == truth["from"], sorted(pair)


@pytest.mark.xfail(strict=True, reason=(
    "owed: same-event pairs with title+lead cosine 0.38-0.69 (below the 0.7 rule, which must keep "
    "the seeds' Havice article apart at 0.64) and rewrites whose aligned order is 0.71-0.86 (below 0.9) "
    "are not yet reproduced; see the README (text reuse section)"))
def test_reuse_demo_every_relation_exact(demo: dict[str, Any]) -> None:
    got = {p: r["relation"] for p, r in demo["found"].items()}
    want = {p: t["relation"] for p, t in demo["expected"].items()}
    assert got == want
