"""A fixture builder for tests and benchmarks: put articles straight into a store.

``add_articles(store, [{"title": ..., "text": ..., "published": ..., "outlet": ...}])`` stores
them as live articles (skipping ingest and segmentation), so a stage can be tested alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .articles import Article, insert_articles
from .store import Store


def add_articles(store: Store, items: Iterable[Mapping[str, Any]], *, status: str = "live") -> list[str]:
    """Store ``items`` (keys: title, text, published (ISO UTC), outlet, url, author, language);
    return their article ids in order."""
    articles = [
        Article(
            title=item.get("title", ""),
            text=item["text"],
            published_at=item.get("published"),
            outlet=item.get("outlet"),
            language=item.get("language"),
            author=item.get("author"),
            url=item.get("url"),
            metadata=dict(item.get("metadata", {})),
            source="fixture",
            status=status,
        )
        for item in items
    ]
    with store.transaction() as conn:
        insert_articles(conn, articles)
        if any(a.url for a in articles):
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO article_urls(article_id, url, canonical_url) VALUES (?,?,?)",
                [(a.id, a.url, a.url) for a in articles if a.url],
            )
    return [a.id for a in articles]


def seed_articles(seeds_dir: Any) -> list[dict[str, Any]]:
    """The two seed pages as fixture items (first line is the title), RT's first."""
    from pathlib import Path

    items = []
    for name, outlet in (("000_53800d2f82c219fd.txt", "rt.com"), ("002_1b1bbd95c77efbd5.txt", "sputniknews.com")):
        raw = (Path(seeds_dir) / name).read_text("utf-8")
        items.append({"title": "", "text": raw, "outlet": outlet, "metadata": {"file": name}})
    return items
