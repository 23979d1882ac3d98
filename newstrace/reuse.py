"""The ``reuse`` stage: for every pair of live articles that share text or meaning, decide the
relation (copy, partial, rewrite, same-event) and its direction, and keep the evidence.

Evidence, cheapest first:
1. Lexical candidates: MinHash LSH over 5-word shingles (``minhash``), checked by a local
   alignment of shared word n-grams (``align``) that yields verbatim passages with character
   offsets and the share of each article they cover. An outlet's own repeated lines
   (footers, "Read more", bylines) are boilerplate and never count.
2. Semantic candidates: one title+lead MiniLM vector per article; close neighbours, and every
   lexical candidate that is not a copy, get a sentence-to-sentence alignment (``rewrite``).
   With ``static_first_pass``, neighbours are chosen by a static model distilled from MiniLM
   (``static_model``, model2vec), and kept if their MiniLM title+lead cosine is close enough.
3. Name candidates: articles that share proper names of two or more words (``event_names``)
   within a few days.

Relation, first rule that holds (thresholds are the ``reuse.*`` settings below):
- copy: the verbatim passages cover most of one article (max coverage >= copy_min_coverage);
- rewrite: sentences aligned by meaning (>= rewrite_min_aligned of them in one common order, and
  >= rewrite_min_order of all aligned pairs in that order, covering >= rewrite_min_share of the
  shorter article's sentences), of which >= rewrite_min_paraphrased lie outside the verbatim
  passages. Checked before partial: independent renderings of one source share its quotes word
  for word, which alone would look like partial reuse;
- partial: verbatim passages *outside quotations* cover a real share of one article
  (>= partial_min_coverage). Two reports that quote the same statement word for word both took
  it from the speaker; that is shared sourcing, not reuse of each other's text;
- same-event: the title+leads are close (>= same_event_min_lead_cosine), or some sentences align
  (>= same_event_min_aligned and >= same_event_min_share), or the two name the same people and
  bodies (>= same_event_min_names proper names of two or more words, each in at most
  name_max_articles articles), both dated and at most same_event_max_days apart (the same people
  recur in the news for years), with title+leads on one subject
  (>= same_event_names_min_lead_cosine): a reaction or a follow-up shares names, not sentences;
- otherwise: unrelated (no row).
Direction is earlier -> later by ``published_at``; a missing date, or two dates equal at the
precision both give, is ``unknown``: never guessed.

Incremental: signatures, line hashes and vectors of processed articles are stored, so new
articles are compared with stored ones (and with each other) without recomputing old pairs.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import align, event_names, minhash, rewrite
from .config import Setting
from .dates import day_number
from .errors import InputError, StageError
from .pipeline import StageContext
from .store import Store, utcnow

STAGE = "reuse"
# Marks in ``stage_done``: the articles whose names are stored, and the articles compared under
# the current decision rules. Bump RULES_MARK when a change alters decisions: articles compared
# under older rules are compared again, so a store never mixes verdicts of two rule sets.
NAMES_MARK = "reuse-names-2"  # bump when event_names changes: stored names are extracted again
RULES_MARK = "reuse-rules-3"
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
    Setting("reuse.static_first_pass", False,
            "choose semantic candidates by the static (model2vec) model first, then keep those whose MiniLM "
            "title+lead cosine reaches lead_min_cosine (see BENCHMARKS.md: off by default, it loses recall)"),
    Setting("reuse.static_neighbours", 30, "static first pass: nearest title+lead neighbours of each new article"),
    Setting("reuse.static_min_cosine", 0.5, "static first pass: static cosine a neighbour needs"),
    Setting("reuse.lead_neighbours", 10, "nearest title+lead neighbours (MiniLM) each new article is compared with"),
    Setting("reuse.lead_min_cosine", 0.5, "MiniLM title+lead cosine a neighbour needs to be compared at all"),
    Setting("reuse.sentence_min_cosine", 0.6, "cosine two sentences need to be aligned"),
    Setting("reuse.rewrite_min_aligned", 3, "rewrite: at least this many aligned pairs in one common order"),
    Setting("reuse.rewrite_min_share", 0.25, "rewrite: aligned pairs cover this share of the shorter article's sentences"),
    Setting("reuse.moved_max_anchors", 2,
            "rewrite evidence: unpaired sentences, each the other's best match, aligned if they cross at most this many aligned pairs"),
    Setting("reuse.gap_min_cosine", 0.45,
            "rewrite evidence: sentences between two aligned pairs, each the other's best match there, at this cosine"),
    Setting("reuse.rewrite_min_order", 0.7, "rewrite: share of aligned pairs in one common order"),
    Setting("reuse.rewrite_min_paraphrased", 2, "rewrite: aligned pairs whose sentences lie mostly outside verbatim passages"),
    Setting("reuse.same_event_min_lead_cosine", 0.7, "same-event: title+lead cosine at least this"),
    Setting("reuse.same_event_min_aligned", 3, "same-event (by sentences): at least this many aligned pairs"),
    Setting("reuse.same_event_min_share", 0.25, "same-event (by sentences): share of the shorter article aligned"),
    Setting("reuse.same_event_min_names", 2, "same-event (by names): proper names of 2+ words both articles carry"),
    Setting("reuse.same_event_names_min_lead_cosine", 0.35, "same-event (by names): title+lead cosine at least this"),
    Setting("reuse.same_event_max_days", 7, "same-event (by names): dated articles at most this many days apart"),
    Setting("reuse.name_max_articles", 200, "a name in more live articles than this is too common to tell events apart"),
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
    shared_names: tuple[str, ...] = ()


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
                    paraphrased: int | None = None, shared_names: int = 0,
                    days_apart: float | None = None, unquoted_coverage: float | None = None) -> str | None:
    """The relation rule of the module docstring, as a pure function of the evidence.
    ``paraphrased``: aligned pairs whose sentences lie mostly outside verbatim passages;
    ``shared_names``: proper names (not too common) both carry; ``days_apart``: None if undated;
    ``unquoted_coverage``: the larger coverage counting only words outside quotations."""
    paraphrased = aligned if paraphrased is None else paraphrased
    coverage = max(coverage_a, coverage_b)
    if coverage >= cfg["reuse.copy_min_coverage"]:
        return "copy"
    share = aligned_share or 0.0
    order = aligned_order or 0.0
    in_order = round(aligned * order)
    # Before "partial": independent renderings of one source share its quotes word for word,
    # so verbatim passages alone do not make a partial copy when the rest is paraphrased too.
    if (in_order >= cfg["reuse.rewrite_min_aligned"] and paraphrased >= cfg["reuse.rewrite_min_paraphrased"]
            and share >= cfg["reuse.rewrite_min_share"] and order >= cfg["reuse.rewrite_min_order"]):
        return "rewrite"
    if (coverage if unquoted_coverage is None else unquoted_coverage) >= cfg["reuse.partial_min_coverage"]:
        return "partial"
    if lead_cosine is not None and lead_cosine >= cfg["reuse.same_event_min_lead_cosine"]:
        return "same-event"
    if aligned >= cfg["reuse.same_event_min_aligned"] and share >= cfg["reuse.same_event_min_share"]:
        return "same-event"
    if (shared_names >= cfg["reuse.same_event_min_names"]
            and days_apart is not None and days_apart <= cfg["reuse.same_event_max_days"]
            and lead_cosine is not None and lead_cosine >= cfg["reuse.same_event_names_min_lead_cosine"]):
        return "same-event"
    return None


def days_between(pub_a: str | None, pub_b: str | None) -> float | None:
    """Days between two ISO dates or times, by calendar date (None when either is missing or
    unreadable)."""
    days = abs(day_number(pub_a) - day_number(pub_b))
    return None if math.isnan(days) else days


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
    _store_names(store, articles)


def _store_names(store: Store, articles: Sequence[dict[str, Any]]) -> None:
    """Proper names of ``articles`` (``event_names``), marked done in the same transaction."""
    rows = [(name, a["id"]) for a in articles
            for name in event_names.proper_names(f"{a['title'] or ''}\n{a['text']}")]
    with store.transaction() as conn:
        # Names from an older extractor (an earlier NAMES_MARK) are replaced, not added to.
        conn.exec_driver_sql("DELETE FROM reuse_names WHERE article_id = ?", [(a["id"],) for a in articles])
        if rows:
            conn.exec_driver_sql("INSERT OR IGNORE INTO reuse_names(name, article_id) VALUES (?,?)", rows)
        store.mark_done(conn, NAMES_MARK, [a["id"] for a in articles])


def _backfill_names(store: Store) -> None:
    """Articles compared before names were kept (migration 0009) get their names, so that new
    articles can be compared with them; an interrupted backfill goes on where it stopped."""
    ids = [r["id"] for r in store.rows(
        "SELECT a.id FROM articles a JOIN stage_done d ON d.article_id = a.id AND d.stage = :stage "
        "WHERE a.status = 'live' AND NOT EXISTS "
        "(SELECT 1 FROM stage_done m WHERE m.stage = :mark AND m.article_id = a.id)",
        {"stage": STAGE, "mark": NAMES_MARK})]
    for begin in range(0, len(ids), BATCH):
        _store_names(store, store.articles(ids[begin: begin + BATCH]))


def _invalidate_old_rules(store: Store) -> None:
    """Articles compared under older decision rules (no RULES_MARK) are compared again: their
    pairs are dropped and their ``reuse`` mark removed, so that this run re-decides them."""
    stale = [r["article_id"] for r in store.rows(
        "SELECT d.article_id FROM stage_done d WHERE d.stage = :stage AND NOT EXISTS "
        "(SELECT 1 FROM stage_done m WHERE m.stage = :mark AND m.article_id = d.article_id)",
        {"stage": STAGE, "mark": RULES_MARK})]
    if not stale:
        return
    ids = _ids_json(stale)
    with store.transaction() as conn:
        for table in ("passages", "pairs"):
            conn.exec_driver_sql(
                f"DELETE FROM {table} WHERE a_id IN (SELECT value FROM json_each(?)) "
                "OR b_id IN (SELECT value FROM json_each(?))", (ids, ids))
        conn.exec_driver_sql("DELETE FROM stage_done WHERE stage = ? AND article_id IN "
                             "(SELECT value FROM json_each(?))", (STAGE, ids))


def _shared_names(store: Store, cfg: Any, ids: Sequence[str]) -> tuple[dict[str, set[str]], set[str]]:
    """(names of each of ``ids``, the subset of those names that are too common to count)."""
    names: dict[str, set[str]] = defaultdict(set)
    for row in store.rows("SELECT n.article_id, n.name FROM json_each(:ids) j "
                          "CROSS JOIN reuse_names n ON n.article_id = j.value", {"ids": _ids_json(ids)}):
        names[row["article_id"]].add(row["name"])
    every = sorted(set().union(*names.values())) if names else []
    # Driven from the name list (CROSS JOIN fixes the order): started from the articles table,
    # SQLite would walk every live article once per name.
    common = {
        row["name"] for row in store.rows(
            "SELECT j.value AS name FROM json_each(:names) j CROSS JOIN reuse_names n ON n.name = j.value "
            "JOIN articles a ON a.id = n.article_id AND a.status = 'live' GROUP BY j.value HAVING COUNT(*) > :cap",
            {"names": json.dumps(every), "cap": cfg["reuse.name_max_articles"]})
    }
    return names, common


def _name_candidates(store: Store, cfg: Any, new_ids: set[str]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Pairs (one of them new) that share at least ``same_event_min_names`` names that are not
    too common, as (near, far): near pairs are both dated and at most ``same_event_max_days``
    apart, so the names count as same-event evidence (the lead cosine is checked when the pair
    is verified); far pairs (undated, or further apart) get no names evidence, but pasted
    paragraphs carry their names with them, so they are still checked for verbatim passages."""
    rows = store.rows(
        "WITH new_names AS (SELECT DISTINCT n.name FROM json_each(:ids) j "
        "  CROSS JOIN reuse_names n ON n.article_id = j.value), "
        "counted AS (SELECT nn.name FROM new_names nn CROSS JOIN reuse_names n ON n.name = nn.name "
        "  JOIN articles a ON a.id = n.article_id AND a.status = 'live' "
        "  GROUP BY nn.name HAVING COUNT(*) BETWEEN 2 AND :cap) "
        "SELECT x.article_id AS a, y.article_id AS b, "
        "coalesce(abs(julianday(substr(ax.published_at, 1, 10)) - julianday(substr(ay.published_at, 1, 10))) <= :days, 0) "
        "AS near FROM json_each(:ids) j "
        "CROSS JOIN reuse_names x ON x.article_id = j.value "
        "CROSS JOIN reuse_names y ON y.name = x.name AND y.article_id != x.article_id "
        "JOIN articles ax ON ax.id = x.article_id "
        "JOIN articles ay ON ay.id = y.article_id AND ay.status = 'live' "
        "WHERE x.name IN (SELECT name FROM counted) "
        "GROUP BY x.article_id, y.article_id HAVING COUNT(*) >= :min",
        {"ids": _ids_json(sorted(new_ids)), "cap": cfg["reuse.name_max_articles"],
         "min": cfg["reuse.same_event_min_names"], "days": cfg["reuse.same_event_max_days"]},
    )
    near: set[tuple[str, str]] = set()
    far: set[tuple[str, str]] = set()
    for r in rows:
        (near if r["near"] else far).add((min(r["a"], r["b"]), max(r["a"], r["b"])))
    return near, far - near


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


def _lead_texts(store: Store, articles: list[dict[str, Any]]) -> list[str]:
    sentences = _sentences(store, [a["id"] for a in articles])
    return [rewrite.lead_text(a["title"], [s["text"] for s in sentences.get(a["id"], [])]) for a in articles]


def _store_lead_vectors(store: Store, articles: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """MiniLM title+lead vectors of ``articles``, stored, and returned as stored (float16)."""
    blobs = [rewrite.vectors_to_blob(v) for v in rewrite.embed_texts(_lead_texts(store, articles))]
    with store.transaction() as conn:
        conn.exec_driver_sql(
            "INSERT INTO reuse_vectors(article_id, lead) VALUES (?, ?) "
            "ON CONFLICT(article_id) DO UPDATE SET lead = excluded.lead",
            [(a["id"], blob) for a, blob in zip(articles, blobs, strict=True)],
        )
    return {a["id"]: rewrite.blob_to_vectors(blob)[0] for a, blob in zip(articles, blobs, strict=True)}


def _store_static_vectors(store: Store, articles: list[dict[str, Any]]) -> None:
    """Static (model2vec) title+lead vectors of ``articles``: the first pass."""
    from .static_model import embed_static

    vectors = embed_static(_lead_texts(store, articles))
    with store.transaction() as conn:
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO reuse_static(article_id, vector) VALUES (?, ?)",
            [(a["id"], rewrite.vectors_to_blob(v)) for a, v in zip(articles, vectors, strict=True)],
        )


def _first_pass_vectors(store: Store, cfg: Any) -> tuple[list[str], np.ndarray]:
    """Title+lead vectors of every live article, by the first-pass model."""
    if cfg["reuse.static_first_pass"]:
        from .static_model import PCA_DIMS

        table, column, dim = "reuse_static", "vector", PCA_DIMS
    else:
        table, column, dim = "reuse_vectors", "lead", 384
    rows = store.rows(
        f"SELECT v.article_id, v.{column} AS v FROM {table} v JOIN articles a ON a.id = v.article_id "
        "WHERE a.status = 'live' ORDER BY v.article_id"
    )
    if not rows:
        return [], np.zeros((0, dim), np.float32)
    return [r["article_id"] for r in rows], rewrite.blob_to_vectors(b"".join(r["v"] for r in rows), dim)


def _lead_vectors(store: Store, ids: Sequence[str]) -> dict[str, np.ndarray]:
    """MiniLM title+lead vectors of ``ids``, embedding (and storing) those not embedded yet."""
    have = {
        r["article_id"]: rewrite.blob_to_vectors(r["lead"])[0]
        for r in store.rows("SELECT article_id, lead FROM reuse_vectors WHERE article_id IN "
                            "(SELECT value FROM json_each(:ids))", {"ids": _ids_json(ids)})
    }
    missing = [a for a in ids if a not in have]
    for begin in range(0, len(missing), BATCH):
        have.update(_store_lead_vectors(store, store.articles(missing[begin: begin + BATCH])))
    return have


def _backfill_first_pass(store: Store, cfg: Any) -> None:
    """Articles compared while the other first pass was in use (``reuse.static_first_pass``
    turned on or off since, or a store older than the static pass) get this pass's vectors, so
    that new articles find them as neighbours."""
    if not cfg["reuse.semantic"]:
        return
    static = cfg["reuse.static_first_pass"]
    table = "reuse_static" if static else "reuse_vectors"
    ids = [r["id"] for r in store.rows(
        "SELECT a.id FROM articles a JOIN stage_done d ON d.article_id = a.id AND d.stage = 'reuse' "
        f"WHERE a.status = 'live' AND NOT EXISTS (SELECT 1 FROM {table} v WHERE v.article_id = a.id)")]
    for begin in range(0, len(ids), BATCH):
        batch = store.articles(ids[begin: begin + BATCH])
        (_store_static_vectors if static else _store_lead_vectors)(store, batch)


def _semantic_candidates(cfg: Any, ids: list[str], vectors: np.ndarray, new_ids: set[str]) -> set[tuple[str, str]]:
    position = {a: i for i, a in enumerate(ids)}
    new_rows = [position[a] for a in sorted(new_ids) if a in position]
    if not new_rows:
        return set()
    if cfg["reuse.static_first_pass"]:
        k, min_cosine = cfg["reuse.static_neighbours"], cfg["reuse.static_min_cosine"]
    else:
        k, min_cosine = cfg["reuse.lead_neighbours"], cfg["reuse.lead_min_cosine"]
    found = rewrite.nearest_articles(vectors[new_rows], vectors, k + 1, min_cosine)
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
                  leads: dict[str, np.ndarray], lexical_only: AbstractSet[tuple[str, str]] = frozenset(),
                  ) -> list[PairDecision]:
    """Decide ``pairs`` from verbatim passages and, where those do not make a copy, aligned
    sentences; pairs in ``lexical_only`` are not aligned by meaning."""
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
        if (cfg["reuse.semantic"] and max(evidence.coverage_a, evidence.coverage_b) < cfg["reuse.copy_min_coverage"]
                and (a_id, b_id) not in lexical_only):
            need_semantic.append((a_id, b_id))
    sentences = _sentences(store, ids)
    names, common_names = _shared_names(store, cfg, ids)
    vectors = _sentence_vectors(store, sorted({x for p in need_semantic for x in p}), sentences) if need_semantic else {}
    decisions = []
    for (a_id, b_id), evidence in lexical.items():
        lead_cos = None
        if a_id in leads and b_id in leads:
            lead_cos = round(float(leads[a_id] @ leads[b_id]), 4)
        aligned_rows: list[tuple[int, int, int, int, float]] = []
        share = order = semantic = None
        paraphrased = 0
        found: list[rewrite.AlignedSentence] = []
        usable_a: list[int] = []
        usable_b: list[int] = []
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
        shared = tuple(sorted((names.get(a_id, set()) & names.get(b_id, set())) - common_names))
        unquoted = max(
            evidence.coverage_a * align.unquoted_share([(p.a_start, p.a_end) for p in evidence.passages],
                                                       align.quoted_spans(articles[a_id]["text"])),
            evidence.coverage_b * align.unquoted_share([(p.b_start, p.b_end) for p in evidence.passages],
                                                       align.quoted_spans(articles[b_id]["text"])),
        )
        days = days_between(articles[a_id]["published_at"], articles[b_id]["published_at"])
        relation = decide_relation(cfg, evidence.coverage_a, evidence.coverage_b, lead_cos,
                                   len(aligned_rows), share, order, paraphrased, len(shared), days, unquoted)
        # The shared names are kept as evidence when they alone make the pair same-event.
        by_names = relation == "same-event" and decide_relation(
            cfg, 0.0, 0.0, lead_cos, 0, None, None, 0, len(shared), days) == "same-event"
        if relation == "rewrite":
            # Evidence only (the relation is decided): sentences the rewrite's order implies.
            for f in rewrite.fill_gaps(found, vectors[a_id][usable_a], vectors[b_id][usable_b],
                                       cfg["reuse.gap_min_cosine"], cfg["reuse.moved_max_anchors"]):
                sa, sb = sentences[a_id][usable_a[f.a_idx]], sentences[b_id][usable_b[f.b_idx]]
                aligned_rows.append((sa["start"], sa["end"], sb["start"], sb["end"], f.cosine))
        dir_, earlier, later = direction(a_id, articles[a_id]["published_at"], b_id, articles[b_id]["published_at"])
        decisions.append(PairDecision(
            a_id, b_id, relation, dir_, earlier, later, jaccards.get((a_id, b_id)), lead_cos, semantic,
            evidence.coverage_a, evidence.coverage_b, evidence.passages, tuple(aligned_rows), share, order,
            shared if by_names else (),
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
                "aligned_share, aligned_order, shared_names, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(d.a_id, d.b_id, d.relation, d.direction, d.earlier_id, d.later_id, d.lexical_jaccard,
                  d.lead_cosine, d.semantic_score, d.coverage_a, d.coverage_b, len(d.passages), len(d.aligned),
                  d.aligned_share, d.aligned_order, json.dumps(list(d.shared_names)) if d.shared_names else None,
                  now) for d in related],
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
    _invalidate_old_rules(store)
    # Filled in before anything new is compared (and even when nothing is new), so that an
    # interrupted backfill goes on at the next run.
    _backfill_names(store)
    _backfill_first_pass(store, cfg)
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
            if cfg["reuse.static_first_pass"]:
                _store_static_vectors(store, batch)
            else:
                _store_lead_vectors(store, batch)
        ctx.progress.advance(len(batch))
    ctx.progress.finish()

    jaccards = _lexical_candidates(store, cfg, new_ids)
    candidates = set(jaccards)
    leads: dict[str, np.ndarray] = {}
    lexical_only: set[tuple[str, str]] = set()
    if cfg["reuse.semantic"]:
        first_ids, first_matrix = _first_pass_vectors(store, cfg)
        semantic = _semantic_candidates(cfg, first_ids, first_matrix, new_ids) - candidates
        near_names, far_names = _name_candidates(store, cfg, new_ids)
        names = near_names | far_names
        leads = _lead_vectors(store, sorted({x for pair in candidates | semantic | names for x in pair}))
        # Far name pairs that nothing else proposed are aligned by meaning only if their
        # title+leads pass the gate every semantic candidate passes; else verbatim passages only.
        lexical_only = {(a, b) for a, b in far_names - candidates - semantic
                        if float(leads[a] @ leads[b]) < cfg["reuse.lead_min_cosine"]}
        if cfg["reuse.static_first_pass"]:
            # The static model only proposes; MiniLM's title+lead cosine decides, as without it.
            semantic = {(a, b) for a, b in semantic - names
                        if float(leads[a] @ leads[b]) >= cfg["reuse.lead_min_cosine"]} | (semantic & names)
        candidates |= semantic | names
    else:
        # Without embeddings, articles that share names are still checked for pasted passages.
        near, far = _name_candidates(store, cfg, new_ids)
        candidates |= near | far
    ordered = sorted(candidates)
    ctx.progress.start("reuse: verify pairs", len(ordered))
    related = 0
    for begin in range(0, len(ordered), PAIR_CHUNK):
        chunk = ordered[begin: begin + PAIR_CHUNK]
        related += _write(store, _verify_chunk(store, cfg, chunk, jaccards, leads, lexical_only))
        ctx.progress.advance(len(chunk))
    ctx.progress.finish()
    with store.transaction() as conn:
        store.mark_done(conn, STAGE, pending)
        store.mark_done(conn, RULES_MARK, pending)
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
    found them unrelated or has not compared them (``compared`` tells which); a pair whose
    ``basis`` is 'story' is same-event because the stories stage put both in one story."""
    art_a, art_b = _resolve(store, a), _resolve(store, b)
    if art_a["id"] == art_b["id"]:
        raise InputError("Give two different articles.")
    if art_a["id"] > art_b["id"]:
        art_a, art_b = art_b, art_a
    key = {"a": art_a["id"], "b": art_b["id"]}
    pair = store.rows("SELECT * FROM related_pairs WHERE a_id = :a AND b_id = :b", key)
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
