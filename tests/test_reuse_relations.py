"""Relations, direction, boilerplate and incremental runs of the reuse stage (lexical path;
the embedding path is covered by test_reuse_seeds)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from newstrace import reuse, sentences
from newstrace.config import Config
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext
from newstrace.store import Store

LEXICAL = Config({"reuse.semantic": False})
FOOTER = ("Subscribe to the Daily Planet newsletter and follow us on every social network "
          "for the latest news, analysis and opinion from our award-winning reporters")


def _article(rng: random.Random, sentences_count: int = 20) -> str:
    words = ("army city report minister source told agency forces attack said offensive plan deal "
             "talks border rebels troops capital people town region week government officials").split()
    out = []
    for _ in range(sentences_count):
        out.append(" ".join(rng.choice(words) + str(rng.randint(0, 999)) for _ in range(12)).capitalize() + ".")
    return "\n".join(" ".join(out[i: i + 4]) for i in range(0, len(out), 4))


def _run(store: Store, config: Config = LEXICAL) -> dict:
    ctx = StageContext(store, config)
    sentences.run(ctx)
    return reuse.run(ctx)


def test_reuse_direction_rules() -> None:
    assert reuse.direction("a", "2016-10-17T10:00:00+00:00", "b", "2016-10-18T00:00:00+00:00") == ("a->b", "a", "b")
    assert reuse.direction("a", "2016-10-19", "b", "2016-10-18T23:00:00+00:00") == ("b->a", "b", "a")
    assert reuse.direction("a", "2016-10-18", "b", "2016-10-18T09:00:00+00:00")[0] == "unknown"
    assert reuse.direction("a", None, "b", "2016-10-18")[0] == "unknown"
    assert reuse.direction("a", "2016-10-18T09:00:00+00:00", "b", "2016-10-18T09:00:00+00:00")[0] == "unknown"


def test_reuse_copy_partial_and_unrelated(store: Store) -> None:
    rng = random.Random(5)
    original, other, unrelated = _article(rng), _article(rng), _article(rng)
    copy = "Reposted from elsewhere.\n" + original.replace("Army", "Military", 1)
    first_paragraphs = "\n".join(original.split("\n")[:2])
    partial = other + "\n" + first_paragraphs
    ids = add_articles(store, [
        {"text": original, "outlet": "a.com", "published": "2020-01-01T10:00:00+00:00"},
        {"text": copy, "outlet": "b.com", "published": "2020-01-02T10:00:00+00:00"},
        {"text": partial, "outlet": "c.com", "published": "2020-01-03T10:00:00+00:00"},
        {"text": unrelated, "outlet": "d.com"},
    ])
    _run(store)
    got = {(r["a_id"], r["b_id"]): r for r in store.rows("SELECT * FROM pairs")}
    key = lambda x, y: (min(x, y), max(x, y))  # noqa: E731
    assert set(got) == {key(ids[0], ids[1]), key(ids[0], ids[2]), key(ids[1], ids[2])}
    assert got[key(ids[0], ids[1])]["relation"] == "copy"
    assert got[key(ids[0], ids[1])]["earlier_id"] == ids[0]
    assert got[key(ids[0], ids[2])]["relation"] == "partial"
    assert got[key(ids[0], ids[2])]["later_id"] == ids[2]
    # Offsets point at the same words on both sides.
    for p in store.rows("SELECT * FROM passages WHERE kind = 'verbatim'"):
        texts = {r["id"]: r["text"] for r in store.articles([p["a_id"], p["b_id"]])}
        a_text = texts[p["a_id"]][p["a_start"]: p["a_end"]]
        b_text = texts[p["b_id"]][p["b_start"]: p["b_end"]]
        assert a_text.split()[-3:] == b_text.split()[-3:]


def test_reuse_outlet_boilerplate_is_not_reuse(store: Store) -> None:
    rng = random.Random(9)
    items = [{"text": _article(rng, 8) + "\n" + FOOTER, "outlet": "planet.com"} for _ in range(3)]
    _run_ids = add_articles(store, items)
    assert len(_run_ids) == 3
    _run(store)
    assert store.rows("SELECT * FROM pairs") == []


def test_reuse_incremental_compares_new_with_stored(store: Store) -> None:
    rng = random.Random(11)
    original = _article(rng)
    first = add_articles(store, [{"text": original, "outlet": "a.com"}, {"text": _article(rng), "outlet": "b.com"}])
    assert _run(store)["pairs"] == 0
    later = add_articles(store, [{"text": original + "\nOne more closing line here.", "outlet": "c.com"}])
    summary = _run(store)
    assert summary["articles"] == 1 and summary["copy"] == 1
    pair = store.rows("SELECT * FROM pairs")[0]
    assert {pair["a_id"], pair["b_id"]} == {first[0], later[0]}
    assert pair["direction"] == "unknown"
    before = store.rows("SELECT * FROM pairs")
    assert _run(store)["articles"] == 0  # idempotent
    assert store.rows("SELECT * FROM pairs") == before


def test_reuse_names_make_same_event_only_close_in_time_and_subject() -> None:
    cfg = Config()
    base = dict(coverage_a=0.0, coverage_b=0.0, aligned=0, aligned_share=None, aligned_order=None)
    assert reuse.decide_relation(cfg, lead_cosine=0.45, shared_names=2, days_apart=1, **base) == "same-event"
    assert reuse.decide_relation(cfg, lead_cosine=0.45, shared_names=1, days_apart=1, **base) is None
    assert reuse.decide_relation(cfg, lead_cosine=0.45, shared_names=3, days_apart=30, **base) is None
    assert reuse.decide_relation(cfg, lead_cosine=0.2, shared_names=3, days_apart=0, **base) is None
    # Undated: the same people recur in the news for years, so names alone say nothing.
    assert reuse.decide_relation(cfg, lead_cosine=0.45, shared_names=2, days_apart=None, **base) is None


def test_reuse_rewrite_needs_paraphrase_in_one_order() -> None:
    cfg = Config()
    # Six of seven aligned pairs in order, most of them paraphrased: a rewrite.
    assert reuse.decide_relation(cfg, 0.24, 0.22, 0.88, 7, 0.875, 0.8571, paraphrased=5) == "rewrite"
    # The same alignment inside copied paragraphs only: partial reuse.
    assert reuse.decide_relation(cfg, 0.27, 0.28, 0.78, 5, 0.42, 1.0, paraphrased=1) == "partial"
    # Three aligned pairs in no common order: independent reports.
    assert reuse.decide_relation(cfg, 0.0, 0.0, 0.82, 3, 0.3, 0.6667, paraphrased=3) == "same-event"


def test_reuse_shared_quotation_is_not_partial_reuse(store: Store) -> None:
    """Two reports quoting one statement word for word both took it from the speaker."""
    rng = random.Random(11)
    statement = ("\u201cWe have received no request of any kind, and none would be approved without a full "
                 "inspection of every single container that arrives at the port,\u201d")
    first = _article(rng, 3) + f"\n{statement} the ministry said on Tuesday.\n" + _article(rng, 2)
    second = _article(rng, 3) + f"\n{statement} a spokeswoman told reporters.\n" + _article(rng, 2)
    copied = _article(rng, 8) + "\n" + first.split("\n")[0]
    add_articles(store, [
        {"text": first, "outlet": "a.com", "published": "2020-01-01T10:00:00+00:00"},
        {"text": second, "outlet": "b.com", "published": "2020-01-01T12:00:00+00:00"},
        {"text": copied, "outlet": "c.com", "published": "2020-01-02T12:00:00+00:00"},
    ])
    _run(store)
    relations = sorted(r["relation"] for r in store.rows("SELECT relation FROM pairs"))
    # first~copied share two unquoted paragraphs: partial. first~second share only the quote.
    assert relations == ["partial"], relations


def test_reuse_gap_filling_follows_the_order_only() -> None:
    from newstrace.rewrite import AlignedSentence, fill_gaps

    a = np.eye(6, dtype=np.float32)
    b = np.eye(6, dtype=np.float32)
    b[2] = 0.6 * a[2] + 0.8 * a[5]  # B2 says A2 loosely (cosine 0.6), A5 too
    anchors = [AlignedSentence(0, 0, 1.0), AlignedSentence(1, 1, 1.0), AlignedSentence(3, 3, 1.0),
               AlignedSentence(4, 4, 1.0)]
    filled = fill_gaps(anchors, a, b, 0.45)
    # A2-B2 sit between anchors 1 and 3 on both sides: filled. A5-B5 after the last anchor:
    # filled too (cosine 1.0). B2's resemblance to A5 lies across an anchor: never paired.
    assert [(f.a_idx, f.b_idx) for f in filled] == [(2, 2), (5, 5)]
    assert fill_gaps(anchors, a, b, 0.9) == [AlignedSentence(5, 5, 1.0)]


def _pasted_pair(rng: random.Random, named: bool) -> list[dict]:
    """A short report, and a long article published 40 days later that pastes its second
    paragraph: too few shared shingles for the LSH bands, but the paragraph carries its names."""
    names = ("Ingrid Holm of the Velling Harbour Authority met Per Lund. " if named else "")
    source = _article(rng, 4) + "\n" + names + _article(rng, 4)
    pasted = source.split("\n")[-1]
    recipes = ("flour butter oven sugar bake minutes dough salt pepper garlic onion simmer stir "
               "bowl whisk cream cheese tomato basil olive pan roast lemon honey").split()
    later = "\n".join(
        " ".join(" ".join(rng.choice(recipes) for _ in range(12)).capitalize() + "." for _ in range(4))
        for _ in range(15)) + "\n" + pasted
    return [{"text": source, "outlet": "a.com", "published": "2020-01-01T10:00:00+00:00"},
            {"text": later, "outlet": "b.com", "published": "2020-02-10T10:00:00+00:00"}]


def test_reuse_pasted_paragraph_found_through_its_names_months_apart(tmp_path: Path) -> None:
    from newstrace import stories

    found = {}
    ids: list[str] = []
    for named in (True, False):
        store = Store.open(tmp_path / f"{named}.db")
        added = add_articles(store, _pasted_pair(random.Random(11), named))
        ids = added if named else ids
        ctx = StageContext(store, Config())
        sentences.run(ctx)
        reuse.run(ctx)
        found[named] = store.rows("SELECT * FROM pairs")
        if named:
            stories.run(ctx)
            story_of = {r["article_id"]: r["story_id"] for r in store.rows("SELECT * FROM story_articles")}
        store.close()
    assert found[False] == []  # the control: without the names nothing proposes the pair
    (pair,) = found[True]
    assert pair["relation"] == "partial" and pair["earlier_id"] == ids[0]
    # Too far apart for names to count as same-event evidence, and not aligned by meaning.
    assert pair["shared_names"] is None and pair["aligned_sentences"] == 0
    # Partial reuse is evidence, not a reason to put the two in one story.
    assert story_of[ids[0]] != story_of[ids[1]]


def test_reuse_moved_sentences_cross_at_most_a_few_aligned_pairs() -> None:
    from newstrace.rewrite import AlignedSentence, fill_gaps

    e = np.eye(16, dtype=np.float32)
    # Aligned pairs (2,2), (3,3), (5,5); every other sentence says something of its own, except
    # that B4 loosely says A1 (moved past two aligned pairs) and B0 says A6 (past three).
    a = e[[8, 1, 2, 3, 9, 5, 6, 10]]
    b = e[[0, 11, 2, 3, 4, 5, 12, 13]]
    b[4] = 0.6 * e[1] + 0.8 * e[15]
    b[0] = 0.6 * e[6] + 0.8 * e[14]
    anchors = [AlignedSentence(k, k, 1.0) for k in (2, 3, 5)]
    assert fill_gaps(anchors, a, b, 0.45) == []  # both lie across aligned pairs: no gap holds them
    moved = fill_gaps(anchors, a, b, 0.45, max_moved=2)
    assert [(m.a_idx, m.b_idx) for m in moved] == [(1, 4)]
    assert fill_gaps(anchors, a, b, 0.45, max_moved=1) == []


def test_reuse_pasted_paragraph_found_through_its_names_without_embeddings(store: Store) -> None:
    ids = add_articles(store, _pasted_pair(random.Random(11), named=True))
    _run(store)  # reuse.semantic off
    (pair,) = store.rows("SELECT * FROM pairs")
    assert pair["relation"] == "partial" and pair["earlier_id"] == ids[0] and pair["lead_cosine"] is None
