"""A page that a fact-check lists as an appearance of its claim matches that fact-check outright."""

from __future__ import annotations

import json
from pathlib import Path

from newstrace.config import Config
from newstrace.factcheck_stage import run
from newstrace.factchecks import import_files
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext
from newstrace.store import Store


def test_factchecks_listed_appearance_matches_the_article(store: Store, tmp_path: Path) -> None:
    listed, other = add_articles(store, [
        {"title": "Something unrelated in wording", "text": "A page about local weather and parking fees.",
         "url": "https://blog.example.org/post/7", "published": "2024-03-10T10:00:00+00:00"},
        {"title": "Another page", "text": "Nothing to do with any claim.", "url": "https://blog.example.org/post/8"},
    ])
    review = {
        "@context": "https://schema.org", "@type": "ClaimReview",
        "claimReviewed": "The moon landing was staged in a studio",
        "reviewRating": {"@type": "Rating", "alternateName": "False"},
        "datePublished": "2024-03-12", "url": "https://check.example/moon",
        "author": {"@type": "Organization", "name": "Check"},
        # The fact-checker lists the page with tracking parameters and www.: canonicalised.
        "itemReviewed": {"@type": "Claim", "appearance": [
            {"@type": "CreativeWork", "url": "http://www.blog.example.org/post/7?utm_source=x"}]},
    }
    path = tmp_path / "review.json"
    path.write_text(json.dumps(review))
    import_files(store, [path])
    summary = run(StageContext(store, Config()))
    assert summary["listed_appearances"] == 1
    rows = store.rows("SELECT * FROM factcheck_matches WHERE target_kind = 'article' AND rank = 0")
    assert [(r["target_id"], r["score"], r["matched"]) for r in rows] == [(listed, 1.0, 1)]
    assert not store.rows("SELECT 1 FROM factcheck_matches WHERE target_id = :o AND matched = 1", {"o": other})
    run(StageContext(store, Config()))  # idempotent
    assert store.scalar("SELECT COUNT(*) FROM factcheck_matches WHERE rank = 0") == 1
