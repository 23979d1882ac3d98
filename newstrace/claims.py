"""Claims: the check-worthy factual statements of an article, each tied to who said it and how
surely; and the ``claims`` stage, which stores attributions, claims and citation edges.

A claim is one sentence's share of an attribution's content (the proposition without "the
source said"), or a whole sentence that no one is said to have said (``source_kind`` 'none').
Each carries its hedges (``hedges``; the cue of its attribution counts: "..., he claimed"), a
certainty, its numbers as (value, unit, modifier) (``quantities``) and its named entities with
a light norm (IS / ISIS / ISIL / Daesh → Islamic State). Check-worthiness is a transparent score
from that evidence: numbers, named entities, dates (a year, or a day of a month: a dated
statement can be checked against the record, and news background such as "stored there since a
2022 raid" often has nothing else to score), event and accusation verbs and predictions raise
it; questions and very short sentences lower it. Claims under
``attribution.min_checkworthiness`` are not stored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .attribution import Attribution, extract_attributions, parse
from .attribution_sources import corpus_outlets, normalise_entity
from .errors import InputError
from .hedges import Hedge, certainty, find_hedges
from .pipeline import StageContext
from .quantities import Quantity, find_dates, find_quantities
from .sentences import split_sentences
from .store import Store

STAGE = "claims"
#: Raised whenever a change to attribution or claim extraction changes what is stored for the
#: same text (2: relative-pronoun sources take their antecedent's name, 23 Nov 2026; 3: contents
#: chosen by the listwise content ranker, ``attribution_content_rank``, 23 Nov 2026). A store
#: whose last ``claims`` run was made with another version is extracted again, every article:
#: an upgrade never leaves old attributions beside new ones.
EXTRACTION_VERSION = 3
ENTITY_LABELS = frozenset("PERSON ORG GPE NORP LOC FAC EVENT LAW PRODUCT".split())
#: Verbs of events and accusations that make a statement worth checking.
EVENT_WORDS = re.compile(
    r"\b(kill|killed|die|died|dead|attack|attacked|strike|strikes|bomb|bombing|airstrikes?|"
    r"capture|captured|seize|seized|liberate|liberated|storm|stormed|redeploy|redeployed|"
    r"agree|agreed|sign|signed|sanction|sanctioned|accuse|accused|deny|denied|plan|plans|"
    r"planned|send|sent|arrest|arrested|launch|launched|vote|voted|won|lost|elected|fund|"
    r"funded|coordinat\w*|supply|supplied|deliver\w*|guarantee\w*|violat\w*|fraud|crime|"
    r"support\w*|confirm\w*|settle\w*|deal|agreement|injured|wounded|destroyed|invade\w*|leave|move|travel)\b",
    re.I,
)
PREDICTION = re.compile(r"\b(will|shall|is going to|are going to|is due to|are due to|scheduled)\b", re.I)
OPINION = re.compile(r"^\s*[\"“]?(I|we|you)\b|\b(I think|I believe|in my opinion)\b", re.I)


@dataclass(frozen=True)
class Claim:
    sentence_idx: int
    start: int
    end: int
    text: str
    attribution: int | None  # index into the article's attribution list
    source_kind: str
    hedges: tuple[Hedge, ...]
    certainty: str
    numbers: tuple[Quantity, ...]
    entities: tuple[dict[str, str], ...]
    checkworthiness: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "sentence_idx": self.sentence_idx, "start": self.start, "end": self.end,
            "text": self.text, "attribution": self.attribution, "source_kind": self.source_kind,
            "hedges": [h.as_dict() for h in self.hedges], "certainty": self.certainty,
            "numbers": [q.as_dict() for q in self.numbers], "entities": list(self.entities),
            "checkworthiness": self.checkworthiness,
        }


def checkworthiness(text: str, numbers: int, entities: int, attributed: bool, dates: int = 0) -> float:
    """A transparent 0..1 score; see the module docstring for the evidence."""
    words = len(text.split())
    score = 0.2
    score += 0.25 if numbers else 0.0
    score += 0.15 if dates else 0.0
    score += 0.15 if entities else 0.0
    score += 0.1 if entities >= 2 else 0.0
    score += 0.15 if EVENT_WORDS.search(text) else 0.0
    score += 0.1 if PREDICTION.search(text) else 0.0
    score += 0.05 if attributed else 0.0
    if text.rstrip(" ”\"'").endswith("?"):
        score -= 0.3
    if words < 6:
        score -= 0.2
    if OPINION.search(text):
        score -= 0.15
    return round(max(0.0, min(1.0, score)), 3)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\n,;:—-":
        start += 1
    while end > start and text[end - 1] in " \t\n,;:—-":
        end -= 1
    return start, end


def extract_claims(text: str, attributions: list[Attribution], parsed: list[tuple[int, Any]],
                   *, min_checkworthiness: float = 0.0) -> list[Claim]:
    """Claims of ``text`` given its attributions and its parsed paragraphs."""
    entities: list[tuple[int, int, str, str]] = []
    for offset, doc in parsed:
        for ent in doc.ents:
            if ent.label_ in ENTITY_LABELS:
                entities.append((offset + ent.start_char, offset + ent.end_char, ent.text, ent.label_))
    claims: list[Claim] = []
    for sent in split_sentences(text):
        pieces: list[tuple[int, int, int | None]] = []
        for i, candidate in enumerate(attributions):
            if candidate.content is None:
                continue
            a, b = max(sent.start, candidate.content.start), min(sent.end, candidate.content.end)
            if a < b:
                pieces.append((a, b, i))
        if not pieces:
            if any(sent.start <= other.cue.start < sent.end for other in attributions):
                continue  # "he told RIA Novosti." alone says nothing checkable
            pieces = [(sent.start, sent.end, None)]
        for a, b, index in pieces:
            a, b = _trim(text, a, b)
            if b - a < 12:
                continue
            att: Attribution | None = attributions[index] if index is not None else None
            hedges = list(find_hedges(text, a, b))
            if att is not None:
                hedges += [h for h in find_hedges(text, att.cue.start, att.cue.end) if h.kind == "cue"]
            seen: set[tuple[int, int]] = set()
            unique = []
            for h in sorted(hedges, key=lambda h: h.start):
                if (h.start, h.end) not in seen:
                    seen.add((h.start, h.end))
                    unique.append(h)
            numbers = find_quantities(text, a, b)
            ents = [{"text": t, "label": label, "norm": normalise_entity(t)}
                    for s, e, t, label in entities if a <= s and e <= b]
            score = checkworthiness(text[a:b], len(numbers), len({e["norm"] for e in ents}), att is not None,
                                    dates=len(find_dates(text, a, b)))
            if score < min_checkworthiness:
                continue
            claims.append(Claim(
                sentence_idx=sent.idx, start=a, end=b, text=text[a:b], attribution=index,
                source_kind=att.source_kind if att is not None else "none", hedges=tuple(unique),
                certainty=certainty(unique), numbers=tuple(numbers), entities=tuple(ents),
                checkworthiness=score,
            ))
    return claims


def analyse_text(text: str, nlp: Any = None, *, min_checkworthiness: float = 0.0) -> tuple[list[Attribution], list[Claim]]:
    """Attributions and claims of a plain text (one spaCy parse for both)."""
    parsed = parse(text, nlp)
    attributions = extract_attributions(text, parsed=parsed)
    return attributions, extract_claims(text, attributions, parsed, min_checkworthiness=min_checkworthiness)


# -- the stage ----------------------------------------------------------------------------------
def target_articles(store: Store, min_story_size: int) -> list[str]:
    """Pending live articles in stories of at least ``min_story_size`` articles, plus those the
    ``stories`` stage has not looked at (all of them when stories were never built)."""
    pending = store.pending(STAGE)
    if "story_articles" not in store.tables():
        return pending
    members = {r["article_id"] for r in store.rows(
        "SELECT article_id FROM story_articles WHERE story_id IN (SELECT story_id FROM "
        "story_articles GROUP BY story_id HAVING COUNT(*) >= :n)", {"n": min_story_size})}
    unclustered = set(store.pending("stories"))
    return [a for a in pending if a in members or a in unclustered]


def process_articles(store: Store, article_ids: list[str], *, min_checkworthiness: float,
                     nlp: Any = None, progress: Any = None) -> dict[str, int]:
    """Extract and store attributions, claims and citations of the given live articles
    (replacing what they had), and mark them done for the stage."""
    counts = {"articles": 0, "attributions": 0, "claims": 0, "citations": 0}
    outlets = [r["outlet"] for r in store.rows("SELECT DISTINCT outlet FROM articles WHERE outlet IS NOT NULL")]
    with corpus_outlets(outlets):
        _process(store, article_ids, counts, min_checkworthiness=min_checkworthiness, nlp=nlp, progress=progress)
    return counts


def _process(store: Store, article_ids: list[str], counts: dict[str, int], *, min_checkworthiness: float,
             nlp: Any, progress: Any) -> None:
    for i in range(0, len(article_ids), 50):
        batch = store.articles(article_ids[i:i + 50])
        results = []
        for article in batch:
            atts, claims = analyse_text(article["text"], nlp, min_checkworthiness=min_checkworthiness)
            results.append((article["id"], atts, claims))
            if progress is not None:  # per article: a batch of 50 parses takes many seconds
                progress.advance(1)
        with store.transaction() as conn:
            ids_json = json.dumps([a["id"] for a in batch])
            for table in ("citations", "claims"):
                conn.exec_driver_sql(f"DELETE FROM {table} WHERE article_id IN (SELECT value FROM json_each(?))", (ids_json,))
            conn.exec_driver_sql(
                "UPDATE attributions SET resolved_from_attribution_id = NULL "
                "WHERE article_id IN (SELECT value FROM json_each(?))", (ids_json,))
            conn.exec_driver_sql("DELETE FROM attributions WHERE article_id IN (SELECT value FROM json_each(?))", (ids_json,))
            next_id = int(conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM attributions").scalar() or 0) + 1
            att_rows, claim_rows, cite_rows = [], [], []
            for article_id, atts, claims in results:
                ids = list(range(next_id, next_id + len(atts)))
                next_id += len(atts)
                for att_id, att in zip(ids, atts, strict=True):
                    src, con = att.source, att.content
                    att_rows.append((
                        att_id, article_id, att.sentence_idx,
                        src.start if src else None, src.end if src else None, src.text if src else None,
                        att.cue.start, att.cue.end, att.cue.text,
                        con.start if con else None, con.end if con else None, con.text if con else None,
                        att.quote, att.source_kind, att.source_role, att.source_name, att.cited_outlet,
                        ids[att.resolved_from] if att.resolved_from is not None else None,
                    ))
                    if att.cited_outlet and not att.outlet_inherited:
                        cite_rows.append((article_id, att.cited_outlet, att_id))
                for claim in claims:
                    claim_rows.append((
                        article_id, claim.sentence_idx, claim.start, claim.end, claim.text,
                        ids[claim.attribution] if claim.attribution is not None else None,
                        claim.source_kind, json.dumps([h.as_dict() for h in claim.hedges], ensure_ascii=False),
                        claim.certainty, json.dumps([q.as_dict() for q in claim.numbers], ensure_ascii=False),
                        json.dumps(list(claim.entities), ensure_ascii=False), claim.checkworthiness,
                    ))
            if att_rows:
                conn.exec_driver_sql(
                    "INSERT INTO attributions (id, article_id, sentence_idx, source_start, source_end, "
                    "source_text, cue_start, cue_end, cue_text, content_start, content_end, content_text, "
                    "quote, source_kind, source_role, source_name, cited_outlet, resolved_from_attribution_id) "
                    f"VALUES ({', '.join('?' * 18)})", att_rows)
            if claim_rows:
                conn.exec_driver_sql(
                    "INSERT INTO claims (article_id, sentence_idx, start, end, text, attribution_id, "
                    "source_kind, hedges, certainty, numbers, entities, checkworthiness) "
                    f"VALUES ({', '.join('?' * 12)})", claim_rows)
            if cite_rows:
                conn.exec_driver_sql("INSERT INTO citations (article_id, cited_outlet, attribution_id) VALUES (?,?,?)", cite_rows)
            store.mark_done(conn, STAGE, [a["id"] for a in batch])
        counts["articles"] += len(batch)
        counts["attributions"] += len(att_rows)
        counts["claims"] += len(claim_rows)
        counts["citations"] += len(cite_rows)


def run(ctx: StageContext) -> dict[str, Any]:
    """The ``claims`` stage: attributions, claims and citations of articles in stories of two or
    more (all live articles when no stories have been built). Articles extracted by another
    ``EXTRACTION_VERSION`` are extracted again."""
    stale = stale_extraction(ctx.store)
    if stale:
        with ctx.store.transaction() as conn:
            conn.exec_driver_sql("DELETE FROM stage_done WHERE stage = ?", (STAGE,))
    targets = target_articles(ctx.store, int(ctx.config["attribution.min_story_size"]))
    ctx.progress.start("attributions and claims", len(targets))
    counts: dict[str, Any] = dict(process_articles(
        ctx.store, targets, min_checkworthiness=float(ctx.config["attribution.min_checkworthiness"]),
        progress=ctx.progress))
    ctx.progress.finish()
    counts["extraction_version"] = EXTRACTION_VERSION
    if stale:
        counts["extracted_again_after_upgrade"] = True
    return counts


def stale_extraction(store: Store) -> bool:
    """The store's claims were extracted by another version of the extraction (see
    ``EXTRACTION_VERSION``; a run recorded before versions were counts as version 1)."""
    if not store.done_count(STAGE):
        return False
    last = store.rows("SELECT summary FROM stage_runs WHERE stage = :s ORDER BY id DESC LIMIT 1", {"s": STAGE})
    if not last:  # extracted on request only (`newstrace claims`), by this version
        return False
    try:
        version = json.loads(last[0]["summary"] or "{}").get("extraction_version", 1)
    except (ValueError, AttributeError):
        version = 1
    return bool(version != EXTRACTION_VERSION)


# -- reading ------------------------------------------------------------------------------------
def resolve_reference(store: Store, ref: str) -> list[str]:
    """Article ids for ``ref``: an article id (or a unique prefix of one), or a story id."""
    exact = store.rows("SELECT id FROM articles WHERE id = :r AND status = 'live'", {"r": ref})
    if exact:
        return [ref]
    if "story_articles" in store.tables():
        story = ref
        if ref.startswith("s-") and not store.scalar("SELECT 1 FROM story_articles WHERE story_id = :r", {"r": ref}):
            from .stories import find_story

            story = find_story(store, ref)  # a unique prefix, or an id a merge retired
        members = store.rows(
            "SELECT sa.article_id AS id FROM story_articles sa JOIN articles a ON a.id = sa.article_id "
            "WHERE sa.story_id = :r ORDER BY COALESCE(a.published_at, '9999'), a.id", {"r": story})
        if members:
            return [m["id"] for m in members]
    if len(ref) >= 4:
        prefixed = store.rows("SELECT id FROM articles WHERE id LIKE :p AND status = 'live'", {"p": ref + "%"})
        if len(prefixed) == 1:
            return [prefixed[0]["id"]]
        if len(prefixed) > 1:
            raise InputError(f"{ref!r} is the start of {len(prefixed)} article ids; give more characters.")
    raise InputError(f"No live article or story {ref!r}. List stories with `newstrace stories` "
                     "and their articles with `newstrace story ID`.")


def article_claims(store: Store, ref: str, *, min_checkworthiness: float = 0.35) -> list[dict[str, Any]]:
    """Attributions and claims of the article or story ``ref``, extracting them on request for
    articles the stage has not processed."""
    ids = resolve_reference(store, ref)
    done = {r["article_id"] for r in store.rows(
        "SELECT article_id FROM stage_done WHERE stage = :s AND article_id IN (SELECT value FROM json_each(:ids))",
        {"s": STAGE, "ids": json.dumps(ids)})}
    missing = [a for a in ids if a not in done]
    if missing:
        process_articles(store, missing, min_checkworthiness=min_checkworthiness)
    out = []
    for article in store.articles(ids):
        atts = store.rows("SELECT * FROM attributions WHERE article_id = :a ORDER BY id", {"a": article["id"]})
        claims = store.rows("SELECT * FROM claims WHERE article_id = :a ORDER BY start", {"a": article["id"]})
        for claim in claims:
            for key in ("hedges", "numbers", "entities"):
                claim[key] = json.loads(claim[key])
        out.append({"article_id": article["id"], "outlet": article["outlet"], "title": article["title"],
                    "published_at": article["published_at"], "attributions": atts, "claims": claims})
    return out
