"""The ``reuse`` stage: for every pair of live articles that share text or meaning, decide the
relation (copy, partial, rewrite, same-event) and its direction, and keep the evidence.

Evidence, cheapest first:
1. Lexical candidates: MinHash LSH over 5-word shingles (``minhash``), checked by a local
   alignment of shared word n-grams (``align``) that yields verbatim passages with character
   offsets and the share of each article they cover. An outlet's own repeated lines
   (footers, "Read more", bylines) are boilerplate and never count.
2. Semantic candidates: one title+lead MiniLM vector per article; close neighbours, and every
   lexical candidate that is not a copy, get a sentence-to-sentence alignment (``rewrite``).

Relation, first rule that holds (thresholds are the ``reuse.*`` settings below):
- copy: the verbatim passages cover most of one article (max coverage >= copy_min_coverage);
- rewrite: sentences aligned by meaning outside the verbatim passages (>= rewrite_min_aligned,
  all aligned pairs >= rewrite_min_share of the shorter article's sentences), in one common
  order (>= rewrite_min_order). Checked before partial: independent renderings of one source
  share its quotes word for word, which alone would look like partial reuse;
- partial: verbatim passages cover a real share of one article (>= partial_min_coverage);
- same-event: the title+leads are close (>= same_event_min_lead_cosine), or some sentences align
  (>= same_event_min_aligned and >= same_event_min_share);
- otherwise: unrelated (no row).
Direction is earlier -> later by ``published_at``; a missing date, or two dates equal at the
precision both give, is ``unknown``: never guessed.

Incremental: signatures, line hashes and vectors of processed articles are stored, so new
articles are compared with stored ones (and with each other) without recomputing old pairs.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import align, minhash, rewrite
from .config import Setting
from .errors import InputError, StageError
from .pipeline import StageContext
from .store import Store, utcnow

STAGE = "reuse"
BATCH = 2000
PAIR_CHUNK = 500

SETTINGS = (
    Setting("reuse.num_perm", 128, "MinHash signature length (a power of two)"),
    Setting("reuse.shingle_words", 5, "words per shingle for MinHash"),
    Setting("reuse.bands", 64, "LSH bands (bands x rows <= num_perm); more bands find lower overlaps"),
    Setting("reuse.rows", 2, "signature rows per LSH band"),
    Setting("reuse.candidate_min_jaccard", 0.02, "estimated shingle Jaccard below which an LSH candidate is dropped"),
    Setting("reuse.max_bucket", 1000, "LSH buckets with more articles than this are skipped as boilerplate"),
    Setting("reuse.align_ngram", 5, "words per shared n-gram anchor in the verbatim alignment"),
    Setting("reuse.align_max_gap", 20, "largest gap in words between anchors of one passage"),
    Setting("reuse.min_passage_words", 12, "matched words a verbatim passage needs to count"),
    Setting("reuse.boilerplate_min_articles", 3, "a line in this many articles of one outlet is boilerplate"),
    Setting("reuse.copy_min_coverage", 0.8, "copy: verbatim passages cover at least this share of one article"),
    Setting("reuse.partial_min_coverage", 0.1, "partial: verbatim passages cover at least this share of one article"),
    Setting("reuse.semantic", True, "run the embedding stages (lead vectors and sentence alignment)"),
    Setting("reuse.lead_neighbours", 10, "nearest title+lead neighbours each new article is compared with"),
    Setting("reuse.lead_min_cosine", 0.5, "title+lead cosine a neighbour needs to be compared at all"),
    Setting("reuse.sentence_min_cosine", 0.6, "cosine two sentences need to be aligned"),
    Setting("reuse.rewrite_min_aligned", 3, "rewrite: at least this many aligned pairs outside verbatim passages"),
    Setting("reuse.rewrite_min_share", 0.25, "rewrite: aligned pairs cover this share of the shorter article's sentences"),
    Setting("reuse.rewrite_min_order", 0.9, "rewrite: share of aligned pairs in one common order"),
    Setting("reuse.same_event_min_lead_cosine", 0.7, "same-event: title+lead cosine at least this"),
    Setting("reuse.same_event_min_aligned", 3, "same-event (by sentences): at least this many aligned pairs"),
    Setting("reuse.same_event_min_share", 0.25, "same-event (by sentences): share of the shorter article aligned"),
)

RELATIONS = ("copy", "partial", "rewrite", "same-event")


@dataclass(frozen=True)
class PairDecision:
    """What the stage concludes about one pair (a_id < b_id), with its evidence."""

    a_id: str
    b_id: str
    relation: str | None
    direction: str
    earlier_id: str | None
    later_id: str | None
    lexical_jaccard: float | None
    lead_cosine: float | None
    semantic_score: float | None
    coverage_a: float
    coverage_b: float
    passages: tuple[align.Passage, ...]
    aligned: tuple[tuple[int, int, int, int, float], ...]  # a_start, a_end, b_start, b_end, cosine
    aligned_share: float | None
    aligned_order: float | None


def direction(a_id: str, pub_a: str | None, b_id: str, pub_b: str | None) -> tuple[str, str | None, str | None]:
    """('a->b' | 'b->a' | 'unknown', earlier_id, later_id). Dates are compared at the precision
    both give ("2016-10-17" against "2016-10-17T09:00" is a tie): ties and gaps stay unknown."""
    if not pub_a or not pub_b:
        return "unknown", None, None
    a, b = pub_a[:19], pub_b[:19]
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return "unknown", None, None
    return ("a->b", a_id, b_id) if a < b else ("b->a", b_id, a_id)


def decide_relation(cfg: Any, coverage_a: float, coverage_b: float, lead_cosine: float | None,
                    aligned: int, aligned_share: float | None, aligned_order: float | None,
                    paraphrased: int | None = None) -> str | None:
    """The relation rule of the module docstring, as a pure function of the evidence.
    ``paraphrased``: aligned pairs whose sentences lie mostly outside verbatim passages."""
    paraphrased = aligned if paraphrased is None else paraphrased
    coverage = max(coverage_a, coverage_b)
    if coverage >= cfg["reuse.copy_min_coverage"]:
        return "copy"
    share = aligned_share or 0.0
    # Before "partial": independent renderings of one source share its quotes word for word,
    # so verbatim passages alone do not make a partial copy when the rest is paraphrased too.
    if (paraphrased >= cfg["reuse.rewrite_min_aligned"] and share >= cfg["reuse.rewrite_min_share"]
            and (aligned_order or 0.0) >= cfg["reuse.rewrite_min_order"]):
        return "rewrite"
    if coverage >= cfg["reuse.partial_min_coverage"]:
        return "partial"
    if lead_cosine is not None and lead_cosine >= cfg["reuse.same_event_min_lead_cosine"]:
        return "same-event"
    if aligned >= cfg["reuse.same_event_min_aligned"] and share >= cfg["reuse.same_event_min_share"]:
        return "same-event"
    return None


# -- store access ---------------------------------------------------------------------------
def _ids_json(ids: Iterable[str]) -> str:
    return json.dumps(list(ids))


def _boilerplate(store: Store, outlets: set[str], min_articles: int) -> dict[str, set[int]]:
    if not outlets:
        return {}
    rows = store.rows(
        "SELECT outlet, line_hash FROM reuse_lines WHERE outlet IN (SELECT value FROM json_each(:o)) "
        "GROUP BY outlet, line_hash HAVING COUNT(*) >= :n",
        {"o": json.dumps(sorted(outlets)), "n": min_articles},
    )
    out: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        out[row["outlet"]].add(int(row["line_hash"]))
    return out


def _sentences(store: Store, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in store.rows(
        "SELECT article_id, idx, start, end, text FROM sentences "
        "WHERE article_id IN (SELECT value FROM json_each(:ids)) ORDER BY article_id, idx",
        {"ids": _ids_json(ids)},
    ):
        out[row["article_id"]].append(row)
    return out


def _store_signatures_and_lines(store: Store, cfg: Any, articles: list[dict[str, Any]]) -> None:
    sigs = minhash.signatures([a["text"] for a in articles], cfg["reuse.num_perm"], cfg["reuse.shingle_words"])
    line_rows: list[tuple[str, int, str]] = []
    for article in articles:
        if article["outlet"]:
            hashes = {h for h, _, _ in align.line_spans(article["text"])}
            line_rows.extend((article["outlet"], h, article["id"]) for h in hashes)
    with store.transaction() as conn:
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO reuse_signatures(article_id, num_perm, signature) VALUES (?,?,?)",
            [(a["id"], sigs.shape[1], sigs[i].tobytes()) for i, a in enumerate(articles)],
        )
        if line_rows:
            conn.exec_driver_sql("INSERT OR IGNORE INTO reuse_lines VALUES (?,?,?)", line_rows)


def _lexical_candidates(store: Store, cfg: Any, new_ids: set[str]) -> dict[tuple[str, str], float]:
    rows = store.rows(
        "SELECT s.article_id, s.num_perm, s.signature FROM reuse_signatures s "
        "JOIN articles a ON a.id = s.article_id WHERE a.status = 'live' ORDER BY s.article_id"
    )
    num_perm = cfg["reuse.num_perm"]
    rows = [r for r in rows if r["num_perm"] == num_perm]
    if len(rows) < 2:
        return {}
    ids = [r["article_id"] for r in rows]
    sig = np.frombuffer(b"".join(r["signature"] for r in rows), dtype=np.uint32).reshape(len(rows), num_perm)
    is_new = np.array([i in new_ids for i in ids])
    keys = minhash.band_keys(sig, cfg["reuse.bands"], cfg["reuse.rows"])
    pairs = minhash.candidate_pairs(keys, is_new, cfg["reuse.max_bucket"])
    if not len(pairs):
        return {}
    jaccard = minhash.estimated_jaccard(sig[pairs[:, 0]], sig[pairs[:, 1]])
    keep = np.asarray(jaccard) >= cfg["reuse.candidate_min_jaccard"]
    return {
        (ids[i], ids[j]): round(float(jac), 4)
        for (i, j), jac in zip(pairs[keep], np.asarray(jaccard)[keep], strict=True)
    }


def _store_lead_vectors(store: Store, articles: list[dict[str, Any]]) -> None:
    sentences = _sentences(store, [a["id"] for a in articles])
    texts = [rewrite.lead_text(a["title"], [s["text"] for s in sentences.get(a["id"], [])]) for a in articles]
    vectors = rewrite.embed_texts(texts)
    with store.transaction() as conn:
        conn.exec_driver_sql(
            "INSERT INTO reuse_vectors(article_id, lead) VALUES (?, ?) "
            "ON CONFLICT(article_id) DO UPDATE SET lead = excluded.lead",
            [(a["id"], rewrite.vectors_to_blob(v)) for a, v in zip(articles, vectors, strict=True)],
        )


def _lead_vectors(store: Store) -> tuple[list[str], np.ndarray]:
    rows = store.rows(
        "SELECT v.article_id, v.lead FROM reuse_vectors v JOIN articles a ON a.id = v.article_id "
        "WHERE a.status = 'live' ORDER BY v.article_id"
    )
    if not rows:
        return [], np.zeros((0, 384), np.float32)
    return [r["article_id"] for r in rows], rewrite.blob_to_vectors(b"".join(r["lead"] for r in rows))


def _semantic_candidates(cfg: Any, ids: list[str], vectors: np.ndarray, new_ids: set[str]) -> set[tuple[str, str]]:
    position = {a: i for i, a in enumerate(ids)}
    new_rows = [position[a] for a in sorted(new_ids) if a in position]
    if not new_rows:
        return set()
    found = rewrite.nearest_articles(vectors[new_rows], vectors, cfg["reuse.lead_neighbours"] + 1,
                                     cfg["reuse.lead_min_cosine"])
    out = set()
    for q, s, _ in found:
        a, b = ids[new_rows[q]], ids[s]
        if a != b:
            out.add((min(a, b), max(a, b)))
    return out


def _sentence_vectors(store: Store, ids: Sequence[str], sentences: dict[str, list[dict[str, Any]]]) -> dict[str, np.ndarray]:
    """Sentence vectors of ``ids``, embedding (and storing) those not embedded yet."""
    have = {
        r["article_id"]: rewrite.blob_to_vectors(r["sentences"])
        for r in store.rows(
            "SELECT article_id, sentences FROM reuse_vectors WHERE sentences IS NOT NULL "
            "AND article_id IN (SELECT value FROM json_each(:ids))", {"ids": _ids_json(ids)},
        )
    }
    have = {a: v for a, v in have.items() if len(v) == len(sentences.get(a, []))}
    missing = [a for a in ids if a not in have]
    if missing:
        texts = [s["text"] for a in missing for s in sentences.get(a, [])]
        vectors = rewrite.embed_texts(texts)
        rows, pos = [], 0
        for a in missing:
            count = len(sentences.get(a, []))
            have[a] = vectors[pos: pos + count]
            rows.append((rewrite.vectors_to_blob(have[a]), a))
            pos += count
        with store.transaction() as conn:
            conn.exec_driver_sql("UPDATE reuse_vectors SET sentences = ? WHERE article_id = ?", rows)
    return have


# -- verification ---------------------------------------------------------------------------
def _verify_chunk(store: Store, cfg: Any, pairs: list[tuple[str, str]], jaccards: dict[tuple[str, str], float],
                  leads: dict[str, np.ndarray]) -> list[PairDecision]:
    ids = sorted({x for pair in pairs for x in pair})
    articles = {a["id"]: a for a in store.articles(ids)}
    boiler = _boilerplate(store, {a["outlet"] for a in articles.values() if a["outlet"]},
                          cfg["reuse.boilerplate_min_articles"])
    skips = {a: align.boilerplate_spans(art["text"], boiler.get(art["outlet"] or "", ()))
             for a, art in articles.items()}
    lexical: dict[tuple[str, str], align.VerbatimEvidence] = {}
    need_semantic: list[tuple[str, str]] = []
    for a_id, b_id in pairs:
        if a_id not in articles or b_id not in articles:
            continue
        evidence = align.align_passages(
            articles[a_id]["text"], articles[b_id]["text"], skip_a=skips[a_id], skip_b=skips[b_id],
            ngram=cfg["reuse.align_ngram"], max_gap=cfg["reuse.align_max_gap"],
            min_words=cfg["reuse.min_passage_words"],
        )
        lexical[(a_id, b_id)] = evidence
        if cfg["reuse.semantic"] and max(evidence.coverage_a, evidence.coverage_b) < cfg["reuse.copy_min_coverage"]:
            need_semantic.append((a_id, b_id))
    sentences = _sentences(store, ids)
    vectors = _sentence_vectors(store, sorted({x for p in need_semantic for x in p}), sentences) if need_semantic else {}
    decisions = []
    for (a_id, b_id), evidence in lexical.items():
        lead_cos = None
        if a_id in leads and b_id in leads:
            lead_cos = round(float(leads[a_id] @ leads[b_id]), 4)
        aligned_rows: list[tuple[int, int, int, int, float]] = []
        share = order = semantic = None
        paraphrased = 0
        if (a_id, b_id) in need_semantic:
            usable_a = _alignable(sentences.get(a_id, []), skips[a_id])
            usable_b = _alignable(sentences.get(b_id, []), skips[b_id])
            found = rewrite.align_sentences(vectors[a_id][usable_a], vectors[b_id][usable_b],
                                            cfg["reuse.sentence_min_cosine"])
            if usable_a and usable_b:
                share = round(len(found) / min(len(usable_a), len(usable_b)), 4)
            order = rewrite.order_agreement(found) if found else None
            semantic = round(float(np.mean([f.cosine for f in found])), 4) if found else None
            for f in found:
                sa, sb = sentences[a_id][usable_a[f.a_idx]], sentences[b_id][usable_b[f.b_idx]]
                aligned_rows.append((sa["start"], sa["end"], sb["start"], sb["end"], f.cosine))
                if _verbatim_share(sa, [(p.a_start, p.a_end) for p in evidence.passages]) < 0.5:
                    paraphrased += 1
        relation = decide_relation(cfg, evidence.coverage_a, evidence.coverage_b, lead_cos,
                                   len(aligned_rows), share, order, paraphrased)
        dir_, earlier, later = direction(a_id, articles[a_id]["published_at"], b_id, articles[b_id]["published_at"])
        decisions.append(PairDecision(
            a_id, b_id, relation, dir_, earlier, later, jaccards.get((a_id, b_id)), lead_cos, semantic,
            evidence.coverage_a, evidence.coverage_b, evidence.passages, tuple(aligned_rows), share, order,
        ))
    return decisions


def _verbatim_share(sentence: dict[str, Any], spans: list[tuple[int, int]]) -> float:
    """Share of a sentence's characters inside verbatim passages."""
    length = max(1, sentence["end"] - sentence["start"])
    inside = sum(max(0, min(hi, sentence["end"]) - max(lo, sentence["start"])) for lo, hi in spans)
    return min(1.0, inside / length)


def _alignable(sentences: list[dict[str, Any]], skip: list[tuple[int, int]]) -> list[int]:
    """Indexes of sentences long enough to carry a claim and not inside boilerplate lines."""
    return [
        k for k, s in enumerate(sentences)
        if rewrite.alignable(s["text"]) and not any(lo <= s["start"] and s["end"] <= hi for lo, hi in skip)
    ]


def _write(store: Store, decisions: list[PairDecision]) -> int:
    now = utcnow()
    keys = [(d.a_id, d.b_id) for d in decisions]
    related = [d for d in decisions if d.relation]
    with store.transaction() as conn:
        conn.exec_driver_sql("DELETE FROM passages WHERE a_id = ? AND b_id = ?", keys)
        conn.exec_driver_sql("DELETE FROM pairs WHERE a_id = ? AND b_id = ?", keys)
        if related:
            conn.exec_driver_sql(
                "INSERT INTO pairs(a_id, b_id, relation, direction, earlier_id, later_id, lexical_jaccard, "
                "lead_cosine, semantic_score, coverage_a, coverage_b, verbatim_passages, aligned_sentences, "
                "aligned_share, aligned_order, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(d.a_id, d.b_id, d.relation, d.direction, d.earlier_id, d.later_id, d.lexical_jaccard,
                  d.lead_cosine, d.semantic_score, d.coverage_a, d.coverage_b, len(d.passages), len(d.aligned),
                  d.aligned_share, d.aligned_order, now) for d in related],
            )
            passage_rows = [
                (d.a_id, d.b_id, "verbatim", p.a_start, p.a_end, p.b_start, p.b_end, p.score)
                for d in related for p in d.passages
            ] + [
                (d.a_id, d.b_id, "aligned", *row) for d in related for row in d.aligned
            ]
            if passage_rows:
                conn.exec_driver_sql("INSERT INTO passages VALUES (?,?,?,?,?,?,?,?)", passage_rows)
    return len(related)


# -- the stage ------------------------------------------------------------------------------
def run(ctx: StageContext) -> dict[str, Any]:
    """Compare the live articles not yet processed with each other and with those stored."""
    store, cfg = ctx.store, ctx.config
    pending = store.pending(STAGE)
    if not pending:
        return {"articles": 0, "candidates": 0, "pairs": 0}
    unsplit = store.scalar(
        "SELECT COUNT(*) FROM json_each(:ids) j WHERE NOT EXISTS "
        "(SELECT 1 FROM stage_done d WHERE d.stage = 'sentences' AND d.article_id = j.value)",
        {"ids": _ids_json(pending)},
    )
    if unsplit:
        raise StageError(f"{unsplit} live articles have no sentences yet: run the 'sentences' stage before 'reuse'.")
    new_ids = set(pending)
    ctx.progress.start("reuse: signatures and vectors", len(pending))
    for begin in range(0, len(pending), BATCH):
        batch = store.articles(pending[begin: begin + BATCH])
        _store_signatures_and_lines(store, cfg, batch)
        if cfg["reuse.semantic"]:
            _store_lead_vectors(store, batch)
        ctx.progress.advance(len(batch))
    ctx.progress.finish()

    jaccards = _lexical_candidates(store, cfg, new_ids)
    candidates = set(jaccards)
    leads: dict[str, np.ndarray] = {}
    if cfg["reuse.semantic"]:
        lead_ids, lead_matrix = _lead_vectors(store)
        candidates |= _semantic_candidates(cfg, lead_ids, lead_matrix, new_ids)
        leads = dict(zip(lead_ids, lead_matrix, strict=True))
    ordered = sorted(candidates)
    ctx.progress.start("reuse: verify pairs", len(ordered))
    related = 0
    for begin in range(0, len(ordered), PAIR_CHUNK):
        chunk = ordered[begin: begin + PAIR_CHUNK]
        related += _write(store, _verify_chunk(store, cfg, chunk, jaccards, leads))
        ctx.progress.advance(len(chunk))
    ctx.progress.finish()
    with store.transaction() as conn:
        store.mark_done(conn, STAGE, pending)
    counts = dict.fromkeys(RELATIONS, 0)
    for row in store.rows(
        "SELECT relation, COUNT(*) AS n FROM pairs WHERE a_id IN (SELECT value FROM json_each(:ids)) "
        "OR b_id IN (SELECT value FROM json_each(:ids)) GROUP BY relation", {"ids": _ids_json(pending)},
    ):
        counts[row["relation"]] = row["n"]
    return {"articles": len(pending), "candidates": len(ordered), "pairs": related, **counts}


# -- evidence for people --------------------------------------------------------------------
def _resolve(store: Store, ref: str) -> dict[str, Any]:
    rows = store.rows("SELECT id FROM articles WHERE id LIKE :p ORDER BY id LIMIT 2",
                      {"p": ref.replace("%", "").replace("_", "") + "%"})
    if not rows:
        raise InputError(f"No article with id {ref!r}. List ids with `newstrace export` or check the prefix.")
    if len(rows) > 1 and rows[0]["id"] != ref:
        raise InputError(f"Article id prefix {ref!r} is ambiguous: give more characters.")
    return store.articles([rows[0]["id"]], live_only=False)[0]


def pair_evidence(store: Store, a: str, b: str) -> dict[str, Any]:
    """The stored relation of articles ``a`` and ``b`` (ids or unique id prefixes) and every
    passage of evidence with its text on both sides. ``relation`` is None when the reuse stage
    found them unrelated or has not compared them (``compared`` tells which)."""
    art_a, art_b = _resolve(store, a), _resolve(store, b)
    if art_a["id"] == art_b["id"]:
        raise InputError("Give two different articles.")
    if art_a["id"] > art_b["id"]:
        art_a, art_b = art_b, art_a
    key = {"a": art_a["id"], "b": art_b["id"]}
    pair = store.rows("SELECT * FROM pairs WHERE a_id = :a AND b_id = :b", key)
    compared = bool(store.scalar(
        "SELECT COUNT(*) FROM stage_done WHERE stage = 'reuse' AND article_id IN (:a, :b)", key) == 2)
    passages = store.rows(
        "SELECT kind, a_start, a_end, b_start, b_end, score FROM passages WHERE a_id = :a AND b_id = :b "
        "ORDER BY kind DESC, a_start", key)
    for p in passages:
        p["a_text"] = art_a["text"][p["a_start"]: p["a_end"]]
        p["b_text"] = art_b["text"][p["b_start"]: p["b_end"]]

    def describe(art: dict[str, Any]) -> dict[str, Any]:
        return {k: art[k] for k in ("id", "title", "outlet", "published_at", "url")}

    return {
        "a": describe(art_a), "b": describe(art_b), "compared": compared,
        "relation": pair[0]["relation"] if pair else None,
        "pair": pair[0] if pair else None, "passages": passages,
    }
