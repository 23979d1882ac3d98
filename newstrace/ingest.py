"""Ingest: read user files into the store, resumably, and account for every record.

``ingest(store, paths)`` expands files, folders, globs and ``-`` (stdin), detects each input's
format (``readers.detect_format``), and streams its records into the store in batches. Each
batch writes its articles, their URLs and one ledger row per record (``ingest_records``) in
one transaction, so a run killed at any point loses at most the open batch, and the next run
skips exactly the records already in the ledger: an input is keyed by the SHA-256 of its
bytes, a record by its position in it. Hence ``seen = stored + duplicates + rejected``.

An article is identified by the hash of its normalised title and text (``articles.content_id``):
the same text under a second URL is a duplicate whose URL is added to ``article_urls``. Two
records that share an input ``id`` but differ in content are different articles; both are kept
and the later one records the clash in its metadata (``id_clash``).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from pathlib import Path
from typing import Any

from .articles import ARTICLE_COLUMNS, content_id
from .config import Config, Setting
from .dates import DATE_ORDERS, parse_published, parse_timezone
from .errors import ConfigError, InputError, NewstraceError
from .pipeline import Progress
from .readers import FIELDS, FORMATS, RawRecord, ReadOptions, detect_format, read_records
from .store import Store, utcnow
from .textio import open_input, strip_controls, strip_controls_deep
from .urls import canonicalise, outlet_of

__all__ = ["SETTINGS", "IngestOptions", "FileReport", "IngestReport", "ingest", "expand_paths", "expand_inputs"]

SETTINGS = (
    Setting("ingest.batch_size", 2000, "records written per transaction (a killed run redoes at most one batch)"),
    Setting("ingest.max_html_bytes", 5_000_000, "larger HTML pages are rejected instead of parsed"),
    Setting("ingest.max_document_bytes", 256_000_000, "largest text, JSON-array or feed file (these are read whole)"),
    Setting("ingest.max_record_bytes", 16_000_000, "longest JSON line or CSV row"),
    Setting("ingest.max_decompressed_bytes", 4_000_000_000, "gzip input expanding past this is rejected (bombs)"),
    Setting("ingest.date_order", "", "how to read numeric dates whose day and month could be swapped "
            "(06/05/2025): dmy or mdy; empty: store them as unknown (--date-order overrides it)",
            choices=("", "dmy", "mdy")),
)

#: Extensions taken from folders (an explicitly named file is read whatever its name).
FOLDER_EXTENSIONS = (".txt", ".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".html", ".htm", ".xhtml",
                     ".warc", ".rss", ".atom", ".xml")
STDIN = "-"
_TEXT_FIELDS = frozenset({"title", "text", "url", "urls", "outlet", "language", "author", "id", "metadata",
                          "warnings", "published"})
_INSERT_ARTICLE = f"INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES ({', '.join('?' * 14)})"
_INSERT_URL = "INSERT OR IGNORE INTO article_urls(article_id, url, canonical_url) VALUES (?, ?, ?)"
_INSERT_LEDGER = ("INSERT INTO ingest_records(source_key, locator, outcome, article_id, reason, detail) "
                  "VALUES (?, ?, ?, ?, ?, ?)")


@dataclass(frozen=True)
class IngestOptions:
    """What the user may say about the input (the CLI's options)."""

    format: str | None = None  # one of readers.FORMATS; None: detect per file
    field_map: dict[str, str] = field(default_factory=dict)  # article field -> input field/column
    csv_delimiter: str | None = None
    csv_columns: tuple[str, ...] | None = None
    outlet: str | None = None  # force this outlet on every article
    assume_timezone: str | None = None  # zone for times without one; None: store NULL
    date_order: str | None = None  # dmy | mdy for 06/05/2025; None: the ingest.date_order setting

    def validate(self) -> None:
        _check_date_order(self.date_order, "--date-order")
        if self.format is not None and self.format not in FORMATS:
            raise InputError(f"Unknown format {self.format!r}. Choose one of: {', '.join(FORMATS)}.")
        for name in self.field_map:
            if name not in FIELDS:
                raise InputError(f"--map {name}=...: {name!r} is not an article field. "
                                 f"Map one of: {', '.join(FIELDS)} (e.g. --map text=body).")
        if self.csv_delimiter is not None and len(self.csv_delimiter) != 1:
            raise InputError(f"--csv-delimiter must be one character, got {self.csv_delimiter!r} "
                             "(for tabs, pass $'\\t' or the word tab).")


def _check_date_order(value: str | None, where: str, error: type[NewstraceError] = InputError) -> None:
    if value and value not in DATE_ORDERS:
        raise error(f"{where} {value!r}: choose dmy (06/05/2025 is 6 May) or mdy (06/05/2025 is 5 June).")


@dataclass
class FileReport:
    path: str
    format: str
    status: str  # ingested | resumed | already ingested
    seen: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0


@dataclass
class IngestReport:
    """Counts of this run. ``already_done`` records were in the ledger from an earlier run."""

    files: list[FileReport] = field(default_factory=list)
    seen: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    already_done: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)  # reason -> one "path locator: detail"
    notes: list[str] = field(default_factory=list)  # about the inputs as a whole (an empty folder)

    def as_dict(self) -> dict[str, Any]:
        return {"seen": self.seen, "stored": self.stored, "duplicates": self.duplicates,
                "rejected": self.rejected, "already_done": self.already_done,
                "reasons": dict(self.reasons), "warnings": dict(self.warnings),
                "files": [vars(f) for f in self.files]}


# -- paths --------------------------------------------------------------------------------------
def expand_paths(paths: Sequence[str]) -> list[str]:
    """Files named, files under folders (known extensions, hidden ones skipped), glob matches,
    and ``-``; in order, without repeats. Raise InputError naming every path that matches nothing
    (a folder without readable files too, when nothing else was found)."""
    return expand_inputs(paths)[0]


def expand_inputs(paths: Sequence[str]) -> tuple[list[str], list[str]]:
    """``expand_paths``, and the folders that held no readable file. A folder without readable
    files is an error only when no other path gave one (a daily drop folder that is empty
    today, named beside others, is a note, not a failed run)."""
    found: list[str] = []
    missing: list[str] = []
    unreadable_folders: list[str] = []
    for given in paths:
        if given == STDIN:
            found.append(STDIN)
        elif os.path.isdir(given):
            inside = list(_walk(given))
            if not inside:
                unreadable_folders.append(given)
            found.extend(inside)
        elif os.path.isfile(given):
            found.append(given)
        elif glob.has_magic(given):
            matches = sorted(p for p in glob.glob(given, recursive=True) if os.path.isfile(p))
            if not matches:
                missing.append(given)
            found.extend(matches)
        else:
            missing.append(given)
    if missing:
        raise InputError(
            f"No such file or folder: {', '.join(repr(m) for m in missing)}. Check the path (globs such as "
            "'data/*.jsonl' must match at least one file; use - to read standard input)."
        )
    if unreadable_folders and not found:
        raise InputError(
            f"No readable file in {', '.join(repr(f) for f in unreadable_folders)}: folders are searched "
            f"for files ending in {' '.join(FOLDER_EXTENSIONS)} (or those plus .gz), hidden files skipped. "
            "Name a file to read it whatever its extension, with --format if needed."
        )
    unique: dict[str, None] = {}
    for path in found:
        unique.setdefault(path if path == STDIN else os.path.normpath(path), None)
    return list(unique), unreadable_folders


def _walk(folder: str) -> Iterator[str]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            inner = name.lower()[:-3] if name.lower().endswith(".gz") else name.lower()
            if not name.startswith(".") and inner.endswith(FOLDER_EXTENSIONS):
                yield os.path.join(root, name)


@contextmanager
def _materialised(path: str) -> Iterator[Path]:
    """A real file for ``path``; standard input is spooled to a temporary file (read twice)."""
    if path != STDIN:
        yield Path(path)
        return
    with tempfile.NamedTemporaryFile(prefix="newstrace-stdin-", delete=False) as spool:
        shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
    try:
        yield Path(spool.name)
    finally:
        os.unlink(spool.name)


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# -- records to rows ----------------------------------------------------------------------------
@dataclass(slots=True)
class _Entry:
    locator: str
    article_id: str | None = None
    row: tuple[Any, ...] | None = None
    urls: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None
    detail: str | None = None


class _IdIndex:
    """Input id -> (article id, locator) of the first record with that id, to flag id clashes.

    Kept in SQLite's private temporary database (the empty file name: an anonymous file that
    vanishes with the connection, even when the process is killed) rather than a dict, so that
    memory stays flat however many ids one input holds: pages spill to disk past the cache."""

    def __init__(self) -> None:
        self.conn: sqlite3.Connection | None = None

    def first(self, record_id: str, article_id: str, locator: str) -> tuple[str, str] | None:
        """The first (article id, locator) seen with ``record_id``; remember this one if new."""
        if self.conn is None:
            self.conn = sqlite3.connect("", isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=OFF")
            self.conn.execute("PRAGMA synchronous=OFF")
            self.conn.execute("CREATE TABLE ids (record_id TEXT PRIMARY KEY, article_id TEXT, locator TEXT)")
            self.conn.execute("BEGIN")  # never committed: scratch data
        row = self.conn.execute("SELECT article_id, locator FROM ids WHERE record_id = ?", (record_id,)).fetchone()
        if row is None:
            self.conn.execute("INSERT INTO ids VALUES (?, ?, ?)", (record_id, article_id, locator))
            return None
        return row[0], row[1]

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class _SourceRun:
    """The state of ingesting one input: clash map, batch, counts."""

    def __init__(self, store: Store, key: str, display: str, options: IngestOptions, zone: tzinfo | None,
                 report: IngestReport, file_report: FileReport, progress: Progress, batch_size: int) -> None:
        self.store, self.key, self.display = store, key, display
        self.options, self.zone = options, zone
        self.report, self.file_report, self.progress = report, file_report, progress
        self.batch_size = batch_size
        self.batch: list[_Entry] = []
        self.ids = _IdIndex()

    def build(self, record: RawRecord) -> _Entry:
        fields = record.fields
        if fields is None:
            return _Entry(record.locator, reason=strip_controls(record.reason or "rejected"),
                          detail=strip_controls(record.detail) if record.detail else record.detail)
        # Input text never reaches a terminal with its escape sequences (see textio.strip_controls).
        fields = {k: strip_controls_deep(v) if k in _TEXT_FIELDS else v for k, v in fields.items()}
        title = fields.get("title") or ""
        text = (fields.get("text") or "").strip()
        if not text:
            return _Entry(record.locator, reason="missing text", detail="the record has no text")
        article_id = content_id(title, text)
        metadata: dict[str, Any] = dict(fields.get("metadata") or {})
        record_id = fields.get("id")
        if record_id is not None:
            first = self.ids.first(record_id, article_id, record.locator)
            if first is not None and first[0] != article_id:
                metadata["id_clash"] = {"id": record_id, "first_locator": first[1], "first_article_id": first[0]}
        if record.already:
            return _Entry(record.locator, article_id)
        warnings: list[str] = [w for w in fields.get("warnings") or () if w]
        urls: list[tuple[str, str]] = []
        for raw in fields.get("urls") or ([fields["url"]] if fields.get("url") else []):
            canonical = canonicalise(raw)
            if canonical is None:
                metadata.setdefault("invalid_urls", []).append(raw)
                warnings.append("URL not usable (not http/https)")
            elif all(raw != seen for seen, _ in urls):
                urls.append((raw, canonical))
        first_url = urls[0][1] if urls else None
        outlet = self.options.outlet or fields.get("outlet") or outlet_of(first_url)
        published_raw = fields.get("published")
        parsed = parse_published(published_raw, self.zone, self.options.date_order)
        if parsed.problem:
            metadata["published_raw"] = published_raw
            warnings.append(parsed.problem)
        if warnings:
            metadata["ingest_warnings"] = warnings
            self.report.warnings.update(warnings)
        row = (article_id, title, text, parsed.iso, outlet, fields.get("language"), fields.get("author"),
               first_url, json.dumps(metadata, ensure_ascii=False, default=str), self.display, None, None, "new")
        return _Entry(record.locator, article_id, row, urls)

    def add(self, entry: _Entry) -> None:
        self.batch.append(entry)
        if len(self.batch) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        now = utcnow()
        ids = [e.article_id for e in batch if e.row is not None]
        counts = Counter[str]()
        with self.store.transaction() as conn:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            existing = {r[0] for r in cursor.execute(
                "SELECT id FROM articles WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))}
            articles: list[tuple[Any, ...]] = []
            urls: list[tuple[str | None, str, str]] = []
            ledger: list[tuple[str, str, str, str | None, str | None, str | None]] = []
            for entry in batch:
                if entry.row is None:
                    ledger.append((self.key, entry.locator, "rejected", None, entry.reason, entry.detail))
                    counts["rejected"] += 1
                    self.report.reasons[entry.reason or "rejected"] += 1
                    self.report.examples.setdefault(
                        entry.reason or "rejected", f"{self.display} {entry.locator}: {entry.detail or ''}")
                    continue
                if entry.article_id in existing:
                    outcome = "duplicate"
                else:
                    outcome = "stored"
                    existing.add(entry.article_id)
                    articles.append((*entry.row, now))
                urls.extend((entry.article_id, raw, canonical) for raw, canonical in entry.urls)
                ledger.append((self.key, entry.locator, outcome, entry.article_id, None, None))
                counts[outcome] += 1
            cursor.executemany(_INSERT_ARTICLE, articles)
            cursor.executemany(_INSERT_URL, urls)
            cursor.executemany(_INSERT_LEDGER, ledger)
            cursor.close()
        stored, duplicates, rejected = counts["stored"], counts["duplicate"], counts["rejected"]
        for report in (self.report, self.file_report):
            report.seen += len(batch)
            report.stored += stored
            report.duplicates += duplicates
            report.rejected += rejected
        self.progress.advance(len(batch))


# -- the run ------------------------------------------------------------------------------------
def ingest(
    store: Store,
    paths: Sequence[str],
    options: IngestOptions | None = None,
    *,
    config: Config | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest files, folders, globs or ``-`` into ``store``; return this run's counts."""
    options = options or IngestOptions()
    options.validate()
    config = config or Config()
    if options.date_order is None and config["ingest.date_order"]:
        _check_date_order(config["ingest.date_order"], "ingest.date_order =", ConfigError)
        options = replace(options, date_order=config["ingest.date_order"])
    progress = progress or Progress()
    zone = parse_timezone(options.assume_timezone) if options.assume_timezone else None
    read_options = ReadOptions(
        field_map=dict(options.field_map), csv_delimiter=options.csv_delimiter, csv_columns=options.csv_columns,
        max_record_bytes=config["ingest.max_record_bytes"], max_document_bytes=config["ingest.max_document_bytes"],
        max_html_bytes=config["ingest.max_html_bytes"], max_decompressed_bytes=config["ingest.max_decompressed_bytes"],
    )
    inputs, empty_folders = expand_inputs(paths)
    report = IngestReport()
    for folder in empty_folders:
        report.notes.append(f"no readable file in {folder!r} (folders are searched for files ending in "
                            f"{' '.join(FOLDER_EXTENSIONS)}, or those plus .gz)")
    progress.start(f"Ingesting {len(inputs)} input{'s' if len(inputs) != 1 else ''}", None)
    try:
        for path in inputs:
            with _materialised(path) as real_path:
                display = "<stdin>" if path == STDIN else strip_controls(path)
                _ingest_one(store, real_path, display, options, read_options, zone, config, report, progress)
    finally:
        progress.finish()
    return report


def _ingest_one(store: Store, path: Path, display: str, options: IngestOptions, read_options: ReadOptions,
                zone: tzinfo | None, config: Config, report: IngestReport, progress: Progress) -> None:
    key, size = _file_digest(path)
    known = store.rows("SELECT format, complete FROM ingest_sources WHERE source_key = :k", {"k": key})
    if known and known[0]["complete"]:
        report.files.append(FileReport(display, known[0]["format"], "already ingested"))
        return
    fmt = options.format or _detect(path, display, read_options)
    if not known:
        with store.transaction() as conn:
            conn.exec_driver_sql(
                "INSERT INTO ingest_sources(source_key, path, format, size_bytes, complete, started_at) "
                "VALUES (?, ?, ?, ?, 0, ?)", (key, display, fmt, size, utcnow()))
    done = {r["locator"] for r in store.rows("SELECT locator FROM ingest_records WHERE source_key = :k", {"k": key})}
    file_report = FileReport(display, fmt, "resumed" if done else "ingested")
    report.files.append(file_report)
    report.already_done += len(done)
    run = _SourceRun(store, key, display, options, zone, report, file_report, progress, config["ingest.batch_size"])
    records = read_records(path, fmt, read_options, done)
    try:
        _consume(run, records, done)
    finally:
        run.ids.close()
    run.flush()
    with store.transaction() as conn:
        conn.exec_driver_sql("UPDATE ingest_sources SET complete = 1, finished_at = ? WHERE source_key = ?",
                             (utcnow(), key))


def _consume(run: _SourceRun, records: Iterator[RawRecord], done: set[str]) -> None:
    last = "file"
    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except (Exception, RecursionError) as exc:  # noqa: BLE001 - a reader bug must not end the run
            locator = "file" if last == "file" else f"after {last}"
            if locator not in done:
                run.add(_Entry(locator, reason="reader error", detail=(
                    f"{type(exc).__name__}: {str(exc)[:200]}. This is a bug in newstrace: please report it "
                    "with the file; the records before this point are kept")))
            break
        last = record.locator
        if record.locator in done:
            record.already = True
        entry = run.build(record)
        if not record.already:
            run.add(entry)


def _detect(path: Path, display: str, read_options: ReadOptions) -> str:
    from .textio import InputRejected

    with open(path, "rb", buffering=0) as raw:
        try:
            sample = open_input(raw, read_options.max_decompressed_bytes).read(65536)
        except InputRejected:
            sample = b""
    name = display if display != "<stdin>" else ""
    return detect_format(name, sample)
