"""The ``trace`` stage: reads each story's members, claims, pairs and passages from the store,
traces the story (``newstrace.trace.trace_story``), finds the details inside its shared claims
(``newstrace.details``) and writes its claim groups, variants, details, mutations and provenance
back. A story whose inputs, settings and tracing code are unchanged
(same fingerprint) is skipped, so a rerun after new articles only retraces the stories they
touched.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from .details import Detail, DetailFinder, story_details
from .pipeline import StageContext
from .store import Store
from .trace import SETTINGS, Claim, StoryTrace, claim_from_row, group_id, normalise_variant, trace_story


def _story_inputs(
    store: Store, story_id: str
) -> tuple[list[dict[str, Any]], list[Claim], list[dict[str, Any]], dict[str, set[str]], list[dict[str, Any]]]:
    articles = store.rows(
        "SELECT a.id, a.title, a.outlet, a.published_at, a.url, a.text FROM story_articles s "
        "JOIN articles a ON a.id = s.article_id WHERE s.story_id = :s "
        "ORDER BY COALESCE(a.published_at, '9999'), a.id", {"s": story_id})
    ids = json.dumps([a["id"] for a in articles])
    attributions = {
        str(r["id"]): r for r in store.rows(
            "SELECT * FROM attributions WHERE article_id IN (SELECT value FROM json_each(:ids))", {"ids": ids})
    }
    claim_rows = store.rows(
        "SELECT * FROM claims WHERE article_id IN (SELECT value FROM json_each(:ids)) ORDER BY article_id, start",
        {"ids": ids})
    claims = [claim_from_row(r, attributions.get(str(r.get("attribution_id")))) for r in claim_rows]
    pairs = store.rows(
        "SELECT * FROM pairs WHERE a_id IN (SELECT value FROM json_each(:ids)) "
        "AND b_id IN (SELECT value FROM json_each(:ids))", {"ids": ids})
    passages = store.rows(
        "SELECT * FROM passages WHERE a_id IN (SELECT value FROM json_each(:ids)) "
        "AND b_id IN (SELECT value FROM json_each(:ids))", {"ids": ids})
    cited: dict[str, set[str]] = defaultdict(set)
    for att in attributions.values():
        if att.get("cited_outlet"):
            cited[att["article_id"]].add(att["cited_outlet"])
    return articles, claims, pairs, dict(cited), passages


#: Bumped when tracing changes, so that stored traces are recomputed.
TRACE_VERSION = 22


def fingerprint(articles: Sequence[dict[str, Any]], claims: Sequence[Claim], pairs: Sequence[dict[str, Any]],
                config: Any = None) -> str:
    """What a story's trace depends on: members, claims, pairs, settings and this code's version."""
    digest = hashlib.sha256(f"v{TRACE_VERSION}".encode())
    if config is not None:
        digest.update(json.dumps({s.name: config[s.name] for s in SETTINGS}, sort_keys=True).encode())
    for a in articles:
        digest.update(f"a{a['id']}{a.get('published_at')}".encode())
    for c in claims:
        digest.update(f"c{c.id}".encode())
    for p in sorted(pairs, key=lambda p: (p["a_id"], p["b_id"])):
        digest.update(f"p{p['a_id']}{p['b_id']}{p['relation']}{p.get('direction')}".encode())
    return digest.hexdigest()[:16]


def _write_story(conn: Any, store_trace: StoryTrace, articles: Sequence[dict[str, Any]],
                 details: Sequence[tuple[str, Detail]] = ()) -> None:
    story = store_trace.story_id
    published = {a["id"]: a.get("published_at") or "9999" for a in articles}
    conn.exec_driver_sql("DELETE FROM claim_details WHERE story_id = ?", (story,))
    conn.exec_driver_sql("DELETE FROM claim_variants WHERE group_id IN (SELECT id FROM claim_groups WHERE story_id = ?)", (story,))
    conn.exec_driver_sql("DELETE FROM claim_groups WHERE story_id = ?", (story,))
    conn.exec_driver_sql("DELETE FROM mutations WHERE story_id = ?", (story,))
    dangerous_groups = {m.group_id for m in store_trace.mutations if m.dangerous}
    group_rows, variant_rows = [], []
    for members in store_trace.groups:
        first = members[0]
        gid = group_id(story, first)
        variants: dict[str, int] = {}
        seen_variant: set[int] = set()
        by_date = sorted(members, key=lambda c: (published.get(c.article_id, "9999"), c.article_id, c.id))
        for c in by_date:
            key = normalise_variant(c.text)
            number = variants.setdefault(key, len(variants) + 1)
            is_first = number not in seen_variant
            seen_variant.add(number)
            variant_rows.append((gid, c.id, c.article_id, number,
                                 store_trace.similarity_to_first.get((first.id, c.id), 1.0), int(is_first), c.stance))
        tellers = {c.article_id for c in members if c.stance == "tells"}
        deniers = {c.article_id for c in members} - tellers
        # The label is the group's first claim; where the claim first appears is the earliest
        # article of any member (a compound claim of an earlier article may have joined).
        group_rows.append((gid, story, first.text, by_date[0].article_id, len(tellers),
                           len(variants), int(gid in dangerous_groups), len(deniers)))
    conn.exec_driver_sql("INSERT INTO claim_groups(id, story_id, label, first_article_id, articles, variants, "
                         "dangerous, denied_by) VALUES (?,?,?,?,?,?,?,?)", group_rows)
    if variant_rows:
        conn.exec_driver_sql("INSERT INTO claim_variants(group_id, claim_id, article_id, variant, similarity, "
                             "is_first, stance) VALUES (?,?,?,?,?,?,?)", variant_rows)
    if details:
        conn.exec_driver_sql(
            "INSERT INTO claim_details(story_id, group_id, claim_id, article_id, start, end, phrase, missing_from, "
            "new_words) VALUES (?,?,?,?,?,?,?,?,?)",
            [(story, gid, d.claim_id, d.article_id, d.start, d.end, d.phrase, json.dumps(list(d.missing_from)),
              json.dumps({a: list(w) for a, w in d.new_words.items()}, ensure_ascii=False)) for gid, d in details])
    mutation_rows = [
        (story, m.group_id, m.type, m.from_article, m.to_article,
         m.from_claim.id if m.from_claim else None, m.to_claim.id if m.to_claim else None,
         m.from_claim.text if m.from_claim else None, m.to_claim.text if m.to_claim else None,
         json.dumps(m.details, ensure_ascii=False, default=str), int(m.dangerous))
        for m in store_trace.mutations
    ]
    if mutation_rows:
        conn.exec_driver_sql(
            "INSERT INTO mutations(story_id, group_id, type, from_article_id, to_article_id, from_claim_id, "
            "to_claim_id, before_text, after_text, details, dangerous) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            mutation_rows)


def run(ctx: StageContext) -> dict[str, Any]:
    """Trace every story of two or more articles whose members, claims or pairs changed."""
    from .provenance import write_provenance

    store = ctx.store
    stories = [r["id"] for r in store.rows("SELECT id FROM stories WHERE size >= 2 ORDER BY id")]
    known = {r["story_id"]: r["fingerprint"] for r in store.rows("SELECT story_id, fingerprint FROM story_origins")}
    ctx.progress.start("trace", len(stories))
    traced = groups = mutations = dangerous = found_details = 0
    finder: DetailFinder | None = None  # loads spaCy and the static model only if a story is traced
    for story_id in stories:
        articles, claims, pairs, cited, passages = _story_inputs(store, story_id)
        stamp = fingerprint(articles, claims, pairs, ctx.config)
        if known.get(story_id) == stamp:
            ctx.progress.advance()
            continue
        result = trace_story(story_id, articles, claims, pairs, ctx.config, cited, passages)
        finder = finder or DetailFinder()
        texts = {a["id"]: a.get("text") or "" for a in articles}
        details = [(group_id(story_id, members[0]), d)
                   for members, found in zip(result.groups, story_details(finder, result.groups, texts), strict=True)
                   for d in found]
        with store.transaction() as conn:
            _write_story(conn, result, articles, details)
            write_provenance(conn, store, story_id, articles, result.parents, pairs, stamp)
        traced += 1
        groups += len(result.groups)
        found_details += len(details)
        mutations += len(result.mutations)
        dangerous += sum(m.dangerous for m in result.mutations)
        ctx.progress.advance()
    # Stories that no longer exist (merged away) lose their trace.
    with store.transaction() as conn:
        for table in ("mutations", "provenance_edges", "story_origins", "claim_details"):
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE story_id NOT IN (SELECT id FROM stories WHERE size >= 2)")
        conn.exec_driver_sql("DELETE FROM claim_variants WHERE group_id IN (SELECT id FROM claim_groups "
                             "WHERE story_id NOT IN (SELECT id FROM stories WHERE size >= 2))")
        conn.exec_driver_sql("DELETE FROM claim_groups WHERE story_id NOT IN (SELECT id FROM stories WHERE size >= 2)")
    ctx.progress.finish()
    return {"stories_traced": traced, "claim_groups": groups, "details": found_details, "mutations": mutations,
            "dangerous": dangerous}
