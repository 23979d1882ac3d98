"""Readers for web captures: HTML pages, WARC archives and RSS/Atom feeds.

HTML: the main text, title and site name come from trafilatura; the publication time from the
page's own machine-readable metadata (``article:published_time``, ``itemprop=datePublished``,
JSON-LD ``datePublished``), which carries a time zone, before trafilatura's date (a bare day).
Pages over ``ingest.max_html_bytes`` are rejected, not parsed, so that one huge page cannot
stall a run; lxml parses without network access and without its huge-tree mode, so a page
nested 100,000 levels deep is cut at libxml2's depth limit instead of exhausting memory.

WARC: only ``response``/``resource`` records of HTML with HTTP status 200 are articles; other
responses (images, scripts, redirects) are rejected with their reason; request, metadata and
warcinfo records are not records of the input and are not counted. A record cut short stops
the archive with a "truncated WARC record" rejection; the records before it are kept.

Feeds: feedparser, on bytes only (a string would let it open URLs and files). A feed that
declares XML entities is rejected before parsing: entity expansion is how billion-laughs and
external-entity (``file:///etc/passwd``) attacks work, and news feeds never need it. The full
``content:encoded``/``content`` is preferred over ``summary``; which one was used is recorded.
"""

from __future__ import annotations

import io
import re
import sys
import types
from collections.abc import Container, Iterator
from typing import Any, BinaryIO

from .readers import RawRecord, ReadOptions, _read_capped
from .textio import InputRejected, decode_document

__all__ = ["read_html", "read_warc", "read_feed", "extract_html", "html_fragment_text", "feed_outlet"]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)
_JSONLD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{4,60})"')
_DATE_XPATH = (
    "//meta[@property='article:published_time' or @name='article:published_time' "
    "or @itemprop='datePublished' or @property='og:published_time' or @name='pubdate' "
    "or @name='publishdate' or @name='parsely-pub-date' or @name='sailthru.date' "
    "or @name='dc.date.issued' or @name='DC.date.issued' or @name='date']/@content"
    " | //*[@itemprop='datePublished']/@datetime"
)
_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr",
               "section", "article", "pre", "ul", "ol", "table", "figure", "header", "footer")
_SPACES = re.compile(r"[ \t\u00a0]+")


def _trafilatura():  # type: ignore[no-untyped-def]
    """Import trafilatura. lxml 5.2+ moved ``lxml.html.clean`` to the separate
    ``lxml_html_clean`` package, which jusText (trafilatura's fallback extractor) imports at
    load time; when it is absent we stand in a module whose Cleaner refuses to run. We never
    call the jusText fallback (``fast=True``), so extraction is unaffected."""
    try:
        import lxml.html.clean  # noqa: F401
    except ImportError:
        stand_in = types.ModuleType("lxml.html.clean")

        class Cleaner:  # pragma: no cover - only reached if jusText were called
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                raise RuntimeError("lxml_html_clean is not installed; install it to use jusText")

        stand_in.Cleaner = Cleaner  # type: ignore[attr-defined]
        sys.modules["lxml.html.clean"] = stand_in
    import trafilatura

    return trafilatura


# -- HTML ---------------------------------------------------------------------------------------
def _parse_html(text: str):  # type: ignore[no-untyped-def]
    from lxml import etree, html

    parser = html.HTMLParser(no_network=True, huge_tree=False, remove_comments=True, recover=True)
    try:
        return html.document_fromstring(text, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None


def _language(tree: Any) -> str | None:
    value = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not value:
        return None
    primary = value.strip().split("-")[0].split("_")[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def _page_dates(tree: Any) -> list[str]:
    candidates = [str(v).strip() for v in tree.xpath(_DATE_XPATH) if str(v).strip()]
    for script in tree.xpath("//script[@type='application/ld+json']/text()")[:10]:
        candidates.extend(_JSONLD_DATE.findall(str(script)[:200_000]))
    return candidates


def _best_date(candidates: list[str]) -> str | None:
    """The first candidate that names an instant (has a time zone), else the first one."""
    from .dates import parse_published

    for value in candidates:
        if parse_published(value).iso:
            return value
    return candidates[0] if candidates else None


def extract_html(text: str, url: str | None = None) -> tuple[dict[str, Any] | None, str, str]:
    """Fields of the article in an HTML page, or (None, reason, detail)."""
    text = _XML_DECLARATION.sub("", text, count=1)  # lxml refuses str with an encoding declaration
    tree = _parse_html(text)
    if tree is None:
        return None, "unparseable HTML", "lxml could not build a document from the page"
    canonical = [str(v).strip() for v in tree.xpath("//link[@rel='canonical']/@href | "
                                                     "//meta[@property='og:url']/@content")[:2]]
    dates = _page_dates(tree)
    language = _language(tree)
    try:
        doc = _trafilatura().bare_extraction(tree, url=url, with_metadata=True, include_comments=False,
                                             fast=True, include_tables=True)
    except RecursionError:
        return None, "unparseable HTML", "the page is nested too deeply to extract its text"
    except Exception as exc:  # noqa: BLE001 - untrusted pages can break any extractor
        return None, "unparseable HTML", f"trafilatura failed on the page: {type(exc).__name__}: {str(exc)[:200]}"
    body = (doc.text or "").strip() if doc is not None else ""
    if not body:
        return None, "no article text", ("trafilatura found no main text (an index page, a paywall, "
                                         "or a page built by scripts?)")
    urls = [u for u in (url, *canonical, doc.url) if u]
    published = _best_date(dates) or doc.date
    metadata: dict[str, Any] = {k: v for k, v in (("sitename", doc.sitename), ("description", doc.description),
                                                  ("categories", doc.categories), ("tags", doc.tags)) if v}
    fields = {
        "title": (doc.title or "").strip(), "text": body, "url": urls[0] if urls else None,
        "urls": list(dict.fromkeys(urls)), "published": published, "author": doc.author,
        # The page's own name for its site (og:site_name) is the outlet's name readers know.
        "language": language, "outlet": (doc.sitename or "").strip() or None, "metadata": metadata, "warnings": [],
    }
    return fields, "", ""


def _html_record(locator: str, data: bytes, declared: str | None, url: str | None,
                 options: ReadOptions) -> RawRecord:
    if len(data) > options.max_html_bytes:
        return RawRecord(locator, reason="page too large", detail=(
            f"the page is over {options.max_html_bytes:,} bytes, far more than an article; raise "
            "ingest.max_html_bytes in newstrace.toml if it is genuine"))
    if declared is None:
        match = _META_CHARSET.search(data[:4096])
        declared = match.group(1).decode("ascii", "ignore") if match else None
    try:
        decoded = decode_document(data, declared)
    except InputRejected as exc:
        return RawRecord(locator, reason=exc.reason, detail=exc.detail)
    if not decoded.text.strip():
        return RawRecord(locator, reason="empty file", detail="the page is empty")
    fields, reason, detail = extract_html(decoded.text, url)
    if fields is None:
        return RawRecord(locator, reason=reason, detail=detail)
    if decoded.warning:
        fields["warnings"].append(decoded.warning)
    return RawRecord(locator, fields)


def read_html(stream: BinaryIO, options: ReadOptions, skip: Container[str]) -> Iterator[RawRecord]:
    if "file" in skip:
        return
    data = stream.read(options.max_html_bytes + 1)
    yield _html_record("file", data, None, None, options)


# -- WARC ---------------------------------------------------------------------------------------
def _charset(content_type: str) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


def read_warc(stream: BinaryIO, options: ReadOptions, skip: Container[str]) -> Iterator[RawRecord]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    broken = (ArchiveLoadFailed, EOFError, ValueError, OSError, InputRejected)
    head = stream.peek(16)[:16].lstrip(b"\r\n")  # type: ignore[attr-defined]
    if head and not head.startswith((b"WARC/", b"filedesc://")):
        # warcio would scan junk line by line (slowly, for a long "line"); a WARC starts with its header.
        yield RawRecord("file", reason="invalid WARC", detail=(
            "the file does not start with a WARC (or ARC) header; is it a WARC file? "
            "Use --format to read it as something else"))
        return
    try:
        records = ArchiveIterator(stream, arc2warc=True)
        iterator = iter(records)
    except broken as exc:
        yield RawRecord("file", reason="invalid WARC", detail=f"{exc}; is this a WARC file?")
        return
    count = 0
    locator = "file"
    while True:
        try:
            record = next(iterator)
        except StopIteration:
            break
        except broken as exc:
            where = f"after {locator}" if count else "file"
            if where not in skip:
                yield _broken_record(where, exc, "the archive is cut or damaged here")
            return
        count += 1
        # The record's start (get_record_offset() would read the record to its end first).
        locator = f"offset {records.offset}"
        if record.rec_type not in ("response", "resource") or locator in skip:
            continue
        try:
            yield _warc_record(locator, record, options)
        except broken as exc:
            yield _broken_record(locator, exc, "the record is cut short")
            return
    if count == 0 and "file" not in skip:
        yield RawRecord("file", reason="empty file", detail="the WARC holds no records")


def _broken_record(locator: str, exc: Exception, what: str) -> RawRecord:
    if isinstance(exc, InputRejected):  # the decompression limits, or a cut gzip stream
        return RawRecord(locator, reason=exc.reason, detail=exc.detail)
    return RawRecord(locator, reason="truncated WARC record",
                     detail=f"{what} ({str(exc)[:200]}); records before it are kept")


def _warc_record(locator: str, record: Any, options: ReadOptions) -> RawRecord:
    url = record.rec_headers.get_header("WARC-Target-URI")
    if record.rec_type == "response":
        if record.http_headers is None:
            return RawRecord(locator, reason="not HTML", detail="a response without HTTP headers")
        status = record.http_headers.get_statuscode()
        content_type = record.http_headers.get_header("Content-Type") or ""
        if status != "200":
            return RawRecord(locator, reason="not an article", detail=f"HTTP status {status} for {url}")
    else:
        content_type = record.rec_headers.get_header("Content-Type") or ""
    if "html" not in content_type.lower():
        return RawRecord(locator, reason="not HTML", detail=f"the record holds {content_type or 'no content type'}")
    data = record.content_stream().read(options.max_html_bytes + 1)
    if len(data) <= options.max_html_bytes and getattr(record.raw_stream, "limit", 0) > 0:
        # Fewer bytes than the record's Content-Length: the archive was cut inside this record.
        return RawRecord(locator, reason="truncated WARC record", detail=(
            "the record ends before its declared length (a cut archive?); records before it are kept"))
    result = _html_record(locator, data, _charset(content_type), url, options)
    if result.fields is not None:
        crawled = record.rec_headers.get_header("WARC-Date")
        if crawled:  # when it was captured, not when it was published
            result.fields["metadata"]["crawled_at"] = crawled
    return result


# -- feeds --------------------------------------------------------------------------------------
def html_fragment_text(fragment: str) -> str:
    """Plain text of an HTML fragment, one line per block element."""
    from lxml import etree, html

    if "<" not in fragment:
        return _clean_lines(html_unescape(fragment))
    parser = html.HTMLParser(no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = html.fragment_fromstring(fragment, create_parent="div", parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return _clean_lines(re.sub(r"<[^>]*>", " ", fragment))
    for element in list(root.iter("script", "style")):
        # drop_tree keeps the element's tail (the text after it); parent.remove would drop it too.
        if element.getparent() is not None:
            element.drop_tree()
    for element in root.iter(*_BLOCK_TAGS):  # a block starts and ends a line
        element.text = "\n" + (element.text or "")
        element.tail = "\n" + (element.tail or "")
    return _clean_lines(root.text_content())


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _clean_lines(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


_FEED_TITLE_SEPARATOR = re.compile(r"\s+[-|\u2013\u2014:\u00bb>]\s+|:\s+")
#: Words of a feed title's tail that name the feed, not the outlet ("BBC News - World",
#: "Reuters: Top News", "The Daily Courant | Latest headlines", "Pitchside RSS feed").
_GENERIC_FEED_WORDS = frozenset(
    "all and articles breaking business channel culture edition english feed feeds front headlines home "
    "international latest local national news opinion page politics rss science section sport sports "
    "stories story the top updates us uk world".split())


def feed_outlet(title: object) -> str | None:
    """The outlet named by a feed's title: the title without tails made only of generic words
    (a section, "Latest headlines", "RSS feed"); None for an empty title. A tail naming
    anything else keeps the title whole, and so does a title that is only generic words."""
    if not isinstance(title, str) or not title.strip():
        return None
    whole = name = " ".join(title.split())
    while separators := list(_FEED_TITLE_SEPARATOR.finditer(name)):
        last = separators[-1]
        words = re.findall(r"[^\W\d_]+", name[last.end():].lower())
        if not words or not all(w in _GENERIC_FEED_WORDS for w in words) or not name[:last.start()].strip():
            break
        name = name[:last.start()].strip()
    name = re.sub(r"\s+(?:rss|atom)(?:\s+feeds?)?$|\s+feeds?$", "", name, flags=re.IGNORECASE).strip()
    return name or whole


def names_site(name: str, url: object) -> bool:
    """Whether the feed title ``name`` names the site of ``url``: a word of three letters or more
    of it is part of the site's registered domain ("The Daily Courant" and dailycourant.example,
    "BBC News" and bbc.co.uk). A section's feed ("Politics: Latest") does not name the outlet,
    and neither does a title on a site it does not match. Without a URL, the title is taken."""
    from .urls import registered_domain

    if not isinstance(url, str) or "://" not in url:
        return True
    host = url.split("://", 1)[1].split("/", 1)[0].split("@")[-1].split(":")[0].lower()
    # Without a known public suffix (test domains such as .example), the name before the last dot.
    domain = registered_domain(host) or ".".join(host.split(".")[-2:])
    label = domain.split(".")[0].replace("-", "")
    words = [w for w in re.findall(r"[^\W\d_]+", name.lower()) if len(w) >= 3]
    return any(w in label for w in words) or label in "".join(words)


def _feed_outlet_for(feed: Any, links: list[str]) -> str | None:
    """The feed's name as the item's outlet when it names the item's site; else None (the
    outlet is then the registered domain of the item's URL, as for any record)."""
    name = feed_outlet(feed.get("title"))
    if name is None:
        return None
    return name if names_site(name, feed.get("link") or (links[0] if links else None)) else None


def read_feed(stream: BinaryIO, options: ReadOptions, skip: Container[str]) -> Iterator[RawRecord]:
    import feedparser

    decoded = decode_document(_read_capped(stream, options.max_document_bytes, "a feed"))
    text = decoded.text
    if not text.strip():
        if "file" not in skip:
            yield RawRecord("file", reason="empty file", detail="the feed is empty")
        return
    if _ENTITY_DECLARATION.search(text):
        if "file" not in skip:
            yield RawRecord("file", reason="unsafe XML", detail=(
                "the feed declares XML entities (<!ENTITY>), the mechanism of billion-laughs and "
                "external-entity attacks; news feeds do not need them. Remove the DOCTYPE block if "
                "you trust the file"))
        return
    data = _XML_DECLARATION.sub('<?xml version="1.0" encoding="utf-8"?>', text, count=1).encode("utf-8")
    # Bytes in a stream, never a str: feedparser treats a str as a URL or a path to open.
    parsed = feedparser.parse(io.BytesIO(data), resolve_relative_uris=False, sanitize_html=False)
    entries = parsed.entries
    if not entries:
        if "file" not in skip:
            problem = parsed.get("bozo_exception")
            yield RawRecord("file", reason="invalid feed" if problem else "empty feed",
                            detail=f"{problem}" if problem else "the feed holds no entries")
        return
    feed = parsed.feed
    language = (feed.get("language") or "").split("-")[0].lower() or None
    for index, entry in enumerate(entries):
        locator = f"entry {index}"
        if locator in skip:
            continue
        yield _feed_record(locator, entry, feed, language, decoded.warning)


def _feed_record(locator: str, entry: Any, feed: Any, language: str | None, warning: str | None) -> RawRecord:
    contents = [c for c in entry.get("content", []) if c.get("value")]
    text_from = "content"
    if contents:
        chosen = max(contents, key=lambda c: len(c["value"]))
        raw, kind = chosen["value"], chosen.get("type", "text/html")
    else:
        raw, kind, text_from = entry.get("summary", ""), entry.get("summary_detail", {}).get("type", "text/html"), "summary"
    body = html_fragment_text(raw) if "html" in kind else _clean_lines(raw)
    if not body:
        return RawRecord(locator, reason="missing text", detail="the entry has neither content nor a summary")
    links = [entry.get("link")]
    guid = entry.get("id")
    if isinstance(guid, str) and guid.startswith(("http://", "https://")):
        links.append(guid)
    links = [u.strip() for u in links if isinstance(u, str) and u.strip()]
    metadata: dict[str, Any] = {"text_from": text_from}
    for key, value in (("feed_title", feed.get("title")), ("feed_link", feed.get("link")), ("entry_id", guid)):
        if value:
            metadata[key] = value
    source = entry.get("source")
    item_outlet = source.get("title") if isinstance(source, dict) else None
    if isinstance(item_outlet, str) and item_outlet.strip():
        metadata["item_source"] = item_outlet.strip()
    tags = [t.get("term") for t in entry.get("tags", []) if t.get("term")]
    if tags:
        metadata["tags"] = tags
    title = html_fragment_text(entry.get("title", "")) if entry.get("title") else ""
    fields = {
        "title": title.replace("\n", " "), "text": body, "url": links[0] if links else None,
        "urls": list(dict.fromkeys(links)),
        "published": entry.get("published") or entry.get("updated") or entry.get("created"),
        # The outlet is the item's own <source> (an aggregator's feed), else the feed's name.
        "author": entry.get("author"), "language": language,
        "outlet": metadata.get("item_source") or _feed_outlet_for(feed, links), "metadata": metadata,
        "warnings": [warning] if warning else [],
    }
    return RawRecord(locator, fields)
