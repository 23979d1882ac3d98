"""Server-side SVG: a story's provenance graph and its publication timeline.

Plain SVG text, no JavaScript, so the pictures work in the offline report as in the web UI.
Every piece of text comes from articles (untrusted) and is XML-escaped here; hrefs are built
only by the caller's ``link`` function, from ids, never from article fields.

The graph is laid out in layers by time, earliest on the left: a reader sees who published
first without reading dates. Cited origins that are not in the corpus (an outlet such as
"RIA Novosti", a source such as "a military-diplomatic source") stand in a column of their own
before the first article.

Labels are fitted to their box, not cut at a character count: a label is measured with the
advance widths of DejaVu Sans Bold (Debian's default sans face, measured in Chromium; wider
than the faces of other systems, so a label fitted with it fits there too), shortened with an
ellipsis when it would pass its box, and given in full in the node's ``<title>`` tooltip.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

from .names import label as article_label
from .queries import pair_source

Link = Callable[[str, str], str | None]

#: stroke colour, dash pattern and legend wording per relation.
RELATION_STYLE: dict[str, tuple[str, str, str]] = {
    "copy": ("#b2182b", "", "verbatim copy"),
    "partial": ("#ef8a62", "", "partial reuse"),
    "rewrite": ("#2166ac", "6 3", "rewrite / independent rendering"),
    "same-event": ("#999999", "2 3", "same event, no reuse"),
    "cites": ("#1b7837", "8 3 2 3", "cites"),
}
MAX_ARTICLE_NODES = 60
COL_W, ROW_H, NODE_W, NODE_H = 200, 54, 180, 40
#: Text inside a node starts this far from its left edge and keeps as far from its right edge.
NODE_PAD = 6
TITLE_PX, SUB_PX, OUTLET_PX = 12, 11, 12
#: Timeline: the outlet names end this far left of the plot (text-anchor end).
TIMELINE_LEFT, TIMELINE_LABEL_GAP = 190, 8

#: Advance widths in em of DejaVu Sans Bold, by character, rounded up to 0.05 em (measured with
#: getComputedTextLength in Chromium). Other characters: their base letter's width, else 1 em.
_WIDTH_GROUPS = (
    (0.35, " 'ijl"), (0.40, "/IJ\\|,.:;‘’"), (0.45, "-f"), (0.50, "!()[]tr_`–"), (0.55, '"*'),
    (0.60, "?zcs"), (0.65, "Lvxy“”"), (0.70, "akEFTeo$0123456789"), (0.75, "hnu{}SYbdgpqCPZ"),
    (0.80, "BARVXK"), (0.85, "UGD#+<=>HN^~OQ"), (0.90, "&"), (0.95, "w"), (1.05, "%@Mm…—"), (1.10, "W"),
)
_EM = {ch: width for width, chars in _WIDTH_GROUPS for ch in chars}


def _char_em(ch: str) -> float:
    if ch in _EM:
        return _EM[ch]
    if unicodedata.combining(ch):
        return 0.0
    base = unicodedata.normalize("NFKD", ch)[:1]
    if base in _EM:
        return _EM[base]
    return 1.1 if unicodedata.east_asian_width(ch) in ("W", "F") else 1.0


def text_width(text: str, font_px: float) -> float:
    """The estimated width in px of ``text`` set at ``font_px`` (an upper bound on DejaVu Sans)."""
    return font_px * sum(_char_em(ch) for ch in text)


def fit(text: str | None, max_px: float, font_px: float) -> str:
    """``text`` on one line, shortened with an ellipsis so that it is at most ``max_px`` wide."""
    text = " ".join((text or "").split())
    if text_width(text, font_px) <= max_px:
        return text
    budget = max_px - text_width("…", font_px)
    used, cut = 0.0, 0
    while cut < len(text) and used + font_px * _char_em(text[cut]) <= budget:
        used += font_px * _char_em(text[cut])
        cut += 1
    return text[:cut].rstrip() + "…"


def _day(ts: str | None) -> str:
    return (ts or "")[:16].replace("T", " ") or "time unknown"


def _parse(ts: str | None) -> datetime | None:
    if not ts:
        return None
    try:
        parsed = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _evidence(edge: dict[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(edge.get("evidence") or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _edges_from(provenance: Sequence[dict[str, Any]], pairs: Sequence[dict[str, Any]],
                citations: Sequence[dict[str, Any]], articles: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Graph edges as (src node, dst node, relation, directed). provenance_edges when the trace
    stage ran; otherwise the reuse pairs (and outlet-level citations) it would be built from."""
    if provenance:
        return [{"src": (e["src_kind"], str(e["src"])), "dst": (e["dst_kind"], str(e["dst"])),
                 "relation": e["relation"], "directed": bool(e["directed"]),
                 "lineage": bool(_evidence(e).get("lineage"))} for e in provenance]
    edges = []
    for p in pairs:
        source = pair_source(p)
        a, b = str(p["a_id"]), str(p["b_id"])
        if source == b:
            a, b = b, a
        edges.append({"src": ("article", a), "dst": ("article", b), "relation": p["relation"],
                      "directed": source is not None})
    first_of_outlet: dict[str, str] = {}
    for art in articles:
        if art.get("outlet"):
            first_of_outlet.setdefault(art["outlet"], art["id"])
    for c in citations:
        citing = first_of_outlet.get(c.get("citing_outlet") or "")
        if citing and c.get("cited_outlet"):
            edges.append({"src": ("article", citing), "dst": ("outlet", str(c["cited_outlet"])),
                          "relation": "cites", "directed": True})
    return edges


def provenance_svg(articles: Sequence[dict[str, Any]], *, provenance: Sequence[dict[str, Any]] = (),
                   pairs: Sequence[dict[str, Any]] = (), citations: Sequence[dict[str, Any]] = (),
                   link: Link, lineage_only: bool = False) -> Markup:
    """The provenance graph of one story: articles in time layers, cited origins on the left.
    ``lineage_only``: of the article-to-article edges, only each article's link to its parent
    (the trace stage's lineage), so that the copy chain is not buried under every reuse pair."""
    shown = list(articles[:MAX_ARTICLE_NODES])
    by_id = {a["id"]: a for a in shown}
    edges = [e for e in _edges_from(provenance, pairs, citations, articles)
             if (e["src"][0] != "article" or e["src"][1] in by_id)
             and (e["dst"][0] != "article" or e["dst"][1] in by_id)]
    if lineage_only and any(e.get("lineage") for e in edges):
        edges = [e for e in edges if e.get("lineage") or e["src"][0] != "article" or e["dst"][0] != "article"]
    if not shown:
        return Markup("")

    # Layers: one per distinct publication time; unknown times in a last column.
    times = sorted({a["published_at"] for a in shown if a.get("published_at")})
    layer_of_time = {t: i for i, t in enumerate(times)}
    external = sorted({n for e in edges for n in (e["src"], e["dst"]) if n[0] != "article"})
    offset = 1 if external else 0
    unknown_layer = len(times) + offset
    positions: dict[tuple[str, str], tuple[float, float]] = {}
    rows_in_layer: dict[int, int] = {}
    # Rows: one per outlet, in order of first publication, so an outlet reads left to right
    # and copy edges run diagonally between rows instead of through other nodes.
    outlet_rows: dict[str, int] = {}
    for art in shown:
        outlet_rows.setdefault(art.get("outlet") or "", len(outlet_rows))

    def place(node: tuple[str, str], layer: int, row: int) -> None:
        rows_in_layer[layer] = max(rows_in_layer.get(layer, 0), row + 1)
        positions[node] = (10 + layer * COL_W, 30 + row * ROW_H)

    for i, node in enumerate(external):
        place(node, 0, i)
    for art in shown:
        ts = art.get("published_at")
        layer = layer_of_time[ts] + offset if ts else unknown_layer
        row = outlet_rows[art.get("outlet") or ""]
        while any(positions.get(n) == (10 + layer * COL_W, 30 + row * ROW_H) for n in positions):
            row += 1  # two articles of one outlet at one time
        place(("article", art["id"]), layer, row)
    layers = (max(rows_in_layer) + 1) if rows_in_layer else 1
    width = 20 + layers * COL_W
    height = 40 + max(rows_in_layer.values()) * ROW_H

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="provenance" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="provenance graph">',
           "<defs>"]
    for rel, (colour, _dash, _label) in RELATION_STYLE.items():
        out.append(f'<marker id="arrow-{rel}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
                   f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/>'
                   "</marker>")
    out.append("</defs>")
    if external:
        out.append('<text x="10" y="16" class="layer-label">cited origins</text>')
    for t, i in layer_of_time.items():
        out.append(f'<text x="{10 + (i + offset) * COL_W}" y="16" class="layer-label">'
                   f'{escape(fit(_day(t), COL_W - 10, SUB_PX))}</text>')
    if any(not a.get("published_at") for a in shown):
        out.append(f'<text x="{10 + unknown_layer * COL_W}" y="16" class="layer-label">time unknown</text>')

    for e in edges:
        if e["src"] not in positions or e["dst"] not in positions or e["src"] == e["dst"]:
            continue
        colour, dash, label = RELATION_STYLE.get(e["relation"], ("#555555", "", str(e["relation"])))
        (x1, y1), (x2, y2) = positions[e["src"]], positions[e["dst"]]
        # Leave from the right edge of the earlier node, arrive at the left edge of the later one.
        if x2 >= x1:
            sx, dx = x1 + NODE_W, x2
        else:
            sx, dx = x1, x2 + NODE_W
        if x1 == x2:
            sx, dx = x1 + NODE_W, x2 + NODE_W
        marker = f' marker-end="url(#arrow-{e["relation"]})"' if e["directed"] and e["relation"] in RELATION_STYLE else ""
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        bend = 40 if x1 == x2 else 0
        mid_x = (sx + dx) / 2 + bend
        out.append(f'<path class="edge edge-{escape(str(e["relation"]))}" d="M{sx},{y1 + NODE_H / 2} '
                   f'Q{mid_x},{(y1 + y2) / 2 + NODE_H / 2} {dx},{y2 + NODE_H / 2}" fill="none" '
                   f'stroke="{colour}" stroke-width="1.6"{dash_attr}{marker}>'
                   f"<title>{escape(label)}</title></path>")

    inner = NODE_W - 2 * NODE_PAD
    for node, (x, y) in positions.items():
        kind, ident = node
        if kind == "article":
            art = by_id[ident]
            # Without an outlet, the article's label (its title, file or opening) tells two
            # such articles apart.
            name = art.get("outlet") or article_label(art)
            line2 = _day(art.get("published_at"))
            tooltip = f"{art.get('outlet') or 'no outlet'}: {article_label(art)} ({line2})"
            cls = "node node-article"
        else:
            name, line2 = ident, kind
            tooltip = f"{kind}: {ident}"
            cls = f"node node-{'outlet' if kind == 'outlet' else 'source'}"
        box = (f'<g class={quoteattr(cls)}><title>{escape(tooltip)}</title>'
               f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="5"/>'
               f'<text x="{x + NODE_PAD}" y="{y + 16}" class="node-title">{escape(fit(name, inner, TITLE_PX))}</text>'
               f'<text x="{x + NODE_PAD}" y="{y + 32}" class="node-sub">{escape(fit(line2, inner, SUB_PX))}</text></g>')
        href = link(kind, ident)
        out.append(f"<a href={quoteattr(href)}>{box}</a>" if href else box)
    out.append("</svg>")
    return Markup("".join(out))


def timeline_svg(articles: Sequence[dict[str, Any]], *, link: Link) -> Markup:
    """Publications of one story over time, one row per outlet (undated articles left out)."""
    dated: list[tuple[dict[str, Any], datetime]] = []
    for a in articles:
        t = _parse(a.get("published_at"))
        if t is not None:
            dated.append((a, t))
    if not dated:
        return Markup("")
    # One row per outlet; an article without an outlet has a row of its own (such articles are
    # not one outlet), named by its short id as elsewhere on the page.
    def row_key(a: dict[str, Any]) -> str:
        return a.get("outlet") or f"article {str(a['id'])[:8]}"

    outlets: list[str] = []
    for a, _t in sorted(dated, key=lambda at: at[1]):
        if row_key(a) not in outlets:
            outlets.append(row_key(a))
    t0, t1 = min(t for _, t in dated), max(t for _, t in dated)
    span = max((t1 - t0).total_seconds(), 1.0)
    left, plot_w, row_h = TIMELINE_LEFT, 560, 26
    label_w = left - TIMELINE_LABEL_GAP - NODE_PAD
    width, height = left + plot_w + 30, 40 + len(outlets) * row_h
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="timeline of publications">',
           f'<text x="{left}" y="14" class="axis">{escape(_day(t0.isoformat()))}</text>',
           f'<text x="{left + plot_w}" y="14" class="axis" text-anchor="end">{escape(_day(t1.isoformat()))}</text>']
    for i, name in enumerate(outlets):
        y = 34 + i * row_h
        out.append(f'<text x="{left - TIMELINE_LABEL_GAP}" y="{y + 4}" text-anchor="end" class="outlet">'
                   f'<title>{escape(name)}</title>{escape(fit(name, label_w, OUTLET_PX))}</text>'
                   f'<line x1="{left}" y1="{y}" x2="{left + plot_w}" y2="{y}" class="row"/>')
    for a, t in dated:
        y = 34 + outlets.index(row_key(a)) * row_h
        x = left + plot_w * (t - t0).total_seconds() / span
        dot = (f'<circle cx="{x:.1f}" cy="{y}" r="6" class="pub"><title>'
               f'{escape(_day(a.get("published_at")))} {escape(a.get("outlet") or "")}: '
               f'{escape(article_label(a))}</title></circle>')
        href = link("article", a["id"])
        out.append(f"<a href={quoteattr(href)}>{dot}</a>" if href else dot)
    out.append("</svg>")
    return Markup("".join(out))
