"""The seeds bullet of issue 5: who said what in both Mosul articles and the Kirkuk one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from newstrace.claims import run
from newstrace.config import Config
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext
from newstrace.store import Store

SPLIT_LINE = "Iraqi Army Moves to Capture Kirkuk Town in Preparation for Mosul Offensive"


def _seed_items(seeds_dir: Path) -> list[dict[str, Any]]:
    rt = (seeds_dir / "000_53800d2f82c219fd.txt").read_text("utf-8")
    sputnik = (seeds_dir / "002_1b1bbd95c77efbd5.txt").read_text("utf-8")
    cut = sputnik.index(SPLIT_LINE)
    return [
        {"title": "", "text": rt, "outlet": "rt.com"},
        {"title": "", "text": sputnik[:cut].strip(), "outlet": "sputniknews.com"},
        {"title": "", "text": sputnik[cut:].strip(), "outlet": "sputniknews.com"},
    ]


@pytest.fixture
def seeded(store: Store, seeds_dir: Path) -> tuple[Store, list[str]]:
    ids = add_articles(store, _seed_items(seeds_dir))
    summary = run(StageContext(store, Config()))
    assert summary["articles"] == 3
    return store, ids


def _atts(store: Store, article_id: str) -> list[dict[str, Any]]:
    return store.rows("SELECT * FROM attributions WHERE article_id = :a ORDER BY id", {"a": article_id})


def test_attribution_seeds_anonymous_source_told_ria(seeded: tuple[Store, list[str]]) -> None:
    store, (rt, sputnik_mosul, _) = seeded
    for article_id in (rt, sputnik_mosul):
        first = [a for a in _atts(store, article_id) if a["cue_text"] == "told" and "source" in (a["source_text"] or "")]
        assert first, f"no 'source told' attribution in {article_id}"
        assert first[0]["source_kind"] == "anonymous"
        assert first[0]["cited_outlet"] == "RIA Novosti"
        cites = store.rows("SELECT cited_outlet FROM citations WHERE article_id = :a", {"a": article_id})
        assert "RIA Novosti" in {c["cited_outlet"] for c in cites}
    rt_told = next(a for a in _atts(store, rt) if a["cue_text"] == "told")
    assert rt_told["source_text"] == "a military-diplomatic source"
    assert "redeployed to fight against the government in Syria" in rt_told["content_text"]


def test_attribution_seeds_back_references_resolve(seeded: tuple[Store, list[str]]) -> None:
    store, (rt, _, _) = seeded
    atts = _atts(store, rt)
    first = next(a for a in atts if a["source_text"] == "a military-diplomatic source")
    said = next(a for a in atts if a["source_text"] == "the source" and a["cue_text"] == "said")
    assert said["resolved_from_attribution_id"] == first["id"]
    assert said["source_kind"] == "anonymous"
    he_said = [a for a in atts if a["source_text"] == "he"]
    assert he_said and all(a["resolved_from_attribution_id"] == first["id"] for a in he_said)


def test_attribution_seeds_he_claimed_hedges_saudi_mediators(seeded: tuple[Store, list[str]]) -> None:
    store, (rt, _, _) = seeded
    claim = store.rows("SELECT * FROM claims WHERE article_id = :a AND text LIKE '%mediators and guarantors%'", {"a": rt})
    assert len(claim) == 1
    hedges = json.loads(claim[0]["hedges"])
    assert [h["text"] for h in hedges] == ["claimed"]
    assert claim[0]["certainty"] == "hedged"
    assert claim[0]["source_kind"] == "anonymous"
    att = store.rows("SELECT * FROM attributions WHERE id = :i", {"i": claim[0]["attribution_id"]})[0]
    assert (att["source_text"], att["cue_text"]) == ("he", "claimed")


def test_attribution_seeds_named_analyst_told_ria(seeded: tuple[Store, list[str]]) -> None:
    store, (_, sputnik_mosul, _) = seeded
    atts = _atts(store, sputnik_mosul)
    told = [a for a in atts if a["source_name"] == "Alexander Perendzhiev" and a["cue_text"] == "told"]
    assert told, [(a["source_text"], a["cue_text"], a["source_name"]) for a in atts]
    assert told[0]["source_kind"] == "named-expert"
    assert told[0]["cited_outlet"] == "RIA Novosti"
    assert "analyst" in (told[0]["source_role"] or "").lower()


def test_attribution_seeds_named_official_told_sputnik(seeded: tuple[Store, list[str]]) -> None:
    store, (_, _, kirkuk) = seeded
    atts = _atts(store, kirkuk)
    told = next(a for a in atts if a["cue_text"] == "told")
    assert told["source_name"] == "Heytem Haşim Muhtaroğlu"
    assert told["source_kind"] == "named-official"
    assert told["source_role"] == "head of the Iraqi Turkmen Front"
    assert told["cited_outlet"] == "Sputnik"
    text = store.articles([kirkuk])[0]["text"]
    assert text[told["source_start"]:told["source_end"]] == told["source_text"]
    # "Muhtaroğlu said" and "He also said" are the same person.
    later = [a for a in atts if a["id"] != told["id"] and a["cue_text"] in ("said", "also said")]
    assert later and all(a["source_name"] == "Heytem Haşim Muhtaroğlu" for a in later)


def test_attribution_seeds_offsets_index_article_text(seeded: tuple[Store, list[str]]) -> None:
    store, ids = seeded
    for article in store.articles(ids):
        for a in _atts(store, article["id"]):
            assert article["text"][a["cue_start"]:a["cue_end"]] == a["cue_text"]
            if a["content_start"] is not None:
                assert article["text"][a["content_start"]:a["content_end"]] == a["content_text"]
        for c in store.rows("SELECT * FROM claims WHERE article_id = :a", {"a": article["id"]}):
            assert article["text"][c["start"]:c["end"]] == c["text"]


def test_attribution_seeds_numbers_normalised(seeded: tuple[Store, list[str]]) -> None:
    store, (rt, sputnik_mosul, _) = seeded
    for article_id, unit in ((rt, "militants"), (sputnik_mosul, "fighters")):
        numbers = [n for c in store.rows("SELECT numbers FROM claims WHERE article_id = :a", {"a": article_id})
                   for n in json.loads(c["numbers"])]
        assert {"value": 9000.0, "unit": unit, "modifier": "more than"} in [
            {k: n[k] for k in ("value", "unit", "modifier")} for n in numbers]


def test_attribution_seeds_stage_is_idempotent(seeded: tuple[Store, list[str]]) -> None:
    store, _ = seeded
    before = store.counts()
    assert run(StageContext(store, Config()))["articles"] == 0
    assert store.counts() == before
