"""A store analysed by an older version: verdicts made under older rules are made again, names
and first-pass vectors missing for compared articles are filled in, and nothing is left half."""

from __future__ import annotations

import random

from newstrace import reuse, sentences
from newstrace.config import Config
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext
from newstrace.store import Store

LEXICAL = Config({"reuse.semantic": False})


def _text(rng: random.Random, words: int = 160) -> str:
    vocab = "army city report minister source agency forces attack offensive deal talks troops".split()
    return ("Ingrid Holm met Marta Kovell at the Maren Port Authority. "
            + " ".join(rng.choice(vocab) + str(rng.randint(0, 99)) for _ in range(words)))


def _run(store: Store, config: Config) -> None:
    ctx = StageContext(store, config)
    sentences.run(ctx)
    reuse.run(ctx)


def test_reuse_upgrade_old_verdicts_are_made_again_and_names_backfilled(store: Store) -> None:
    rng = random.Random(3)
    text = _text(rng)
    add_articles(store, [
        {"text": text, "outlet": "a.com", "published": "2020-01-01T10:00:00+00:00"},
        {"text": "Reposted.\n" + text, "outlet": "b.com", "published": "2020-01-02T10:00:00+00:00"},
    ])
    _run(store, LEXICAL)
    assert [r["relation"] for r in store.rows("SELECT relation FROM pairs")] == ["copy"]
    # What a store of the previous version looks like: a verdict of the old rules, no names,
    # no marks for either.
    with store.transaction() as conn:
        conn.exec_driver_sql("UPDATE pairs SET relation = 'partial'")
        conn.exec_driver_sql("DELETE FROM reuse_names")
        conn.exec_driver_sql("DELETE FROM stage_done WHERE stage IN (?, ?)", (reuse.NAMES_MARK, reuse.RULES_MARK))
    _run(store, LEXICAL)
    assert [r["relation"] for r in store.rows("SELECT relation FROM pairs")] == ["copy"]
    assert store.done_count(reuse.RULES_MARK) == 2 and store.done_count(reuse.NAMES_MARK) == 2
    names = {r["name"] for r in store.rows("SELECT name FROM reuse_names")}
    assert {"ingrid holm", "marta kovell", "maren port authority"} <= names
    # A run with nothing new changes nothing.
    before = store.rows("SELECT * FROM pairs")
    _run(store, LEXICAL)
    assert store.rows("SELECT * FROM pairs") == before


def test_reuse_upgrade_interrupted_names_backfill_goes_on(store: Store) -> None:
    rng = random.Random(4)
    add_articles(store, [{"text": _text(rng), "outlet": f"o{i}.com"} for i in range(3)])
    _run(store, LEXICAL)
    with store.transaction() as conn:  # a backfill killed after its first article
        conn.exec_driver_sql("DELETE FROM reuse_names WHERE article_id != (SELECT MIN(article_id) FROM reuse_names)")
        conn.exec_driver_sql("DELETE FROM stage_done WHERE stage = ? AND article_id NOT IN "
                             "(SELECT article_id FROM reuse_names)", (reuse.NAMES_MARK,))
    assert store.done_count(reuse.NAMES_MARK) == 1
    _run(store, LEXICAL)
    assert store.done_count(reuse.NAMES_MARK) == 3
    assert store.scalar("SELECT COUNT(DISTINCT article_id) FROM reuse_names") == 3


def test_reuse_upgrade_first_pass_vectors_follow_the_setting(store: Store) -> None:
    rng = random.Random(5)
    first = add_articles(store, [{"title": f"Story {i}", "text": _text(rng, 60), "outlet": f"o{i}.com"}
                                 for i in range(2)])
    _run(store, Config({"reuse.static_first_pass": True}))
    assert store.scalar("SELECT COUNT(*) FROM reuse_static") == 2
    add_articles(store, [{"title": "Story 9", "text": _text(rng, 60), "outlet": "o9.com"}])
    _run(store, Config({"reuse.static_first_pass": False}))
    # Articles compared under the static pass now have MiniLM title+lead vectors too, so the
    # MiniLM neighbour search sees them.
    have = {r["article_id"] for r in store.rows("SELECT article_id FROM reuse_vectors")}
    assert set(first) <= have
