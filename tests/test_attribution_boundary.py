"""The learned cue re-bounding step: packaged, round-trips, and moves cue edges on real parses."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from newstrace.attribution import extract_attributions
from newstrace.attribution_boundary import (
    BOUNDARY_PATH,
    MAX_LEFT,
    MAX_RIGHT,
    BoundaryModel,
    boundary_candidates,
    load_boundary,
    rebound_cues,
)
from newstrace.attribution_model import cue_head, load_model


@pytest.fixture(scope="module")
def nlp() -> Any:
    from newstrace.models import spacy_nlp

    return spacy_nlp()


def test_attribution_boundary_is_packaged_small_and_loaded_with_the_model() -> None:
    assert BOUNDARY_PATH.is_file(), "run `python bench/train_attribution.py --boundary-only` to build it"
    assert BOUNDARY_PATH.stat().st_size < 2_000_000
    model = load_model()
    assert model is not None and model.boundary is not None
    assert model.boundary == load_boundary()
    assert BoundaryModel.from_json(model.boundary.to_json()) == model.boundary


def test_attribution_boundary_candidates_stay_in_the_sentence_around_the_head(nlp: Any) -> None:
    doc = nlp("It rained. The mayor said in a long statement on Tuesday that the bridge would reopen. Then nothing.")
    head = next(t for t in doc if t.lower_ == "said")
    cands = boundary_candidates(doc, head)
    sent = head.sent
    assert cands and all(sent.start <= a <= head.i < b <= sent.end for a, b in cands)
    assert all(head.i - a <= MAX_LEFT and b - head.i - 1 <= MAX_RIGHT for a, b in cands)
    assert (head.i, head.i + 1) in cands


def _cue_texts(text: str, nlp: Any, model: Any) -> list[str]:
    return [a.cue.text for a in extract_attributions(text, nlp, model=model)]


@pytest.mark.parametrize(("text", "decoded", "rebound"), [
    # PolNeAR's annotators keep the colon that introduces a quotation with its cue.
    ("Trump declared: \u201cWe will build the wall and Mexico will pay for it.\u201d", "declared", "declared:"),
    # ... and the day the statement was made.
    ("The company said in a statement Saturday that it would appeal.", "said in a statement",
     "said in a statement Saturday"),
])
def test_attribution_boundary_moves_cue_edges_to_the_annotation_convention(nlp: Any, text: str, decoded: str,
                                                                            rebound: str) -> None:
    model = load_model()
    assert model is not None
    assert decoded in _cue_texts(text, nlp, replace(model, boundary=None))
    assert rebound in _cue_texts(text, nlp, model)


def test_attribution_boundary_never_makes_cues_overlap(nlp: Any) -> None:
    model = load_model()
    assert model is not None and model.boundary is not None
    doc = nlp("Officials said Wednesday, according to reports, that the talks had failed.")
    said = next(t.i for t in doc if t.lower_ == "said")
    according = next(t.i for t in doc if t.lower_ == "according")
    cues = [(said, said + 1), (according, according + 2)]
    uniform = [(1 / 3, 1 / 3, 1 / 3)] * len(doc)
    out = rebound_cues(doc, cues, uniform, model.boundary)
    assert len(out) == 2
    assert not (out[0][0] < out[1][1] and out[1][0] < out[0][1]), out
    for a, b in out:
        assert a <= cue_head(doc, (a, b)).i < b
