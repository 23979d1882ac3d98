"""Articles as the stages see them, and their content-hash identity.

An article's id is a hash of its normalised title and text, so ingesting the same article
twice, or under two URLs, yields one article (sqlite-utils' ``hash_id`` idea).
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from .store import utcnow

_UNIFY = str.maketrans("\u2018\u2019\u201c\u201d\u2013\u2014\u00a0", "''\"\"-- ")


def normalise_for_hash(text: str) -> str:
    """NFC, unified quotes and dashes, collapsed white space: what identity is computed on."""
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_UNIFY)
    return " ".join(text.split())  # str.split() and \s agree on white space, and split is faster


def content_id(title: str, text: str) -> str:
    """The article id: 16 hex digits of SHA-256 over normalised title and text."""
    digest = hashlib.sha256()
    digest.update(normalise_for_hash(title).encode("utf-8"))
    digest.update(b"\x00")
    digest.update(normalise_for_hash(text).encode("utf-8"))
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Article:
    """One article ready for the store. ``published_at`` is ISO-8601 UTC or None."""

    title: str
    text: str
    published_at: str | None = None
    outlet: str | None = None
    language: str | None = None
    author: str | None = None
    url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    parent_id: str | None = None
    segment_index: int | None = None
    status: str = "new"

    @property
    def id(self) -> str:
        return content_id(self.title, self.text)

    def row(self) -> tuple[Any, ...]:
        return (
            self.id, self.title, self.text, self.published_at, self.outlet, self.language,
            self.author, self.url, json.dumps(self.metadata, ensure_ascii=False, default=str),
            self.source, self.parent_id, self.segment_index, self.status, utcnow(),
        )


ARTICLE_COLUMNS = (
    "id, title, text, published_at, outlet, language, author, url, metadata, source, "
    "parent_id, segment_index, status, ingested_at"
)


def insert_articles(conn: Connection, articles: Iterable[Article]) -> list[str]:
    """Insert articles (ignoring ones already stored); return the ids of those newly added."""
    rows = [a.row() for a in articles]
    if not rows:
        return []
    ids = [r[0] for r in rows]
    existing = {
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT id FROM articles WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)
        )
    }
    fresh, seen = [], set(existing)
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            fresh.append(row)
    if fresh:
        conn.exec_driver_sql(f"INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES ({', '.join('?' * 14)})", fresh)
    return [r[0] for r in fresh]
