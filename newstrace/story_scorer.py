"""Same-story probability for a pair of articles: a logistic regression over pair features.

The features compare two articles' title+lead evidence (``clustering.Record``): the cosine of
their MiniLM embeddings, the cosine of their TF-IDF word vectors, and whether they share the
numbers they quote. The weights were fitted with scikit-learn by ``bench/train_story_scorer.py``
on AllSides-NeuS **train** only (pairs of each item with its 20 nearest items by embedding,
labelled same story or not) and are stored here as constants, so that inference is numpy and
scikit-learn stays a development dependency. Named-entity overlap (capitalised phrases) was
tried and got a weight of about 0.02: the words already carry the names, so it is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["FEATURES", "PairScorer", "DEFAULT_SCORER", "default_scorer", "word_cosine", "number_overlap"]

FEATURES = ("embedding_cosine", "word_cosine", "number_overlap", "both_have_numbers")


def word_cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Dot product of two unit TF-IDF vectors held as dicts (iterating the shorter one)."""
    if len(a) > len(b):
        a, b = b, a
    return float(sum(v * b.get(w, 0.0) for w, v in a.items()))


def number_overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of the shorter list of numbers that the other article also quotes (0 if either has none)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


@dataclass(frozen=True)
class PairScorer:
    """Standardise the features, then a logistic regression: P(same story)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PairScorer:
        if list(data["features"]) != list(FEATURES):
            raise ValueError(f"scorer features {data['features']} do not match {FEATURES}; refit it with "
                             "`python bench/train_story_scorer.py`.")
        return cls(np.asarray(data["mean"], dtype=np.float64), np.asarray(data["scale"], dtype=np.float64),
                   np.asarray(data["coef"], dtype=np.float64), float(data["intercept"]))

    def probability(self, features: np.ndarray) -> np.ndarray:
        """Rows of ``FEATURES`` values → same-story probabilities."""
        if len(features) == 0:
            return np.zeros(0, dtype=np.float64)
        z = ((np.asarray(features, dtype=np.float64) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


def pair_features(cosines: np.ndarray, words: Mapping[str, float], other_words: Sequence[Mapping[str, float]],
                  numbers: frozenset[str], other_numbers: Sequence[frozenset[str]]) -> np.ndarray:
    """``FEATURES`` rows for one article against several others: ``cosines`` are the embedding
    cosines already computed, ``words`` unit TF-IDF vectors (same IDF for all)."""
    rows = np.zeros((len(other_words), len(FEATURES)), dtype=np.float64)
    rows[:, 0] = cosines
    for i, (w, n) in enumerate(zip(other_words, other_numbers, strict=True)):
        rows[i, 1] = word_cosine(words, w)
        rows[i, 2] = number_overlap(numbers, n)
        rows[i, 3] = 1.0 if numbers and n else 0.0
    return rows


# Written by `python bench/train_story_scorer.py` (AllSides-NeuS train, stories whose line number
# is not a multiple of 5; the other fifth of train chose the thresholds). Never fitted on val or BASIL.
DEFAULT_SCORER: dict[str, Any] = {
    "features": ["embedding_cosine", "word_cosine", "number_overlap", "both_have_numbers"],
    "mean": [0.532263, 0.122103, 0.0581, 0.244139],
    "scale": [0.117281, 0.104869, 0.219174, 0.429576],
    "coef": [0.902676, 1.064748, 0.365946, -0.5793],
    "intercept": -4.105989,
    "fitted_on": "AllSides-NeuS train, stories with line number not a multiple of 5",
}


def default_scorer() -> PairScorer:
    """The packaged scorer (``DEFAULT_SCORER``)."""
    return PairScorer.from_dict(DEFAULT_SCORER)
