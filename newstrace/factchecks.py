"""Fact-check import: read fact-check databases into the ``factchecks`` table.

Formats, detected from the file's name and content:

* schema.org ClaimReview JSON-LD: one object, a list, an ``@graph``, a ``DataFeed``, or
  ``<script type="application/ld+json">`` blocks inside a fact-check's HTML page;
* Google Fact Check Tools API responses (``claims[].claimReview[]``);
* EUvsDisinfo-style case lists (CSV with ``date, id, title`` columns; every case is a
  disinformation finding, so its verdict is ``false``), and their publication lists (CSV with
  ``id, publication`` columns: case URL, URL of a page that carried the disinformation), which add
  appearances to cases already imported (publication lists are read after every other file of the
  same import, so the order of the files does not matter);
* the CLEF CheckThat! claim sets (2020 ``verified_claims.docs.tsv``, 2022 ``vclaims.jsonl``),
  which carry no rating (verdict ``other``, rating NULL).

A fact-check's id is a hash of its normalised claim and review URL, so re-importing a file, or
the same review from another format, stores nothing new. Every record read is entered in the
shared ingest ledger (``ingest_sources`` / ``ingest_records``, formats ``factcheck-*``, keyed
``factcheck:`` + the file's SHA-256, apart from the same file's ingest as articles): stored,
duplicate, or rejected with its reason, so seen = stored + duplicate + rejected.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from .articles import normalise_for_hash
from .config import Setting
from .errors import InputError
from .store import Store, utcnow
from .textio import strip_controls, strip_controls_deep

SETTINGS = (
    Setting("factchecks.top_k", 5, "fact-checks kept per matched claim, title or article"),
    Setting("factchecks.article_lead_chars", 400, "characters of an article's text matched with its title "
            "when the story has no claims yet"),
)

VERDICTS = ("false", "misleading", "mixed", "true", "unproven", "other")


@dataclass(frozen=True)
class FactCheck:
    """One fact-check, ready for the store."""

    claim: str
    source_format: str
    title: str = ""
    rating: str | None = None
    verdict: str = "other"
    url: str | None = None
    publisher: str | None = None
    published_at: str | None = None
    claimant: str | None = None
    claim_date: str | None = None
    language: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        digest = hashlib.sha256()
        digest.update(normalise_for_hash(self.claim).lower().encode("utf-8"))
        digest.update(b"\x00")
        # Without a review URL (the CLEF sets) the title tells apart reviews of one wording.
        digest.update((self.url or "").strip().encode("utf-8") or normalise_for_hash(self.title).lower().encode("utf-8"))
        return "fc" + digest.hexdigest()[:14]


class Rejected(Exception):
    """A record that cannot become a fact-check; the message is the reason stored."""


# -- verdicts and dates -------------------------------------------------------------------------

# Ordered: the first pattern found decides, so "not true" is tested before "true" and
# "half true" before both.
_VERDICT_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\bhalf[- ]?(true|false)|\bmix|\bpartly|\bpartial|\bsome truth|\bmostly true\b", "mixed"),
    (r"\bmislead|out of context|missing context|lacks context|\bdistort|exaggerat|cherry|manipulat|"
     r"\bspin\b|\bskewed|\bselective|engañoso|enganoso|trompeur|irreführend", "misleading"),
    (r"unproven|unverif|unsupported|no evidence|lacks evidence|insufficient|undetermined|unclear|"
     r"can'?t be verified|research in progress|unconfirmed", "unproven"),
    (r"\bnot true|\buntrue|\bfalse|\bfake|pants on fire|\bincorrect|\bwrong\b|\bhoax|fabricat|"
     r"\bbaseless|\bdebunk|\bscam|disinformation|\bmyth|\binaccurate|\bbogus|"
     r"\bfals[oa]\b|\bfaux\b|\bfalsch|\bfałsz|неправд|фейк|ложь|\bnepravd", "false"),
    (r"\btrue\b|\bcorrect\b|\baccurate\b|\bconfirmed\b|verdadero|\bvrai\b|\bwahr\b", "true"),
)


def normalise_verdict(rating: str | None, value: Any = None, best: Any = None, worst: Any = None) -> str:
    """Map a publisher's rating (text, else a numeric ratingValue on its scale) to ``VERDICTS``."""
    text = (rating or "").strip().lower()
    if text:
        for pattern, verdict in _VERDICT_PATTERNS:
            if re.search(pattern, text):
                return verdict
        return "other"
    try:
        v, b, w = float(value), float(best if best is not None else 5), float(worst if worst is not None else 1)
    except (TypeError, ValueError):
        return "other"
    if b == w:
        return "other"
    position = (v - w) / (b - w)
    if position <= 0.2:
        return "false"
    if position <= 0.45:
        return "misleading"
    if position < 0.75:
        return "mixed"
    return "true"


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2} \w+ \d{4}$|^\w+ \d{1,2}, \d{4}$")


def parse_date(value: Any) -> tuple[str | None, str | None]:
    """(ISO-8601 UTC, precision 'day' or 'time') for a date in the input, or (None, None).

    Naive times are read as UTC. An unreadable date gives (None, None), never a guess."""
    if not value or not isinstance(value, str):
        return None, None
    from dateutil import parser

    text = value.strip()
    try:
        parsed = parser.parse(text)
    except (ValueError, OverflowError):
        return None, None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    iso = parsed.astimezone(UTC).replace(microsecond=0).isoformat()
    return iso, "day" if _DATE_ONLY.match(text) or "T" not in text and ":" not in text else "time"


# -- parsers ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip() if value is not None else ""


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type", [])
    return {str(k).split("/")[-1] for k in (kind if isinstance(kind, list) else [kind])}


def _appearances(item: Any) -> list[str]:
    if not isinstance(item, dict):
        return []
    urls = []
    for key in ("appearance", "firstAppearance"):
        values = item.get(key) or []
        for v in values if isinstance(values, list) else [values]:
            url = v.get("url") if isinstance(v, dict) else v
            if isinstance(url, str) and url:
                urls.append(url)
    return urls


def from_claimreview(obj: dict[str, Any]) -> FactCheck:
    """A schema.org ClaimReview object as a FactCheck (raises Rejected when unusable)."""
    claim = _text(obj.get("claimReviewed"))
    item: dict[str, Any] = obj["itemReviewed"] if isinstance(obj.get("itemReviewed"), dict) else {}
    if not claim and isinstance(item, dict):
        claim = _text(item.get("text")) or _text(item.get("name"))
    if not claim:
        raise Rejected("ClaimReview without claimReviewed (nor itemReviewed.text): no claim to match")
    rating: dict[str, Any] = obj["reviewRating"] if isinstance(obj.get("reviewRating"), dict) else {}
    rating_text = _text(rating.get("alternateName")) or _text(rating.get("name")) or None
    published, precision = parse_date(obj.get("datePublished"))
    claim_date, _ = parse_date(item.get("datePublished")) if isinstance(item, dict) else (None, None)
    author = item.get("author") if isinstance(item, dict) else None
    meta: dict[str, Any] = {"date_precision": precision} if precision else {}
    if obj.get("datePublished") and not published:
        meta["unreadable_date"] = str(obj.get("datePublished"))[:100]
    if _appearances(item):
        meta["appearances"] = _appearances(item)
    if rating.get("ratingValue") is not None:
        meta["rating_value"] = rating.get("ratingValue")
    url = _text(obj.get("url")) or None
    return FactCheck(
        claim=claim, source_format="claimreview", title=_text(obj.get("name")) or _text(obj.get("headline")),
        rating=rating_text,
        verdict=normalise_verdict(rating_text, rating.get("ratingValue"), rating.get("bestRating"),
                                  rating.get("worstRating")),
        url=url, publisher=_text(obj.get("author")) or None, published_at=published,
        claimant=_text(author) or None, claim_date=claim_date,
        language=_text(obj.get("inLanguage")) or None, metadata=meta,
    )


def from_google_api(claim: dict[str, Any], review: dict[str, Any]) -> FactCheck:
    """One ``claims[i].claimReview[j]`` of a Google Fact Check Tools API response."""
    text = _text(claim.get("text"))
    if not text:
        raise Rejected("Fact Check Tools claim without text: no claim to match")
    if not isinstance(review, dict):
        raise Rejected("claimReview entry is not an object")
    published, precision = parse_date(review.get("reviewDate"))
    claim_date, _ = parse_date(claim.get("claimDate"))
    rating = _text(review.get("textualRating")) or None
    publisher: dict[str, Any] = review["publisher"] if isinstance(review.get("publisher"), dict) else {}
    meta: dict[str, Any] = {"date_precision": precision} if precision else {}
    if publisher.get("site"):
        meta["publisher_site"] = publisher["site"]
    return FactCheck(
        claim=text, source_format="google-factcheck-api", title=_text(review.get("title")), rating=rating,
        verdict=normalise_verdict(rating), url=_text(review.get("url")) or None,
        publisher=_text(publisher.get("name")) or _text(publisher.get("site")) or None,
        published_at=published, claimant=_text(claim.get("claimant")) or None, claim_date=claim_date,
        language=_text(review.get("languageCode")) or None, metadata=meta,
    )


def _claimreviews_in(data: Any) -> Iterator[dict[str, Any]]:
    """Every ClaimReview object nested in JSON-LD (lists, @graph, DataFeed, mainEntity ...)."""
    if isinstance(data, list):
        for item in data:
            yield from _claimreviews_in(item)
    elif isinstance(data, dict):
        if "ClaimReview" in _types(data):
            yield data
            return
        for key in ("@graph", "dataFeedElement", "item", "mainEntity", "hasPart"):
            if key in data:
                yield from _claimreviews_in(data[key])


@dataclass(frozen=True)
class Appearance:
    """A page that carried the claim of the fact-check whose review URL is ``review_url``."""

    review_url: str
    url: str


# A record: (locator, FactCheck, an Appearance to add to one, or the reason it was rejected).
Record = tuple[str, "FactCheck | Appearance | str"]


def _guard(locator: str, build: Any) -> Record:
    try:
        return locator, build()
    except Rejected as exc:
        return locator, str(exc)


def _records_from_json(data: Any, prefix: str = "") -> Iterator[Record]:
    if isinstance(data, dict) and isinstance(data.get("claims"), list):  # Google Fact Check Tools
        for i, claim in enumerate(data["claims"]):
            if not isinstance(claim, dict):
                yield f"{prefix}claims[{i}]", "claim entry is not an object"
                continue
            reviews = claim.get("claimReview")
            if not isinstance(reviews, list) or not reviews:
                yield f"{prefix}claims[{i}]", "Fact Check Tools claim without claimReview: nothing reviewed it"
                continue
            for j, review in enumerate(reviews):
                yield _guard(f"{prefix}claims[{i}].claimReview[{j}]",
                             lambda c=claim, r=review: from_google_api(c, r))
        return
    if isinstance(data, dict) and "vclaim" in data:  # a CLEF 2022 claim
        yield _guard(f"{prefix}{data.get('vclaim_id', '')}", lambda: _from_clef2022(data))
        return
    found = list(_claimreviews_in(data))
    if not found:
        yield prefix or "document", "no ClaimReview, Fact Check Tools claims or CLEF claim in this JSON"
    for i, obj in enumerate(found):
        yield _guard(f"{prefix}claimreview[{i}]", lambda o=obj: from_claimreview(o))


def _from_clef2022(rec: dict[str, Any]) -> FactCheck:
    claim = _text(rec.get("vclaim"))
    if not claim:
        raise Rejected("CLEF claim with an empty vclaim")
    published, precision = parse_date(rec.get("date"))
    meta = {"clef_id": rec.get("vclaim_id"), "subtitle": rec.get("subtitle"), "author": rec.get("author")}
    if precision:
        meta["date_precision"] = precision
    return FactCheck(claim=claim, source_format="clef2022", title=_text(rec.get("title")), publisher="Snopes",
                     published_at=published, metadata={k: v for k, v in meta.items() if v})


_LD_SCRIPT = re.compile(r"<script[^>]*type=[\"']application/ld\+json[\"'][^>]*>(.*?)</script>", re.I | re.S)


def _records_from_html(text: str) -> Iterator[Record]:
    blocks = _LD_SCRIPT.findall(text)
    if not blocks:
        yield "document", "HTML page without a JSON-LD script: no ClaimReview markup"
        return
    found = False
    for b, block in enumerate(blocks):
        try:
            data = json.loads(block.strip())
        except json.JSONDecodeError as exc:
            yield f"ld+json[{b}]", f"JSON-LD block is not valid JSON: {exc.msg} at line {exc.lineno}"
            continue
        for i, obj in enumerate(_claimreviews_in(data)):
            found = True
            yield _guard(f"ld+json[{b}].claimreview[{i}]", lambda o=obj: from_claimreview(o))
    if not found and blocks:
        yield "document", "the page's JSON-LD holds no ClaimReview"


def _records_from_euvsdisinfo(text: str) -> Iterator[Record]:
    for line_no, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        def build(row: dict[str, Any] = row) -> FactCheck:
            title = (row.get("title") or "").strip()
            if not title:
                raise Rejected("EUvsDisinfo case without a title: no claim to match")
            url = (row.get("id") or "").strip()
            if not url.startswith("http"):
                raise Rejected(f"EUvsDisinfo case id {url[:80]!r} is not the case URL")
            published, precision = parse_date(row.get("date"))
            meta: dict[str, Any] = {k: [v for v in (row.get(k) or "").split("+") if v]
                                    for k in ("countries", "keywords", "languages", "outlets")}
            if precision:
                meta["date_precision"] = precision
            return FactCheck(claim=title, source_format="euvsdisinfo", title=title,
                             rating="Disinformation (EUvsDisinfo case)", verdict="false", url=url,
                             publisher="EUvsDisinfo", published_at=published, metadata=meta)

        yield _guard(f"line {line_no}", build)


def _records_from_euvsdisinfo_publications(text: str) -> Iterator[Record]:
    for line_no, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        def build(row: dict[str, Any] = row) -> Appearance:
            case, url = (row.get("id") or "").strip(), (row.get("publication") or "").strip()
            if not case.startswith("http"):
                raise Rejected(f"EUvsDisinfo case id {case[:80]!r} is not the case URL")
            if not url.startswith("http"):
                raise Rejected(f"EUvsDisinfo publication {url[:80]!r} is not a URL")
            return Appearance(case, url)

        yield _guard(f"line {line_no}", build)


def _is_publication_list(first_line: str) -> bool:
    return {"id", "publication"} <= set(first_line.strip().lstrip("\ufeff").split(","))


def _records_from_clef2020(text: str) -> Iterator[Record]:
    reader = csv.reader(io.StringIO(text), delimiter="\t")
    next(reader, None)
    for i, row in enumerate(reader):
        def build(row: list[str] = row) -> FactCheck:
            if len(row) < 2 or not row[1].strip():
                raise Rejected("CLEF 2020 row without a vclaim")
            return FactCheck(claim=row[1].strip(), source_format="clef2020",
                             title=row[2].strip() if len(row) > 2 else "", publisher="Snopes",
                             metadata={"clef_id": row[0]})

        yield _guard(f"row {i + 1}", build)


def read_records(path: Path, raw: bytes) -> tuple[str, Iterator[Record]]:
    """(format name, records) of one file. Unknown formats raise InputError."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
    head = text.lstrip()[:2000]
    suffix = path.suffix.lower()
    if suffix in {".html", ".htm"} or head.lower().startswith(("<!doctype", "<html", "<head")):
        return "factcheck-html", _records_from_html(text)
    if suffix in {".jsonl", ".ndjson"}:
        return "factcheck-jsonl", _jsonl(text)
    if head.startswith(("{", "[")):
        # One JSON document first: pretty-printed JSON-LD (an @graph with one review per line)
        # also has lines that start with '{'. JSON Lines only when the whole is not one document.
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if head.startswith("{") and "\n{" in text.strip() and suffix != ".json":
                return "factcheck-jsonl", _jsonl(text)
            raise InputError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}.") from None
        return "factcheck-json", _records_from_json(data)
    first_line = text.split("\n", 1)[0].rstrip("\r")  # not stripped: the CLEF header opens with a tab
    if first_line.split("\t")[1:3] == ["vclaim", "title"]:
        return "factcheck-clef2020", _records_from_clef2020(text)
    if {"date", "id", "title"} <= set(first_line.strip().split(",")):
        return "factcheck-euvsdisinfo", _records_from_euvsdisinfo(text)
    if _is_publication_list(first_line):
        return "factcheck-euvsdisinfo-publications", _records_from_euvsdisinfo_publications(text)
    raise InputError(
        f"{path}: not a fact-check format newstrace reads. Give ClaimReview JSON-LD (.json/.jsonld/.html), "
        "a Fact Check Tools API response, an EUvsDisinfo posts.csv or publications CSV, or a CLEF claim set."
    )


def _jsonl(text: str) -> Iterator[Record]:
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"line {line_no}", f"not valid JSON: {exc.msg}"
            continue
        yield from _records_from_json(data, prefix=f"line {line_no}: ")


# -- import ------------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    files: int = 0
    skipped_files: int = 0  # already imported completely before
    seen: int = 0
    stored: int = 0  # records stored: new fact-checks plus appearances added to one
    duplicate: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    factchecks: int = 0  # new fact-checks (of ``stored``)
    appearances: int = 0  # publication-list rows that added an appearance (of ``stored``)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


BATCH = 2000
# A publication row whose case is not imported yet: recorded as rejected, and tried again when
# the same file is imported after its case list (the file is not marked complete meanwhile).
MISSING_CASE = ("EUvsDisinfo case not imported: import its case list (posts.csv) first, "
                "or in the same command")


def ledger_key(raw: bytes) -> str:
    """The ledger key of a fact-check file: apart from the same file's key as an article input
    (its bare SHA-256), so that importing a file already ingested as articles still imports it."""
    return "factcheck:" + hashlib.sha256(raw).hexdigest()


def import_files(store: Store, paths: list[str | Path]) -> ImportSummary:
    """Import fact-check files; idempotent, resumable, and every record accounted for."""
    summary = ImportSummary()
    files = [Path(p) for p in paths]
    for path in files:  # check every path before any work, so a typo costs nothing
        if not path.is_file():
            raise InputError(f"No file {str(path)!r}. Give the path of a fact-check file.")
    # Publication lists add appearances to fact-checks that must exist first: read them last.
    files.sort(key=_reads_publications)
    for path in files:
        raw = path.read_bytes()
        source_key = ledger_key(raw)
        summary.files += 1
        row = store.rows("SELECT complete FROM ingest_sources WHERE source_key = :k", {"k": source_key})
        if row and row[0]["complete"]:
            summary.skipped_files += 1
            continue
        try:
            fmt, records = read_records(path, raw)
        except InputError as exc:
            # A file we cannot read is recorded as one rejected record, and the run goes on.
            fmt, records = "factcheck-unreadable", iter([("file", str(exc))])
        with store.transaction() as conn:
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO ingest_sources(source_key, path, format, size_bytes, started_at) "
                "VALUES (?,?,?,?,?)", (source_key, str(path), fmt, len(raw), utcnow()))
        done = {r["locator"] for r in store.rows(
            "SELECT locator FROM ingest_records WHERE source_key = :k AND reason IS NOT :missing",
            {"k": source_key, "missing": MISSING_CASE})}
        batch: list[Record] = []
        for record in map(_without_controls, records):
            if record[0] in done:
                continue
            batch.append(record)
            if len(batch) >= BATCH:
                _write_batch(store, source_key, str(path), batch, summary)
                batch = []
        _write_batch(store, source_key, str(path), batch, summary)
        waiting = store.scalar("SELECT COUNT(*) FROM ingest_records WHERE source_key = :k AND reason = :missing",
                               {"k": source_key, "missing": MISSING_CASE})
        with store.transaction() as conn:
            conn.exec_driver_sql("UPDATE ingest_sources SET complete = ?, finished_at = ? WHERE source_key = ?",
                                 (0 if waiting else 1, utcnow(), source_key))
    return summary


def _without_controls(record: Record) -> Record:
    """The record with terminal control characters removed from every text (``textio.strip_controls``)."""
    locator, value = record
    if isinstance(value, FactCheck):
        value = FactCheck(**strip_controls_deep(dataclasses.asdict(value)))
    elif isinstance(value, Appearance):
        value = Appearance(strip_controls(value.review_url), strip_controls(value.url))
    else:
        value = strip_controls(value)
    return strip_controls(locator), value


def _reads_publications(path: Path) -> bool:
    with open(path, "rb") as fh:
        first_line = fh.readline(4096).decode("utf-8", errors="replace")
    return _is_publication_list(first_line)


def _write_batch(store: Store, source_key: str, source: str, batch: list[Record], summary: ImportSummary) -> None:
    if not batch:
        return
    if any(isinstance(r, Appearance) for _, r in batch):
        _write_appearances(store, source_key, batch, summary)
        return
    with store.transaction() as conn:
        ids = [r.id for _, r in batch if isinstance(r, FactCheck)]
        existing = {row[0] for row in conn.exec_driver_sql(
            "SELECT id FROM factchecks WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))}
        ledger: list[tuple[str, str, str, str | None, str | None, None]] = []
        fresh = []
        for locator, record in batch:
            summary.seen += 1
            if isinstance(record, str):
                summary.rejected += 1
                summary.reasons[record] = summary.reasons.get(record, 0) + 1
                ledger.append((source_key, locator, "rejected", None, record, None))
                continue
            assert isinstance(record, FactCheck)  # appearances go to _write_appearances
            if record.id in existing:
                summary.duplicate += 1
                ledger.append((source_key, locator, "duplicate", record.id, None, None))
                continue
            existing.add(record.id)
            summary.stored += 1
            summary.factchecks += 1
            ledger.append((source_key, locator, "stored", record.id, None, None))
            fresh.append((record.id, record.claim, record.title, record.verdict, record.rating, record.url,
                          record.publisher, record.published_at, record.claimant, record.claim_date,
                          record.language, record.source_format, source,
                          json.dumps(record.metadata, ensure_ascii=False, default=str), utcnow()))
        if fresh:
            conn.exec_driver_sql(f"INSERT INTO factchecks VALUES ({', '.join('?' * 15)})", fresh)
        conn.exec_driver_sql("INSERT OR IGNORE INTO ingest_records VALUES (?,?,?,?,?,?)", ledger)


def _write_appearances(store: Store, source_key: str, batch: list[Record], summary: ImportSummary) -> None:
    """Add each Appearance's URL to ``metadata.appearances`` of the fact-checks reviewed at its
    review URL, where the factcheck_match stage turns it into an outright match."""
    with store.transaction() as conn:
        review_urls = sorted({r.review_url for _, r in batch if isinstance(r, Appearance)})
        by_url: dict[str, list[str]] = {}
        metadata: dict[str, dict[str, Any]] = {}
        for fid, url, meta in conn.exec_driver_sql(
                "SELECT id, url, metadata FROM factchecks WHERE url IN (SELECT value FROM json_each(?))",
                (json.dumps(review_urls),)):
            by_url.setdefault(url, []).append(fid)
            metadata[fid] = json.loads(meta or "{}")
        ledger: list[tuple[str, str, str, str | None, str | None, None]] = []
        changed: set[str] = set()
        for locator, record in batch:
            summary.seen += 1
            reason = record if isinstance(record, str) else None
            if isinstance(record, Appearance) and record.review_url not in by_url:
                # One reason for all such rows, so that the summary counts them together.
                reason = MISSING_CASE
            if reason is not None or not isinstance(record, Appearance):
                summary.rejected += 1
                reason = reason or "not an appearance"
                summary.reasons[reason] = summary.reasons.get(reason, 0) + 1
                ledger.append((source_key, locator, "rejected", None, reason, None))
                continue
            fresh = False
            for fid in by_url[record.review_url]:
                listed = metadata[fid].setdefault("appearances", [])
                if record.url not in listed:
                    listed.append(record.url)
                    changed.add(fid)
                    fresh = True
            summary.stored += fresh
            summary.appearances += fresh
            summary.duplicate += not fresh
            ledger.append((source_key, locator, "stored" if fresh else "duplicate", by_url[record.review_url][0],
                           None, None))
        if changed:
            conn.exec_driver_sql("UPDATE factchecks SET metadata = ? WHERE id = ?",
                                 [(json.dumps(metadata[f], ensure_ascii=False), f) for f in sorted(changed)])
        # OR REPLACE: a row rejected earlier for a missing case is tried again and re-recorded.
        conn.exec_driver_sql("INSERT OR REPLACE INTO ingest_records VALUES (?,?,?,?,?,?)", ledger)


def list_factchecks(store: Store, *, verdict: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Stored fact-checks, newest first (undated last)."""
    sql = "SELECT * FROM factchecks"
    params: dict[str, Any] = {"limit": limit}
    if verdict:
        if verdict not in VERDICTS:
            raise InputError(f"No verdict {verdict!r}. Verdicts: {', '.join(VERDICTS)}.")
        sql += " WHERE verdict = :verdict"
        params["verdict"] = verdict
    sql += " ORDER BY published_at IS NULL, published_at DESC, id LIMIT :limit"
    rows = store.rows(sql, params)
    for row in rows:
        row["metadata"] = json.loads(row["metadata"] or "{}")
    return rows
