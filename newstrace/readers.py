"""Readers for text-shaped input: plain text, JSON Lines, JSON arrays and CSV.

A reader turns one input file into ``RawRecord`` objects, each with a locator unique in that
file ("line 12", "row 3", "record 0", "file") and either the record's fields or the reason it
was rejected. Readers do not touch the store; ``ingest`` turns fields into articles.

The format comes from the extension, overridden by the content when the first bytes say
otherwise (a WARC header, an RSS or Atom root, an HTML doctype), or from ``--format``.
HTML, WARC and feeds are read by ``readers_web``.
"""

from __future__ import annotations

import collections
import csv
import itertools
import json
import re
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

from .textio import (
    InputRejected,
    LineDecoder,
    decode_document,
    iter_lines,
    looks_binary,
    open_input,
    sniff_unicode,
)

__all__ = ["RawRecord", "ReadOptions", "FORMATS", "FIELDS", "detect_format", "read_records",
           "split_title", "fields_from_mapping"]

#: The article fields an input record may carry (``--map FIELD=COLUMN`` renames them).
FIELDS = ("title", "text", "url", "published", "outlet", "language", "author", "id")
FORMATS = ("text", "jsonl", "json", "csv", "html", "warc", "feed")
_EXTENSIONS = {
    ".txt": "text", ".text": "text", ".md": "text", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".json": "json", ".csv": "csv", ".tsv": "csv", ".html": "html", ".htm": "html",
    ".xhtml": "html", ".warc": "warc", ".rss": "feed", ".atom": "feed", ".xml": "feed",
}
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>])",
                         re.IGNORECASE | re.DOTALL)
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)]?\s+[A-Z\u0400-\u042f\"\u201c]")
_NEWLINES = re.compile(r"\r\n?")


@dataclass(slots=True)
class RawRecord:
    """One record read from an input, not yet an article."""

    locator: str
    fields: dict[str, Any] | None = None
    reason: str | None = None
    detail: str | None = None
    already: bool = False  # in the ledger already (a resumed run): only re-read for id clashes


@dataclass(frozen=True)
class ReadOptions:
    field_map: Mapping[str, str] = field(default_factory=dict)  # our field -> input key/column
    csv_delimiter: str | None = None  # None: sniffed from the header line
    csv_columns: tuple[str, ...] | None = None  # names for a CSV without a header line
    max_record_bytes: int = 16_000_000
    max_document_bytes: int = 256_000_000
    max_html_bytes: int = 5_000_000
    max_decompressed_bytes: int = 4_000_000_000

    def key(self, name: str) -> str:
        return self.field_map.get(name, name)

    @cached_property
    def keys(self) -> tuple[tuple[str, str], ...]:
        """(article field, input key) for every field, computed once per run."""
        return tuple((name, self.field_map.get(name, name)) for name in FIELDS)


def _inner_name(name: str) -> str:
    lowered = name.lower()
    return lowered[:-3] if lowered.endswith(".gz") else lowered


def detect_format(name: str, sample: bytes) -> str:
    """The format of an input from its (decompressed) first bytes and its file name."""
    by_extension = _EXTENSIONS.get(Path(_inner_name(name)).suffix)
    if _inner_name(name).endswith(".warc") or sample.startswith(b"WARC/"):
        return "warc"
    unicode_name, bom = sniff_unicode(sample)
    head = sample[bom:].decode(unicode_name, errors="ignore").encode("utf-8") if unicode_name else sample
    head = head.lstrip()
    if by_extension not in ("jsonl", "json", "csv"):
        if _FEED_ROOT.search(head[:4096]) and not _HTML_START.match(head):
            return "feed"
        if _HTML_START.match(head):
            return "html"
    if by_extension:
        if by_extension in ("json", "jsonl"):
            return _json_kind(head)
        return by_extension
    if head.startswith((b"[", b"{")):
        return _json_kind(head)
    return "text"


def _json_kind(head: bytes) -> str:
    if head.startswith(b"["):
        return "json"
    first_line = head.split(b"\n", 1)[0]
    try:
        json.loads(first_line)
    except ValueError:
        return "json"  # one object spread over several lines
    return "jsonl"


# -- fields -------------------------------------------------------------------------------------
def fields_from_mapping(obj: Mapping[str, Any], options: ReadOptions) -> tuple[dict[str, Any] | None, str]:
    """Article fields from a JSON object or CSV row; unknown keys go to metadata.
    Returns (fields, "") or (None, why the text is missing)."""
    fields: dict[str, Any] = {}
    used = set()
    for name, key in options.keys:
        if key in obj:
            used.add(key)
            fields[name] = obj[key]
    text = fields.get("text")
    if not isinstance(text, str) or not text.strip():
        key = options.key("text")
        if key not in obj:
            keys = ", ".join(sorted(map(str, obj))[:30]) or "none"
            return None, (f"no field {key!r} (fields present: {keys}); name the text field with "
                          "--map text=FIELD")
        return None, f"the field {key!r} is empty or not a string"
    fields["text"] = _NEWLINES.sub("\n", text) if "\r" in text else text
    title = fields.get("title")
    fields["title"] = (_NEWLINES.sub("\n", title) if "\r" in title else title).strip() if isinstance(title, str) else ""
    authors = fields.get("author")
    if isinstance(authors, list):  # "author": ["A", "B"] is common in scraped JSON
        fields["author"] = ", ".join(a.strip() for a in authors if isinstance(a, str) and a.strip())
    for name in ("url", "outlet", "language", "author"):
        value = fields.get(name)
        fields[name] = value.strip() if isinstance(value, str) and value.strip() else None
    if "id" in fields:
        record_id = fields["id"]
        fields["id"] = None if record_id is None or record_id == "" else str(record_id)
    metadata = {str(k): v for k, v in obj.items() if k not in used}
    if fields.get("id") is not None:
        metadata["id"] = fields["id"]
    fields["metadata"] = metadata
    return fields, ""


def split_title(text: str) -> tuple[str, str]:
    """(title, body) of a plain-text article: the first line is a title only when it looks
    like one (at most 20 words, not ending in sentence punctuation, not several sentences)."""
    stripped = _NEWLINES.sub("\n", text).strip()
    first, newline, rest = stripped.partition("\n")
    first = first.strip()
    if newline and rest.strip() and _looks_like_title(first):
        return first, rest.strip()
    return "", stripped


def _looks_like_title(line: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= 20
        and len(line) <= 250
        and not line.endswith((".", ",", ";", ":"))
        and _SENTENCE_END.search(line) is None
    )


# -- readers ------------------------------------------------------------------------------------
def _read_capped(stream: BinaryIO, limit: int, what: str) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputRejected("file too large", f"{what} is over {limit:,} bytes and is read whole; split it "
                            "or convert it to JSON Lines, or raise ingest.max_document_bytes")
    return data


def read_text(stream: BinaryIO, options: ReadOptions, skip: Container[str]) -> Iterator[RawRecord]:
    if "file" in skip:
        return
    decoded = decode_document(_read_capped(stream, options.max_document_bytes, "a text file"))
    if not decoded.text.strip():
        yield RawRecord("file", reason="empty file", detail="the file holds no text")
        return
    title, body = split_title(decoded.text)
    warnings = [decoded.warning] if decoded.warning else []
    yield RawRecord("file", {"title": title, "text": body, "metadata": {}, "warnings": warnings})


def read_jsonl(stream: BinaryIO, options: ReadOptions, skip: Container[str]) -> Iterator[RawRecord]:
    sample = stream.peek(1 << 20)[: 1 << 20]  # type: ignore[attr-defined]
    unicode_name, _ = sniff_unicode(sample)
    if unicode_name and unicode_name != "utf-8":
        # UTF-16/32 JSON Lines are rare: read whole (bounded) and split the decoded text.
        text = decode_document(_read_capped(stream, options.max_document_bytes, "a UTF-16 JSON Lines file")).text
        lines: Iterator[tuple[int, str | None, str | None]] = (
            (n, line, None) for n, line in enumerate(text.splitlines(), 1))
    else:
        if looks_binary(sample):
            yield RawRecord("file", reason="binary file", detail="the file holds zero or control bytes, so it is "
                            "not JSON Lines; remove it from the input")
            return
        lines = _decoded_lines(stream, sample, options)
    any_line = False
    for number, line, warning in lines:
        locator = f"line {number}"
        if line is None:
            yield RawRecord(locator, reason="record too large",
                            detail=f"the line is over {options.max_record_bytes:,} bytes; raise ingest.max_record_bytes")
            any_line = True
            continue
        if not line.strip():
            continue
        any_line = True
        if locator in skip and '"id"' not in line and options.key("id") == "id":
            continue  # done before, and without an id it cannot clash with a later record
        yield _json_record(locator, line, options, warning, locator in skip)
    if not any_line and "file" not in skip:
        yield RawRecord("file", reason="empty file", detail="the file holds no JSON lines")


def _decoded_lines(stream: BinaryIO, sample: bytes, options: ReadOptions) -> Iterator[tuple[int, str | None, str | None]]:
    decoder = LineDecoder(sample)
    for number, raw in iter_lines(stream, options.max_record_bytes):
        if raw is None:
            yield number, None, None
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        text, warning = decoder.decode(raw)
        yield number, text, warning


def _json_record(locator: str, line: str, options: ReadOptions, warning: str | None, already: bool) -> RawRecord:
    try:
        obj = json.loads(line)
    except ValueError as exc:
        return RawRecord(locator, reason="invalid JSON", detail=f"{exc}; fix or remove this line", already=already)
    return _object_record(locator, obj, options, warning, already)


def _object_record(locator: str, obj: Any, options: ReadOptions, warning: str | None, already: bool) -> RawRecord:
    if not isinstance(obj, dict):
        return RawRecord(locator, reason="not an object",
                         detail=f"expected a JSON object with a text field, found {type(obj).__name__}",
                         already=already)
    fields, why = fields_from_mapping(obj, options)
    if fields is None:
        return RawRecord(locator, reason="missing text", detail=why, already=already)
    fields["warnings"] = [warning] if warning else []
    return RawRecord(locator, fields, already=already)


def read_json(stream: BinaryIO, options: ReadOptions, skip: Container[str]) -> Iterator[RawRecord]:
    decoded = decode_document(_read_capped(stream, options.max_document_bytes, "a JSON file"))
    if not decoded.text.strip():
        yield RawRecord("file", reason="empty file", detail="the file holds no JSON")
        return
    try:
        data = json.loads(decoded.text)
    except (ValueError, RecursionError) as exc:
        yield RawRecord("file", reason="invalid JSON",
                        detail=f"{str(exc)[:200]}; fix the file (JSON Lines files need the .jsonl extension)")
        return
    items = data if isinstance(data, list) else [data]
    for index, obj in enumerate(items):
        locator = f"record {index}"
        yield _object_record(locator, obj, options, decoded.warning, locator in skip)


def read_csv(stream: BinaryIO, options: ReadOptions, skip: Container[str]) -> Iterator[RawRecord]:
    sample = stream.peek(1 << 20)[: 1 << 20]  # type: ignore[attr-defined]
    unicode_name, _ = sniff_unicode(sample)
    if unicode_name and unicode_name != "utf-8":
        text = decode_document(_read_capped(stream, options.max_document_bytes, "a UTF-16 CSV file")).text
        lines: Iterator[str] = iter(text.splitlines(keepends=True))
        warning: Callable[[], str | None] = lambda: None  # noqa: E731
    else:
        if looks_binary(sample):
            yield RawRecord("file", reason="binary file", detail="the file holds zero or control bytes, so it is "
                            "not CSV; remove it from the input")
            return
        decoder = LineDecoder(sample)
        lines = _csv_lines(stream, decoder, options)
        warning = lambda: decoder.warning  # noqa: E731
    csv.field_size_limit(options.max_record_bytes)
    header_line = None
    if options.csv_columns is None:
        header_line = next(lines, None)
        if header_line is None or not header_line.strip():
            if "file" not in skip:
                yield RawRecord("file", reason="empty file", detail="the CSV file holds no header line")
            return
    if options.csv_delimiter:
        delimiter = options.csv_delimiter
    elif header_line is not None:
        delimiter = _sniff_delimiter(header_line)
    else:  # no header: guess from the first row, then read it as data
        first = next(lines, "")
        delimiter = _sniff_delimiter(first)
        lines = itertools.chain([first], lines)
    if options.csv_columns is not None:
        columns = list(options.csv_columns)
    else:
        columns = next(csv.reader([header_line or ""], delimiter=delimiter))
        columns = [c.strip().lstrip("\ufeff") for c in columns]
    text_key = options.key("text")
    if text_key not in columns:
        if "file" not in skip:
            yield RawRecord("file", reason="no text column", detail=(
                f"the CSV has no column {text_key!r}; its columns are: {', '.join(columns) or 'none'}. "
                "Name the text column with --map text=COLUMN (and --map title=..., url=..., "
                "published=..., outlet=... for the others)"))
        return
    tape = _LineTape(lines, 1 if header_line is not None else 0)
    reader = csv.reader(tape, delimiter=delimiter)
    number = 0
    while True:
        tape.taken.clear()
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number += 1
            at = tape.taken[0][0] if tape.taken else tape.number
            yield RawRecord(f"row {number}", reason="invalid CSV row",
                            detail=f"{exc} at line {at}; check quoting near this row",
                            already=f"row {number}" in skip)
            if len(tape.taken) > 1:  # the row swallowed lines: read them again as rows
                tape.replay(tape.taken[1:])
                reader = csv.reader(tape, delimiter=delimiter)
            continue
        if len(tape.taken) > 1 and not _strictly_one_row(tape.taken, delimiter):
            # A quote opened and never closed (or closed by a stray quote lines later) makes one
            # field swallow the following lines, possibly the rest of the file: reject the row
            # where the quote opened and read the lines after it again.
            number += 1
            at, last = tape.taken[0][0], tape.taken[-1][0]
            yield RawRecord(f"row {number}", reason="invalid CSV row", detail=(
                f"unclosed quote at line {at}: a quoted field ran over lines {at}-{last}"
                f"{' to the end of the file' if tape.exhausted and not tape.pending else ''}; fix the quoting of line {at} "
                f"(reading went on at line {at + 1})"), already=f"row {number}" in skip)
            tape.replay(tape.taken[1:])
            reader = csv.reader(tape, delimiter=delimiter)
            continue
        if not row or not any(cell.strip() for cell in row):
            continue
        number += 1
        locator = f"row {number}"
        if locator in skip and options.key("id") not in columns:
            continue
        obj: dict[str, Any] = dict(zip(columns, row, strict=False))
        if len(row) > len(columns):
            obj["_extra_cells"] = row[len(columns):]
        yield _object_record(locator, obj, options, warning(), locator in skip)


class _LineTape:
    """The lines fed to the csv reader, numbered as in the file, remembering those taken for the
    row being read, so that a row that swallowed lines can be rejected and its lines read again.
    A replay holds at most one row's lines, which csv's field size limit bounds."""

    def __init__(self, lines: Iterator[str], before: int) -> None:
        self.source = lines
        self.number = before  # physical number of the last line taken from the source
        self.pending: collections.deque[tuple[int, str]] = collections.deque()
        self.taken: list[tuple[int, str]] = []
        self.exhausted = False

    def __iter__(self) -> _LineTape:
        return self

    def __next__(self) -> str:
        if self.pending:
            entry = self.pending.popleft()
        else:
            try:
                line = next(self.source)
            except StopIteration:
                self.exhausted = True
                raise
            self.number += 1
            entry = (self.number, line)
        self.taken.append(entry)
        return entry[1]

    def replay(self, entries: list[tuple[int, str]]) -> None:
        self.pending.extendleft(reversed(entries))
        self.taken.clear()


def _strictly_one_row(taken: list[tuple[int, str]], delimiter: str) -> bool:
    """Whether lines that csv read as one row are one well-quoted row (a field with line breaks
    inside closed quotes), not a quote left open until the end or until a stray quote."""
    # Strict csv also refuses spaces after a closing quote ('"two lines" ,next'), which the
    # ordinary reader accepts: drop them first, so that only quoting that is truly broken fails.
    text = re.sub(rf'"[ \t]+(?={re.escape(delimiter)}|\r?\n|$)', '"', "".join(line for _, line in taken))
    try:
        rows = list(csv.reader(text.splitlines(keepends=True), delimiter=delimiter, strict=True))
    except csv.Error:
        return False
    return len(rows) == 1


def _csv_lines(stream: BinaryIO, decoder: LineDecoder, options: ReadOptions) -> Iterator[str]:
    for number, raw in iter_lines(stream, options.max_record_bytes):
        if raw is None:
            continue  # an over-long line: csv would refuse it anyway
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        yield decoder.decode(raw)[0]


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in ("\t", ",", ";", "|")}  # ties go to tab: text holds commas, not tabs
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_records(path: Path, fmt: str, options: ReadOptions, skip: Container[str]) -> Iterator[RawRecord]:
    """The records of one input file in the given format (file-level problems become a
    rejected record with locator "file", or a rejection at the point reading stopped)."""
    from . import readers_web

    readers: dict[str, Callable[[BinaryIO, ReadOptions, Container[str]], Iterator[RawRecord]]] = {
        "text": read_text, "jsonl": read_jsonl, "json": read_json, "csv": read_csv,
        "html": readers_web.read_html, "warc": readers_web.read_warc, "feed": readers_web.read_feed,
    }
    with open(path, "rb", buffering=0) as raw:
        if raw.read(1) == b"":
            if "file" not in skip:
                yield RawRecord("file", reason="empty file", detail="the file is empty (0 bytes)")
            return
        raw.seek(0)
        stream = open_input(raw, options.max_decompressed_bytes)
        position = "file"
        try:
            for record in readers[fmt](stream, options, skip):
                position = record.locator
                yield record
        except InputRejected as exc:
            locator = "file" if position == "file" else f"after {position}"
            if locator not in skip:
                yield RawRecord(locator, reason=exc.reason, detail=exc.detail)
