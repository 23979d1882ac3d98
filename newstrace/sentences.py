"""Sentence splitting with character offsets (blingfire: ~290,000 sentences/s).

Later stages align, attribute and claim at sentence level, and keep offsets into the article
text so that every piece of evidence can be shown in place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .pipeline import StageContext

STAGE = "sentences"
BATCH = 2000


@dataclass(frozen=True)
class Sentence:
    idx: int
    start: int
    end: int
    text: str


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of ``text``, each with [start, end) offsets into ``text``.

    Paragraph breaks always end a sentence; blingfire splits inside paragraphs.
    """
    import blingfire

    out: list[Sentence] = []
    pos = 0
    for paragraph in text.split("\n"):
        para_start = pos
        pos += len(paragraph) + 1
        if not paragraph.strip():
            continue
        _, offsets = blingfire.text_to_sentences_and_offsets(paragraph)
        for start, end in offsets:
            piece = paragraph[start:end]
            stripped = piece.strip()
            if not stripped:
                continue
            lead = len(piece) - len(piece.lstrip())
            s = para_start + start + lead
            out.append(Sentence(len(out), s, s + len(stripped), stripped))
    return out


def run(ctx: StageContext) -> dict[str, Any]:
    store = ctx.store
    pending = store.pending(STAGE)
    ctx.progress.start("sentences", len(pending))
    written = 0
    for i in range(0, len(pending), BATCH):
        batch = store.articles(pending[i : i + BATCH])
        rows = []
        for article in batch:
            for s in split_sentences(article["text"]):
                rows.append((article["id"], s.idx, s.start, s.end, s.text))
        with store.transaction() as conn:
            conn.exec_driver_sql(
                "DELETE FROM sentences WHERE article_id IN (SELECT value FROM json_each(?))",
                (json.dumps([a["id"] for a in batch]),),
            )
            conn.exec_driver_sql("INSERT INTO sentences VALUES (?,?,?,?,?)", rows)
            store.mark_done(conn, STAGE, [a["id"] for a in batch])
        written += len(rows)
        ctx.progress.advance(len(batch))
    ctx.progress.finish()
    return {"articles": len(pending), "sentences": written}
