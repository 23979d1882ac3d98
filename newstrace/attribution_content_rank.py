"""Which content a cue introduces: a listwise ranker over the content candidates.

The pointwise ``content`` model of ``attribution_model`` scores each candidate span on its own
(is this span a gold content?), and it keeps the candidates it finds likely enough
(``thresholds["content"]``). Among those, this ranker picks one. It was fitted as a softmax over
each gold cue's candidates (the gold content against its rivals for the same cue), on the same
binary span features, so its weights say what makes one span *better than the others of its
cue*: where a clause or an adjunct ends, whether the subject belongs in, the closing stop. On the
held-out fifth of PolNeAR train (the fold models of ``bench/train_attribution.py``), exact F1 of
the content went 54.1 → 55.2 at L2 0.1, 0.3 and 1 (54.7 at 10); source and cue stay within 0.1.
On the same fold, 265 of 754 wrong contents ended later than gold and 215 earlier.

Weights: ``models_data/attribution_content_rank.json.gz`` (``bench/train_attribution.py``, train
only). Without the file the pointwise model's most probable candidate is kept, as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ModelUnavailable

RANK_PATH = Path(__file__).parent / "models_data" / "attribution_content_rank.json.gz"
RANK_VERSION = 1


@dataclass(frozen=True)
class ContentRanker:
    """Feature → weight of a softmax over a cue's content candidates (a score, not a probability)."""

    weights: dict[str, float]
    l2: float

    def score(self, features: Iterable[str]) -> float:
        # Binary features, as in training: a feature counts once however often it is listed.
        return sum(self.weights.get(f, 0.0) for f in set(features))

    def to_json(self) -> dict[str, Any]:
        from .attribution_model import FEATURE_VERSION

        return {"rank_version": RANK_VERSION, "feature_version": FEATURE_VERSION, "l2": self.l2,
                "weights": dict(sorted(self.weights.items()))}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContentRanker:
        from .attribution_model import FEATURE_VERSION

        if data.get("rank_version") != RANK_VERSION or data.get("feature_version") != FEATURE_VERSION:
            raise ModelUnavailable(
                f"{RANK_PATH.name} is ranker version {data.get('rank_version')} over feature version "
                f"{data.get('feature_version')}; this code reads {RANK_VERSION} over {FEATURE_VERSION}: retrain "
                "it with `python bench/train_attribution.py` or reinstall newstrace.")
        return cls({k: float(v) for k, v in data["weights"].items()}, float(data["l2"]))

    def save(self, path: Path = RANK_PATH) -> None:
        from .attribution_model import _write_json_gz

        _write_json_gz(path, self.to_json())


@lru_cache(maxsize=1)
def load_content_ranker(path: Path = RANK_PATH) -> ContentRanker | None:
    """The packaged ranker, or None when it is not installed (the pointwise choice stays)."""
    if not path.is_file():
        return None
    from .attribution_model import _read_json_gz

    return ContentRanker.from_json(_read_json_gz(path))


def fit_listwise(x: Any, names: Sequence[str], labels: Sequence[int], groups: Sequence[int], l2: float,
                 min_weight: float = 0.001, max_iter: int = 300) -> ContentRanker:
    """Fit a softmax over the rows of each group (rows of a group contiguous, exactly one label
    1 per group): minimise −Σ log p(gold row | its group) + ``l2``/2 · |w|² with L-BFGS.

    ``x`` is a (rows × features) sparse or dense matrix. Deterministic: no random state, and
    scipy's sparse products do not go through a threaded BLAS. Weights below ``min_weight`` are
    dropped and the rest rounded to 4 decimals."""
    import numpy as np
    from scipy.optimize import minimize

    y = np.asarray(labels, dtype=np.float64)
    g = np.asarray(groups)
    if len(y) == 0:
        raise ValueError("fit_listwise needs at least one group")
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, len(y)])
    positives = np.add.reduceat(y, starts)
    if len(np.unique(g)) != len(starts) or not np.all(positives == 1):
        raise ValueError("fit_listwise needs each group's rows together and exactly one positive row per group")

    def loss_and_grad(w: Any) -> tuple[float, Any]:
        z = x @ w
        z = z - np.repeat(np.maximum.reduceat(z, starts), sizes)
        ez = np.exp(z)
        log_den = np.log(np.add.reduceat(ez, starts))
        p = ez / np.repeat(np.exp(log_den), sizes)
        loss = float(log_den.sum() - (z * y).sum() + 0.5 * l2 * (w @ w))
        return loss, x.T @ (p - y) + l2 * w

    result = minimize(loss_and_grad, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B",
                      options={"maxiter": max_iter})
    weights = {name: round(float(w), 4) for name, w in zip(names, result.x, strict=True)
               if abs(round(float(w), 4)) >= min_weight}
    return ContentRanker(weights, l2)
