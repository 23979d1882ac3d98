"""The motivating case: RT's and Sputnik's independent renderings of one RIA Novosti report
are a rewrite pair; the Havice article on the same Sputnik page is related to neither."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newstrace import reuse, sentences
from newstrace.config import Config
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext
from newstrace.store import Store

pytestmark = pytest.mark.slow
SPLIT_AT = "Iraqi Army Moves to Capture Kirkuk Town in Preparation for Mosul Offensive"


def _seed_items(seeds_dir: Path, dated: bool) -> list[dict[str, Any]]:
    rt = (seeds_dir / "000_53800d2f82c219fd.txt").read_text("utf-8")
    page = (seeds_dir / "002_1b1bbd95c77efbd5.txt").read_text("utf-8")
    cut = page.index(SPLIT_AT)
    mosul, havice = page[:cut].strip(), page[cut:].strip()
    dates = ("2016-10-17T12:00:00+00:00", "2016-10-18T08:00:00+00:00", "2016-10-18T09:00:00+00:00")
    items = [
        {"title": "", "text": rt, "outlet": "rt.com"},
        {"title": mosul.splitlines()[0], "text": mosul, "outlet": "sputniknews.com"},
        {"title": havice.splitlines()[0], "text": havice, "outlet": "sputniknews.com"},
    ]
    if dated:
        for item, date in zip(items, dates, strict=True):
            item["published"] = date
    return items


def _run(store: Store, items: list[dict[str, Any]], config: Config | None = None) -> list[str]:
    ids = add_articles(store, items)
    ctx = StageContext(store, config or Config())
    sentences.run(ctx)
    reuse.run(ctx)
    return ids


def test_reuse_seeds_rewrite_pair_with_aligned_sentences(store: Store, seeds_dir: Path) -> None:
    rt, mosul, havice = _run(store, _seed_items(seeds_dir, dated=True))
    pairs = store.rows("SELECT * FROM pairs")
    assert len(pairs) == 1, pairs
    pair = pairs[0]
    assert {pair["a_id"], pair["b_id"]} == {rt, mosul}
    assert pair["relation"] == "rewrite"
    assert pair["aligned_sentences"] >= 6
    assert (pair["earlier_id"], pair["later_id"]) == (rt, mosul)
    assert pair["direction"] == ("a->b" if pair["a_id"] == rt else "b->a")

    evidence = reuse.pair_evidence(store, rt, mosul)
    aligned = [p for p in evidence["passages"] if p["kind"] == "aligned"]
    rt_side = "a_text" if evidence["a"]["id"] == rt else "b_text"
    sp_side = "b_text" if rt_side == "a_text" else "a_text"
    pairs_text = [(p[rt_side], p[sp_side]) for p in aligned]

    def has(rt_words: str, sp_words: str) -> bool:
        return any(rt_words in r and sp_words in s for r, s in pairs_text)

    assert has("More than 9,000 Islamic State", "More than 9,000 Daesh fighters from Mosul")
    assert has("General Intelligence Directorate will be the mediators", "served as mediators")
    assert has("during the liberation of the Iraqi city of Fallujah", "previously employed in Fallujah")
    # Aligned at cosine >= 0.6, or (a rewrite's evidence) in the gap its order leaves, >= 0.45.
    assert all(0.45 <= p["score"] <= 1.0 for p in aligned)
    assert any("will then move to Syria" in p[sp_side] and "redeployed to fight against the government" in p[rt_side]
               for p in aligned)
    assert reuse.pair_evidence(store, rt, havice)["relation"] is None
    assert reuse.pair_evidence(store, havice, mosul)["compared"] is True


def test_reuse_seeds_direction_unknown_without_dates(store: Store, seeds_dir: Path) -> None:
    _run(store, _seed_items(seeds_dir, dated=False))
    pair = store.rows("SELECT * FROM pairs")[0]
    assert pair["relation"] == "rewrite"
    assert (pair["direction"], pair["earlier_id"], pair["later_id"]) == ("unknown", None, None)


def test_reuse_seeds_static_first_pass_finds_the_same_pair(store: Store, seeds_dir: Path) -> None:
    """With the model2vec first pass, the seeds come out as without it: the static model only
    proposes neighbours, MiniLM decides."""
    rt, mosul, havice = _run(store, _seed_items(seeds_dir, dated=True), Config({"reuse.static_first_pass": True}))
    pairs = store.rows("SELECT * FROM pairs")
    assert [({p["a_id"], p["b_id"]}, p["relation"]) for p in pairs] == [({rt, mosul}, "rewrite")]
    assert store.scalar("SELECT COUNT(*) FROM reuse_static") == 3
