"""The ``stories`` stage: which live articles tell the same story, kept up to date as articles
arrive.

Evidence, per article: the MiniLM embedding of its title and lead (first two sentences), taken
through the learned story adapter (``story_scorer.adapt``; the store keeps the raw vector), the
content words, capitalised phrases and numbers of its title and first five sentences, its
publication time, and, when the ``reuse`` stage has run, its reuse relations (copy,
rewrite, same-event), which force the two articles into one story. ``newstrace.clustering``
decides, comparing each new article with the members of nearby stories through the learned
pair scorer of ``newstrace.story_scorer``; this module feeds it from the store (the stories in
the batch's time window and their members' cached evidence) and writes ``stories``,
``story_articles`` and ``story_merges``.

Incremental: each run clusters only the articles it has not seen, in publication order,
against the stories active in their time window, and a story's id never changes as it grows.
When new evidence bridges two stories the older id survives and the other is recorded in
``story_merges``, so ids handed out earlier still resolve (``get_story``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from sqlalchemy.engine import Connection

from .clustering import (
    BatchResult,
    ClusterParams,
    OnlineClusterer,
    Record,
    StoryState,
    extract_entities,
    extract_numbers,
    extract_words,
    record_texts,
    time_in_days,
)
from .config import Setting
from .errors import InputError, StageError
from .pipeline import StageContext
from .reuse import RULES_MARK as REUSE_RULES_MARK
from .store import Store, escape_like, utcnow
from .story_scorer import adapt

STAGE = "stories"
EMBED_MODEL = "all-MiniLM-L6-v2"
# Bump RULES_MARK when what puts two articles in one story changes (REUSE_RELATIONS, the scorer,
# the clusterer's decisions): stories built under older rules are built again at the next run.
# The reuse verdicts that force stories are part of those rules, so a change of the reuse
# stage's rules (reuse.RULES_MARK, which has it decide every pair again) rebuilds them too.
RULES_MARK = f"stories-rules-2+{REUSE_RULES_MARK}"
# Relations that put two articles in one story. Not `partial`: an article that pastes a few
# paragraphs of another (background, a quotation block) may tell a different story, and forcing
# it would merge the two stories (planted partial pages did exactly that).
REUSE_RELATIONS = ("copy", "rewrite", "same-event")
_DEFAULTS = ClusterParams()

SETTINGS = (
    Setting("stories.threshold", _DEFAULTS.threshold,
            "Mean same-story probability an article needs against a story's nearest members to join it."),
    Setting("stories.merge_threshold", _DEFAULTS.merge_threshold,
            "An article this likely to belong to two stories merges them (the older id survives)."),
    Setting("stories.window_days", _DEFAULTS.window_days,
            "A story takes no article published more than this many days from its first/last article."),
    Setting("stories.candidates", _DEFAULTS.candidates,
            "Nearest articles (by embedding) whose stories are scored for each new article."),
    Setting("stories.members_scored", _DEFAULTS.members_scored,
            "At most this many of a story's members (the nearest) are compared with a new article."),
    Setting("stories.batch_size", 1000, "Articles clustered per committed batch."),
)


def params_from(config: Any) -> ClusterParams:
    return ClusterParams(
        threshold=config["stories.threshold"], merge_threshold=config["stories.merge_threshold"],
        window_days=config["stories.window_days"], candidates=config["stories.candidates"],
        members_scored=config["stories.members_scored"],
    )


# -- evidence --------------------------------------------------------------------------------
def _sentences_of(store: Store, articles: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """First sentences per article from the ``sentences`` table (split here if missing)."""
    from .sentences import split_sentences

    ids = [a["id"] for a in articles]
    found: dict[str, list[str]] = {i: [] for i in ids}
    if "sentences" in store.tables():
        for row in store.rows(
            "SELECT article_id, text FROM sentences WHERE idx < 12 AND article_id IN "
            "(SELECT value FROM json_each(:ids)) ORDER BY article_id, idx", {"ids": json.dumps(ids)}
        ):
            found[row["article_id"]].append(row["text"])
    for article in articles:
        if not found[article["id"]] and article["text"].strip():
            found[article["id"]] = [s.text for s in split_sentences(article["text"])[:12]]
    return found


Features = tuple[np.ndarray, list[str], list[str], dict[str, int]]


def _features(store: Store, articles: Sequence[dict[str, Any]]) -> dict[str, Features]:
    """(adapted vector, entities, numbers, words) per article, computed once and cached in
    story_features. The cache keeps MiniLM's own vector; the adapter is applied on reading."""
    ids = [a["id"] for a in articles]
    cached = {
        r["article_id"]: (np.frombuffer(r["vector"], dtype=np.float32), json.loads(r["entities"]),
                          json.loads(r["numbers"]), json.loads(r["words"]))
        for r in store.rows(
            "SELECT article_id, vector, entities, numbers, words FROM story_features WHERE model = :m "
            "AND article_id IN (SELECT value FROM json_each(:ids))", {"m": EMBED_MODEL, "ids": json.dumps(ids)}
        )
    }
    missing = [a for a in articles if a["id"] not in cached]
    if missing:
        from .models import embed

        sentences = _sentences_of(store, missing)
        texts = [record_texts(a["title"] or "", sentences[a["id"]]) for a in missing]
        vectors = embed([t for t, _ in texts])
        rows = []
        for article, (_, entity_text), vector in zip(missing, texts, vectors, strict=True):
            entities, numbers = sorted(extract_entities(entity_text)), sorted(extract_numbers(entity_text))
            words = extract_words(entity_text)
            cached[article["id"]] = (vector, entities, numbers, words)
            rows.append((article["id"], EMBED_MODEL, vector.astype(np.float32).tobytes(),
                         json.dumps(entities, ensure_ascii=False), json.dumps(numbers),
                         json.dumps(words, ensure_ascii=False)))
        # Committed at once: embeddings are the costly part, and a killed run keeps them.
        with store.transaction() as conn:
            conn.exec_driver_sql("INSERT OR REPLACE INTO story_features VALUES (?,?,?,?,?,?)", rows)
    return _adapted(cached)


def _adapted(features: dict[str, Features]) -> dict[str, Features]:
    if not features:
        return features
    keys = list(features)
    vectors = adapt(np.stack([features[k][0] for k in keys]))
    return {k: (vectors[i], *features[k][1:]) for i, k in enumerate(keys)}  # type: ignore[misc]


def _reuse_links(store: Store, ids: Sequence[str]) -> dict[str, list[str]]:
    """Article -> articles the reuse stage related it to (both directions), when it has run."""
    if "pairs" not in store.tables():
        return {}
    columns = set(store.columns("pairs"))
    if not {"a_id", "b_id", "relation"} <= columns:
        return {}
    links: dict[str, list[str]] = {}
    for row in store.rows(
        "SELECT a_id, b_id FROM pairs WHERE relation IN (SELECT value FROM json_each(:rel)) AND "
        "(a_id IN (SELECT value FROM json_each(:ids)) OR b_id IN (SELECT value FROM json_each(:ids)))",
        {"rel": json.dumps(REUSE_RELATIONS), "ids": json.dumps(list(ids))},
    ):
        links.setdefault(row["a_id"], []).append(row["b_id"])
        links.setdefault(row["b_id"], []).append(row["a_id"])
    return links


# -- clusterer state -------------------------------------------------------------------------
def _nearest_undated_stories(store: Store, records: Sequence[Record], params: ClusterParams) -> list[str]:
    """Stories outside the time-window query that a record of the batch could still join: for
    an undated record, any story; for a dated one, the stories without dates. Of those, only the
    stories of each record's ``params.candidates`` nearest clustered articles can win, because
    the clusterer scores no other story (``OnlineClusterer._story_scores``), so loading just
    these gives the same decisions as loading all of them, which read every story's members and
    words. This reads only the vectors. A small batch on a large store gains most (10 undated
    articles on 100,000: 2.6 s instead of 4.3 s, ``bench/stories_store.py``); a batch of 1,000
    still reaches nearly every story, since the nearest articles of an article with no real
    neighbour are any."""
    undated = [r for r in records if r.time is None]
    scope = "" if undated else (
        "JOIN story_state st ON st.story_id = sa.story_id WHERE st.first_time IS NULL OR st.last_time IS NULL")
    rows = store.rows(f"SELECT sa.story_id, f.vector FROM story_articles sa JOIN story_features f "
                      f"ON f.article_id = sa.article_id {scope}")
    if not rows:
        return []
    vectors = adapt(np.stack([np.frombuffer(r["vector"], dtype=np.float32) for r in rows]))
    k = min(params.candidates, len(rows))
    if k == len(rows):
        return sorted({r["story_id"] for r in rows})
    found: set[int] = set()
    queries = np.stack([r.vector for r in records])
    for start in range(0, len(queries), 128):  # 128 records at a time bounds the memory
        cosines = vectors @ queries[start : start + 128].T  # articles × records
        found.update(np.argpartition(-cosines, k - 1, axis=0)[:k].ravel().tolist())
    return sorted({rows[i]["story_id"] for i in found})


def _load_state(store: Store, records: Sequence[Record], params: ClusterParams,
                links: dict[str, list[str]]) -> OnlineClusterer:
    """A clusterer holding the stories that the batch can join: those in its time window, those
    near its articles among the stories the window cannot place (``_nearest_undated_stories``),
    and those its reuse links point into."""
    times = [r.time for r in records if r.time is not None]
    linked = sorted({x for r in records for x in links.get(r.id, ())})
    known = {
        r["article_id"]: r["story_id"]
        for r in store.rows(
            "SELECT article_id, story_id FROM story_articles WHERE article_id IN (SELECT value FROM json_each(:ids))",
            {"ids": json.dumps(linked)},
        )
    }
    where = ["story_id IN (SELECT value FROM json_each(:linked))",
             "story_id IN (SELECT value FROM json_each(:near))"]
    if times:
        where.append("last_time >= :lo AND first_time <= :hi")
    rows = store.rows(
        f"SELECT st.*, s.size FROM story_state st JOIN stories s ON s.id = st.story_id "
        f"WHERE ({') OR ('.join(where)})",
        {"linked": json.dumps(sorted(set(known.values()))),
         "near": json.dumps(_nearest_undated_stories(store, records, params) if records else []),
         "lo": (min(times) - params.window_days) if times else 0.0,
         "hi": (max(times) + params.window_days) if times else 0.0},
    )
    states = [
        StoryState(
            id=row["story_id"], vector_sum=np.frombuffer(row["vector_sum"], dtype=np.float32).copy(),
            size=int(row["size"]), entity_counts=Counter(json.loads(row["entity_counts"])),
            number_counts=Counter(json.loads(row["number_counts"])), first_time=row["first_time"],
            last_time=row["last_time"], created_order=row["created_order"],
        )
        for row in rows
    ]
    # The members of those stories, in the order they joined (story_articles' rowid), because a
    # new article is compared with a story's members, not with a summary of them.
    members = []
    member_rows = store.rows(
        "SELECT sa.article_id, sa.story_id, f.vector, f.entities, f.numbers, f.words, a.published_at "
        "FROM story_articles sa JOIN story_features f ON f.article_id = sa.article_id "
        "JOIN articles a ON a.id = sa.article_id "
        "WHERE sa.story_id IN (SELECT value FROM json_each(:s)) ORDER BY sa.rowid",
        {"s": json.dumps([st.id for st in states])},
    )
    vectors: Sequence[np.ndarray] = []
    if member_rows:  # one matrix product for all members, whose stored vectors are MiniLM's own
        vectors = list(adapt(np.stack([np.frombuffer(r["vector"], dtype=np.float32) for r in member_rows])))
    for row, vector in zip(member_rows, vectors, strict=True):
        known[row["article_id"]] = row["story_id"]
        members.append(Record(row["article_id"], vector,
                              frozenset(json.loads(row["entities"])), frozenset(json.loads(row["numbers"])),
                              time_in_days(row["published_at"]), words=json.loads(row["words"])))
    terms = sorted({e for r in records for e in r.entities}
                   | {"w:" + w for r in [*records, *members] for w in r.words})
    df = Counter({
        r["term"]: r["df"]
        for r in store.rows("SELECT term, df FROM story_df WHERE term IN (SELECT value FROM json_each(:t))",
                            {"t": json.dumps(terms)})
    })
    seen = int(store.scalar("SELECT COUNT(*) FROM story_articles") or 0)
    return OnlineClusterer(params, states, members=members, entity_df=df, records_seen=seen,
                           known_assignments=known)


def _write_batch(conn: Connection, clusterer: OnlineClusterer, result: BatchResult,
                 records: Sequence[Record], bridged_by: dict[str, str]) -> None:
    now = utcnow()
    conn.exec_driver_sql(
        "INSERT INTO story_articles(article_id, story_id, joined_at, score, joined_by) VALUES (?,?,?,?,?)",
        [(a.record_id, a.story_id, now, round(a.score, 4), a.evidence) for a in result.assignments],
    )
    for kept, absorbed in result.merges:
        kept_now = clusterer.resolve(kept)
        conn.exec_driver_sql("UPDATE story_articles SET story_id = ? WHERE story_id = ?", (kept_now, absorbed))
        conn.exec_driver_sql("UPDATE story_merges SET kept_id = ? WHERE kept_id = ?", (kept_now, absorbed))
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO story_merges(absorbed_id, kept_id, merged_at, article_id) VALUES (?,?,?,?)",
            (absorbed, kept_now, now, bridged_by.get(absorbed)),
        )
        conn.exec_driver_sql("DELETE FROM story_state WHERE story_id = ?", (absorbed,))
        conn.exec_driver_sql("DELETE FROM stories WHERE id = ?", (absorbed,))
    for story_id in sorted(result.touched):
        story = clusterer.stories[story_id]
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO story_state VALUES (?,?,?,?,?,?,?,?,?)",
            # term_sum / term_norm_sq held a word centroid for the earlier centroid scorer; the
            # pair scorer reads members' own words, so they are written empty.
            (story.id, story.vector_sum.astype(np.float32).tobytes(),
             json.dumps(dict(story.entity_counts), ensure_ascii=False), json.dumps(dict(story.number_counts)),
             "{}", 0.0, story.first_time, story.last_time, story.created_order),
        )
        _refresh_summary(conn, story_id, now)
    df = Counter(e for r in records for e in r.entities)
    df.update("w:" + w for r in records for w in r.words)
    conn.exec_driver_sql(
        "INSERT INTO story_df(term, df) VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
        sorted(df.items()),
    )


def _refresh_summary(conn: Connection, story_id: str, now: str) -> None:
    """Recompute a story's row (title, size, dates, outlets) from its articles."""
    members = conn.exec_driver_sql(
        "SELECT a.title, a.text, a.published_at, a.outlet FROM story_articles s JOIN articles a "
        "ON a.id = s.article_id WHERE s.story_id = ? ORDER BY COALESCE(a.published_at, '9999'), s.joined_at, a.id",
        (story_id,),
    ).fetchall()
    dates = [m.published_at for m in members if m.published_at]
    outlets = sorted({m.outlet for m in members if m.outlet})
    title = next((m.title.strip() for m in members if m.title and m.title.strip()), "")
    if not title and members:
        first_line = members[0].text.strip().split("\n", 1)[0]
        title = first_line[:117] + "…" if len(first_line) > 120 else first_line
    conn.exec_driver_sql(
        "INSERT INTO stories(id, title, size, first_seen, last_seen, outlets, outlet_count, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET title = excluded.title, size = excluded.size, "
        "first_seen = excluded.first_seen, last_seen = excluded.last_seen, outlets = excluded.outlets, "
        "outlet_count = excluded.outlet_count, updated_at = excluded.updated_at",
        (story_id, title, len(members), min(dates) if dates else None, max(dates) if dates else None,
         json.dumps(outlets, ensure_ascii=False), len(outlets), now, now),
    )


# -- the stage -------------------------------------------------------------------------------
def _rebuild_if_rules_changed(store: Store) -> int:
    """Stories built under older rules (articles without RULES_MARK) are built again: every
    story is dropped and every live article clustered anew, in publication order, from the
    cached evidence (nothing is embedded again). Ids follow the rule of the module docstring, so
    most come back unchanged; one that does not still resolves through the article that started
    it (``resolve_story_id``). Returns how many articles were clustered under older rules."""
    stale = int(store.scalar(
        "SELECT COUNT(*) FROM stage_done d WHERE d.stage = :stage AND NOT EXISTS "
        "(SELECT 1 FROM stage_done m WHERE m.stage = :mark AND m.article_id = d.article_id)",
        {"stage": STAGE, "mark": RULES_MARK}) or 0)
    if stale:
        with store.transaction() as conn:
            for table in ("story_articles", "story_state", "stories"):
                conn.exec_driver_sql(f"DELETE FROM {table}")
            conn.exec_driver_sql("DELETE FROM stage_done WHERE stage IN (?, ?)", (STAGE, RULES_MARK))
    return stale


def run(ctx: StageContext) -> dict[str, Any]:
    store = ctx.store
    if "story_state" not in store.tables():
        raise StageError("The store lacks the stories tables. Open it with Store.open() to migrate it.")
    rebuilt = _rebuild_if_rules_changed(store)
    params = params_from(ctx.config)
    batch_size = int(ctx.config["stories.batch_size"])
    if batch_size < 1:
        raise StageError("stories.batch_size must be at least 1; set it in newstrace.toml under [stories].")
    pending = store.pending(STAGE)
    ctx.progress.start("stories", len(pending))
    counts: Counter[str] = Counter()
    for start in range(0, len(pending), batch_size):
        articles = store.articles(pending[start : start + batch_size])
        features = _features(store, articles)
        links = _reuse_links(store, [a["id"] for a in articles])
        records = [
            Record(a["id"], features[a["id"]][0], frozenset(features[a["id"]][1]),
                   frozenset(features[a["id"]][2]), time_in_days(a["published_at"]),
                   tuple(sorted(links.get(a["id"], ()))), features[a["id"]][3])
            for a in articles
        ]
        clusterer = _load_state(store, records, params, links)
        result = clusterer.add_batch(records)
        bridged_by: dict[str, str] = {}
        for assignment in result.assignments:  # which article bridged each merge, for the record
            for kept, absorbed in result.merges:
                if absorbed not in bridged_by and assignment.story_id == clusterer.resolve(kept):
                    bridged_by[absorbed] = assignment.record_id
        with store.transaction() as conn:
            _write_batch(conn, clusterer, result, records, bridged_by)
            store.mark_done(conn, STAGE, [a["id"] for a in articles])
            store.mark_done(conn, RULES_MARK, [a["id"] for a in articles])
        counts.update(a.evidence for a in result.assignments)
        counts["merges"] += len(result.merges)
        ctx.progress.advance(len(articles))
    ctx.progress.finish()
    return {"articles": len(pending), "new_stories": counts["new"], "joined_by_similarity": counts["similar"],
            "joined_by_reuse": counts["reuse"], "merges": counts["merges"], "rebuilt_from_older_rules": rebuilt,
            "stories": int(store.scalar("SELECT COUNT(*) FROM stories") or 0)}


# -- reading ---------------------------------------------------------------------------------
class StoryRows(Protocol):
    """What resolving a story id reads: a ``Store``, or the web UI's read-only ``Reader``."""

    def rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]: ...
    def scalar(self, sql: str, params: dict[str, Any]) -> Any: ...
    def tables(self) -> list[str]: ...


def resolve_story_id(store: StoryRows, story_id: str) -> str | None:
    """The live id for ``story_id``, following recorded merges; None if unknown. An id that a
    rebuild (``_rebuild_if_rules_changed``) did not bring back resolves to the story now holding
    the article that started it (a story id is "s-" and that article's id)."""
    seen = set()
    current = story_id
    merges = "story_merges" in store.tables()
    while current not in seen:
        seen.add(current)
        if store.scalar("SELECT 1 FROM stories WHERE id = :i", {"i": current}):
            return current
        if not merges:
            break
        kept = store.scalar("SELECT kept_id FROM story_merges WHERE absorbed_id = :i", {"i": current})
        if kept is None:
            break
        current = kept
    if story_id.startswith("s-"):
        holder = store.scalar("SELECT story_id FROM story_articles WHERE article_id = :a", {"a": story_id[2:]})
        if holder is not None and holder != story_id:
            return resolve_story_id(store, str(holder))
    return None


def find_story(store: StoryRows, ref: str) -> str:
    """The live story for ``ref``: a story id, a unique prefix of one ("s-a868"), or an id that a
    merge retired. Raises InputError saying what to do when there is none or several."""
    if not ref.strip():
        raise InputError("No story id given. List stories with `newstrace stories`.")
    if "stories" not in store.tables() or not store.scalar("SELECT 1 FROM stories LIMIT 1", {}):
        raise InputError(f"No story {ref!r}: there are no stories yet. Run `newstrace analyze` first, "
                         "then `newstrace stories` lists them.")
    live = resolve_story_id(store, ref)
    if live is not None:
        return live
    pattern = escape_like(ref) + "%"
    rows = store.rows("SELECT id FROM stories WHERE id LIKE :p ESCAPE '\\' ORDER BY id LIMIT 6", {"p": pattern})
    if len(rows) == 1:
        return str(rows[0]["id"])
    if rows:
        shown = ", ".join(str(r["id"]) for r in rows[:5])
        raise InputError(f"{ref!r} is the start of several story ids ({shown}{', ...' if len(rows) > 5 else ''}); "
                         "give more of the id.")
    raise InputError(f"No story {ref!r}. List stories with `newstrace stories`.")


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["outlets"] = json.loads(row.get("outlets") or "[]")
    return row


def list_stories(store: Store, *, limit: int | None = 50, min_size: int = 1, sort: str = "size") -> list[dict[str, Any]]:
    """Stories as dicts (id, title, size, first_seen, last_seen, outlets, outlet_count), biggest
    first (``sort="size"``) or most recently seen first (``sort="recent"``)."""
    orders = {"size": "size DESC, first_seen, id", "recent": "COALESCE(last_seen, '') DESC, size DESC, id"}
    if sort not in orders:
        raise InputError(f"Unknown sort {sort!r}: use one of {', '.join(orders)}.")
    if limit is not None and limit < 1:
        raise InputError("--limit must be at least 1.")
    if "stories" not in store.tables():
        return []
    sql = (f"SELECT id, title, size, first_seen, last_seen, outlets, outlet_count FROM stories "
           f"WHERE size >= :min ORDER BY {orders[sort]}")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [_decode(r) for r in store.rows(sql, {"min": int(min_size)})]


def get_story(store: Store, story_id: str) -> dict[str, Any]:
    """One story with its articles (oldest first) and the ids merged into it. An id that was
    merged away resolves to the story it joined (``resolved_from`` says so)."""
    live = find_story(store, story_id)
    story = _decode(store.rows("SELECT * FROM stories WHERE id = :i", {"i": live})[0])
    story["resolved_from"] = story_id if live != story_id else None
    story["articles"] = store.rows(
        "SELECT a.id, a.title, a.published_at, a.outlet, a.url, s.score, s.joined_by, s.joined_at "
        "FROM story_articles s JOIN articles a ON a.id = s.article_id WHERE s.story_id = :i "
        "ORDER BY COALESCE(a.published_at, '9999'), s.joined_at, a.id", {"i": live},
    )
    story["merged_from"] = [
        r["absorbed_id"] for r in store.rows(
            "SELECT absorbed_id FROM story_merges WHERE kept_id = :i ORDER BY merged_at, absorbed_id", {"i": live})
    ]
    return story
