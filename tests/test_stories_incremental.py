"""The stories stage in the store: growing stories keep their ids, a bridging article merges
two stories into the older one, old ids resolve, and a rerun changes nothing.

The embedder is replaced by a deterministic bag-of-words hash so that these tests check the
stage's bookkeeping exactly; the real model is exercised by test_stories_seeds.py.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from newstrace import models, sentences, stories
from newstrace.config import Config
from newstrace.errors import InputError
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext

TABLES = ("stories", "story_articles", "story_merges", "story_state", "story_df", "story_features")


def hashed_bag_of_words(texts: list[str], batch_size: int = 64) -> np.ndarray:
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().replace(".", " ").split():
            out[i, zlib.crc32(word.encode()) % 384] += 1.0
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


@pytest.fixture
def ctx(store, monkeypatch):
    monkeypatch.setattr(models, "embed", hashed_bag_of_words)
    config = Config({"stories.threshold": 0.5, "stories.merge_threshold": 0.55})
    return StageContext(store, config)


FLOOD = "zebra flood river levee town water rescue boats families shelter"
FIRE = "wildfire canyon smoke crews hills evacuate acres blaze wind embers"


def article(words: str, day: int, outlet: str, extra: str = "") -> dict[str, str]:
    return {"title": words.split()[0].title() + " " + extra, "text": f"{words} {extra}.",
            "published": f"2024-03-{day:02d}T10:00:00+00:00", "outlet": outlet}


def run_stages(ctx):
    sentences.run(ctx)
    return stories.run(ctx)


def snapshot(store):
    return {t: store.rows(f"SELECT * FROM {t} ORDER BY 1") for t in TABLES}


def story_of(store):
    return {r["article_id"]: r["story_id"] for r in store.rows("SELECT * FROM story_articles")}


def test_stories_second_batch_joins_and_id_stays(ctx):
    store = ctx.store
    f1, f2, w1 = add_articles(store, [article(FLOOD, 1, "a.com", "one"), article(FLOOD, 1, "b.com", "two"),
                                      article(FIRE, 1, "c.com", "three")])
    first = run_stages(ctx)
    assert first == {"articles": 3, "new_stories": 2, "joined_by_similarity": 1, "joined_by_reuse": 0,
                     "merges": 0, "rebuilt_from_older_rules": 0, "stories": 2}
    flood_id = story_of(store)[f1]
    assert flood_id == f"s-{f1}" and story_of(store)[f2] == flood_id
    (f3,) = add_articles(store, [article(FLOOD, 2, "d.com", "four")])
    second = run_stages(ctx)
    assert second["articles"] == 1 and second["joined_by_similarity"] == 1
    assert story_of(store)[f3] == flood_id
    story = stories.get_story(store, flood_id)
    assert story["size"] == 3
    assert story["outlets"] == ["a.com", "b.com", "d.com"]
    assert story["first_seen"] == "2024-03-01T10:00:00+00:00"
    assert story["last_seen"] == "2024-03-02T10:00:00+00:00"
    assert [a["id"] for a in story["articles"]][-1] == f3
    assert stories.get_story(store, f"s-{w1}")["size"] == 1


def test_stories_bridging_article_merges_and_older_id_survives(ctx):
    store = ctx.store
    (flood,) = add_articles(store, [article(FLOOD, 1, "a.com")])
    (fire,) = add_articles(store, [article(FIRE, 2, "b.com")])
    run_stages(ctx)
    assert len(stories.list_stories(store)) == 2
    (bridge,) = add_articles(store, [article(FLOOD + " " + FIRE, 3, "c.com")])
    summary = run_stages(ctx)
    assert summary["merges"] == 1
    older, newer = f"s-{flood}", f"s-{fire}"
    assert set(story_of(store).values()) == {older}
    assert [s["id"] for s in stories.list_stories(store)] == [older]
    merged = store.rows("SELECT * FROM story_merges")
    assert [(m["absorbed_id"], m["kept_id"], m["article_id"]) for m in merged] == [(newer, older, bridge)]
    resolved = stories.get_story(store, newer)
    assert resolved["id"] == older and resolved["resolved_from"] == newer
    assert resolved["merged_from"] == [newer] and resolved["size"] == 3
    assert store.rows("SELECT story_id FROM story_state") == [{"story_id": older}]


def test_stories_rerun_changes_nothing(ctx):
    store = ctx.store
    add_articles(store, [article(FLOOD, 1, "a.com"), article(FIRE, 1, "b.com"), article(FLOOD, 2, "c.com", "x")])
    run_stages(ctx)
    before = snapshot(store)
    again = run_stages(ctx)
    assert again["articles"] == 0
    assert snapshot(store) == before


def test_stories_one_batch_equals_many(store, monkeypatch, tmp_path):
    """Clustering article by article (batch size 1) gives the same stories as one batch."""
    from newstrace.store import Store

    monkeypatch.setattr(models, "embed", hashed_bag_of_words)
    items = [article(FLOOD, 1, "a.com"), article(FIRE, 1, "b.com"), article(FLOOD, 2, "c.com", "x"),
             article(FIRE, 3, "d.com", "y"), article(FLOOD + " " + FIRE, 4, "e.com")]
    results = []
    for batch_size, db in ((1000, store), (1, Store.open(tmp_path / "other.db"))):
        ctx = StageContext(db, Config({"stories.threshold": 0.5, "stories.merge_threshold": 0.55,
                                       "stories.batch_size": batch_size}))
        add_articles(db, items)
        run_stages(ctx)
        results.append(story_of(db))
    assert results[0] == results[1]


TOPICS = [FLOOD, FIRE, "senate budget vote tax bill deficit spending committee",
          "vaccine trial doses clinic patients virus study results", "stadium final goal striker league cup fans",
          "election ballots polls turnout candidates county recount"]


def undated_pile() -> list[dict[str, str]]:
    """Three tellings of each of six stories, without dates, interleaved (plain-text piles)."""
    return [{"title": topic.split()[0].title(), "text": f"{topic} {extra}.", "outlet": f"o{k}.com"}
            for k, extra in enumerate(("alpha", "beta", "gamma")) for topic in TOPICS]


def test_stories_undated_pile_batch_by_batch_equals_one_batch(store, monkeypatch, tmp_path):
    """Undated articles are compared only with the stories of their nearest articles (not with
    every story): clustered one by one they still end as in a single batch."""
    from newstrace.store import Store

    monkeypatch.setattr(models, "embed", hashed_bag_of_words)
    results = []
    for batch_size, db in ((1000, store), (1, Store.open(tmp_path / "other.db"))):
        ctx = StageContext(db, Config({"stories.threshold": 0.5, "stories.merge_threshold": 0.55,
                                       "stories.batch_size": batch_size}))
        add_articles(db, undated_pile())
        run_stages(ctx)
        results.append(story_of(db))
    assert results[0] == results[1]
    assert len(set(results[0].values())) == len(TOPICS)


@pytest.mark.parametrize("dated", [True, False])
def test_stories_later_runs_reading_the_store_equal_one_run(store, monkeypatch, tmp_path, dated):
    """Stories made in an earlier run are read back from the store for every batch of a later
    run (only those the batch can join): a store built in two runs, the second article by
    article, holds the same stories as one built in one run."""
    from newstrace.store import Store

    monkeypatch.setattr(models, "embed", hashed_bag_of_words)
    items = undated_pile()
    if dated:
        items = [{**item, "published": f"2024-03-{1 + i // 6:02d}T{i % 6 + 10}:00:00+00:00"}
                 for i, item in enumerate(items)]
    config = {"stories.threshold": 0.5, "stories.merge_threshold": 0.55}
    add_articles(store, items)
    run_stages(StageContext(store, Config(config)))
    other = Store.open(tmp_path / "other.db")
    add_articles(other, items[:5])
    run_stages(StageContext(other, Config(config)))
    add_articles(other, items[5:])
    run_stages(StageContext(other, Config({**config, "stories.batch_size": 1})))
    if dated:  # same order, so the same ids too
        assert story_of(other) == story_of(store)
    else:  # undated articles are taken in id order within a run, so a story may start elsewhere
        assert partition(story_of(other)) == partition(story_of(store))
    assert len(partition(story_of(store))) == len(TOPICS)


def partition(assigned: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for article_id, story_id in assigned.items():
        groups.setdefault(story_id, set()).add(article_id)
    return {frozenset(g) for g in groups.values()}


def test_stories_undated_batch_loads_only_nearby_stories(ctx, monkeypatch):
    store = ctx.store
    add_articles(store, undated_pile())
    run_stages(ctx)
    assert len(stories.list_stories(store)) == len(TOPICS)
    ids = add_articles(store, [{"title": "Wildfire", "text": f"{FIRE} delta.", "outlet": "z.com"}])
    loaded: list[int] = []
    real = stories._load_state

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        clusterer = real(*args, **kwargs)
        loaded.append(len(clusterer.stories))
        return clusterer

    monkeypatch.setattr(stories, "_load_state", spy)
    run_stages(StageContext(store, Config({"stories.threshold": 0.5, "stories.merge_threshold": 0.55,
                                           "stories.candidates": 2})))
    assert loaded == [1]  # its two nearest articles are both in the fire story
    fire_story = story_of(store)[ids[0]]
    assert stories.get_story(store, fire_story)["size"] == 4


def test_stories_built_under_older_rules_are_built_again_and_old_ids_resolve(ctx):
    store = ctx.store
    flood, fire, fire2 = add_articles(store, [article(FLOOD, 1, "a.com"), article(FIRE, 2, "b.com"),
                                              article(FIRE, 3, "c.com", "x")])
    run_stages(ctx)
    right = story_of(store)
    assert right == {flood: f"s-{flood}", fire: f"s-{fire}", fire2: f"s-{fire}"}
    # A store from an older version: its rules put all three in one story, and marked nothing.
    with store.transaction() as conn:
        conn.exec_driver_sql("UPDATE story_articles SET story_id = ?", (f"s-{flood}",))
        conn.exec_driver_sql("DELETE FROM stories WHERE id = ?", (f"s-{fire}",))
        conn.exec_driver_sql("DELETE FROM stage_done WHERE stage = ?", (stories.RULES_MARK,))
    summary = run_stages(ctx)
    assert summary["rebuilt_from_older_rules"] == 3 and summary["articles"] == 3
    assert story_of(store) == right
    assert stories.run(ctx)["articles"] == 0  # and then incremental again
    # An id that the rebuild did not bring back resolves through the article that started it.
    assert stories.get_story(store, f"s-{fire2}")["id"] == f"s-{fire}"


def test_stories_unknown_id_says_how_to_list(store):
    with pytest.raises(InputError, match="newstrace stories"):
        stories.get_story(store, "s-nope")
