"""Verbatim passage alignment between two texts, with character offsets, and the boilerplate
filter that keeps an outlet's own repeated lines from counting as reuse.

Evidence, in the spirit of passim (Smith & al.): word n-grams that both texts share are
anchors; anchors that follow each other in both texts, with gaps of at most ``max_gap`` words
(an edit, a dropped clause), are chained into one passage. A passage reports its character
span in each text and the share of its words that the anchors match. passim then runs a
Smith-Waterman alignment between anchors; we keep the anchor chain's span, which is what the
coverage figures need, and say so in the docs.

Boilerplate: a line (paragraph) of an article whose normalised text occurs in at least
``reuse.boilerplate_min_articles`` articles of the same outlet (footers, "Read more", bylines,
recurring captions) is skipped on both sides, so it neither makes passages nor counts in the
coverage denominators. All functions are pure.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .minhash import normalise_text

_WORD = re.compile(r"[^\W_]+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Tokens:
    """Words of a text (lower case) with [start, end) character offsets into the text."""

    words: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.words)


@dataclass(frozen=True)
class Passage:
    """A reused passage: [a_start, a_end) in text A matches [b_start, b_end) in text B."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_words: int  # words of A in the passage
    b_words: int
    matched_words: int  # words of A inside shared n-grams
    score: float  # matched_words / max(a_words, b_words)


@dataclass(frozen=True)
class VerbatimEvidence:
    passages: tuple[Passage, ...]
    coverage_a: float  # share of A's (non-boilerplate) words inside passages
    coverage_b: float
    words_a: int  # non-boilerplate words of A
    words_b: int


def tokenise(text: str, skip: Sequence[tuple[int, int]] = ()) -> Tokens:
    """Words of ``text`` outside the ``skip`` character spans."""
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    spans = sorted(skip)
    k = 0
    for match in _WORD.finditer(text):
        start = match.start()
        while k < len(spans) and spans[k][1] <= start:
            k += 1
        if k < len(spans) and spans[k][0] <= start < spans[k][1]:
            continue
        words.append(normalise_text(match.group()))
        starts.append(start)
        ends.append(match.end())
    return Tokens(tuple(words), tuple(starts), tuple(ends))


def line_hash(line: str) -> int | None:
    """A stable signed 64-bit hash of a line's normalised words, or None for a line without
    words. Signed, so it fits an SQLite INTEGER."""
    words = _WORD.findall(normalise_text(line))
    if not words:
        return None
    digest = hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def line_spans(text: str) -> list[tuple[int, int, int]]:
    """(hash, start, end) for every line of ``text`` that has words."""
    out = []
    pos = 0
    for line in text.split("\n"):
        h = line_hash(line)
        if h is not None:
            out.append((h, pos, pos + len(line)))
        pos += len(line) + 1
    return out


def boilerplate_spans(text: str, boilerplate_hashes: Iterable[int]) -> list[tuple[int, int]]:
    """Character spans of the lines of ``text`` whose hash is in ``boilerplate_hashes``."""
    known = set(boilerplate_hashes)
    if not known:
        return []
    return [(start, end) for h, start, end in line_spans(text) if h in known]


def _anchors(a: Tokens, b: Tokens, ngram: int, max_repeats: int) -> list[tuple[int, int]]:
    where_b: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for j in range(len(b) - ngram + 1):
        where_b[b.words[j: j + ngram]].append(j)
    where_a: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i in range(len(a) - ngram + 1):
        gram = a.words[i: i + ngram]
        if gram in where_b:
            where_a[gram].append(i)
    anchors: list[tuple[int, int]] = []
    for gram, positions_a in where_a.items():
        positions_b = where_b[gram]
        # An n-gram repeated many times in a text ("the United States and the United") says
        # nothing about where a passage is.
        if len(positions_a) > max_repeats or len(positions_b) > max_repeats:
            continue
        anchors.extend((i, j) for i in positions_a for j in positions_b)
    anchors.sort()
    return anchors


def _chain(anchors: list[tuple[int, int]], max_gap: int) -> list[list[tuple[int, int]]]:
    chains: list[list[tuple[int, int]]] = []
    active: list[int] = []  # indexes of chains whose last anchor is within reach
    for i, j in anchors:
        best, best_cost = -1, None
        still_active = []
        for c in active:
            li, lj = chains[c][-1]
            if i - li > max_gap:
                continue  # out of reach now, and for every later anchor (sorted by i)
            still_active.append(c)
            di, dj = i - li, j - lj
            if 0 < di <= max_gap and 0 < dj <= max_gap and abs(di - dj) <= max_gap // 2:
                cost = di + dj
                if best_cost is None or cost < best_cost:
                    best, best_cost = c, cost
        active = still_active
        if best >= 0:
            chains[best].append((i, j))
        else:
            chains.append([(i, j)])
            active.append(len(chains) - 1)
    return chains


def align_passages(text_a: str, text_b: str, *, skip_a: Sequence[tuple[int, int]] = (),
                   skip_b: Sequence[tuple[int, int]] = (), ngram: int = 5, max_gap: int = 20,
                   min_words: int = 12, max_repeats: int = 4) -> VerbatimEvidence:
    """Passages of at least ``min_words`` matched words that A and B share, and their coverage."""
    a, b = tokenise(text_a, skip_a), tokenise(text_b, skip_b)
    passages: list[Passage] = []
    covered_a: set[int] = set()
    covered_b: set[int] = set()
    for chain in _chain(_anchors(a, b, ngram, max_repeats), max_gap):
        matched: set[int] = set()
        for i, _ in chain:
            matched.update(range(i, i + ngram))
        if len(matched) < min_words:
            continue
        a_first, a_last = chain[0][0], max(i for i, _ in chain) + ngram - 1
        b_first, b_last = min(j for _, j in chain), max(j for _, j in chain) + ngram - 1
        a_words, b_words = a_last - a_first + 1, b_last - b_first + 1
        passages.append(Passage(
            a.starts[a_first], a.ends[a_last], b.starts[b_first], b.ends[b_last],
            a_words, b_words, len(matched), round(len(matched) / max(a_words, b_words), 4),
        ))
        covered_a.update(range(a_first, a_last + 1))
        covered_b.update(range(b_first, b_last + 1))
    passages.sort(key=lambda p: (p.a_start, p.b_start))
    return VerbatimEvidence(
        tuple(passages),
        round(len(covered_a) / len(a), 4) if len(a) else 0.0,
        round(len(covered_b) / len(b), 4) if len(b) else 0.0,
        len(a), len(b),
    )


# A quotation: curly or straight double quotes, or guillemets, closed within the paragraph.
_QUOTATION = re.compile(r"[\u201c\"][^\u201c\u201d\"\n]{2,}[\u201d\"]|\u00ab[^\u00bb\n]{2,}\u00bb")


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the quotations in ``text`` (marks included)."""
    return [m.span() for m in _QUOTATION.finditer(text)]


def unquoted_share(spans: Sequence[tuple[int, int]], quotes: Sequence[tuple[int, int]]) -> float:
    """Share of the characters of ``spans`` that lie outside ``quotes`` (1.0 when empty)."""
    total = sum(end - start for start, end in spans)
    if total <= 0:
        return 1.0
    inside = sum(max(0, min(end, q_end) - max(start, q_start))
                 for start, end in spans for q_start, q_end in quotes)
    return max(0.0, 1.0 - inside / total)
