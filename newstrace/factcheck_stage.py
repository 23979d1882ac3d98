"""The ``factcheck_match`` stage: has a story been checked already?

Every claim of a live article (from the ``claims`` stage), and every article's title (or, when
it has none, its lead), is matched against the stored fact-checks with ``matching.Matcher``.
When the ``claims`` table does not exist yet, only titles and leads are matched, and the
stage's summary says so. A fact-check matched by any claim or article of a story is attached
to the whole story (``target_kind='story'``, score = the best of its members), and every
article of that story is flagged as published before or after the fact-check.

Also here: ``claimreview_for_story``, a schema.org ClaimReview for a story's central claim
with ``itemReviewed.appearance`` / ``firstAppearance`` filled from the story's articles.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from .errors import InputError, StageError
from .matching import FactCheckDoc, Matcher, Reranker, default_reranker
from .models import default_cache_dir
from .pipeline import StageContext
from .store import Store, utcnow

STAGE = "factcheck_match"
BATCH = 500


# -- embeddings and the matcher over the store ---------------------------------------------------


def _ensure_embeddings(store: Store) -> int:
    """Encode the fact-checks that have no stored embedding yet; return how many were encoded."""
    import numpy as np

    from .models import embed

    missing = store.rows(
        "SELECT f.id, f.claim, f.title FROM factchecks f LEFT JOIN factcheck_embeddings e "
        "ON e.factcheck_id = f.id WHERE e.factcheck_id IS NULL ORDER BY f.id")
    for i in range(0, len(missing), 2000):
        part = missing[i : i + 2000]
        claims = embed([r["claim"] for r in part], batch_size=128)
        titles = embed([r["title"] or r["claim"] for r in part], batch_size=128)
        with store.transaction() as conn:
            conn.exec_driver_sql(
                "INSERT OR REPLACE INTO factcheck_embeddings VALUES (?,?,?)",
                [(r["id"], np.asarray(c, np.float32).tobytes(), np.asarray(t, np.float32).tobytes())
                 for r, c, t in zip(part, claims, titles, strict=True)])
    return len(missing)


def store_matcher(store: Store, reranker: Reranker | None = None) -> Matcher:
    """A Matcher over every stored fact-check (embeddings from the store, encoded if missing)."""
    import numpy as np

    if not store.scalar("SELECT COUNT(*) FROM factchecks"):
        raise InputError("There are no fact-checks in the store. Import some first: "
                         "`newstrace factchecks import FILE`.")
    _ensure_embeddings(store)
    rows = store.rows(
        "SELECT f.id, f.claim, f.title, f.published_at, f.metadata, e.claim_vec, e.title_vec FROM factchecks f "
        "JOIN factcheck_embeddings e ON e.factcheck_id = f.id ORDER BY f.id")
    # A subtitle (CLEF 2022's verified claims have one) is a retrieval channel of its own; its
    # vectors are cached on disk by the Matcher, keyed by the texts.
    docs = [FactCheckDoc(r["id"], r["claim"], r["title"], r["published_at"],
                         str(json.loads(r["metadata"] or "{}").get("subtitle") or "")) for r in rows]
    claim_vecs = np.vstack([np.frombuffer(r["claim_vec"], np.float32) for r in rows])
    title_vecs = np.vstack([np.frombuffer(r["title_vec"], np.float32) for r in rows])
    return Matcher.build(docs, reranker=reranker or default_reranker(), embeddings=(claim_vecs, title_vecs),
                         cache_dir=default_cache_dir())


def match_texts(store: Store, texts: list[str], *, k: int = 5,
                dates: list[str | None] | None = None) -> list[list[dict[str, Any]]]:
    """Rank the stored fact-checks for free texts (with their ISO dates, where known, which the
    dated re-ranker weighs against the fact-checks' dates); each match as a dict with the fact-check."""
    matcher = store_matcher(store)
    ranked = matcher.rank(texts, k=k, query_dates=dates)
    ids = sorted({m.factcheck_id for r in ranked for m in r})
    info = {r["id"]: r for r in store.rows(
        "SELECT id, claim, title, verdict, rating, url, publisher, published_at FROM factchecks "
        "WHERE id IN (SELECT value FROM json_each(:ids))", {"ids": json.dumps(ids)})}
    return [[{**m.__dict__, **{k2: v for k2, v in info[m.factcheck_id].items() if k2 != "id"}} for m in r]
            for r in ranked]


# -- the stage ----------------------------------------------------------------------------------


def _fingerprint(store: Store, reranker: Reranker) -> str:
    digest = hashlib.sha256()
    for row in store.rows("SELECT id FROM factchecks ORDER BY id"):
        digest.update(row["id"].encode())
    digest.update(json.dumps(reranker.as_dict(), sort_keys=True).encode())
    return digest.hexdigest()[:20]


def _targets(store: Store, article_ids: list[str], has_claims: bool, lead_chars: int) -> list[tuple[str, str, str, str]]:
    """(kind, target id, article id, text) for the articles' claims, titles and leads."""
    out = []
    articles = store.articles(article_ids)
    for a in articles:
        text = a["title"].strip() or a["text"][:lead_chars].strip()
        if text:
            out.append(("article", a["id"], a["id"], text))
    if has_claims:
        for c in store.rows("SELECT id, article_id, text FROM claims WHERE article_id IN "
                            "(SELECT value FROM json_each(:ids)) ORDER BY article_id, id",
                            {"ids": json.dumps(article_ids)}):
            if c["text"].strip():
                out.append(("claim", str(c["id"]), c["article_id"], c["text"]))
    return out


def run(ctx: StageContext) -> dict[str, Any]:
    store = ctx.store
    tables = set(store.tables())
    if "factchecks" not in tables:
        raise StageError("The store has no factchecks table: open it with this newstrace to migrate it.")
    if not store.scalar("SELECT COUNT(*) FROM factchecks"):
        return {"factchecks": 0, "note": "no fact-checks imported: run `newstrace factchecks import FILE`"}
    has_claims = "claims" in tables and bool(store.scalar("SELECT COUNT(*) FROM claims"))
    has_stories = "story_articles" in tables and bool(store.scalar("SELECT COUNT(*) FROM story_articles"))
    reranker = default_reranker()
    k = int(ctx.config["factchecks.top_k"])
    lead_chars = int(ctx.config["factchecks.article_lead_chars"])

    ctx.progress.start("fact-check embeddings", None)
    encoded = _ensure_embeddings(store)
    ctx.progress.finish()
    fingerprint = _fingerprint(store, reranker)
    previous = store.scalar("SELECT value FROM factcheck_match_state WHERE key = 'fingerprint'")
    if previous != fingerprint:
        # New fact-checks (or a new re-ranker) can change any earlier ranking: match everything again.
        with store.transaction() as conn:
            conn.exec_driver_sql("DELETE FROM factcheck_article_flags")
            conn.exec_driver_sql("DELETE FROM factcheck_matches")
            conn.exec_driver_sql("DELETE FROM stage_done WHERE stage = ?", (STAGE,))
    pending = store.pending(STAGE)
    if has_claims:
        # Claims can arrive after an article was matched (the claims stage works on articles
        # once they share a story), and can be re-extracted under new ids: match those again.
        with store.transaction() as conn:
            conn.exec_driver_sql(
                "DELETE FROM factcheck_matches WHERE target_kind = 'claim' AND target_id NOT IN "
                "(SELECT CAST(id AS TEXT) FROM claims)")
        late = [r["article_id"] for r in store.rows(
            "SELECT DISTINCT c.article_id FROM claims c JOIN articles a ON a.id = c.article_id "
            "WHERE a.status = 'live' AND NOT EXISTS (SELECT 1 FROM factcheck_matches m "
            "WHERE m.target_kind = 'claim' AND m.target_id = CAST(c.id AS TEXT)) ORDER BY c.article_id")]
        pending = pending + [a for a in late if a not in set(pending)]
    matcher = store_matcher(store, reranker) if pending else None
    ctx.progress.start("fact-check matching", len(pending))
    target_count = 0
    for i in range(0, len(pending), BATCH):
        ids = pending[i : i + BATCH]
        targets = _targets(store, ids, has_claims, lead_chars)
        # Article dates are not passed as query dates: the dated re-ranker learnt from tweets
        # posted before or within days of their fact-check, and would rank down a claim that
        # an outlet recycles years after it was checked, which matters most in news.
        ranked = matcher.rank([t[3] for t in targets], k=k) if (matcher and targets) else []
        now = utcnow()
        rows = [(m.factcheck_id, kind, tid, None, text, m.score, m.rank, int(m.matched), m.bm25, m.cosine, now)
                for (kind, tid, _, text), matches in zip(targets, ranked, strict=True) for m in matches]
        with store.transaction() as conn:
            conn.exec_driver_sql(
                "DELETE FROM factcheck_matches WHERE target_kind = 'article' AND target_id IN "
                "(SELECT value FROM json_each(?))", (json.dumps(ids),))
            if has_claims:
                conn.exec_driver_sql(
                    "DELETE FROM factcheck_matches WHERE target_kind = 'claim' AND target_id IN "
                    "(SELECT CAST(id AS TEXT) FROM claims WHERE article_id IN (SELECT value FROM json_each(?)))",
                    (json.dumps(ids),))
            conn.exec_driver_sql("INSERT OR REPLACE INTO factcheck_matches VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
            store.mark_done(conn, STAGE, ids)
        target_count += len(targets)
        ctx.progress.advance(len(ids))
    ctx.progress.finish()
    listed = match_listed_appearances(store)
    stories = attach_to_stories(store, k) if has_stories else None
    with store.transaction() as conn:
        conn.exec_driver_sql("INSERT OR REPLACE INTO factcheck_match_state VALUES ('fingerprint', ?)", (fingerprint,))
    summary: dict[str, Any] = {
        "factchecks": int(store.scalar("SELECT COUNT(*) FROM factchecks")), "encoded": encoded,
        "articles": len(pending), "targets": target_count,
        "matched_targets": int(store.scalar(
            "SELECT COUNT(DISTINCT target_kind || target_id) FROM factcheck_matches "
            "WHERE matched = 1 AND target_kind != 'story'") or 0),
        "threshold": reranker.threshold,
        "listed_appearances": listed,
    }
    if not has_claims:
        summary["claims"] = "none in the store (has the claims stage run?): matched article titles and leads only"
    if stories is None:
        summary["stories"] = "none in the store (has the stories stage run?): nothing attached to stories"
    else:
        summary.update(stories)
    return summary


def match_listed_appearances(store: Store) -> int:
    """Articles whose URL a fact-check lists as an appearance of its claim (ClaimReview
    ``itemReviewed.appearance`` / ``firstAppearance``) match that fact-check outright: the
    fact-checker named the page. Stored as article matches with score 1 and rank 0; returns
    how many (fact-check, article) matches were added."""
    from .urls import canonicalise

    listed: dict[str, set[str]] = {}
    for row in store.rows("SELECT id, metadata FROM factchecks WHERE metadata LIKE '%appearances%'"):
        urls = json.loads(row["metadata"] or "{}").get("appearances") or []
        for url in urls:
            try:
                canonical = canonicalise(str(url))
            except Exception:  # noqa: BLE001 - a malformed URL in a fact-check is skipped, not fatal
                continue
            if canonical:
                listed.setdefault(canonical, set()).add(row["id"])
    if not listed:
        return 0
    hits = store.rows(
        "SELECT DISTINCT u.article_id, u.canonical_url FROM article_urls u JOIN articles a ON a.id = u.article_id "
        "WHERE u.canonical_url IN (SELECT value FROM json_each(:urls))", {"urls": json.dumps(sorted(listed))})
    now = utcnow()
    rows = [(fid, "article", h["article_id"], None, f"listed appearance: {h['canonical_url']}", 1.0, 0, 1,
             None, None, now) for h in hits for fid in sorted(listed[h["canonical_url"]])]
    if rows:
        with store.transaction() as conn:
            conn.exec_driver_sql("INSERT OR REPLACE INTO factcheck_matches VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    return len(rows)


def relation(article_published: str | None, factcheck_published: str | None, precision: str | None) -> str:
    """'before' / 'after' the fact-check, or 'unknown' when a date is missing or the day is shared
    and the fact-check's date is known to the day only."""
    if not article_published or not factcheck_published:
        return "unknown"
    try:
        a = datetime.fromisoformat(article_published)
        f = datetime.fromisoformat(factcheck_published)
    except ValueError:
        return "unknown"
    if precision == "day" or (a.time() == f.time() == datetime.min.time()):
        if a.date() == f.date():
            return "unknown"
        return "before" if a.date() < f.date() else "after"
    if a == f:
        return "unknown"
    return "before" if a < f else "after"


def attach_to_stories(store: Store, k: int) -> dict[str, int]:
    """Recompute story-level matches and article flags from the claim and article matches."""
    has_claims = "claims" in store.tables()  # read before the write transaction: reads begin one too
    with store.transaction() as conn:
        conn.exec_driver_sql("DELETE FROM factcheck_matches WHERE target_kind = 'story'")
        conn.exec_driver_sql("DELETE FROM factcheck_article_flags")
        conn.exec_driver_sql(
            "UPDATE factcheck_matches SET story_id = (SELECT sa.story_id FROM story_articles sa "
            "WHERE sa.article_id = factcheck_matches.target_id) WHERE target_kind = 'article'")
        if has_claims:
            conn.exec_driver_sql(
                "UPDATE factcheck_matches SET story_id = (SELECT sa.story_id FROM story_articles sa "
                "JOIN claims c ON c.article_id = sa.article_id WHERE CAST(c.id AS TEXT) = "
                "factcheck_matches.target_id) WHERE target_kind = 'claim'")
        best = conn.exec_driver_sql(
            "SELECT story_id, factcheck_id, MAX(score), MAX(matched), MAX(bm25), MAX(cosine) "
            "FROM factcheck_matches WHERE target_kind != 'story' AND story_id IS NOT NULL "
            "GROUP BY story_id, factcheck_id").fetchall()
        by_story: dict[str, list[tuple[Any, ...]]] = {}
        for row in best:
            by_story.setdefault(str(row[0]), []).append(row)
        now = utcnow()
        rows = []
        for story_id, cands in by_story.items():
            cands.sort(key=lambda r: -r[2])
            for rank, (_, fid, score, matched, bm, cos) in enumerate(cands[:k], start=1):
                rows.append((fid, "story", story_id, story_id, "(best of the story's claims and articles)",
                             score, rank, matched, bm, cos, now))
        conn.exec_driver_sql("INSERT INTO factcheck_matches VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
        flagged = conn.exec_driver_sql(
            "SELECT m.story_id, sa.article_id, m.factcheck_id, a.published_at, f.published_at, f.metadata "
            "FROM factcheck_matches m JOIN story_articles sa ON sa.story_id = m.story_id "
            "JOIN articles a ON a.id = sa.article_id JOIN factchecks f ON f.id = m.factcheck_id "
            "WHERE m.target_kind = 'story' AND m.matched = 1").fetchall()
        flags = [(s, a, f, relation(ap, fp, json.loads(meta or "{}").get("date_precision")))
                 for s, a, f, ap, fp, meta in flagged]
        conn.exec_driver_sql("INSERT OR REPLACE INTO factcheck_article_flags VALUES (?,?,?,?)", flags)
    return {"stories_checked": len({r[3] for r in rows if r[7]}), "article_flags": len(flags),
            "published_after_factcheck": sum(1 for f in flags if f[3] == "after")}


# -- ClaimReview export -------------------------------------------------------------------------


def _appearance(article: dict[str, Any]) -> dict[str, Any]:
    work: dict[str, Any] = {"@type": "CreativeWork", "url": article["url"]}
    if article.get("published_at"):
        work["datePublished"] = article["published_at"]
    if article.get("title"):
        work["headline"] = article["title"]
    if article.get("outlet"):
        work["publisher"] = {"@type": "Organization", "name": article["outlet"]}
    return work


def _only_deniers(store: Store, group_id: str) -> set[str]:
    """Articles that report a group's claim only to deny it ("the port authority denied a report
    that ..."): the claim does not appear in them as a claim made."""
    stances: dict[str, set[str]] = {}
    for row in store.rows("SELECT article_id, stance FROM claim_variants WHERE group_id = :g", {"g": group_id}):
        stances.setdefault(row["article_id"], set()).add(row["stance"])
    return {article for article, kinds in stances.items() if kinds == {"denies"}}


def claimreview_for_story(store: Store, story_id: str) -> dict[str, Any]:
    """A schema.org ClaimReview for the story's central claim.

    ``itemReviewed.appearance`` lists every article of the story that has a URL, except those
    that report the story's most-told claim only to deny it, and
    ``firstAppearance`` the story's earliest article (from ``story_origins`` when the trace stage
    has run, else the earliest ``published_at``; left out when the earliest is tied or undated).
    The central claim and rating come from the story's best matched fact-check when there is
    one (``isBasedOn`` points at it); otherwise from the claim group carried by most articles,
    and ``reviewRating`` is left for the reviewer. How each field was chosen is under
    ``_newstrace``, which JSON-LD processors ignore.
    """
    tables = set(store.tables())
    if "story_articles" not in tables:
        raise InputError("There are no stories yet: run `newstrace analyze` first.")
    from .stories import find_story

    story_id = find_story(store, story_id)  # a unique prefix or a merged id names the live story
    member_ids = [r["article_id"] for r in store.rows(
        "SELECT article_id FROM story_articles WHERE story_id = :s", {"s": story_id})]
    if not member_ids:
        raise InputError(f"No story {story_id!r} (or it has no articles). List stories with `newstrace stories`.")
    articles = store.articles(member_ids)
    notes: dict[str, str] = {}

    fact = None
    if "factcheck_matches" in tables:
        found = store.rows(
            "SELECT f.* FROM factcheck_matches m JOIN factchecks f ON f.id = m.factcheck_id "
            "WHERE m.target_kind = 'story' AND m.target_id = :s AND m.matched = 1 ORDER BY m.score DESC LIMIT 1",
            {"s": story_id})
        fact = found[0] if found else None
    # The claim group told by the most articles: the claim reviewed when no fact-check matched,
    # and the group whose deniers are left out of the appearances.
    central = store.rows("SELECT id, label FROM claim_groups WHERE story_id = :s "
                         "ORDER BY articles DESC, dangerous DESC, id LIMIT 1",
                         {"s": story_id}) if "claim_groups" in tables else []
    claim = None
    if fact:
        claim = fact["claim"]
        notes["claimReviewed"] = f"the claim of the best matched fact-check {fact['id']}"
    elif central:
        claim = central[0]["label"]
        notes["claimReviewed"] = "the claim group carried by the most articles (no matched fact-check)"
    if claim is None:
        first_titled = next((a for a in articles if a["title"].strip()), None)
        claim = first_titled["title"] if first_titled else articles[0]["text"][:300]
        notes["claimReviewed"] = "the earliest article's title (no matched fact-check and no claim groups yet)"

    first = None
    if "story_origins" in tables:
        origin = store.rows("SELECT earliest_article_id, earliest_is_tied FROM story_origins WHERE story_id = :s",
                            {"s": story_id})
        if origin and origin[0]["earliest_article_id"] and not origin[0]["earliest_is_tied"]:
            first = next((a for a in articles if a["id"] == origin[0]["earliest_article_id"]), None)
            notes["firstAppearance"] = "the story's earliest article, from provenance (story_origins)"
    if first is None:
        dated = sorted((a for a in articles if a["published_at"]), key=lambda a: a["published_at"])
        if len(dated) >= 2 and dated[0]["published_at"] == dated[1]["published_at"]:
            notes["firstAppearance"] = "left out: the two earliest articles share a publication time"
        elif dated:
            first = dated[0]
            notes["firstAppearance"] = "the earliest published_at among the story's articles"
        else:
            notes["firstAppearance"] = "left out: no article of the story has a publication date"
    if first is not None and not first.get("url"):
        notes["firstAppearance"] = f"left out: the earliest article {first['id']} has no URL"
        first = None

    deniers = _only_deniers(store, central[0]["id"]) if central and "claim_variants" in tables else set()
    if deniers:
        notes["appearance"] = (f"the story's articles with a URL, less {len(deniers)} that only deny the claim "
                               "told by the most articles")
    item: dict[str, Any] = {"@type": "Claim",
                            "appearance": [_appearance(a) for a in articles if a.get("url") and a["id"] not in deniers]}
    if first is not None:
        item["firstAppearance"] = _appearance(first)
        if first.get("published_at"):
            item["datePublished"] = first["published_at"]
    review: dict[str, Any] = {"@context": "https://schema.org", "@type": "ClaimReview",
                              "claimReviewed": claim, "itemReviewed": item}
    if fact:
        review["reviewRating"] = {"@type": "Rating", "alternateName": fact["rating"] or fact["verdict"]}
        if fact["url"]:
            review["isBasedOn"] = fact["url"]
        if fact["publisher"]:
            review["author"] = {"@type": "Organization", "name": fact["publisher"]}
    else:
        notes["reviewRating"] = "left for the reviewer: no matched fact-check"
    review["_newstrace"] = {"story_id": story_id, "articles": len(articles),
                            "articles_without_url": sum(1 for a in articles if not a.get("url")), "chosen": notes}
    return review
