"""Read-only view models over the store: the only place the UI and the report read tables.

The web UI and the HTML report show what the analysis stages decided; they decide nothing
themselves. Each page section reads the tables of one stage. A stage that has not run yet (its
table is absent) degrades that section to "not analysed yet" instead of failing the page, so
the UI is useful from the first ingest on.

The store is opened read-only (``mode=ro``), one connection per request, each request one read
transaction: SQLite's WAL lets it read a consistent snapshot while an ingest writes, and the
busy timeout covers the brief moments (checkpoints, WAL recovery) when a reader must wait.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..pipeline import table_stages
from ..provenance import describe_mutation, group_detail_rows, mark_only_here
from ..store import escape_like
from .names import (
    UNRESOLVED_PRONOUNS,
    OutletNames,
    label,
    merge_outlet_nodes,
    name_key,
    opening_sql,
    split_pronoun_sources,
)

NOT_ANALYSED = "not analysed yet (run `newstrace analyze`)"
#: Tables filled by an import, not by a stage: empty means nothing was imported.
NOT_IMPORTED = {"factchecks": "no fact-check imported yet (run `newstrace factchecks import FILE`, then "
                              "`newstrace analyze`)"}
BUSY_TIMEOUT_MS = 15000

#: The tables each section reads; a section is shown only when all of them exist.
STORY_TABLES = ("stories", "story_articles")
PAIR_TABLES = ("pairs",)
RELATED_PAIR_TABLES = ("pairs", "related_pairs")
#: Pairs are listed for at most this many articles at once (a story page of a huge story).
MAX_LISTED_ARTICLES = 2000  # analysed when reuse ran
PASSAGE_TABLES = ("passages",)
ATTRIBUTION_TABLES = ("attributions",)
CLAIM_TABLES = ("claims",)
CITATION_TABLES = ("citations",)
GROUP_TABLES = ("claim_groups", "claim_variants")
MUTATION_TABLES = ("mutations",)
PROVENANCE_TABLES = ("provenance_edges",)
ORIGIN_TABLES = ("story_origins",)
FACTCHECK_TABLES = ("factchecks", "factcheck_matches")

#: The mutation type of a claim that lost its attribution in a retelling (trace stage).
STRIPPED_ATTRIBUTION = "attribution-removed"

#: The stage that writes each table. An empty table whose stage has no recorded run means
#: "not analysed yet"; once the stage ran, an empty result means it found nothing.
STAGE_OF_TABLE = table_stages()

#: SQL function (registered on each read connection) giving a cited outlet's shown name.
SHOWN_OUTLET_SQL = "newstrace_outlet"
#: Columns naming an untitled article the way the CLI does (``names.label``).
LABEL_COLUMNS = f"a.source, {opening_sql('a')} AS opening"

#: The pronouns a resolved attribution names by its ``source_name`` (constant words, no input).
PRONOUNS_SQL = ", ".join(f"'{w}'" for w in sorted(UNRESOLVED_PRONOUNS))

STORY_SORTS = ("size", "spread", "recent", "first")
ARTICLE_SORTS = ("recent", "oldest", "outlet")


@dataclass
class Section:
    """Rows for one part of a page, or a note saying why there are none to show."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None

    @property
    def available(self) -> bool:
        return self.note is None

    def as_json(self) -> dict[str, Any]:
        return {"available": self.available, "note": self.note, "rows": self.rows}


@dataclass(frozen=True)
class ListFilters:
    """Search and filter parameters shared by the story and article lists (already validated)."""

    q: str = ""
    outlet: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "size"
    page: int = 1
    per_page: int = 50

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def _like(q: str) -> str:
    return f"%{escape_like(q)}%"


def _day_after(d: date) -> str:
    return (d + timedelta(days=1)).isoformat()


def pair_source(pair: dict[str, Any]) -> str | None:
    """Which article of a pair the reuse stage found to be the source, or None if undecided.

    ``direction`` names the source article's id or uses an arrow ("a->b" / "b->a"); anything
    else (e.g. "unknown", "simultaneous") means the order was not decided, and the UI says so.
    """
    direction = str(pair.get("direction") or "").strip().lower()
    a_id, b_id = pair.get("a_id"), pair.get("b_id")
    if direction in (str(a_id).lower(), "a->b", "a>b", "a_to_b", "forward", "ab"):
        return str(a_id)
    if direction in (str(b_id).lower(), "b->a", "b>a", "b_to_a", "backward", "ba"):
        return str(b_id)
    return None


def decode_json(value: Any, default: Any) -> Any:
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return default


def highlight_segments(text: str, spans: Sequence[tuple[int, int, str]]) -> list[tuple[str, str | None]]:
    """Cut ``text`` into (piece, kind) runs; kind is the span kind covering it or None.

    Overlapping spans: a verbatim span wins over an aligned one (it is the stronger evidence).
    Offsets outside the text are clipped rather than trusted.
    """
    n = len(text)
    rank = {"verbatim": 2}
    marks: list[str | None] = [None] * n if n <= 2_000_000 else []
    if not marks:
        return [(text, None)]
    for start, end, kind in spans:
        s, e = max(0, int(start)), min(n, int(end))
        for i in range(s, e):
            current = marks[i]
            if current is None or rank.get(kind, 1) > rank.get(current, 1):
                marks[i] = kind
    out: list[tuple[str, str | None]] = []
    i = 0
    while i < n:
        j = i
        while j < n and marks[j] == marks[i]:
            j += 1
        out.append((text[i:j], marks[i]))
        i = j
    return out


class Reader:
    """Queries over one read transaction. Obtain through ``StoreView.session()``."""

    def __init__(self, conn: sqlite3.Connection, view: StoreView | None = None) -> None:
        self.conn = conn
        self.view = view
        self._tables = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")
        }

    # -- plumbing --------------------------------------------------------------------------
    def has(self, *tables: str) -> bool:
        return all(t in self._tables for t in tables)

    def tables(self) -> list[str]:
        return sorted(self._tables)

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description or ()]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def analysed(self, table: str) -> bool:
        """Whether the stage writing ``table`` has produced anything or recorded a run."""
        if not self.has(table):
            return False
        if self.scalar(f'SELECT 1 FROM "{table}" LIMIT 1') is not None:
            return True
        stage = STAGE_OF_TABLE.get(table)
        if stage is None or not self.has("stage_runs"):
            return False
        return self.scalar("SELECT 1 FROM stage_runs WHERE stage = ? LIMIT 1", (stage,)) is not None

    def section(self, tables: Sequence[str], sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Section:
        """Rows of ``sql``, or a note when a table it reads has not been written yet."""
        if not self.has(*tables):
            return Section(note=NOT_ANALYSED)
        try:
            found = self.rows(sql, params)
            if not found and tables[0] in NOT_IMPORTED and self.scalar(f'SELECT 1 FROM "{tables[0]}" LIMIT 1') is None:
                return Section(note=NOT_IMPORTED[tables[0]])
            if not found and not self.analysed(tables[0]):
                return Section(note=NOT_ANALYSED)
            return Section(found)
        except sqlite3.OperationalError as exc:
            # A table of another (newer or older) schema: say so rather than fail the page.
            if "no such column" in str(exc) or "no such table" in str(exc):
                return Section(note=f"cannot be shown: the store's {', '.join(tables)} table differs "
                                    f"from what this newstrace expects ({exc}); run `newstrace migrate`")
            raise

    # -- overview --------------------------------------------------------------------------
    def _aggregate(self, key: str, compute: Callable[[], Any]) -> Any:
        return self.view.cached(key, compute) if self.view is not None else compute()

    def overview(self) -> dict[str, Any]:
        return dict(self._aggregate("overview", self._overview))

    def _overview(self) -> dict[str, Any]:
        stats: dict[str, Any] = {
            "articles": self.scalar("SELECT COUNT(*) FROM articles WHERE status = 'live'") or 0,
            "pending": self.scalar("SELECT COUNT(*) FROM articles WHERE status = 'new'") or 0,
            "outlets": self.scalar(
                "SELECT COUNT(DISTINCT outlet) FROM articles WHERE status = 'live'") or 0,
            "stories": None,
        }
        if self.has(*STORY_TABLES):
            stats["stories"] = self.scalar("SELECT COUNT(*) FROM stories")
        return stats

    def outlet_names(self) -> list[str]:
        return list(self._aggregate("outlet_names", lambda: [r["outlet"] for r in self.rows(
            "SELECT DISTINCT outlet FROM articles WHERE outlet IS NOT NULL ORDER BY outlet")]))

    def outlet_naming(self) -> OutletNames:
        """Outlet spellings folded to one shown name (see ``names``), cached like the counts."""
        return self._aggregate("outlet_naming", self._outlet_naming)  # type: ignore[no-any-return]

    def _outlet_naming(self) -> OutletNames:
        cited = (self.rows("SELECT cited_outlet, COUNT(*) AS n FROM citations GROUP BY cited_outlet")
                 if self.has(*CITATION_TABLES) else [])
        return OutletNames(self.outlet_names(), [(r["cited_outlet"], r["n"]) for r in cited if r["cited_outlet"]])

    def shown_outlet(self, name: str | None) -> str | None:
        return self.outlet_naming().shown(name) if name else name

    def _shown_outlet_sql(self) -> str:
        """Register (once per connection) the SQL function that groups outlet spellings."""
        if not getattr(self, "_shown_registered", False):
            self.conn.create_function(SHOWN_OUTLET_SQL, 1, self.shown_outlet, deterministic=True)
            self._shown_registered = True
        return SHOWN_OUTLET_SQL

    def outlets(self) -> list[dict[str, Any]]:
        return list(self._aggregate("outlets", lambda: self.rows(
            "SELECT outlet, COUNT(*) AS articles, MIN(published_at) AS first_published, "
            "MAX(published_at) AS last_published FROM articles WHERE status = 'live' "
            "AND outlet IS NOT NULL GROUP BY outlet ORDER BY articles DESC, outlet")))

    # -- lists -----------------------------------------------------------------------------
    def articles(self, f: ListFilters) -> tuple[list[dict[str, Any]], int]:
        where, params = ["status = 'live'"], []
        if f.q:
            where.append("title LIKE ? ESCAPE '\\'")
            params.append(_like(f.q))
        if f.outlet:
            where.append("outlet = ?")
            params.append(f.outlet)
        if f.date_from:
            where.append("published_at >= ?")
            params.append(f.date_from.isoformat())
        if f.date_to:
            where.append("published_at < ?")
            params.append(_day_after(f.date_to))
        order = {"recent": "published_at IS NULL, published_at DESC, id",
                 "oldest": "published_at IS NULL, published_at, id",
                 "outlet": "outlet, published_at, id"}.get(f.sort, "published_at DESC, id")
        clause = " AND ".join(where)
        total = int(self.scalar(f"SELECT COUNT(*) FROM articles WHERE {clause}", params) or 0)
        found = self.rows(
            f"SELECT a.id, a.title, a.outlet, a.author, a.published_at, a.url, LENGTH(a.text) AS chars, "
            f"{LABEL_COLUMNS} FROM articles a WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, f.per_page, f.offset])
        return found, total

    def stories(self, f: ListFilters) -> tuple[Section, int]:
        if not self.analysed("stories"):
            return Section(note=NOT_ANALYSED), 0
        where, params = ["1=1"], []
        if f.q:
            # The story's title, or the title of any of its articles ("Kesselby" in one retelling).
            where.append("(s.title LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM story_articles sa JOIN articles a "
                         "ON a.id = sa.article_id WHERE sa.story_id = s.id AND a.title LIKE ? ESCAPE '\\'))")
            params.extend([_like(f.q), _like(f.q)])
        if f.outlet:
            where.append("EXISTS (SELECT 1 FROM story_articles sa JOIN articles a ON a.id = sa.article_id "
                         "WHERE sa.story_id = s.id AND a.outlet = ?)")
            params.append(f.outlet)
        # A story overlaps the asked period when it was seen in it at least once.
        if f.date_from:
            where.append("COALESCE(s.last_seen, s.first_seen) >= ?")
            params.append(f.date_from.isoformat())
        if f.date_to:
            where.append("s.first_seen < ?")
            params.append(_day_after(f.date_to))
        order = {"size": "s.size DESC, spread DESC, s.id",
                 "spread": "spread DESC, s.size DESC, s.id",
                 "recent": "s.last_seen IS NULL, s.last_seen DESC, s.id",
                 "first": "s.first_seen IS NULL, s.first_seen, s.id"}[f.sort if f.sort in STORY_SORTS else "size"]
        clause = " AND ".join(where)
        # The stories stage keeps outlet_count; count members' outlets only for an older table.
        has_count = any(r[1] == "outlet_count" for r in self.conn.execute("PRAGMA table_info(stories)"))
        spread = "s.outlet_count" if has_count else (
            "(SELECT COUNT(DISTINCT a.outlet) FROM story_articles sa JOIN articles a "
            "ON a.id = sa.article_id WHERE sa.story_id = s.id)")
        try:
            # With a title search, the total rides on the page's own scan (a window count): the
            # search reads every story's articles, and a separate COUNT(*) read them all again.
            # Without one, COUNT(*) is cheap and the window count would cost the page a full sort.
            window = ", COUNT(*) OVER () AS total_matching" if f.q else ""
            found = self.rows(
                f"SELECT s.id, s.title, s.size, s.first_seen, s.last_seen, {spread} AS spread{window} "
                f"FROM stories s WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?",
                [*params, f.per_page, f.offset])
            if found and window:
                total = int(found[0]["total_matching"])
                for row in found:
                    del row["total_matching"]
            elif window and not f.offset:
                total = 0
            else:  # no search, or a page past the last (it has no row to carry the total)
                total = int(self.scalar(f"SELECT COUNT(*) FROM stories s WHERE {clause}", params) or 0)
        except sqlite3.OperationalError as exc:
            if "no such column" in str(exc):
                return Section(note=f"cannot be shown: the stories table differs from what this "
                                    f"newstrace expects ({exc})"), 0
            raise
        return Section(found), total

    # -- one article -----------------------------------------------------------------------
    def article_row(self, article_id: str) -> dict[str, Any] | None:
        row = self.one("SELECT * FROM articles WHERE id = ?", (article_id,))
        if row is not None:
            row["metadata"] = decode_json(row.get("metadata"), {})
        return row

    def article(self, article_id: str) -> dict[str, Any] | None:
        art = self.article_row(article_id)
        if art is None:
            return None
        urls = self.rows("SELECT url, canonical_url FROM article_urls WHERE article_id = ? ORDER BY url",
                         (article_id,))
        parts = self.rows(f"SELECT a.id, a.title, a.segment_index, {LABEL_COLUMNS} FROM articles a "
                          "WHERE a.parent_id = ? ORDER BY a.segment_index", (article_id,))
        return {
            "article": art,
            "urls": urls,
            "parts": parts,
            "stories": self.section(STORY_TABLES,
                "SELECT s.id, s.title, s.size FROM story_articles sa JOIN stories s ON s.id = sa.story_id "
                "WHERE sa.article_id = ? ORDER BY s.size DESC", (article_id,)),
            "pairs": self._pairs_of([article_id]),
            "claims": self.section(CLAIM_TABLES,
                "SELECT * FROM claims WHERE article_id = ? ORDER BY start", (article_id,)),
            "attributions": self.section(ATTRIBUTION_TABLES,
                "SELECT * FROM attributions WHERE article_id = ?", (article_id,)),
            "citations": self.section(CITATION_TABLES,
                f"SELECT {self._shown_outlet_sql()}(cited_outlet) AS cited_outlet, COUNT(*) AS times "
                "FROM citations WHERE article_id = ? GROUP BY 1 ORDER BY times DESC", (article_id,)),
            "factchecks": self.article_factchecks(article_id),
        }

    def _pairs_of(self, article_ids: Sequence[str], *, within: bool = False) -> Section:
        """Pairs touching the articles (or, with ``within``, inside the set), with both outlets."""
        ids = list(article_ids)[:MAX_LISTED_ARTICLES]
        marks = ",".join("?" * len(ids)) or "NULL"
        # The filters are written inside the view's query, as plain lists of values: SQLite
        # pushes such terms into both halves of the view (reuse pairs, story members), where a
        # json_each subquery or an OR would make it build the whole view first.
        inner = (f"SELECT * FROM related_pairs WHERE a_id IN ({marks}) AND b_id IN ({marks})" if within else
                 f"SELECT * FROM related_pairs WHERE a_id IN ({marks}) UNION "
                 f"SELECT * FROM related_pairs WHERE b_id IN ({marks})")
        sec = self.section(RELATED_PAIR_TABLES,
            "SELECT p.*, a.outlet AS a_outlet, a.title AS a_title, a.published_at AS a_published, "
            f"a.source AS a_source, {opening_sql('a')} AS a_opening, b.source AS b_source, "
            f"{opening_sql('b')} AS b_opening, "
            f"b.outlet AS b_outlet, b.title AS b_title, b.published_at AS b_published FROM ({inner}) p "
            "JOIN articles a ON a.id = p.a_id JOIN articles b ON b.id = p.b_id "
            "ORDER BY CASE p.relation WHEN 'copy' THEN 0 WHEN 'partial' THEN 1 WHEN 'rewrite' THEN 2 "
            "ELSE 3 END, p.a_id, p.b_id LIMIT 500", (*ids, *ids))
        for row in sec.rows:
            row["source_id"] = pair_source(row)
            for side in ("a", "b"):
                row[f"{side}_label"] = label({"id": row[f"{side}_id"], "title": row[f"{side}_title"],
                                              "source": row.pop(f"{side}_source"),
                                              "opening": row.pop(f"{side}_opening")})
        return sec

    # -- one story -------------------------------------------------------------------------
    def resolve_story(self, ref: str) -> str | None:
        """The live story for ``ref``: its id, an id a merge retired, or a unique prefix, as the
        CLI reads it (``stories.find_story``); None when there is none or several."""
        from ..stories import find_story

        try:
            return find_story(self, ref)
        except InputError:
            return None

    def story(self, story_id: str) -> dict[str, Any] | None:
        if not self.has(*STORY_TABLES):
            return None
        resolved = self.resolve_story(story_id)
        story = self.one("SELECT * FROM stories WHERE id = ?", (resolved,)) if resolved else None
        if story is None:
            return None
        story_id = str(story["id"])
        members = self.rows(
            f"SELECT a.id, a.title, a.outlet, a.author, a.published_at, a.url, {LABEL_COLUMNS} FROM story_articles sa "
            "JOIN articles a ON a.id = sa.article_id WHERE sa.story_id = ? "
            "ORDER BY a.published_at IS NULL, a.published_at, a.id", (story_id,))
        ids = [m["id"] for m in members]
        ids_json = json.dumps(ids)
        story["spread"] = len({m["outlet"] for m in members if m["outlet"]})
        origin = self.section(ORIGIN_TABLES,
            "SELECT o.*, a.outlet AS earliest_outlet, a.title AS earliest_title, a.source AS earliest_source, "
            f"{opening_sql('a')} AS earliest_opening, a.published_at AS earliest_published FROM story_origins o "
            "LEFT JOIN articles a ON a.id = o.earliest_article_id WHERE o.story_id = ?", (story_id,))
        for o in origin.rows:
            o["via_outlet"] = self.shown_outlet(o.get("via_outlet"))
            if o.get("cited_origin_kind") == "outlet":
                o["cited_origin"] = self.shown_outlet(o.get("cited_origin"))
        provenance = self.section(PROVENANCE_TABLES,
            "SELECT * FROM provenance_edges WHERE story_id = ? ORDER BY relation, src, dst", (story_id,))
        provenance.rows[:] = merge_outlet_nodes(provenance.rows, self.outlet_naming().shown)
        sources = self.section(ATTRIBUTION_TABLES,
            # A back-reference ("he said") or a relative pronoun ("the agency, which cited") counts as
            # the source it resolves to, not as "he" or "which".
            "SELECT source_text, source_kind, COUNT(*) AS times, COUNT(DISTINCT outlet) AS outlets, "
            "GROUP_CONCAT(DISTINCT cue_text) AS cues FROM (SELECT CASE WHEN t.source_name IS NOT NULL AND "
            f"(t.resolved_from_attribution_id IS NOT NULL OR LOWER(TRIM(t.source_text)) IN ({PRONOUNS_SQL})) "
            # An outlet quoted as a source is named as everywhere else ("the Maren Herald" and
            # "The Maren Herald" are the outlet Maren Herald).
            "THEN t.source_name WHEN t.source_kind = 'outlet' AND t.cited_outlet IS NOT NULL "
            f"THEN {self._shown_outlet_sql()}(t.cited_outlet) ELSE t.source_text END AS source_text, "
            "t.source_kind, t.cue_text, a.outlet FROM attributions t JOIN articles a ON a.id = t.article_id "
            "WHERE t.article_id IN (SELECT value FROM json_each(?))) "
            "GROUP BY LOWER(source_text), source_kind ORDER BY times DESC LIMIT 200", (ids_json,))
        # An unresolved "which" or "he" names nobody: counted, not listed as a source.
        sources.rows[:], unresolved = split_pronoun_sources(sources.rows)
        return {
            "story": story,
            "articles": members,
            "pairs": self._pairs_of(ids, within=True),
            "origin": origin,
            "provenance": provenance,
            "claim_groups": self._claim_groups(story_id),
            "mutations": self.mutations(story_id),
            "claims": self.section(CLAIM_TABLES,
                "SELECT c.*, a.outlet, a.published_at FROM claims c JOIN articles a ON a.id = c.article_id "
                "WHERE c.article_id IN (SELECT value FROM json_each(?)) "
                "ORDER BY a.published_at IS NULL, a.published_at, c.article_id, c.start LIMIT 1000", (ids_json,)),
            "sources": sources,
            "unresolved_sources": unresolved,
            "citations": self._story_citations(ids_json),
            "factchecks": self.story_factchecks(story_id),
        }

    def _story_citations(self, ids_json: str) -> Section:
        """Who cites whom: one row per citing outlet and cited outlet (spellings folded). The
        articles without an outlet share a row, with their count and, when one, its id."""
        sec = self.section(CITATION_TABLES,
            f"SELECT a.outlet AS citing_outlet, {self._shown_outlet_sql()}(c.cited_outlet) AS cited_outlet, "
            "COUNT(*) AS times, COUNT(DISTINCT c.article_id) AS articles, MIN(c.article_id) AS article_id "
            "FROM citations c JOIN articles a ON a.id = c.article_id "
            "WHERE c.article_id IN (SELECT value FROM json_each(?)) "
            "GROUP BY a.outlet, 2 ORDER BY times DESC, a.outlet IS NULL, a.outlet, 2", (ids_json,))
        # An outlet quoting its own reporting ("APB cites APB") is not a citation of another.
        sec.rows[:] = [r for r in sec.rows if name_key(r["citing_outlet"]) != name_key(r["cited_outlet"])]
        return sec

    def _claim_groups(self, story_id: str) -> Section:
        groups = self.section(GROUP_TABLES,
            "SELECT * FROM claim_groups WHERE story_id = ? "
            "ORDER BY dangerous DESC, articles DESC, id LIMIT 300", (story_id,))
        if not groups.available or not groups.rows:
            return groups
        variants = self.section(GROUP_TABLES + CLAIM_TABLES,
            "SELECT v.group_id, v.variant, v.similarity, v.is_first, v.article_id, v.stance, c.text, "
            "a.outlet, a.published_at FROM claim_variants v "
            "JOIN claim_groups g ON g.id = v.group_id LEFT JOIN claims c ON c.id = v.claim_id "
            "JOIN articles a ON a.id = v.article_id WHERE g.story_id = ? "
            "ORDER BY v.group_id, a.published_at IS NULL, a.published_at, v.variant", (story_id,))
        by_group: dict[str, list[dict[str, Any]]] = {}
        for v in variants.rows:
            by_group.setdefault(v["group_id"], []).append(v)
        found = self.section(("claim_details",), "SELECT * FROM claim_details WHERE story_id = ? ORDER BY group_id, start",
                             (story_id,))
        outlets = {v["article_id"]: v["outlet"] for v in variants.rows}
        details = group_detail_rows(found.rows, {a: a[:8] for a in outlets}, outlets)
        for g in groups.rows:
            g["variant_rows"] = by_group.get(g["id"], [])
            g["details"] = details.get(g["id"], [])
            mark_only_here(g["variant_rows"])
        return groups

    def mutations(self, story_id: str | None = None, *, to_outlet: str | None = None) -> Section:
        where, params = [], []
        if story_id is not None:
            where.append("m.story_id = ?")
            params.append(story_id)
        if to_outlet is not None:
            where.append("ta.outlet = ?")
            params.append(to_outlet)
        sec = self.section(MUTATION_TABLES,
            "SELECT m.*, fa.outlet AS from_outlet, fa.published_at AS from_published, "
            "ta.outlet AS to_outlet, ta.published_at AS to_published FROM mutations m "
            "LEFT JOIN articles fa ON fa.id = m.from_article_id LEFT JOIN articles ta ON ta.id = m.to_article_id "
            f"WHERE {' AND '.join(where) or '1=1'} ORDER BY m.dangerous DESC, m.type, m.id LIMIT 500", params)
        for row in sec.rows:
            row["details"] = decode_json(row.get("details"), {})
            row["what"] = describe_mutation(row["type"], row["details"])
        return sec

    _FACTCHECK_SELECT = (
        "SELECT m.factcheck_id, m.target_kind, m.target_id, m.query, m.score, m.rank, m.matched, "
        "f.claim AS factcheck_claim, f.title AS factcheck_title, f.verdict, f.rating, f.url AS factcheck_url, "
        "f.publisher, f.published_at AS factcheck_published, f.claimant FROM factcheck_matches m "
        "JOIN factchecks f ON f.id = m.factcheck_id ")

    def story_factchecks(self, story_id: str) -> Section:
        """Fact-checks matched to the story (best first), with how many of its articles came after."""
        sec = self.section(FACTCHECK_TABLES,
            self._FACTCHECK_SELECT + "WHERE m.story_id = ? AND m.matched = 1 "
            "ORDER BY m.score DESC, m.factcheck_id LIMIT 200", (story_id,))
        if not sec.rows:
            return sec
        flags: dict[str, dict[str, int]] = {}
        after: dict[str, list[dict[str, Any]]] = {}
        if self.has("factcheck_article_flags"):
            for r in self.rows("SELECT factcheck_id, relation, COUNT(*) AS n FROM factcheck_article_flags "
                               "WHERE story_id = ? GROUP BY factcheck_id, relation", (story_id,)):
                flags.setdefault(r["factcheck_id"], {})[r["relation"]] = r["n"]
            # Which articles spread the claim after it was checked, by name: the finding itself.
            for r in self.rows("SELECT f.factcheck_id, a.id, a.title, a.outlet, a.published_at "
                               "FROM factcheck_article_flags f JOIN articles a ON a.id = f.article_id "
                               "WHERE f.story_id = ? AND f.relation = 'after' ORDER BY a.published_at, a.id",
                               (story_id,)):
                after.setdefault(r["factcheck_id"], []).append(r)
        for row in sec.rows:
            row["flags"] = flags.get(row["factcheck_id"], {})
            row["after_articles"] = after.get(row["factcheck_id"], [])
        # One row per fact-check (it may match several claims of the story): keep the best.
        best: dict[str, dict[str, Any]] = {}
        for row in sec.rows:
            best.setdefault(row["factcheck_id"], row)
        return Section(list(best.values()))

    def article_factchecks(self, article_id: str) -> Section:
        """Fact-checks matched to the article itself or to one of its claims."""
        if self.has(*CLAIM_TABLES):
            claim_cond = ("OR (m.target_kind = 'claim' AND m.target_id IN "
                          "(SELECT id FROM claims WHERE article_id = ?))")
            params: tuple[str, ...] = (article_id, article_id)
        else:
            claim_cond, params = "", (article_id,)
        sec = self.section(FACTCHECK_TABLES,
            self._FACTCHECK_SELECT + f"WHERE m.matched = 1 AND ((m.target_kind = 'article' AND m.target_id = ?) "
            f"{claim_cond}) ORDER BY m.score DESC LIMIT 100", params)
        # One line per fact-check: the article and several of its claims may match the same one
        # (rows come best score first, so the kept line carries the best match).
        best: dict[str, dict[str, Any]] = {}
        for r in sec.rows:
            best.setdefault(r["factcheck_id"], r)
        sec.rows[:] = list(best.values())
        if sec.rows and self.has("factcheck_article_flags"):
            rel = {r["factcheck_id"]: r["relation"] for r in self.rows(
                "SELECT factcheck_id, relation FROM factcheck_article_flags WHERE article_id = ?", (article_id,))}
            for row in sec.rows:
                row["relation"] = rel.get(row["factcheck_id"])
        return sec

    # -- one pair --------------------------------------------------------------------------
    def pair(self, a_id: str, b_id: str) -> dict[str, Any] | None:
        a, b = self.article_row(a_id), self.article_row(b_id)
        if a is None or b is None:
            return None
        relation = self.section(RELATED_PAIR_TABLES,
            "SELECT * FROM related_pairs WHERE (a_id = ? AND b_id = ?) OR (a_id = ? AND b_id = ?)",
            (a_id, b_id, b_id, a_id))
        passages = self.section(PASSAGE_TABLES,
            "SELECT * FROM passages WHERE (a_id = ? AND b_id = ?) OR (a_id = ? AND b_id = ?) "
            "ORDER BY kind DESC, score DESC LIMIT 2000", (a_id, b_id, b_id, a_id))
        spans_a: list[tuple[int, int, str]] = []
        spans_b: list[tuple[int, int, str]] = []
        for p in passages.rows:
            # Stored with the pair's own orientation, which may be the reverse of the URL's.
            if p["a_id"] == a_id:
                spans_a.append((p["a_start"], p["a_end"], p["kind"]))
                spans_b.append((p["b_start"], p["b_end"], p["kind"]))
            else:
                spans_a.append((p["b_start"], p["b_end"], p["kind"]))
                spans_b.append((p["a_start"], p["a_end"], p["kind"]))
        row = relation.rows[0] if relation.rows else None
        if row is not None:
            row["source_id"] = pair_source(row)
        return {
            "a": a, "b": b, "relation": relation, "pair": row, "passages": passages,
            "a_segments": highlight_segments(a["text"], spans_a),
            "b_segments": highlight_segments(b["text"], spans_b),
            "reused_chars_a": sum(len(t) for t, k in highlight_segments(a["text"], spans_a) if k),
        }

    # -- one outlet ------------------------------------------------------------------------
    def outlet(self, name: str) -> dict[str, Any] | None:
        # "The Maren Herald" cited and "Maren Herald" publishing are one outlet, with one page.
        name = self.outlet_naming().shown(name)
        summary = self.one(
            "SELECT COUNT(*) AS articles, MIN(published_at) AS first_published, "
            "MAX(published_at) AS last_published FROM articles WHERE status = 'live' AND outlet = ?", (name,))
        if not summary or not summary["articles"]:
            return self._cited_only_outlet(name)
        recent = self.rows(f"SELECT a.id, a.title, a.published_at, {LABEL_COLUMNS} FROM articles a "
                           "WHERE a.status = 'live' AND a.outlet = ? "
                           "ORDER BY a.published_at IS NULL, a.published_at DESC LIMIT 50", (name,))
        copies = self._reuse_between(name)
        stripped = self.mutations(to_outlet=name)
        strip_rows = [m for m in stripped.rows if m.get("type") == STRIPPED_ATTRIBUTION]
        claims_total = None
        if self.has(*CLAIM_TABLES):
            claims_total = self.scalar(
                "SELECT COUNT(*) FROM claims c JOIN articles a ON a.id = c.article_id WHERE a.outlet = ?", (name,))
        return {
            "name": name, "summary": summary, "recent": recent,
            "copies_from": copies["copies_from"], "copied_by": copies["copied_by"],
            "undirected": copies["undirected"],
            "mutations": stripped, "stripped": strip_rows, "claims_total": claims_total,
            "cites": self.section(CITATION_TABLES,
                f"SELECT {self._shown_outlet_sql()}(c.cited_outlet) AS cited_outlet, COUNT(*) AS times, "
                "COUNT(DISTINCT c.article_id) AS articles FROM citations c JOIN articles a ON a.id = c.article_id "
                "WHERE a.outlet = ? GROUP BY 1 ORDER BY times DESC LIMIT 100", (name,)),
        }

    def _cited_only_outlet(self, name: str) -> dict[str, Any] | None:
        """An outlet that articles cite ("told RIA Novosti") but that has no article of its own
        in the store: who cites it, and how often; None when nobody does either."""
        if not self.has(*CITATION_TABLES):
            return None
        spellings = self.outlet_naming().spellings(name)
        citing = self.rows(
            "SELECT a.outlet AS citing_outlet, COUNT(*) AS times, COUNT(DISTINCT c.article_id) AS articles, "
            "MIN(c.article_id) AS article_id FROM citations c JOIN articles a ON a.id = c.article_id "
            f"WHERE c.cited_outlet IN ({','.join('?' * len(spellings))}) AND a.status = 'live' "
            "GROUP BY a.outlet ORDER BY articles DESC, a.outlet LIMIT 200", spellings)
        if not citing:
            return None
        return {"name": name, "cited_only": True, "citing": citing,
                "citing_articles": sum(int(r["articles"]) for r in citing)}

    def _reuse_between(self, name: str) -> dict[str, Section]:
        """Reuse pairs with one side from this outlet, split by who was found to be the source."""
        # Two index-driven halves (this outlet's articles as a, then as b) rather than one OR,
        # which would scan every pair. The unary + keeps SQLite off the pairs' relation index:
        # with it, each half read every copy pair of the store (170 ms instead of 40 ms on
        # 100,000 articles).
        half = ("SELECT p.a_id, p.b_id, p.relation, p.direction, a.outlet AS a_outlet, b.outlet AS b_outlet "
                "FROM articles o JOIN pairs p ON p.{side} = o.id JOIN articles a ON a.id = p.a_id "
                "JOIN articles b ON b.id = p.b_id WHERE o.outlet = ? AND +p.relation IN ('copy', 'partial', 'rewrite')")
        sec = self.section(PAIR_TABLES,
            half.format(side="a_id") + " UNION " + half.format(side="b_id"), (name, name))
        if not sec.available:
            return {"copies_from": sec, "copied_by": sec, "undirected": sec}
        tallies: dict[str, dict[tuple[str, str], int]] = {"copies_from": {}, "copied_by": {}, "undirected": {}}
        # Articles without an outlet are not one outlet: their row counts them and names one.
        unnamed: dict[str, dict[tuple[str, str], set[str]]] = {b: {} for b in tallies}
        for p in sec.rows:
            if p["a_outlet"] == name and p["b_outlet"] == name:
                other, other_id = name, p["b_id"]
            elif p["a_outlet"] == name:
                other, other_id = p["b_outlet"], p["b_id"]
            else:
                other, other_id = p["a_outlet"], p["a_id"]
            source = pair_source(p)
            mine = p["a_id"] if p["a_outlet"] == name else p["b_id"]
            if source is None:
                bucket = "undirected"
            elif source == mine:
                bucket = "copied_by"
            else:
                bucket = "copies_from"
            key = (other or "", p["relation"])
            tallies[bucket][key] = tallies[bucket].get(key, 0) + 1
            if not other:
                unnamed[bucket].setdefault(key, set()).add(str(other_id))
        out: dict[str, Section] = {}
        for b, t in tallies.items():
            rows = []
            for (o, r), n in sorted(t.items(), key=lambda kv: (-kv[1], kv[0])):
                ids = sorted(unnamed[b].get((o, r), set()))
                rows.append({"outlet": o or None, "relation": r, "pairs": n, "articles": len(ids) or None,
                             "article_id": ids[0] if ids else None})
            out[b] = Section(rows)
        return out

    # -- claims (API) ----------------------------------------------------------------------
    def claims(self, *, story_id: str | None, article_id: str | None, limit: int, offset: int) -> Section:
        where, params = [], []
        if article_id:
            where.append("c.article_id = ?")
            params.append(article_id)
        if story_id:
            if not self.has(*STORY_TABLES):
                return Section(note=NOT_ANALYSED)
            where.append("c.article_id IN (SELECT article_id FROM story_articles WHERE story_id = ?)")
            params.append(story_id)
        sec = self.section(CLAIM_TABLES,
            "SELECT c.*, a.outlet, a.published_at FROM claims c JOIN articles a ON a.id = c.article_id "
            f"WHERE {' AND '.join(where) or '1=1'} ORDER BY c.article_id, c.start LIMIT ? OFFSET ?",
            [*params, limit, offset])
        for row in sec.rows:
            for key in ("hedges", "numbers"):
                if key in row:
                    row[key] = decode_json(row[key], [])
        return sec


class StoreView:
    """Read-only access to a newstrace store file for the web UI and the report."""

    #: Whole-store aggregates (counts per outlet) scan every article; the UI reuses them for
    #: this many seconds, so that they may lag an ingest that is running by that much.
    AGGREGATE_TTL_S = 10.0

    def __init__(self, path: str | Path) -> None:
        self._cache: dict[str, tuple[float, Any]] = {}
        self._cache_lock = threading.Lock()
        self.path = Path(path).expanduser().resolve()
        if not self.path.is_file():
            raise InputError(
                f"No store at {str(path)!r}. Ingest articles first (`newstrace ingest FILES --db {path}`) "
                "or pass --db with an existing store.")

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only=ON")
        return conn

    def cached(self, key: str, compute: Callable[[], Any], ttl: float | None = None) -> Any:
        """``compute()``, reused for ``ttl`` seconds (AGGREGATE_TTL_S by default)."""
        now = time.monotonic()
        with self._cache_lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < (self.AGGREGATE_TTL_S if ttl is None else ttl):
            return hit[1]
        value = compute()
        with self._cache_lock:
            self._cache[key] = (now, value)
        return value

    @contextmanager
    def session(self) -> Iterator[Reader]:
        """One read transaction: every query of a page sees the same snapshot."""
        conn = self.connect()
        try:
            conn.execute("BEGIN")
            yield Reader(conn, self)
        finally:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            conn.close()
