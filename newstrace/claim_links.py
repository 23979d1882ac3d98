"""Whether two claims of different articles assert the same thing: a learned link score.

The trace groups claims by links between articles. A MiniLM cosine alone does not separate a
claim's true counterpart from its neighbours in a story that tells one topic at length: two
different quotes from one hearing score 0.75, while "he will decide by June whether to run"
and "plans to decide by June whether to run" score the same. So a link is scored by a logistic
regression over eight features of the pair (``FEATURES``):

- ``cosine``: the MiniLM cosine of the two claims;
- ``word_overlap``: Jaccard of their content words;
- ``rare_word_overlap``: the cosine of their content words weighted by rarity *within the
  story* (a word most claims of the story use, such as the story's main name, weighs little);
- ``shared_trigrams``: shared three-word sequences, capped at 10, over 10;
- ``same_quantity``: both state one quantity (value and unit);
- ``best_counterparts``: each is the other's closest claim in the other's article (cosine);
- ``cosine_margin``: how far the cosine stands above each claim's next-best cosine into the
  other's article;
- ``same_source``: 1 when both name one source, 0 when they name two, -1 when either names none.

Fitted on the 1,605 hand-labelled cross-article claim pairs of 45 BASIL events that pass the
gate below (of 1,886 in ``bench/labels/basil_claim_pairs*.tsv``: the dev, test and test2 sets)
by ``bench/train_claim_links.py``, which also prints the leave-one-set-out figures the
thresholds were chosen on (the features were chosen on such figures too, by a scratch driver).
On the held-out test3 set, pairwise precision / recall went 0.658 / 0.528 (cosine rule) →
0.723 / 0.570. The weights are constants here: inference is numpy.

Pairs whose cosine is below ``CANDIDATE_COSINE`` and whose word overlap is below
``CANDIDATE_OVERLAP`` are never linked (except through an aligned passage of a reuse): the label
pools were drawn above that cosine, and the regression is fitted only there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .story_scorer import PairScorer

if TYPE_CHECKING:
    from .trace import Claim

__all__ = ["FEATURES", "LinkScorer", "DEFAULT_LINK_SCORER", "default_link_scorer", "link_features",
           "link_probabilities", "link_claims", "CANDIDATE_COSINE", "CANDIDATE_OVERLAP", "RARITY_MIN_CLAIMS"]

FEATURES = ("cosine", "word_overlap", "rare_word_overlap", "shared_trigrams", "same_quantity",
            "best_counterparts", "cosine_margin", "same_source")

#: The labelled pools hold every cross-article pair at or above this cosine (and every pair
#: the grouping made at any threshold of its sweep); below it and below ``CANDIDATE_OVERLAP``
#: a pair gets probability 0, and the fit leaves such labelled pairs out.
CANDIDATE_COSINE = 0.6
CANDIDATE_OVERLAP = 0.6
#: Word rarity is counted within the story, but as if it had at least this many claims. The
#: training stories hold 19 to 99 claims (median 53; 12 of 44 have fewer than 40).
RARITY_MIN_CLAIMS = 40

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class LinkScorer(PairScorer):
    """Standardise the features, then a logistic regression: P(same claim)."""

    features = FEATURES
    refit = "python bench/train_claim_links.py --write"


DEFAULT_LINK_SCORER: dict[str, Any] = {
    "features": ["cosine", "word_overlap", "rare_word_overlap", "shared_trigrams", "same_quantity", "best_counterparts", "cosine_margin", "same_source"],
    "mean": [0.677792, 0.164863, 0.139715, 0.095389, 0.019938, 0.274766, -0.049792, -0.182555],
    "scale": [0.082518, 0.185517, 0.210407, 0.234641, 0.139786, 0.446396, 0.152131, 0.658286],
    "coef": [0.664337, 0.123177, 1.829366, -0.287034, -0.011962, 0.261106, -0.335192, 0.282176],
    "intercept": -1.155661,
    "fitted_on": "BASIL claim pairs, dev + test + test2 labels (bench/train_claim_links.py)",
}


def default_link_scorer() -> LinkScorer:
    """The packaged scorer (``DEFAULT_LINK_SCORER``)."""
    return LinkScorer.from_dict(DEFAULT_LINK_SCORER)


def link_features(claims: Sequence[Claim], cosines: np.ndarray,
                  wanted: np.ndarray | None = None) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The cross-article pairs (i < j) of one story's claims and their ``FEATURES`` rows.
    ``cosines``: the claims' MiniLM cosine matrix (no number bonus). ``wanted``: a boolean
    matrix; only pairs marked there (at [i, j], i < j) are scored (default: all)."""
    from .trace import content_words, jaccard, same_source_name

    n = len(claims)
    words = [content_words(c.text) for c in claims]
    # Rarity within the story: a word most of the story's claims use says little about which
    # claim a sentence tells.
    frequency: dict[str, int] = {}
    for w in words:
        for x in w:
            frequency[x] = frequency.get(x, 0) + 1
    # Counted as if the story had at least RARITY_MIN_CLAIMS claims: in a story of two short
    # items every word is in half the claims, and rarity would say nothing.
    size = max(n, RARITY_MIN_CLAIMS)
    weight = {x: math.log((size + 1) / (f + 0.5)) ** 2 for x, f in frequency.items()}
    norms = [math.sqrt(sum(weight[x] for x in w)) for w in words]
    trigrams = []
    for c in claims:
        tokens = _WORD.findall(c.text.lower())
        trigrams.append({tuple(tokens[k:k + 3]) for k in range(len(tokens) - 2)})
    quantities = [{(v, u) for v, u, _ in c.numbers if v is not None} for c in claims]
    by_article: dict[str, list[int]] = {}
    for i, c in enumerate(claims):
        by_article.setdefault(c.article_id, []).append(i)
    cosines = np.asarray(cosines, dtype=np.float64)
    # Each claim's best and second-best cosine into every article (its own included; only other
    # articles are read).
    best: dict[str, np.ndarray] = {}
    second: dict[str, np.ndarray] = {}
    for article, members in by_article.items():
        block = cosines[:, members]
        if block.shape[1] > 1:
            top2 = -np.partition(-block, 1, axis=1)[:, :2]
            best[article], second[article] = top2[:, 0], top2[:, 1]
        else:
            best[article], second[article] = block[:, 0], np.full(n, -math.inf)
    cross = _cross_articles(claims)
    pairs: list[tuple[int, int]] = []
    rows: list[list[float]] = []
    # Row-major over the upper triangle: the pairs come out as (i, j), i < j, in order.
    for i, j in np.argwhere(np.triu(cross if wanted is None else wanted & cross, k=1)).tolist():
        a, b = claims[i], claims[j]
        cosine = float(cosines[i, j])
        best_i, second_i = float(best[b.article_id][i]), float(second[b.article_id][i])
        best_j, second_j = float(best[a.article_id][j]), float(second[a.article_id][j])
        # The rival of the pair on each side: the best other claim, i.e. the second best
        # when this pair is the best.
        rival_i = second_i if cosine >= best_i else best_i
        rival_j = second_j if cosine >= best_j else best_j
        rival = max(rival_i, rival_j)
        shared = words[i] & words[j]
        rare = (sum(weight[x] for x in shared) / (norms[i] * norms[j])) if shared and norms[i] and norms[j] else 0.0
        if a.source_name and b.source_name:
            same_source = 1.0 if same_source_name(a.source_name, b.source_name) else 0.0
        else:
            same_source = -1.0
        pairs.append((i, j))
        rows.append([
            cosine,
            jaccard(words[i], words[j]),
            rare,
            min(len(trigrams[i] & trigrams[j]), 10) / 10.0,
            1.0 if quantities[i] & quantities[j] else 0.0,
            1.0 if cosine >= best_i and cosine >= best_j else 0.0,
            cosine - rival if rival > -math.inf else 0.0,  # no rival on either side: no margin to read
            same_source,
        ])
    return pairs, np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))


def _cross_articles(claims: Sequence[Claim], comparable: Iterable[tuple[str, str]] | None = None) -> np.ndarray:
    """Boolean matrix: claims i and j are of two different articles (that ``comparable`` pairs,
    when given)."""
    position = {a: k for k, a in enumerate(sorted({c.article_id for c in claims}))}
    index = np.asarray([position[c.article_id] for c in claims], dtype=int)
    allowed = ~np.eye(len(position), dtype=bool)
    if comparable is not None:
        allowed[:] = False
        for a, b in comparable:
            if a in position and b in position and a != b:
                allowed[position[a], position[b]] = allowed[position[b], position[a]] = True
    return np.asarray(allowed[np.ix_(index, index)], dtype=bool)


def link_probabilities(claims: Sequence[Claim], cosines: np.ndarray, base: np.ndarray,
                       scorer: LinkScorer | None = None,
                       comparable: Iterable[tuple[str, str]] | None = None) -> np.ndarray:
    """``base`` (the trace's similarity matrix) with every cross-article entry replaced by the
    probability that the two claims are one claim. Same-article entries keep ``base``: the
    grouping reads them to find a claim that restates another of its own article.
    ``comparable``: the article pairs the grouping compares (default: all); others get 0."""
    scorer = scorer or default_link_scorer()
    out = np.array(base, dtype=np.float64, copy=True)
    cross = _cross_articles(claims, comparable)
    # Only pairs that can pass the gate below are scored: the cosine, or the similarity (which
    # holds the word overlap), reaches it. Every other cross-article pair is 0.
    wanted = cross & ((np.asarray(cosines) >= CANDIDATE_COSINE) | (out >= min(CANDIDATE_COSINE, CANDIDATE_OVERLAP)))
    out[cross] = 0.0
    pairs, rows = link_features(claims, cosines, wanted)
    if not pairs:
        return out
    probability = scorer.probability(rows)
    candidate = (rows[:, 0] >= CANDIDATE_COSINE) | (rows[:, 1] >= CANDIDATE_OVERLAP)
    probability = np.where(candidate, probability, 0.0)
    index = np.asarray(pairs)
    out[index[:, 0], index[:, 1]] = probability
    out[index[:, 1], index[:, 0]] = probability
    return out


def link_claims(
    claims: Sequence[Claim], order: Sequence[str], comparable: Sequence[tuple[str, str]], *, sims: Any, vectors: Any,
    pairs: Sequence[dict[str, Any]], passages: Sequence[dict[str, Any]], config: Any, scorer: LinkScorer | None = None,
    reuse_only: bool = True,
) -> list[list[Claim]]:
    """The claim groups of one story (``trace.group_claims``), with links scored as
    ``trace.link_scorer`` says: ``learned`` on the probability of ``link_probabilities``,
    ``cosine`` on ``sims`` (the MiniLM cosine, or word overlap, with the number bonus) against
    ``trace.group_threshold``. ``scorer``: another ``LinkScorer`` than the packaged one.

    Aligned sentences vouch for a link only between a text and its reuse (a copy, a partial
    copy, a rewrite or translation): the claims the two sides of such a passage hold are matched
    (by ``sims``) and raised to the threshold. Two independent reports of one event (same-event)
    say neighbouring things in the same order: there alignment is not evidence of one claim
    (measured on 15 BASIL events: most false links came from it; BENCHMARKS.md "Trace"). ``sims``
    is raised in place in both modes, since the mutations read it. ``reuse_only=False`` takes
    every passage (a benchmark diagnostic)."""
    from .trace import LINEAGE_RANK, group_claims, passage_matches

    if not claims:
        return []
    if reuse_only:
        reused = {frozenset((p["a_id"], p["b_id"])) for p in pairs if p.get("relation") in LINEAGE_RANK}
        passages = [p for p in passages if frozenset((p["a_id"], p["b_id"])) in reused]
    threshold = config["trace.group_threshold"]
    # Matched on the similarity: a translation's aligned claims often score below the scorer's
    # gate, where every probability is 0 and could not tell the counterparts apart.
    matched = passage_matches(claims, passages, sims) if passages else []
    _raise_to(sims, matched, threshold)
    if config["trace.link_scorer"] == "cosine":
        return group_claims(claims, order, comparable, threshold=threshold,
                            lexical_threshold=config["trace.lexical_threshold"], sims=sims,
                            average_floor=config["trace.group_average_floor"], link_margin=config["trace.link_margin"])
    probability = config["trace.link_probability"]
    vectors = np.asarray(vectors, dtype=np.float64)
    links = link_probabilities(claims, vectors @ vectors.T, sims, scorer, comparable)
    _raise_to(links, matched, probability)
    # Word overlap is one of the scorer's features, so it is no separate way in. Average linkage
    # reads the similarity, not the probability: the regression spreads probabilities, so a claim
    # retold in ten near-copies would need a high probability to every one.
    return group_claims(claims, order, comparable, threshold=probability, lexical_threshold=math.inf, sims=links,
                        average_floor=config["trace.link_average_floor"], link_margin=config["trace.link_margin"],
                        average_sims=sims)


def _raise_to(matrix: Any, matched: Sequence[tuple[int, int]], floor: float) -> None:
    """Raise ``matrix`` to ``floor`` (both ways) for the ``matched`` claim pairs."""
    for i, j in matched:
        if matrix[i, j] < floor:
            matrix[i, j] = matrix[j, i] = floor
