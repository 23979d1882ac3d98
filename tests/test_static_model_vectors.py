"""The static first-pass model: distilled from the installed MiniLM, unit vectors, and a
paraphrase closer than an unrelated text."""

from __future__ import annotations

import numpy as np
import pytest

from newstrace.static_model import PCA_DIMS, embed_static, model_path

pytestmark = pytest.mark.slow


def test_static_model_unit_vectors_and_meaning() -> None:
    vectors = embed_static([
        "Arvenia to ship 4,000 containers of waste to Sildovia",
        "Thousands of waste containers could be moved from an Arvenian port to Sildovia",
        "Castrell Athletic sign striker Tomas Reval in record deal",
    ])
    assert vectors.shape == (3, PCA_DIMS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1
    assert (model_path() / "config.json").exists()


def test_static_model_empty_input() -> None:
    assert embed_static([]).shape == (0, PCA_DIMS)
