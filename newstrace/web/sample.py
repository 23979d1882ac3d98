"""A small, fully analysed sample store for the UI's tests, screenshots and load benchmark.

It writes rows into every table the UI reads, as the analysis stages would, for two stories
modelled on the motivating case (an anonymous-source report retold by two outlets, copied word
for word by others, one copy dropping the attribution). ``payload`` puts a hostile string into
every text field, to test that the UI and the report escape what they show.

Tables whose migration has not landed in this build are created here with the columns the
stages' specifications give; it is meant for throw-away test stores, never a user's store.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..fixtures import add_articles
from ..store import Store

#: Tables of stages whose migrations may not have landed yet, as their specifications give them.
FALLBACK_DDL = {
    "pairs": "CREATE TABLE pairs (a_id TEXT NOT NULL, b_id TEXT NOT NULL, relation TEXT NOT NULL, "
             "direction TEXT, earlier_id TEXT, later_id TEXT, PRIMARY KEY (a_id, b_id)); "
             "CREATE INDEX pairs_b ON pairs(b_id)",
    "passages": "CREATE TABLE passages (a_id TEXT NOT NULL, b_id TEXT NOT NULL, kind TEXT NOT NULL, "
                "a_start INTEGER NOT NULL, a_end INTEGER NOT NULL, b_start INTEGER NOT NULL, "
                "b_end INTEGER NOT NULL, score REAL)",
    "stories": "CREATE TABLE stories (id TEXT PRIMARY KEY, title TEXT NOT NULL DEFAULT '', size INTEGER NOT NULL, "
               "first_seen TEXT, last_seen TEXT)",
    "story_articles": "CREATE TABLE story_articles (story_id TEXT NOT NULL, article_id TEXT NOT NULL, "
                      "PRIMARY KEY (story_id, article_id))",
    "attributions": "CREATE TABLE attributions (id INTEGER PRIMARY KEY, article_id TEXT NOT NULL, "
                    "source_text TEXT, source_kind TEXT, cue_text TEXT, content_text TEXT, cited_outlet TEXT, "
                    "source_name TEXT, resolved_from_attribution_id INTEGER)",
    "claims": "CREATE TABLE claims (id INTEGER PRIMARY KEY, article_id TEXT NOT NULL, start INTEGER, "
              "end INTEGER, text TEXT NOT NULL, certainty TEXT, hedges TEXT, numbers TEXT, "
              "attribution_id TEXT, source_kind TEXT)",
    "citations": "CREATE TABLE citations (article_id TEXT NOT NULL, cited_outlet TEXT NOT NULL, "
                 "attribution_id TEXT)",
}

XSS_PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</title><svg onload=alert(1)>",
    "' onmouseover='alert(1)",
)

_ANON = "a military-diplomatic source"


def insert_rows(conn: Any, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert dict rows, filling columns the real schema requires but the sample does not know."""
    if not rows:
        return
    info = list(conn.exec_driver_sql(f'PRAGMA table_info("{table}")'))
    columns = [r[1] for r in info]
    required = {r[1]: (r[2] or "").upper() for r in info if r[3] and r[4] is None and not r[5]}
    full = []
    for row in rows:
        values = {k: v for k, v in row.items() if k in columns}
        for name, kind in required.items():
            if name not in values:
                values[name] = 0 if ("INT" in kind or "REAL" in kind) else ("{}" if name in (
                    "details", "evidence", "metadata") else "")
        full.append(values)
    names = sorted(full[0])
    conn.exec_driver_sql(
        f'INSERT INTO "{table}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})',
        [tuple(r.get(n) for n in names) for r in full])


def _span(text: str, piece: str) -> tuple[int, int]:
    start = text.index(piece)
    return start, start + len(piece)


def build_sample(store: Store, *, payload: str | None = None) -> dict[str, Any]:
    """Fill ``store`` with the sample; return the ids the tests look for."""
    x = payload or ""
    with store.transaction() as conn:
        present = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
        for table, ddl in FALLBACK_DDL.items():
            if table not in present:
                for statement in ddl.split(";"):
                    conn.exec_driver_sql(statement)

    claim_a = "More than 9,000 Islamic State militants will be redeployed from Mosul to Syria"
    claim_b = "9,000 Islamic State militants will be redeployed from Mosul to Syria"
    lead = (f"The US and Saudi Arabia have agreed to grant free passage to thousands of militants {x}"
            f"before the Iraqi city of Mosul is stormed, {_ANON} told RIA Novosti.")
    shared = f'"{claim_a}," the source said. The jets would only strike vacated buildings, he said.'
    rt_text = f"{lead}\n{shared}\nIn September the Pentagon said it would send 600 more troops to Iraq."
    sputnik_text = (f"Washington and Riyadh reportedly struck a deal letting IS fighters {x}leave Mosul for "
                    f"Syria, according to {_ANON} quoted by RIA Novosti.\n"
                    f"Over 9,000 fighters are to be moved to eastern Syria, the source claimed.")
    copy_text = rt_text
    stripped_text = (f"The US and Saudi Arabia agreed to grant free passage to militants {x}before Mosul is "
                     f"stormed.\n{claim_b}. The jets would only strike vacated buildings.")
    kirkuk_1 = f"The Iraqi army moved on Havice in Kirkuk province {x}on Monday, an officer said."
    kirkuk_2 = f"Iraqi troops entered Havice, Kirkuk province, {x}on Monday, according to local officials."

    def outlet(name: str) -> str:
        return f"{name}{x}" if x else name

    url_unsafe = "javascript:alert(1)" if x else None
    items: list[dict[str, Any]] = [
        {"title": f"US, Saudis to grant 9,000 ISIS fighters free passage from Mosul to Syria{x}",
         "text": rt_text, "published": "2016-10-17T09:30:00+00:00", "outlet": outlet("rt.com"),
         "author": f"RT staff{x}", "url": url_unsafe or "https://www.rt.com/news/362797-mosul-isis-syria/"},
        {"title": f"Deal lets IS fighters leave Mosul for Syria{x}", "text": sputnik_text,
         "published": "2016-10-17T11:05:00+00:00", "outlet": outlet("sputniknews.com"),
         "author": f"Sputnik{x}", "url": "https://sputniknews.com/middleeast/201610171046389076/"},
        {"title": f"US, Saudis to grant 9,000 ISIS fighters free passage from Mosul{x}", "text": copy_text + " ",
         "published": "2016-10-17T14:00:00+00:00", "outlet": outlet("copysite.example"),
         "author": x or None, "url": url_unsafe or "http://copysite.example/mosul"},
        {"title": f"9,000 ISIS fighters to leave Mosul for Syria{x}", "text": stripped_text,
         "published": "2016-10-18T08:00:00+00:00", "outlet": outlet("stripper.example"),
         "url": "https://stripper.example/a?b=1&c=2"},
        {"title": f"Iraqi army moves on Havice, Kirkuk{x}", "text": kirkuk_1,
         "published": "2016-10-17T12:00:00+00:00", "outlet": outlet("sputniknews.com"), "url": None},
        {"title": f"Troops enter Havice{x}", "text": kirkuk_2, "published": None, "outlet": outlet("rudaw.example")},
    ]
    rt, sputnik, copy, stripped, k1, k2 = add_articles(store, items)
    mosul, kirkuk = f"mosul-9000{x}", "kirkuk-havice"

    jets = "The jets would only strike vacated buildings"
    js, je = _span(rt_text, jets)
    ks, ke = _span(stripped_text, jets)
    cs, ce = _span(stripped_text, claim_b)
    rs, re_ = _span(rt_text, claim_a)
    with store.transaction() as conn:
        insert_rows(conn, "stories", [
            {"id": mosul, "title": f"9,000 IS fighters to be let out of Mosul{x}", "size": 4,
             "first_seen": items[0]["published"], "last_seen": items[3]["published"]},
            {"id": kirkuk, "title": f"Iraqi army moves on Havice{x}", "size": 2,
             "first_seen": items[4]["published"], "last_seen": items[4]["published"]},
        ])
        insert_rows(conn, "story_articles", [{"story_id": mosul, "article_id": a} for a in (rt, sputnik, copy, stripped)]
                + [{"story_id": kirkuk, "article_id": a} for a in (k1, k2)])
        def pair(x: str, y: str, relation: str, source: str | None) -> dict[str, Any]:
            # Stored unordered (a_id < b_id), direction relative to that order.
            a, b = sorted((x, y))
            direction = "unknown" if source is None else ("a->b" if source == a else "b->a")
            return {"a_id": a, "b_id": b, "relation": relation, "direction": direction,
                    "earlier_id": source, "later_id": None if source is None else (b if source == a else a)}

        def passage(x: str, y: str, kind: str, xs: tuple[int, int], ys: tuple[int, int],
                    score: float) -> dict[str, Any]:
            (a, a_span), (b, b_span) = sorted(((x, xs), (y, ys)))
            return {"a_id": a, "b_id": b, "kind": kind, "a_start": a_span[0], "a_end": a_span[1],
                    "b_start": b_span[0], "b_end": b_span[1], "score": score}

        insert_rows(conn, "pairs", [pair(rt, copy, "copy", rt), pair(rt, stripped, "partial", rt),
                                    pair(rt, sputnik, "rewrite", None), pair(k1, k2, "same-event", None)])
        insert_rows(conn, "passages", [
            passage(rt, copy, "verbatim", (0, len(rt_text)), (0, len(rt_text)), 1.0),
            passage(rt, stripped, "aligned", (rs, re_), (cs, ce), 0.93),
            passage(rt, stripped, "verbatim", (js, je), (ks, ke), 1.0),
        ])
        attributions = []
        for n, (aid, cue) in enumerate(((rt, "told"), (sputnik, "quoted by"), (copy, "told")), start=1):
            attributions.append({"id": n, "quote": "indirect", "sentence_idx": 0, "cue_start": 0, "cue_end": 4,
                                 "article_id": aid, "source_text": f"{_ANON}{x}",
                                 "source_kind": "anonymous", "cue_text": f"{cue}{x}",
                                 "content_text": f"{claim_a}{x}", "cited_outlet": f"RIA Novosti{x}",
                                 })
        insert_rows(conn, "attributions", attributions)
        insert_rows(conn, "citations", [{"article_id": a["article_id"], "cited_outlet": a["cited_outlet"],
                                     "attribution_id": a["id"]} for a in attributions])
        claims = [
            {"id": 1, "article_id": rt, "start": rs, "end": re_, "text": f"{claim_a}{x}",
             "certainty": "asserted", "hedges": "[]", "numbers": json.dumps([{"value": 9000, "modifier": "more than"}]),
             "attribution_id": 1, "source_kind": "anonymous"},
            {"id": 2, "article_id": sputnik, "start": 0, "end": 40,
             "text": f"Over 9,000 fighters are to be moved to eastern Syria{x}", "certainty": "hedged",
             "hedges": json.dumps([{"text": "reportedly", "kind": "hedge"}]), "numbers": "[]", "attribution_id": 2,
             "source_kind": "anonymous"},
            {"id": 3, "article_id": copy, "start": rs, "end": re_, "text": f"{claim_a}{x}",
             "certainty": "asserted", "hedges": "[]", "numbers": "[]", "attribution_id": 3,
             "source_kind": "anonymous"},
            {"id": 4, "article_id": stripped, "start": cs, "end": ce, "text": f"{claim_b}{x}",
             "certainty": "asserted", "hedges": "[]", "numbers": "[]", "attribution_id": None,
             "source_kind": "none"},
        ]
        insert_rows(conn, "claims", claims)
        group = f"g-{mosul}"
        insert_rows(conn, "claim_groups", [{"id": group, "story_id": mosul, "label": f"{claim_a}{x}",
                                        "first_article_id": rt, "articles": 4, "variants": 3, "dangerous": 1}])
        insert_rows(conn, "claim_variants", [
            {"group_id": group, "claim_id": c["id"], "article_id": c["article_id"], "variant": v,
             "similarity": sim, "is_first": int(first)}
            for c, v, sim, first in zip(claims, (1, 2, 1, 3), (1.0, 0.81, 1.0, 0.95), (True, True, False, True),
                                        strict=True)])
        # A detail only Sputnik's wording adds (offsets as the trace stage stores them: into the article).
        insert_rows(conn, "claim_details", [
            {"story_id": mosul, "group_id": group, "claim_id": claims[1]["id"], "article_id": sputnik,
             "start": claims[1]["start"], "end": claims[1]["end"], "phrase": f"with their families{x}",
             "missing_from": json.dumps([rt, copy]),
             "new_words": json.dumps({rt: [f"families{x}"], copy: [f"families{x}"]})}])
        insert_rows(conn, "mutations", [
            {"story_id": mosul, "group_id": group, "type": "attribution-removed", "from_article_id": rt,
             "to_article_id": stripped, "from_claim_id": claims[0]["id"], "to_claim_id": claims[3]["id"],
             "before_text": f"{claim_a}, {_ANON} told RIA Novosti{x}", "after_text": f"{claim_b}{x}",
             "details": json.dumps({"before": "anonymous", "source": _ANON}), "dangerous": 1},
            {"story_id": mosul, "group_id": group, "type": "number-changed", "from_article_id": rt,
             "to_article_id": stripped, "from_claim_id": claims[0]["id"], "to_claim_id": claims[3]["id"],
             "before_text": f"{claim_a}{x}", "after_text": f"{claim_b}{x}",
             "details": json.dumps({"before": ["More than 9,000"], "after": ["9,000"]}), "dangerous": 0},
        ])
        edges = [(("article", rt), ("article", copy), "copy", 1), (("article", rt), ("article", stripped), "partial", 1),
                 (("article", rt), ("article", sputnik), "rewrite", 0),
                 (("article", rt), ("outlet", f"RIA Novosti{x}"), "cites", 1),
                 (("article", sputnik), ("outlet", f"RIA Novosti{x}"), "cites", 1),
                 (("outlet", f"RIA Novosti{x}"), ("source", f"{_ANON}{x}"), "cites", 1)]
        insert_rows(conn, "provenance_edges", [
            {"story_id": mosul, "src_kind": s[0], "src": s[1], "dst_kind": d[0], "dst": d[1], "relation": rel,
             "directed": directed, "weight": 1.0, "evidence": "{}"} for s, d, rel, directed in edges])
        insert_rows(conn, "story_origins", [{"story_id": mosul, "earliest_article_id": rt, "earliest_is_tied": 0,
                                         "cited_origin": f"{_ANON}{x}", "cited_origin_kind": "anonymous",
                                         "via_outlet": f"RIA Novosti{x}", "citing_articles": 3,
                                         "fingerprint": "sample"}])
        insert_rows(conn, "factchecks", [{
            "id": "fc-1", "claim": f"The US let 9,000 IS fighters leave Mosul for Syria{x}",
            "title": f"No, the US did not free IS fighters from Mosul{x}", "verdict": "false",
            "rating": f"Pants on fire{x}", "url": url_unsafe or "https://factcheck.example/mosul-9000",
            "publisher": f"Example Fact Check{x}", "published_at": "2016-10-18T00:00:00+00:00",
            "source_format": "claimreview", "metadata": "{}", "imported_at": "2024-01-01T00:00:00+00:00"}])
        insert_rows(conn, "factcheck_matches", [
            {"factcheck_id": "fc-1", "target_kind": "claim", "target_id": c["id"], "story_id": mosul,
             "query": c["text"], "score": score, "rank": 1, "matched": 1, "matched_at": "2024-01-01T00:00:00+00:00"}
            for c, score in ((claims[0], 0.91), (claims[3], 0.88))])
        insert_rows(conn, "factcheck_article_flags", [
            {"story_id": mosul, "article_id": a, "factcheck_id": "fc-1", "relation": rel}
            for a, rel in ((rt, "before"), (sputnik, "before"), (copy, "before"), (stripped, "after"))])
    return {"stories": [mosul, kirkuk], "rt": rt, "sputnik": sputnik, "copy": copy, "stripped": stripped,
            "kirkuk": [k1, k2], "payload": x}
