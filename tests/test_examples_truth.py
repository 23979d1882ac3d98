"""The demo corpus (examples/corpus) agrees with its truth (examples/truth.json).

Checked without the rest of newstrace: every input file is read with the standard library,
lxml, feedparser and warcio, and every statement of the truth is checked against the text it
is about. The checks are functions that return a list of problems, so the last tests can show
that each kind of check does fail on a corpus or truth that is wrong.
"""

from __future__ import annotations

import copy
import csv
import difflib
import importlib.util
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from itertools import combinations
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser
import lxml.html
import pytest
from warcio.archiveiterator import ArchiveIterator

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RELATIONS = {"copy", "partial", "rewrite", "same-event"}
KINDS = {"anonymous", "named-official", "named-expert", "organisation", "outlet", "document", "none"}
MUTATION_TYPES = {
    "number-changed", "entity-changed", "hedge-removed", "hedge-added", "attribution-removed",
    "attribution-weakened", "attribution-changed", "certainty-raised", "claim-added", "claim-dropped",
}
_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"\d[\d,.]*")
_PLAIN = str.maketrans("\u2018\u2019\u201c\u201d\u2013\u2014\u00a0", "''\"\"-- ")


def norm(text: str) -> str:
    """NFC, straight quotes, plain dashes, single spaces: what 'the same text' is compared on."""
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_PLAIN)
    return _SPACE.sub(" ", text).strip()


def utc(value: str) -> str:
    """An ISO-8601 or RFC 822 time with an offset, as ISO UTC with Z; naive times are an error."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = parsedate_to_datetime(value)
    if moment.tzinfo is None:
        raise ValueError(f"time without offset: {value!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical(url: str) -> str:
    """The rule newstrace.urls documents: https, no www., no tracking parameters, sorted query."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not (k.startswith("utm_") or k in ("fbclid", "gclid")))
    return urlunsplit(("https", host, parts.path or "/", urlencode(query), ""))


@dataclass
class Record:
    """One article as an input file gives it."""

    file: str
    format: str
    title: str
    paragraphs: list[str]
    url: str | None = None
    published: str | None = None
    outlet: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


# ------------------------------------------------------------------------------------ readers
def _html_record(data: bytes, file: str, fmt: str, url: str | None = None) -> Record:
    doc = lxml.html.fromstring(data)

    def meta(prop: str) -> str | None:
        found = doc.xpath(f'//meta[@property="{prop}"]/@content')
        return str(found[0]) if found else None

    canonical_link = doc.xpath('//link[@rel="canonical"]/@href')
    body = doc.xpath('//article//p')
    h1 = doc.xpath("//h1")
    return Record(
        file=file, format=fmt, title=meta("og:title") or "",
        paragraphs=[p.text_content().strip() for p in body],
        url=url or (str(canonical_link[0]) if canonical_link else None),
        published=meta("article:published_time"), outlet=meta("og:site_name"),
        extra={"h1": h1[0].text_content().strip() if h1 else None,
               "canonical_link": str(canonical_link[0]) if canonical_link else None},
    )


def _fragment_paragraphs(fragment_html: str) -> list[str]:
    root = lxml.html.fragment_fromstring(fragment_html, create_parent="div")
    return [p.text_content().strip() for p in root.xpath(".//p")]


def read_file(path: Path) -> list[Record]:
    file = path.relative_to(EXAMPLES).as_posix()
    name = path.name
    if name.endswith(".warc.gz"):
        records = []
        with path.open("rb") as stream:
            for rec in ArchiveIterator(stream):
                if rec.rec_type != "response":
                    continue
                assert "text/html" in (rec.http_headers.get_header("Content-Type") or "")
                record = _html_record(rec.content_stream().read(), file, "warc",
                                      rec.rec_headers.get_header("WARC-Target-URI"))
                record.extra["warc_date"] = rec.rec_headers.get_header("WARC-Date")
                records.append(record)
        return records
    if name.endswith(".html"):
        return [_html_record(path.read_bytes(), file, "html")]
    if name.endswith((".rss.xml", ".atom.xml")):
        feed = feedparser.parse(path.read_bytes())
        assert not feed.bozo, f"{file}: {feed.get('bozo_exception')}"
        fmt = "atom" if name.endswith(".atom.xml") else "rss"
        return [Record(file=file, format=fmt, title=e.title, paragraphs=_fragment_paragraphs(e.content[0].value),
                       url=e.link, published=e.published, outlet=feed.feed.title)
                for e in feed.entries]
    if name.endswith(".jsonl"):
        out = []
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line)
            out.append(Record(file=file, format="jsonl", title=row["title"], paragraphs=row["text"].split("\n\n"),
                              url=row["url"], published=row["published"], outlet=row["outlet"], extra=row))
        return out
    if name.endswith(".csv"):
        with path.open(newline="", encoding="utf-8") as stream:
            reader = csv.DictReader(stream)
            assert reader.fieldnames == ["url", "title", "text", "published", "outlet"], reader.fieldnames
            return [Record(file=file, format="csv", title=r["title"], paragraphs=r["text"].split("\n\n"),
                           url=r["url"], published=r["published"], outlet=r["outlet"]) for r in reader]
    if name.endswith(".txt"):
        title, _, body = path.read_text("utf-8").partition("\n")
        assert body.startswith("\n"), f"{file}: the title line must be followed by a blank line"
        return [Record(file=file, format="txt", title=title.strip(),
                       paragraphs=[p.strip() for p in body.strip().split("\n\n")])]
    raise AssertionError(f"{file}: no reader for this kind of file")


def split_page(page: Record, parts: list[dict[str, Any]]) -> dict[str, Record]:
    """The page's parts by key: each starts at its title line, then caption, kicker and body."""
    blocks = [page.title, *page.paragraphs]
    starts = [blocks.index(part["title"]) for part in parts]
    out = {}
    for i, part in enumerate(parts):
        end = starts[i + 1] if i + 1 < len(parts) else len(blocks)
        title, caption, kicker, *body = blocks[starts[i]:end]
        assert (caption, kicker) == (part["caption"], part["kicker"]), part["key"]
        out[part["key"]] = Record(file=page.file, format="txt", title=title, paragraphs=body)
    return out


# ---------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    return json.loads((EXAMPLES / "truth.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def records() -> list[Record]:
    files = sorted(p for p in (EXAMPLES / "corpus").iterdir() if p.is_file())
    assert files, "examples/corpus is empty"
    return [r for p in files for r in read_file(p)]


@pytest.fixture(scope="module")
def texts(truth: dict[str, Any], records: list[Record]) -> dict[str, Record]:
    """One record per article key (the first location; page parts split out of their page)."""
    by_title: dict[str, Record] = {}
    for r in records:
        by_title.setdefault(r.title, r)
    out: dict[str, Record] = {}
    for page in truth["pages"]:
        parts = [a for a in truth["articles"] if a.get("page") == page["key"]]
        parts.sort(key=lambda a: page["parts"].index(a["key"]))
        out.update(split_page(by_title[page["title"]], parts))
    missing = [a["title"] for a in truth["articles"] if a["key"] not in out and a["title"] not in by_title]
    if missing:
        pytest.fail(f"no file holds the articles titled {missing}: fix examples/corpus or examples/truth.json")
    for a in truth["articles"]:
        if a["key"] not in out:
            out[a["key"]] = by_title[a["title"]]
    return out


def articles(truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["key"]: a for a in truth["articles"]}


# ------------------------------------------------------------------------------------ checks
def problems_locations(truth: dict[str, Any], records: list[Record]) -> list[str]:
    """Every article is where the truth says, under the URL it says, and nothing else is there."""
    out = []
    arts = articles(truth)
    page_titles = {p["title"]: p for p in truth["pages"]}
    by_title: dict[str, list[Record]] = {}
    for r in records:
        by_title.setdefault(r.title, []).append(r)
    for title, found in by_title.items():
        if title in page_titles:
            continue
        if not any(a["title"] == title for a in arts.values()):
            out.append(f"record {title!r} in {found[0].file} is not in the truth")
    for key, a in arts.items():
        if a.get("page"):
            page = next(p for p in truth["pages"] if p["key"] == a["page"])
            found = by_title.get(page["title"], [])
            if [r.file for r in found] != [loc["file"] for loc in a["locations"]]:
                out.append(f"{key}: page {page['key']} is not exactly in {a['locations']}")
            continue
        found = by_title.get(a["title"], [])
        want = sorted((loc["file"], loc["format"], loc["url"]) for loc in a["locations"])
        got = sorted((r.file, r.format, r.url) for r in found)
        if want != got:
            out.append(f"{key}: truth says {want}, files hold {got}")
        for loc in a["locations"]:
            if loc["url"] and canonical(loc["url"]) != loc["canonical_url"]:
                out.append(f"{key}: canonical of {loc['url']} is {canonical(loc['url'])}, truth says {loc['canonical_url']}")
        for r in found:
            if r.outlet is not None and r.outlet != a["outlet"]:
                out.append(f"{key}: outlet {r.outlet!r} in {r.file}, truth says {a['outlet']!r}")
    return out


def problems_dates(truth: dict[str, Any], records: list[Record]) -> list[str]:
    out = []
    seen: Counter[str] = Counter()
    for a in truth["articles"]:
        if a.get("page"):
            if a["published"] is not None:
                out.append(f"{a['key']}: a part of an undated page cannot have a date")
            continue
        for r in (r for r in records if r.title == a["title"]):
            got = utc(r.published) if r.published else None
            if got != a["published"]:
                out.append(f"{a['key']}: {r.file} gives {r.published!r} = {got}, truth says {a['published']}")
        if a["published"]:
            seen[a["published"]] += 1
            if utc(a["published_as_given"]) != a["published"]:
                out.append(f"{a['key']}: published_as_given and published disagree")
    out += [f"timestamp {t} is shared by {n} articles" for t, n in seen.items() if n > 1]
    undated = [r for r in records if not r.published]
    if len(undated) != 1 or undated[0].title not in {p["title"] for p in truth["pages"]}:
        out.append(f"exactly one record (the page) should be undated, found {[r.title for r in undated]}")
    return out


def problems_claims(truth: dict[str, Any], texts: dict[str, Record]) -> list[str]:
    out = []
    claim_ids = {c["id"] for c in truth["claims"]}
    carriers: dict[str, list[str]] = {}
    for a in truth["articles"]:
        text = norm(texts[a["key"]].text)
        for c in a["claims"]:
            carriers.setdefault(c["claim"], []).append(a["key"])
            if c["claim"] not in claim_ids:
                out.append(f"{a['key']}: unknown claim {c['claim']}")
            for label, value in [("text", c["text"]), ("hedge", c["hedge"])] + [
                (f"{at['kind']} {part}", at[part]) for at in c["attributions"] for part in ("source", "cue")
            ]:
                if value is not None and norm(value) not in text:
                    out.append(f"{a['key']}/{c['claim']}: {label} {value!r} does not occur in the article")
            for at in c["attributions"]:
                if at["kind"] not in KINDS:
                    out.append(f"{a['key']}/{c['claim']}: unknown kind {at['kind']}")
                if (at["kind"] == "none") != (at["source"] is None):
                    out.append(f"{a['key']}/{c['claim']}: kind 'none' exactly when there is no source")
    for claim in truth["claims"]:
        if sorted(claim["carried_by"]) != sorted(carriers.get(claim["id"], [])):
            out.append(f"{claim['id']}: carried_by {claim['carried_by']} but articles list {carriers.get(claim['id'])}")
        for m in claim["mentioned_by"]:
            if norm(m["text"]) not in norm(texts[m["key"]].text):
                out.append(f"{claim['id']}: mention {m['text']!r} not in {m['key']}")
    return out


def _numbers(text: str) -> list[str]:
    return [n.rstrip(".,") for n in _NUMBER.findall(text)]


def _claim_map(article: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["claim"]: c for c in article["claims"]}


def problems_mutations(truth: dict[str, Any], texts: dict[str, Record]) -> list[str]:
    """Mutations hold in the texts, and are complete along every direct derivation."""
    out = []
    arts = articles(truth)
    direct = {(p["from"], p["to"]): p["relation"] for p in truth["pairs"] if p["derivation"] == "direct"}
    by_edge: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for m in truth["mutations"]:
        edge = (m["from"], m["to"])
        by_edge.setdefault(edge, []).append(m)
        where = f"{m['type']} {edge} {m['claim']}"
        if m["type"] not in MUTATION_TYPES or not isinstance(m["dangerous"], bool):
            out.append(f"{where}: bad type or dangerous flag")
        if edge not in direct:
            out.append(f"{where}: not a direct derivation in pairs")
        if m["before"] is not None and norm(m["before"]) not in norm(texts[m["from"]].text):
            out.append(f"{where}: before text not in {m['from']}")
        if m["after"] is not None and norm(m["after"]) not in norm(texts[m["to"]].text):
            out.append(f"{where}: after text not in {m['to']}")
        if (m["type"] == "claim-added") != (m["before"] is None) or (m["type"] == "claim-dropped") != (m["after"] is None):
            out.append(f"{where}: claim-added has exactly no before, claim-dropped exactly no after")
        detail = m.get("detail") or {}
        if m["type"] in ("number-changed", "entity-changed", "hedge-removed", "hedge-added"):
            if detail.get("from") and detail["from"] not in m["before"]:
                out.append(f"{where}: {detail['from']!r} not in before")
            if detail.get("to") and detail["to"] not in m["after"]:
                out.append(f"{where}: {detail['to']!r} not in after")
        if m["type"] == "number-changed" and _numbers(m["before"]) == _numbers(m["after"]):
            out.append(f"{where}: the numbers did not change: {_numbers(m['before'])}")
        if m["type"] == "hedge-removed" and (detail["from"] not in m["before"] or detail["from"] in m["after"]):
            out.append(f"{where}: hedge {detail['from']!r} not removed")
        if m["type"] == "attribution-removed" and detail["from"] in norm(texts[m["to"]].text):
            out.append(f"{where}: attribution {detail['from']!r} still in {m['to']}")
    for (frm, to), relation in direct.items():
        mine = by_edge.get((frm, to), [])
        a, b = _claim_map(arts[frm]), _claim_map(arts[to])
        dropped = {m["claim"] for m in mine if m["type"] == "claim-dropped"}
        added = {m["claim"] for m in mine if m["type"] == "claim-added"}
        if dropped != set(a) - set(b) or added != set(b) - set(a):
            out.append(f"{frm}->{to}: claims dropped {set(a) - set(b)} / added {set(b) - set(a)}, "
                       f"mutations say {dropped} / {added}")
        for claim in set(a) & set(b):
            types = {m["type"] for m in mine if m["claim"] == claim}
            kinds_a = [(x["kind"], x["cited_outlet"]) for x in a[claim]["attributions"]]
            kinds_b = [(x["kind"], x["cited_outlet"]) for x in b[claim]["attributions"]]
            if kinds_a != kinds_b and not types & {"attribution-removed", "attribution-weakened", "attribution-changed"}:
                out.append(f"{frm}->{to}/{claim}: attribution changed with no attribution mutation")
            if bool(a[claim]["hedge"]) != bool(b[claim]["hedge"]) and not types & {"hedge-added", "hedge-removed"}:
                out.append(f"{frm}->{to}/{claim}: hedge changed with no hedge mutation")
            if _numbers(a[claim]["text"]) != _numbers(b[claim]["text"]) and "number-changed" not in types:
                out.append(f"{frm}->{to}/{claim}: numbers differ with no number-changed mutation")
            if relation != "rewrite" and a[claim]["text"] != b[claim]["text"] and not types:
                out.append(f"{frm}->{to}/{claim}: a reused claim changed wording with no mutation")
    return out


def _words(text: str) -> list[str]:
    return norm(text).lower().split()


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _words(a), _words(b), autojunk=False).ratio()


def problems_pairs(truth: dict[str, Any], texts: dict[str, Record]) -> list[str]:
    """Every pair within a story is listed once, and its relation shows in the texts."""
    out = []
    arts = articles(truth)
    listed = Counter(frozenset((p["from"], p["to"])) for p in truth["pairs"])
    story_of = {a["key"]: a["story"] for a in truth["articles"]}
    for story in truth["stories"]:
        for x, y in combinations(story["articles"], 2):
            if listed[frozenset((x, y))] != 1:
                out.append(f"pair {x}/{y} listed {listed[frozenset((x, y))]} times")
    for p in truth["pairs"]:
        x, y, rel = p["from"], p["to"], p["relation"]
        where = f"{rel} {x}->{y}"
        if story_of[x] != story_of[y] or rel not in RELATIONS:
            out.append(f"{where}: across stories or unknown relation")
        dx, dy = arts[x]["published"], arts[y]["published"]
        if (p["direction"] == "known") != bool(dx and dy):
            out.append(f"{where}: direction 'known' exactly when both are dated")
        if dx and dy and dx > dy:
            out.append(f"{where}: from is later than to")
        tx, ty = texts[x].text, texts[y].text
        if rel == "copy" and p["derivation"] == "direct":
            result = norm(tx)
            for m in truth["mutations"]:
                if (m["from"], m["to"]) == (x, y) and m["before"] and m["after"]:
                    if result.count(norm(m["before"])) != 1:
                        out.append(f"{where}: edit {m['before'][:40]!r}... does not apply once")
                    result = result.replace(norm(m["before"]), norm(m["after"]))
            if result != norm(ty):
                out.append(f"{where}: not a verbatim copy once the listed edits are applied")
        paras_x = {norm(t) for t in texts[x].paragraphs}
        shared = [t for t in texts[y].paragraphs if norm(t) in paras_x]
        score = similarity(tx, ty)
        if rel == "copy" and score < 0.9:
            out.append(f"{where}: copy similarity only {score:.2f}")
        if rel == "partial" and not (2 <= len(shared) < len(texts[y].paragraphs) and len(shared) < len(paras_x)):
            out.append(f"{where}: partial reuse should share some but not all paragraphs ({len(shared)} shared)")
        if shared and rel in ("rewrite", "same-event") or score > {"rewrite": 0.6, "same-event": 0.3}.get(rel, 1.0):
            out.append(f"{where}: shares {len(shared)} paragraphs, similarity {score:.2f}: too close for {rel}")
    return out


def problems_stories(truth: dict[str, Any]) -> list[str]:
    out = []
    arts = articles(truth)
    members = Counter(k for s in truth["stories"] for k in s["articles"])
    if set(members) != set(arts) or any(n != 1 for n in members.values()):
        out.append("stories do not partition the articles")
    for s in truth["stories"]:
        if any(arts[k]["story"] != s["id"] for k in s["articles"]):
            out.append(f"{s['id']}: an article names another story")
        dated = [k for k in s["articles"] if arts[k]["published"]]
        if s["earliest"] != (min(dated, key=lambda k: arts[k]["published"]) if dated else None):
            out.append(f"{s['id']}: earliest is not the earliest dated article")
        if s["origin"]["article"] not in s["articles"]:
            out.append(f"{s['id']}: origin article outside the story")
    return out


def problems_factchecks(truth: dict[str, Any]) -> list[str]:
    out = []
    arts = articles(truth)
    claims = {c["id"]: c for c in truth["claims"]}
    for fc in truth["factchecks"]:
        path = EXAMPLES / fc["file"]
        if fc["format"] == "claimreview":
            doc = json.loads(path.read_text("utf-8"))
            ok = (doc.get("@context") in ("https://schema.org", "http://schema.org") and doc.get("@type") == "ClaimReview"
                  and isinstance(doc.get("claimReviewed"), str) and doc["claimReviewed"].strip()
                  and doc.get("reviewRating", {}).get("@type") == "Rating"
                  and doc.get("author", {}).get("name") and doc.get("url", "").startswith("https://"))
            if not ok:
                out.append(f"{fc['file']}: not a ClaimReview with claimReviewed, reviewRating, author and url")
                continue
            rating = doc["reviewRating"]
            if not rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]:
                out.append(f"{fc['file']}: ratingValue outside its scale")
            got = (rating.get("alternateName"), utc(doc["datePublished"]), doc["url"], doc["author"]["name"])
            if got != (fc["verdict"], fc["published"], fc["url"], fc["author"]):
                out.append(f"{fc['file']}: {got} disagrees with the truth")
            reviewed, canonical_text = doc["claimReviewed"], claims[fc["claim"]]["canonical"]
            if _numbers(reviewed) != _numbers(canonical_text):
                out.append(f"{fc['file']}: claimReviewed numbers differ from claim {fc['claim']}")
            known = {loc["canonical_url"]: k for k, a in arts.items() for loc in a["locations"] if loc["url"]}
            for item in doc["itemReviewed"]["appearance"]:
                key = known.get(canonical(item["url"]))
                if key is None or fc["claim"] not in [c["claim"] for c in arts[key]["claims"]]:
                    out.append(f"{fc['file']}: appearance {item['url']} is not an article carrying the claim")
            moment = fc["published"]
        else:
            with path.open(newline="", encoding="utf-8") as stream:
                rows = list(csv.DictReader(stream))
            if not rows or list(rows[0]) != ["date", "id", "title", "countries", "keywords", "languages", "outlets"]:
                out.append(f"{fc['file']}: not an EUvsDisinfo-style posts file")
                continue
            row = next((r for r in rows if r["id"] == fc["url"]), None)
            if row is None or row["date"] != fc["published"]:
                out.append(f"{fc['file']}: no row {fc['url']} dated {fc['published']}")
            with (path.parent / "euvsdisinfo-publications.csv").open(newline="", encoding="utf-8") as stream:
                pubs = [canonical(r["publication"]) for r in csv.DictReader(stream) if r["id"] == fc["url"]]
            want = [loc["canonical_url"] for k in fc["listed_publications"] for loc in arts[k]["locations"]]
            if sorted(pubs) != sorted(want):
                out.append(f"{fc['file']}: publications {pubs} != {want}")
            moment = fc["published"] + "T00:00:00Z"
        story = next(s for s in truth["stories"] if fc["claim"] in [c["id"] for c in truth["claims"] if c["story"] == s["id"]])
        end = moment if fc.get("date_precision") != "day" else fc["published"] + "T23:59:59Z"
        before = [k for k in story["articles"] if arts[k]["published"] and arts[k]["published"] < moment]
        after = [k for k in story["articles"] if arts[k]["published"] and arts[k]["published"] > end]
        undated = [k for k in story["articles"] if not arts[k]["published"]]
        if (sorted(before), sorted(after), sorted(undated)) != (
                sorted(fc["articles_before"]), sorted(fc["articles_after"]), sorted(fc["articles_undated"])):
            out.append(f"{fc['id']}: before/after/undated lists are wrong")
        if len(before) + len(after) + len(undated) != len(story["articles"]):
            out.append(f"{fc['id']}: an article falls on the fact-check's own day")
    return out


# -------------------------------------------------------------------------------------- tests
def test_examples_truth_keys_and_titles_are_unique(truth: dict[str, Any]) -> None:
    keys = [a["key"] for a in truth["articles"]]
    titles = [a["title"] for a in truth["articles"]]
    assert len(keys) == len(set(keys)) and len(titles) == len(set(titles))
    assert 18 <= len(keys) <= 24


def test_examples_every_article_is_where_the_truth_says(truth: dict[str, Any], records: list[Record]) -> None:
    assert problems_locations(truth, records) == []


def test_examples_corpus_covers_every_input_format(truth: dict[str, Any], records: list[Record]) -> None:
    assert {r.format for r in records} == {"txt", "jsonl", "csv", "html", "warc", "rss", "atom"}
    twice = [a for a in truth["articles"] if len(a["locations"]) == 2]
    assert len(twice) == 1, "exactly one article should appear under two URLs"
    found = [r for r in records if r.title == twice[0]["title"]]
    assert len({norm(r.text) for r in found}) == 1, "the two-URL article must have identical text in both files"
    assert len({loc["canonical_url"] for loc in twice[0]["locations"]}) == 2
    urls = [loc["url"] for a in truth["articles"] for loc in a["locations"] if loc["url"]]
    assert any("utm_" in u and "://www." in u for u in urls)


def test_examples_metadata_fields_are_as_documented(records: list[Record], truth: dict[str, Any]) -> None:
    for r in records:
        if r.format == "jsonl":
            assert {"url", "title", "text", "published", "outlet", "language", "author"} < set(r.extra)
            assert len(set(r.extra) - {"url", "title", "text", "published", "outlet", "language", "author"}) == 1
        if r.format in ("html", "warc"):
            assert r.extra["h1"] == r.title and r.extra["canonical_link"] and r.published and r.outlet
    for a in truth["articles"]:
        assert 150 <= a["words"] <= 450 and a["words"] > 0


def test_examples_html_pages_declare_their_charset(truth: dict[str, Any]) -> None:
    encoded = [a for a in truth["articles"] if a.get("encoding")]
    assert encoded, "one page is served in a legacy charset to exercise decoding"
    for a in encoded:
        raw = (EXAMPLES / a["locations"][0]["file"]).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert f'charset="{a["encoding"]}"'.encode() in raw


def test_examples_dates_parse_and_are_distinct(truth: dict[str, Any], records: list[Record]) -> None:
    assert problems_dates(truth, records) == []
    for r in records:
        if r.format == "warc":
            assert r.published and utc(r.extra["warc_date"]) != utc(r.published), "crawl time is not publication time"


def test_examples_claims_occur_in_their_articles(truth: dict[str, Any], texts: dict[str, Record]) -> None:
    assert problems_claims(truth, texts) == []


def test_examples_mutations_hold_in_the_texts(truth: dict[str, Any], texts: dict[str, Record]) -> None:
    assert problems_mutations(truth, texts) == []
    types = {m["type"] for m in truth["mutations"]}
    assert {"number-changed", "hedge-removed", "attribution-removed", "claim-added", "claim-dropped"} <= types


def test_examples_pairs_are_complete_and_true_to_the_texts(truth: dict[str, Any], texts: dict[str, Record]) -> None:
    assert problems_pairs(truth, texts) == []


def test_examples_stories_partition_the_corpus(truth: dict[str, Any]) -> None:
    assert problems_stories(truth) == []


def test_examples_factchecks_are_valid_and_dated(truth: dict[str, Any]) -> None:
    assert problems_factchecks(truth) == []
    fc = truth["factchecks"][0]
    assert fc["articles_before"] and fc["articles_after"], "the fact-check must fall between copies"


def test_examples_warc_is_rebuilt_byte_for_byte() -> None:
    spec = importlib.util.spec_from_file_location("build_warc", EXAMPLES / "build_warc.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == module.OUTPUT.read_bytes(), "run python examples/build_warc.py"
    pages = {p.name for p in (EXAMPLES / "warc_pages").iterdir()}
    assert pages == {c[0] for c in module.CAPTURES}


# ------------------------------------------- the checks above fail on a wrong corpus or truth
def test_examples_checks_catch_a_changed_number(truth: dict[str, Any], texts: dict[str, Record]) -> None:
    broken = copy.deepcopy(texts)
    victim = broken["port-copy-newsdigest24"]
    broken["port-copy-newsdigest24"] = Record(victim.file, victim.format, victim.title,
                                              [p.replace("6,000", "5,000") for p in victim.paragraphs])
    assert any("verbatim" in p for p in problems_pairs(truth, broken))
    assert any("after text" in p for p in problems_mutations(truth, broken))


def test_examples_checks_catch_a_wrong_truth(truth: dict[str, Any], texts: dict[str, Record],
                                             records: list[Record]) -> None:
    wrong = copy.deepcopy(truth)
    wrong["articles"][0]["claims"][0]["text"] = "More than 5,000 containers"
    wrong["articles"][1]["published"] = wrong["articles"][0]["published"]
    wrong["pairs"].pop()
    wrong["mutations"] = [m for m in wrong["mutations"] if m["type"] != "hedge-removed"]
    wrong["factchecks"][0]["articles_after"] = []
    wrong["stories"][0]["articles"].pop()
    assert problems_claims(wrong, texts)
    assert problems_dates(wrong, records)
    assert any("listed 0 times" in p for p in problems_pairs(wrong, texts))
    assert any("hedge changed" in p for p in problems_mutations(wrong, texts))
    assert problems_factchecks(wrong)
    assert problems_stories(wrong)


def test_examples_checks_catch_an_orphan_record(truth: dict[str, Any], records: list[Record]) -> None:
    extra = Record("corpus/x.jsonl", "jsonl", "An article nobody listed", ["Some text."], url="https://x.example/a")
    assert any("not in the truth" in p for p in problems_locations(truth, [*records, extra]))
    shuffled = [Record(r.file, r.format, r.title, r.paragraphs, r.url, r.published, "Wrong Outlet", r.extra) for r in records]
    assert any("outlet" in p for p in problems_locations(truth, shuffled))


def test_examples_reader_rejects_naive_times() -> None:
    with pytest.raises(ValueError):
        utc("2024-03-11T09:15:00")
    assert utc("Mon, 11 Mar 2024 12:05:00 -0400") == "2024-03-11T16:05:00Z"
    assert canonical("http://WWW.a.example/p/?utm_source=x&z=1&id=3#top") == "https://a.example/p/?id=3&z=1"

