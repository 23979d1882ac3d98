"""Where a story came from: the provenance graph and the story's origin.

Two kinds of evidence, kept apart because they answer different questions:
- *text reuse* (from ``pairs``): article -> article edges, copy / partial / rewrite /
  same-event, directed from the earlier to the later article only when the dates say so;
- *citation* (from ``attributions``): article -> outlet edges where an article cites an
  outlet ("told RIA Novosti", "RT reports:"), and outlet -> source edges for who the cited
  outlet's claim is attributed to ("a military-diplomatic source").

The origin of a story is reported as both: its earliest article (ties and missing dates are
said, not broken) and the origin its articles cite most, counted in claims attributed through
it (self-citations, an outlet citing its own reporting, do not count).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .details import word_form
from .errors import InputError
from .store import Store
from .trace import content_words, pair_score

GRAPH_FORMATS = ("graphml", "gexf", "json")
_ALNUM = re.compile(r"[^a-z0-9]+")
#: Numbers ("6,000" whole, so that 4,000 -> 6,000 shows), words, and the runs of anything else
#: between them, so that the pieces rejoin to the text.
_PIECE = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+|[^\w\s]+|\s+|_+", re.UNICODE)


@dataclass(frozen=True)
class Origin:
    story_id: str
    earliest_article_id: str | None
    earliest_is_tied: bool
    cited_origin: str | None
    cited_origin_kind: str | None
    via_outlet: str | None
    citing_articles: int


def _key(name: str | None) -> str:
    return _ALNUM.sub("", (name or "").lower())


def is_self_citation(article_outlet: str | None, cited: str | None) -> bool:
    """'told Sputnik' inside a sputniknews.com article is the outlet's own reporting."""
    a, c = _key(article_outlet), _key(cited)
    if not a or not c:
        return False
    stem = _key((article_outlet or "").split(".")[0])
    return c in a or (bool(stem) and (stem in c or c in stem))


def earliest(articles: Sequence[dict[str, Any]]) -> tuple[str | None, bool]:
    dated = [a for a in articles if a.get("published_at")]
    if not dated:
        return None, False
    first = min(a["published_at"] for a in dated)
    tied = [a for a in dated if a["published_at"] == first]
    return sorted(a["id"] for a in tied)[0], len(tied) > 1


def citation_edges(
    articles: Sequence[dict[str, Any]], attributions: Sequence[dict[str, Any]]
) -> tuple[list[tuple[str, str, str, str, str, dict[str, Any]]], Origin | None]:
    """Edges (src_kind, src, dst_kind, dst, relation, evidence) and the most-cited origin."""
    outlet_of = {a["id"]: a.get("outlet") for a in articles}
    edges: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}
    outlet_citers: dict[str, set[str]] = defaultdict(set)
    outlet_claims: Counter[str] = Counter()
    sources_via: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for att in attributions:
        cited = att.get("cited_outlet")
        if not cited or is_self_citation(outlet_of.get(att["article_id"]), cited):
            continue
        outlet_citers[cited].add(att["article_id"])
        outlet_claims[cited] += 1
        key = ("article", att["article_id"], "outlet", cited, "cites")
        edges.setdefault(key, {"quotes": []})["quotes"].append((att.get("cue_text") or "")[:80])
        kind = att.get("source_kind") or "none"
        if kind not in ("outlet", "none"):
            source = att.get("source_name") or att.get("source_text") or kind
            sources_via[cited][(source, kind)] += 1
            edges.setdefault(("outlet", cited, "source", source, "cites"), {"kind": kind})
    origin = None
    if outlet_citers:
        # Most cited = most claims attributed through it (back-references such as "the source
        # said" included), then most citing articles: a background fact cited once per article
        # does not outrank the outlet the story's claims come from.
        via = max(outlet_citers, key=lambda o: (outlet_claims[o], len(outlet_citers[o]), o))
        if sources_via[via]:
            (source, kind), _ = max(sources_via[via].items(), key=lambda kv: (kv[1], kv[0]))
        else:
            source, kind = via, "outlet"
        origin = Origin("", None, False, source, kind, via, len(outlet_citers[via]))
    return [(*k, v) for k, v in edges.items()], origin


def reuse_edges(pairs: Sequence[dict[str, Any]]) -> list[tuple[str, str, str, str, str, int, float, dict[str, Any]]]:
    out: list[tuple[str, str, str, str, str, int, float, dict[str, Any]]] = []
    for p in pairs:
        direction = p.get("direction")
        if direction == "b->a":
            src, dst, directed = p["b_id"], p["a_id"], 1
        else:
            src, dst, directed = p["a_id"], p["b_id"], int(direction == "a->b")
        weight = pair_score(p) or 1.0
        out.append(("article", src, "article", dst, p["relation"], directed, weight, {}))
    return out


def write_provenance(
    conn: Any,
    store: Store,
    story_id: str,
    articles: Sequence[dict[str, Any]],
    parents: dict[str, tuple[str, str]],
    pairs: Sequence[dict[str, Any]],
    fingerprint: str,
) -> Origin:
    """Replace the story's provenance edges and origin inside the caller's transaction."""
    ids = json.dumps([a["id"] for a in articles])
    attributions = [dict(r._mapping) for r in conn.exec_driver_sql(
        "SELECT * FROM attributions WHERE article_id IN (SELECT value FROM json_each(?))", (ids,))]
    cites, origin = citation_edges(articles, attributions)
    rows = []
    for src_kind, src, dst_kind, dst, relation, directed, weight, evidence in reuse_edges(pairs):
        evidence = {"lineage": parents.get(dst, (None,))[0] == src}
        rows.append((story_id, src_kind, src, dst_kind, dst, relation, directed, weight, json.dumps(evidence)))
    for src_kind, src, dst_kind, dst, relation, evidence in cites:
        rows.append((story_id, src_kind, src, dst_kind, dst, relation, 1, 1.0, json.dumps(evidence, ensure_ascii=False)))
    conn.exec_driver_sql("DELETE FROM provenance_edges WHERE story_id = ?", (story_id,))
    if rows:
        conn.exec_driver_sql("INSERT OR REPLACE INTO provenance_edges VALUES (?,?,?,?,?,?,?,?,?)", rows)
    first, tied = earliest(articles)
    result = Origin(story_id, first, tied, origin.cited_origin if origin else None,
                    origin.cited_origin_kind if origin else None, origin.via_outlet if origin else None,
                    origin.citing_articles if origin else 0)
    conn.exec_driver_sql(
        "INSERT OR REPLACE INTO story_origins VALUES (?,?,?,?,?,?,?,?)",
        (story_id, result.earliest_article_id, int(result.earliest_is_tied), result.cited_origin,
         result.cited_origin_kind, result.via_outlet, result.citing_articles, fingerprint))
    return result


# -- reading and exporting ---------------------------------------------------------------------
def story_graph(store: Store, story_id: str) -> Any:
    """The story's provenance graph as a networkx MultiDiGraph (nodes carry labels and kinds)."""
    import networkx as nx

    from .stories import find_story

    story_id = find_story(store, story_id)  # a unique prefix or a merged id names the live story
    graph = nx.MultiDiGraph(story_id=story_id)
    articles = {a["id"]: a for a in store.rows(
        "SELECT a.id, a.title, a.outlet, a.published_at, a.url FROM story_articles s JOIN articles a "
        "ON a.id = s.article_id WHERE s.story_id = :s", {"s": story_id})}
    for a in articles.values():
        graph.add_node(f"article:{a['id']}", kind="article", label=a["title"] or a["id"],
                       outlet=a["outlet"] or "", published=a["published_at"] or "", url=a["url"] or "")
    for e in store.rows("SELECT * FROM provenance_edges WHERE story_id = :s", {"s": story_id}):
        for kind, name in ((e["src_kind"], e["src"]), (e["dst_kind"], e["dst"])):
            node = f"{kind}:{name}"
            if node not in graph:
                graph.add_node(node, kind=kind, label=name, outlet="", published="", url="")
        graph.add_edge(f"{e['src_kind']}:{e['src']}", f"{e['dst_kind']}:{e['dst']}", relation=e["relation"],
                       directed=bool(e["directed"]), weight=float(e["weight"]))
    return graph


def export_graph(store: Store, story_id: str, fmt: str, out: str | Path) -> Path:
    """Write the story's provenance graph as GraphML, GEXF (opens in Gephi) or node-link JSON."""
    import networkx as nx

    if fmt not in GRAPH_FORMATS:
        raise InputError(f"Unknown graph format {fmt!r}; use one of {', '.join(GRAPH_FORMATS)}.")
    graph = story_graph(store, story_id)
    path = Path(out)
    if fmt == "graphml":
        # GraphML could mark such an edge with directed="false", but networkx's own reader
        # rejects that in a directed graph; the edge's ``directed`` data says it instead.
        nx.write_graphml(graph, path)
    elif fmt == "gexf":
        # GEXF types each edge: one whose order the dates and citations do not decide is
        # undirected, so Gephi draws no arrow for it.
        for _, _, data in graph.edges(data=True):
            data["type"] = "directed" if data["directed"] else "undirected"
        nx.write_gexf(graph, path)
    else:
        path.write_text(json.dumps(nx.node_link_data(graph, edges="edges"), indent=2, ensure_ascii=False), "utf-8")
    return path


def _is_content(piece: str) -> bool:
    return piece[:1].isdigit() or (len(piece) > 1 and bool(content_words(piece)))


def only_here(text: str, others: Sequence[str]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, only_here) runs: ``only_here`` marks the content words that none
    of ``others`` uses (other articles' wordings of the same claim). A display aid, not a
    judgement: a detail one telling adds ("... to leave the city with their families") is
    marked, and so is a paraphrase ("houses" for "buildings"); the reader tells them apart."""
    used = {word_form(p) for other in others for p in _PIECE.findall(other) if _is_content(p)}
    pieces = _PIECE.findall(text)
    marks = [bool(others) and _is_content(p) and word_form(p) not in used for p in pieces]
    for k in range(1, len(pieces) - 1):  # "intelligence services", not "intelligence" + "services"
        if not marks[k] and pieces[k].isspace() and marks[k - 1] and marks[k + 1]:
            marks[k] = True
    runs: list[tuple[str, bool]] = []
    for piece, marked in zip(pieces, marks, strict=True):
        if runs and runs[-1][1] == marked:
            runs[-1] = (runs[-1][0] + piece, marked)
        else:
            runs.append((piece, marked))
    return runs


def mark_only_here(variant_rows: Sequence[dict[str, Any]]) -> None:
    """Give each variant row (``article_id``, ``text``) its ``runs``: ``only_here`` against the
    wordings of the group's other articles."""
    for v in variant_rows:
        others = [o["text"] for o in variant_rows if o["article_id"] != v["article_id"] and o["text"]]
        v["runs"] = only_here(v["text"] or "", others)


_KIND_NAMES = {"anonymous": "anonymous source", "named-official": "named official", "named-expert": "named expert",
               "named-person": "named person", "named-witness": "named witness", "organisation": "organisation", "outlet": "outlet",
               "document": "document", "none": "nobody"}


def _source(name: Any, kind: Any) -> str:
    kind_name = _KIND_NAMES.get(str(kind), str(kind or "unknown"))
    return f"{name} ({kind_name})" if name else kind_name


def describe_mutation(kind: str, details: dict[str, Any] | None) -> str:
    """What changed, in words, from a mutation's stored details: the evidence a reader needs
    when the two sentences look alike ("source dropped: a senior official (anonymous source)"
    where the downstream sentence differs only by its attribution)."""
    d = details or {}

    def listed(key: str) -> str:
        return ", ".join(str(v) for v in d.get(key) or []) or "none"

    if kind == "number-changed":
        return f"figure {listed('before')} → {listed('after')}"
    if kind == "entity-changed":
        # Entities are stored folded to lower case; the NER labels (LOC/PERSON) would confuse.
        def names(key: str) -> str:
            return ", ".join(str(v).title() for v in d.get(key) or []) or "none"
        return f"named {names('before')} → {names('after')}"
    if kind in ("hedge-removed", "hedge-added"):
        return f"hedge {'dropped' if kind == 'hedge-removed' else 'added'}: {listed('hedges')}"
    if kind == "attribution-removed":
        return f"source dropped: {_source(d.get('source'), d.get('before'))}; stated without one downstream"
    if kind in ("attribution-weakened", "attribution-changed"):
        return (f"source {_source(d.get('source_before'), d.get('before'))} → "
                f"{_source(d.get('source_after'), d.get('after'))}")
    if kind == "polarity-reversed":
        before, after = d.get("before") or [], d.get("after") or []
        if len(before) > len(after):
            return f"negation dropped: {', '.join(before)} (the claim now says the opposite)"
        return f"negation added: {', '.join(after) or 'none'} (the claim now says the opposite)"
    if kind == "certainty-raised":
        return f"certainty {d.get('before', 'modal')} → {d.get('after', 'asserted')}"
    if kind in ("claim-added", "claim-dropped"):
        relation = d.get("relation")
        return f"{'added' if kind == 'claim-added' else 'dropped'} along a {relation} edge" if relation else ""
    return ""


def article_label(article: dict[str, Any]) -> str:
    """What to call an article on screen: its title, or for an untitled one (a plain-text file
    whose first line is the lead) the file it came from, else its opening words."""
    title = (article.get("title") or "").strip()
    if title:
        return title
    source = (article.get("source") or "").strip()
    if source:
        return f"(untitled) {Path(source).name}"
    words = (article.get("opening") or "").split()
    return f"(untitled) {' '.join(words[:8])}…" if words else f"(untitled) {article.get('id', '')}"


def group_detail_rows(rows: Sequence[dict[str, Any]], labels: dict[str, str],
                      outlets: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Stored claim details (rows of ``claim_details``) by group, one entry per phrase: the
    same phrase added by several articles ("under cover of darkness") is one detail, with the
    articles that tell it (``told_by``) and those of the group that do not (``missing_from``),
    each as {article_id, label, outlet, never_uses}, in the order first seen; ``never_uses``
    (for ``missing_from``) is the evidence: the phrase's nouns, names or numbers that article
    never uses."""
    def article(a: str, never_uses: Sequence[str] = ()) -> dict[str, Any]:
        return {"article_id": a, "label": labels.get(a, a[:8]), "outlet": outlets.get(a), "never_uses": list(never_uses)}

    by_group: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for d in rows:
        entry = by_group[d["group_id"]].setdefault(
            " ".join(d["phrase"].lower().split()), {"phrase": d["phrase"], "told_by": [], "missing_from": {}})
        if d["article_id"] not in entry["told_by"]:
            entry["told_by"].append(d["article_id"])
        words = json.loads(d.get("new_words") or "{}")
        for a in json.loads(d["missing_from"] or "[]"):
            found = words.get(a, []) if isinstance(words, dict) else []
            entry["missing_from"].setdefault(a, [])
            entry["missing_from"][a] += [w for w in found if w not in entry["missing_from"][a]]
    out: dict[str, list[dict[str, Any]]] = {}
    for gid, entries in by_group.items():
        shown = []
        for e in entries.values():
            missing = [article(a, w) for a, w in e["missing_from"].items() if a not in e["told_by"]]
            if missing:  # told by every article that lacked it elsewhere: nothing to show
                shown.append({"phrase": e["phrase"], "told_by": [article(a) for a in e["told_by"]],
                              "missing_from": missing})
        out[gid] = shown
    return out


def claim_groups(store: Store, story_id: str) -> list[dict[str, Any]]:
    """The story's claim groups for display, those told by most articles first: each with its
    variants (outlet, article, stance: ``tells`` or ``denies``, text, and the text's
    ``only_here`` runs against the wordings of the group's other articles), and its ``details``:
    the phrases one article's wording adds that others do not say (``newstrace.details``), each
    with the articles it is ``missing_from``."""
    groups = store.rows("SELECT * FROM claim_groups WHERE story_id = :s ORDER BY articles DESC, dangerous DESC, id",
                        {"s": story_id})
    variants = store.rows(
        "SELECT v.group_id, v.article_id, v.variant, v.is_first, v.stance, c.text, a.outlet, a.title, a.published_at, "
        "a.source, substr(a.text, 1, 120) AS opening "
        "FROM claim_variants v JOIN claim_groups g ON g.id = v.group_id JOIN claims c ON c.id = v.claim_id "
        "JOIN articles a ON a.id = v.article_id WHERE g.story_id = :s "
        "ORDER BY v.group_id, COALESCE(a.published_at, '9999'), a.id, c.start", {"s": story_id})
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for v in variants:
        v["label"] = article_label(v)
        by_group[v["group_id"]].append(v)
    labels = {v["article_id"]: v["label"] for v in variants}
    outlets = {v["article_id"]: v["outlet"] for v in variants}
    details: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if "claim_details" in store.tables():
        details.update(group_detail_rows(store.rows(
            "SELECT * FROM claim_details WHERE story_id = :s ORDER BY group_id, start", {"s": story_id}), labels, outlets))
    for g in groups:
        g["variant_rows"] = by_group.get(g["id"], [])
        g["details"] = details.get(g["id"], [])
        mark_only_here(g["variant_rows"])
    return groups


def lineage(store: Store, story_id: str) -> dict[str, Any]:
    """The story's lineage for display: its live id, origin, articles with their parent,
    mutations, and the claim groups (see ``claim_groups``). ``story_id`` may be a unique prefix
    or a merged id."""
    from .stories import find_story

    story_id = find_story(store, story_id)
    origin = store.rows("SELECT * FROM story_origins WHERE story_id = :s", {"s": story_id})
    articles = store.rows(
        "SELECT a.id, a.title, a.outlet, a.published_at, a.source, substr(a.text, 1, 120) AS opening "
        "FROM story_articles s JOIN articles a "
        "ON a.id = s.article_id WHERE s.story_id = :s ORDER BY COALESCE(a.published_at, '9999'), a.id",
        {"s": story_id})
    for a in articles:
        a["label"] = article_label(a)
    edges = store.rows(
        "SELECT * FROM provenance_edges WHERE story_id = :s AND src_kind = 'article' AND dst_kind = 'article'",
        {"s": story_id})
    parent = {e["dst"]: (e["src"], e["relation"]) for e in edges if json.loads(e["evidence"]).get("lineage")}
    cites = defaultdict(list)
    for e in store.rows("SELECT src, dst FROM provenance_edges WHERE story_id = :s AND src_kind = 'article' "
                        "AND relation = 'cites'", {"s": story_id}):
        cites[e["src"]].append(e["dst"])
    mutations = store.rows(
        "SELECT * FROM mutations WHERE story_id = :s ORDER BY dangerous DESC, type, id", {"s": story_id})
    for m in mutations:
        m["what"] = describe_mutation(m["type"], json.loads(m.get("details") or "{}"))
    return {"story_id": story_id, "origin": origin[0] if origin else None, "articles": articles, "parent": parent,
            "cites": dict(cites), "mutations": mutations, "claim_groups": claim_groups(store, story_id)}
