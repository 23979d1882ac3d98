"""Segmentation: split a scraped page that holds several articles run together.

The stage decides, for every newly ingested article (``status='new'``), whether its text is one
article or several, and where each further article begins. Evidence, all cheap and lexical
(no model; it must keep up with ingest on 100k pages):

- a *title-like line*: short, no final '.', ':' or ',', starting with a capital, not a quote;
  Title Case counts for it, a final '?' against it;
- followed by *body paragraphs* (prose that ends in sentence punctuation), possibly after
  *front matter*: photo captions (long lines with no final period, or photo credits), kicker or
  dateline lines repeated on the page (e.g. "Sputnik-Middle East"), a repeat of the title;
- a *restart* of the page's opening pattern: the same kicker line as after the first title, or
  a dateline ("WASHINGTON —") opening the body;
- a *topic shift*: low word overlap between the paragraphs before and after the line, and a
  title whose words occur in what follows rather than in what precedes.

A candidate line becomes a boundary when its evidence score reaches ``segment.min_score`` and
every resulting part keeps at least ``segment.min_part_words`` words of body. A page of one
segment becomes ``live`` unchanged; a page of several becomes ``split`` and each part is stored
as a new live article (``parent_id`` = the page) with its own title and text, captions and
kicker lines moved out of the text into ``metadata['front_matter']``.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .articles import Article, insert_articles
from .config import Setting
from .pipeline import StageContext

STAGE = "segment"

SETTINGS = (
    Setting("segment.enabled", True, "split pages holding several articles (false: mark every page live as is)"),
    Setting("segment.min_part_words", 40, "fewest body words each part of a split page must keep"),
    Setting("segment.max_title_words", 20, "most words a line may have to be taken as a title"),
    Setting("segment.min_score", 1.5, "evidence score a title-like line needs to start a new article "
            "(scores can be negative, so may this)", limits=(None, None)),
    Setting("segment.batch_size", 500, "pages per write transaction"),
)

DEFAULTS: Mapping[str, Any] = {s.name.split(".", 1)[1]: s.default for s in SETTINGS}


@dataclass(frozen=True)
class Segment:
    """One article found in a page.

    ``[start, end)`` is the span of the input text the segment covers (its title line, front
    matter and body); ``text == input_text[text_start:end]`` is its body. ``title`` is the given
    title for the first segment (or its title line when none was given) and the title line for
    the others. ``front_matter`` holds the caption and kicker lines dropped between the title
    and the body. A page that is one article yields one segment equal to the input.
    """

    title: str
    text: str
    start: int
    end: int
    text_start: int
    front_matter: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Para:
    start: int
    end: int
    text: str
    words: int


# -- line shapes ---------------------------------------------------------------------------
_CLOSERS = "\"'\u2019\u201d\u00bb)]"
_OPENERS = "\"'\u2018\u201c\u00ab("
_SENTENCE_END = ".!?\u2026"
_WORD = re.compile(r"[^\W\d_][\w'\u2019\-]*")
_CONTENT_WORD = re.compile(r"[^\W\d_]{4,}")
_PHOTO_CREDIT = re.compile(
    r"\b(?:AP Photo|Photo:|Photo by|Photograph:|Getty Images|AFP|Reuters/|EPA|File photo|"
    r"Image:|Credit:|Pictured:)|\u00a9",
    re.IGNORECASE,
)
# "WASHINGTON —", "KANSAS CITY, Mo. —", "MOSUL, Iraq (Reuters) -", "(AP) —"
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z.'\-]+(?: [A-Z][A-Z.'\-]+)*(?:, [A-Z][\w.]*(?: [A-Z][\w.]*)*)?"
    r"(?: \([A-Za-z .]+\))?|\([A-Za-z .]+\))\s?[\u2014\u2013\u2015\-]{1,2}\s?"
)
# Headlines may end in an acronym written with periods: "... From the I.R.S.", "... G.O.P."
_ACRONYM_END = re.compile(r"\b(?:[A-Z]\.){2,}$")
# Not headlines: interview turns ("Q: ..."), two sentences ("... Charleston. Ryan Grim ..."),
# and words glued by a scraper ("BobicFlagShareLikeReply").
_INTERVIEW_TURN = re.compile(r"^(?:Q|A|Q\.|A\.)\s*[:.\-]\s")
_SENTENCE_BREAK = re.compile(r"\b([A-Za-z][a-z]+)[.!?][\u201d\u2019\"']? [A-Z]")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr gov sen rep gen col capt lt sgt prof st jr sr no vs inc corp co ltd "
    "jan feb aug sept oct nov dec ala ariz ark calif colo conn del fla ga ill ind kan ky la "
    "md mass mich minn miss mo mont neb nev okla ore pa penn tenn tex va vt wash wis wisc wyo".split()
)
_GLUED_WORDS = re.compile(r"[a-z]{2,}[A-Z][a-z]+[A-Z][a-z]+[A-Z]")
_SMALL_WORDS = frozenset(
    "a an the of to in on at for and or but nor by from with as is are was be vs via into over "
    "than that up out off per de la le".split()
)
_STOPWORDS = frozenset(
    "that this with from have has had were been will would could should their there they them "
    "than then which what when where while about after before into over said says also more "
    "most some such only other just like being does didn\u2019t don\u2019t it\u2019s its your "
    "just very much many these those even because through against between during under "
    "mr. mrs. told according year years week".split()
)


def _strip_closers(line: str) -> str:
    return line.rstrip().rstrip(_CLOSERS).rstrip()


def _ends_sentence(line: str) -> bool:
    stripped = _strip_closers(line)
    return bool(stripped) and stripped[-1] in _SENTENCE_END


def _words(line: str) -> int:
    return len(line.split())


def _title_case_ratio(line: str) -> float:
    words = [w for w in _WORD.findall(line) if w.lower() not in _SMALL_WORDS]
    if not words:
        return 0.0
    return sum(1 for w in words if w[0].isupper()) / len(words)


def _is_caption(para: _Para, max_title_words: int) -> bool:
    """A photo caption: a credit, or a line too long for a title that is not a sentence."""
    if _PHOTO_CREDIT.search(para.text) and (para.words <= 60):
        return True
    return para.words > max_title_words and not _ends_sentence(para.text)


def _is_title_like(para: _Para, max_title_words: int) -> bool:
    text = para.text
    if not 3 <= para.words <= max_title_words or len(text) > 20 * max_title_words:
        return False
    stripped = _strip_closers(text)
    if stripped and stripped[-1] in ".,;:\u2026-\u2014":
        # Only a Title Case headline may end in an acronym's period ("... From the I.R.S.").
        if not (_ACRONYM_END.search(stripped) and _title_case_ratio(text) >= 0.75):
            return False
    first = text.lstrip(_OPENERS)[:1]
    if text[0] in _OPENERS and text[0] not in "'\u2018":
        return False  # a line opening with a double quote is a quotation, not a headline
    if _INTERVIEW_TURN.match(text) or _GLUED_WORDS.search(text):
        return False
    if any(m.group(1).lower() not in _ABBREVIATIONS for m in _SENTENCE_BREAK.finditer(text)):
        return False
    return bool(first) and (first.isupper() or first.isdigit())


def _is_prose(para: _Para) -> bool:
    return para.words >= 4 and _ends_sentence(para.text)


def _paragraphs(text: str) -> list[_Para]:
    """Non-empty lines with their offsets (blank lines and single newlines both separate)."""
    out: list[_Para] = []
    pos = 0
    for line in text.split("\n"):
        line_start = pos
        pos += len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        lead = len(line) - len(line.lstrip())
        start = line_start + lead
        out.append(_Para(start, start + len(stripped), stripped, _words(stripped)))
    return out


def _bag(paras: Sequence[_Para]) -> Counter[str]:
    bag: Counter[str] = Counter()
    for p in paras:
        bag.update(w for w in (m.lower() for m in _CONTENT_WORD.findall(p.text)) if w not in _STOPWORDS)
    return bag


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b[k] for k, v in a.items() if k in b)
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


_LETTERS = re.compile(r"[^\W\d_]+")
_DIGITS = re.compile(r"\d+")


def _shape(line: str) -> str:
    """The line with words and numbers blanked out: list items share one ("a a, 0")."""
    return _DIGITS.sub("0", _LETTERS.sub("a", line))


def _norm(line: str) -> str:
    return " ".join(_WORD.findall(line.lower()))


# -- the decision --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Candidate:
    index: int  # paragraph index of the title line
    body: int  # paragraph index where its body starts
    score: float


def _front_matter_end(paras: Sequence[_Para], after: int, title: str, repeated: set[str],
                      max_title_words: int) -> int:
    """Index of the first body paragraph after paragraph ``after``, skipping at most 4 lines of
    front matter: captions, repeated kicker lines, short labels, a repeat of the title, and
    further title-like lines (a deck, or a second headline as scraped pages often carry)."""
    title_key = _norm(title)
    j = after + 1
    while j < len(paras) and j - after <= 4:
        p = paras[j]
        key = _norm(p.text)
        if key in repeated or (title_key and key == title_key) or _is_caption(p, max_title_words):
            j += 1
            continue
        if not _ends_sentence(p.text) and (p.words <= 6 or _is_title_like(p, max_title_words)):
            j += 1  # a short kicker or section label ("Sputnik-Middle East"), a deck
            continue
        break
    return j


def _score(paras: Sequence[_Para], i: int, body: int, part_start: int, opening_kickers: set[str]) -> float:
    """Evidence that title-like paragraph ``i`` (body from ``body``) opens a new article."""
    title = paras[i].text
    score = 0.0
    if _title_case_ratio(title) >= 0.75:
        score += 1.0
    if _strip_closers(title).endswith("?"):
        score -= 1.5  # questions are mostly rhetorical lines or interview questions
    elif _strip_closers(title).endswith("!"):
        score -= 1.0  # exclamations are mostly quotations
    if paras[i].words < 4:
        score -= 1.0  # "Sahar Khoga, 52": list items, not headlines
    if _ends_sentence(paras[i - 1].text):
        score += 0.5  # the previous article ended cleanly
    else:
        score -= 1.0  # "UPDATE:", "Here is the statement:" lead into the line, not out of it
    front = {_norm(p.text) for p in paras[i + 1 : body]}
    if front:
        score += 1.0
    if front & opening_kickers:
        score += 2.0  # the page's opening kicker ("Sputnik-Middle East") comes back
    if body < len(paras) and _DATELINE.match(paras[body].text):
        score += 1.0
    before = _bag(paras[max(part_start, i - 3) : i])
    after = _bag(paras[body : body + 3])
    # Adjacent windows of one article share names and topic words; two articles rarely do.
    score += min(1.5, 1.5 * (0.25 - _cosine(before, after)) / 0.25)
    title_words = set(_bag([paras[i]]))
    if title_words:
        in_after = len(title_words & set(after)) / len(title_words)
        in_before = len(title_words & set(before)) / len(title_words)
        score += 1.5 * (in_after - in_before)
    return score


def _candidates(paras: Sequence[_Para], first_body: int, opening_kickers: set[str], repeated: set[str],
                max_title_words: int) -> list[_Candidate]:
    # Lines of one shape seen three times or more are items of a list ("Sahar Khoga, 52"), when
    # the shape holds more than words (two headlines of plain words may share a shape by chance).
    shapes = Counter(_shape(p.text) for p in paras if _is_title_like(p, max_title_words))
    list_shapes = {k for k, n in shapes.items() if n >= 3 and k.strip("a ")}
    out: list[_Candidate] = []
    for i in range(max(first_body, 1), len(paras) - 1):
        if out and i < out[-1].body:
            continue  # inside the front matter of the previous candidate: its deck, not a title
        p = paras[i]
        if not _is_title_like(p, max_title_words) or _norm(p.text) in repeated or _shape(p.text) in list_shapes:
            continue
        if paras[i + 1].text[0].islower():
            continue  # a hard-wrapped sentence goes on: the line is its first half, not a title
        body = _front_matter_end(paras, i, p.text, repeated, max_title_words)
        if body >= len(paras) or not _is_prose(paras[body]):
            continue
        decks = sum(1 for q in paras[i + 1 : body] if q.words >= 4 and _is_title_like(q, max_title_words)
                    and _norm(q.text) != _norm(p.text))
        if decks > 1 or (_is_title_like(paras[i - 1], max_title_words) and i - 1 >= first_body):
            continue  # a run of headlines is a list of links ("Related: ..."), not an article head
        out.append(_Candidate(i, body, _score(paras, i, body, first_body, opening_kickers)))
    return out


def _choose(candidates: Sequence[_Candidate], paras: Sequence[_Para], first_body: int,
            min_score: float, min_part_words: int) -> list[_Candidate]:
    """Strongest candidates first, each kept only if every part keeps enough body words."""
    words_before = [0]
    for p in paras:
        words_before.append(words_before[-1] + p.words)

    def body_words(start: int, end: int) -> int:
        return words_before[end] - words_before[start]

    chosen: list[_Candidate] = []
    for cand in sorted(candidates, key=lambda c: -c.score):
        if cand.score < min_score:
            break
        trial = sorted([*chosen, cand], key=lambda c: c.index)
        starts = [first_body] + [c.body for c in trial]
        ends = [c.index for c in trial] + [len(paras)]
        if all(body_words(s, e) >= min_part_words for s, e in zip(starts, ends, strict=True)):
            chosen = trial
    return chosen


@dataclass(frozen=True)
class _Layout:
    paras: list[_Para]
    first_title: str
    first_title_para: int  # -1 when the first title was given rather than read from the text
    first_body: int
    candidates: list[_Candidate]


def _layout(title: str, text: str, min_part_words: int, max_title_words: int) -> _Layout | None:
    """The page's paragraphs, its first article's head, and the scored candidate boundaries;
    None when the page is too short to hold two articles."""
    paras = _paragraphs(text)
    if len(paras) < 3 or sum(p.words for p in paras) < 2 * min_part_words:
        return None
    # Short lines seen more than once (kickers, outlet names), not counting a title repeated on
    # the very next line, as scrapers often emit it.
    repeated_counts = Counter(_norm(p.text) for n, p in enumerate(paras)
                              if p.words <= 6 and not _ends_sentence(p.text)
                              and (n == 0 or paras[n - 1].text != p.text))
    repeated = {k for k, n in repeated_counts.items() if n > 1 and k}

    # The first article: its title is given, or (when none is) the page's first line if that
    # line is a title; its front matter runs to the first prose paragraph.
    first_title = title.strip()
    first_title_para = -1
    if not first_title and _is_title_like(paras[0], max_title_words) and _norm(paras[0].text) not in repeated:
        first_title_para = 0
        first_title = paras[0].text
    first_body = _front_matter_end(paras, first_title_para, first_title, repeated, max_title_words)
    if first_body >= len(paras):
        return None
    opening_kickers = {_norm(p.text) for p in paras[:first_body]} - {_norm(first_title)}
    candidates = _candidates(paras, first_body, opening_kickers, repeated, max_title_words)
    return _Layout(paras, first_title, first_title_para, first_body, candidates)


def segment_text(title: str, text: str, *, min_part_words: int = DEFAULTS["min_part_words"],
                 max_title_words: int = DEFAULTS["max_title_words"],
                 min_score: float = DEFAULTS["min_score"]) -> list[Segment]:
    """The articles in ``text`` (whose given title is ``title``, possibly empty), in order.

    One segment equal to the input when the page holds one article; otherwise one segment per
    article, with its own title and body, captions and kickers set aside as front matter.
    """
    whole = [Segment(title, text, 0, len(text), 0)]
    layout = _layout(title, text, min_part_words, max_title_words)
    if layout is None:
        return whole
    paras = layout.paras
    chosen = _choose(layout.candidates, paras, layout.first_body, min_score, min_part_words)
    if not chosen:
        return whole

    heads = [(layout.first_title, 0, layout.first_title_para, layout.first_body)]
    heads += [(paras[c.index].text, paras[c.index].start, c.index, c.body) for c in chosen]
    segments: list[Segment] = []
    for n, (seg_title, span_start, title_idx, body_idx) in enumerate(heads):
        last = (chosen[n].index if n < len(chosen) else len(paras)) - 1
        front = tuple(p.text for p in paras[title_idx + 1 : body_idx])
        text_start, end = paras[body_idx].start, paras[last].end
        segments.append(Segment(seg_title, text[text_start:end], span_start, end, text_start, front))
    return segments


# -- the stage -----------------------------------------------------------------------------
def _parts(page: Mapping[str, Any], segments: Sequence[Segment]) -> list[Article]:
    parts = []
    for i, seg in enumerate(segments):
        metadata: dict[str, Any] = {"segmented_from": page["id"]}
        if seg.front_matter:
            metadata["front_matter"] = list(seg.front_matter)
        parts.append(Article(
            title=seg.title, text=seg.text, published_at=page["published_at"], outlet=page["outlet"],
            language=page["language"], author=page["author"],
            url=f"{page['url']}#part-{i}" if page["url"] else None,
            metadata=metadata, source=page["source"], parent_id=page["id"], segment_index=i,
            status="live",
        ))
    return parts


def run(ctx: StageContext) -> dict[str, Any]:
    """Segment every article with status 'new': single ones become live, pages are split."""
    store, config = ctx.store, ctx.config
    options = {
        "min_part_words": config["segment.min_part_words"],
        "max_title_words": config["segment.max_title_words"],
        "min_score": config["segment.min_score"],
    }
    enabled, batch_size = config["segment.enabled"], max(1, config["segment.batch_size"])
    pending = [r["id"] for r in store.rows(
        "SELECT id FROM articles WHERE status = 'new' ORDER BY COALESCE(published_at, '9999'), id")]
    counts = {"pages": 0, "single": 0, "split": 0, "parts_added": 0, "parts_existing": 0}
    ctx.progress.start("segment", len(pending))
    for i in range(0, len(pending), batch_size):
        batch_ids = pending[i : i + batch_size]
        with store.transaction() as conn:
            # Re-read inside the write transaction: another run may have taken these pages.
            pages = [dict(r._mapping) for r in conn.exec_driver_sql(
                "SELECT id, title, text, published_at, outlet, language, author, url, source "
                "FROM articles WHERE status = 'new' AND id IN (SELECT value FROM json_each(?))",
                (json.dumps(batch_ids),),
            )]
            live, split, parts = [], [], []
            for page in pages:
                segments = segment_text(page["title"] or "", page["text"], **options) if enabled else []
                if len(segments) <= 1:
                    live.append((page["id"],))
                else:
                    split.append((page["id"],))
                    parts.extend(_parts(page, segments))
            added = insert_articles(conn, parts)
            if live:
                conn.exec_driver_sql("UPDATE articles SET status = 'live' WHERE id = ?", live)
            if split:
                conn.exec_driver_sql("UPDATE articles SET status = 'split' WHERE id = ?", split)
        counts["pages"] += len(pages)
        counts["single"] += len(live)
        counts["split"] += len(split)
        counts["parts_added"] += len(added)
        counts["parts_existing"] += len(parts) - len(added)
        ctx.progress.advance(len(batch_ids))
    ctx.progress.finish()
    return counts
