"""Content choice: the listwise ranker (packaged, round-trips, fits a softmax per cue, chooses only
among the candidates the pointwise model keeps) and the rule that a content holds no other cue."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from newstrace.attribution import _best, extract_attributions
from newstrace.attribution_content_rank import RANK_PATH, ContentRanker, fit_listwise, load_content_ranker
from newstrace.attribution_model import LinearModel, load_model


def test_content_ranker_is_packaged_small_and_loaded_with_the_model() -> None:
    assert RANK_PATH.is_file(), "run `python bench/train_attribution.py --content-rank-only` to build it"
    assert RANK_PATH.stat().st_size < 1_000_000
    model = load_model()
    assert model is not None and model.content_rank is not None
    assert model.content_rank == load_content_ranker()
    assert ContentRanker.from_json(model.content_rank.to_json()) == model.content_rank
    assert len(model.content_rank.weights) > 1000


def _groups() -> tuple[csr_matrix, list[str], list[int], list[int]]:
    """Three cues. In each, the gold content has the feature "ends_at_clause"; "long" is on the
    gold of one cue and on a wrong candidate of the two others; "noise" is on every row."""
    rows = [  # (features, label, group)
        (["ends_at_clause", "noise"], 1, 0), (["long", "noise"], 0, 0), (["noise"], 0, 0),
        (["long", "noise"], 0, 1), (["ends_at_clause", "noise"], 1, 1),
        (["noise"], 0, 2), (["ends_at_clause", "long", "noise"], 1, 2), (["long", "noise"], 0, 2),
    ]
    names = ["ends_at_clause", "long", "noise"]
    dense = np.array([[float(n in feats) for n in names] for feats, _, _ in rows])
    return csr_matrix(dense), names, [y for _, y, _ in rows], [g for _, _, g in rows]


def test_fit_listwise_learns_what_sets_the_gold_apart_within_its_cue() -> None:
    x, names, labels, groups = _groups()
    ranker = fit_listwise(x, names, labels, groups, l2=0.1)
    assert ranker.weights["ends_at_clause"] > 1.0
    assert ranker.weights["ends_at_clause"] > ranker.weights.get("long", 0.0)
    # A feature on every row of a cue cannot tell its rows apart: the softmax gives it no weight.
    assert "noise" not in ranker.weights
    for g in set(groups):
        rows = [k for k, gg in enumerate(groups) if gg == g]
        scores = [ranker.score([n for n, v in zip(names, x[k].toarray()[0], strict=True) if v]) for k in rows]
        assert labels[rows[int(np.argmax(scores))]] == 1
    # Stronger L2, smaller weights; the same data, the same weights (no random state).
    assert abs(fit_listwise(x, names, labels, groups, l2=10.0).weights["ends_at_clause"]) < ranker.weights["ends_at_clause"]
    assert fit_listwise(x, names, labels, groups, l2=0.1) == ranker


@pytest.mark.parametrize(("labels", "groups"), [
    ([1, 1, 0, 0, 1, 0, 1, 0], [0, 0, 0, 1, 1, 2, 2, 2]),  # two gold rows for one cue
    ([0, 0, 0, 0, 1, 0, 1, 0], [0, 0, 0, 1, 1, 2, 2, 2]),  # a cue without its gold
    ([1, 0, 0, 0, 1, 0, 1, 0], [0, 0, 1, 0, 1, 2, 2, 2]),  # a cue's rows not together
])
def test_fit_listwise_refuses_groups_it_cannot_fit(labels: list[int], groups: list[int]) -> None:
    x, names, _, _ = _groups()
    with pytest.raises(ValueError, match="exactly one positive"):
        fit_listwise(x, names, labels, groups, l2=1.0)


def test_best_with_a_ranker_chooses_only_among_candidates_the_pointwise_model_keeps() -> None:
    pointwise = LinearModel(0.0, {"likely": 2.0, "unlikely": -5.0})  # p 0.88 / 0.5 / 0.007
    ranker = ContentRanker({"short": 1.0, "clause": 3.0}, l2=1.0)
    cands = [((0, 10), ["likely"]), ((0, 5), ["short"]), ((0, 7), ["unlikely", "clause"])]
    assert _best(pointwise, cands, 0.05) == (0, 10)
    # (0, 7) would rank first but is under the threshold; of the other two, the ranker prefers (0, 5).
    assert _best(pointwise, cands, 0.05, rank=ranker) == (0, 5)
    assert _best(pointwise, cands, 0.95, rank=ranker) is None
    assert _best(pointwise, [], 0.05, rank=ranker) is None


@pytest.fixture(scope="module")
def nlp() -> Any:
    from newstrace.models import spacy_nlp

    return spacy_nlp()


def _triples(text: str, nlp: Any) -> list[tuple[str, str | None]]:
    return [(a.cue.text, a.content.text if a.content else None) for a in extract_attributions(text, nlp)]


def test_a_content_does_not_swallow_another_cue_outside_quotation_marks(nlp: Any) -> None:
    # Before the nested-cue rule the ranked content ran on through ", saying ...", and the
    # "saying" attribution was dropped as nested inside it.
    text = ('Deputy Transport Minister Marta Kovell has described the planned closure as "routine maintenance '
            'and nothing more," saying the eastern terminal would shut on April 1 for dredging.')
    found = dict(_triples(text, nlp))
    assert found.get("saying") == "the eastern terminal would shut on April 1 for dredging"
    assert "saying" not in (found.get("has described") or "")


def test_passive_and_quoted_cues_may_stay_inside_a_content(nlp: Any) -> None:
    # "have been told not to open them" is part of what the source said, not a new statement.
    text = ("According to the source, the containers will be loaded at night over three weekends in March, "
            "and customs inspectors have reportedly been told not to open them.")
    assert ("According to", "the containers will be loaded at night over three weekends in March, and customs "
            "inspectors have reportedly been told not to open them") in _triples(text, nlp)
    # A cue inside the quotation is the speaker's words: one attribution, the quote whole.
    assert _triples('He said: "They told us to leave the building."', nlp) == [
        ("said:", '"They told us to leave the building."')]


def test_a_source_keeps_the_comma_that_closes_its_apposition_and_its_name_does_not(nlp: Any) -> None:
    atts = extract_attributions(
        "Dean Johnson, a 55-year-old salesman from Sumter, South Carolina, says the economy comes first.", nlp)
    assert [(a.source.text if a.source else None, a.source_name, a.cue.text) for a in atts] == [
        ("Dean Johnson, a 55-year-old salesman from Sumter, South Carolina,", "Dean Johnson", "says")]


def test_an_organisation_name_stops_before_its_apposition_or_clause() -> None:
    from newstrace.attribution_sources import classify_source

    words = [("Brenmark", "brenmark", "PROPN", "ORG"), (",", ",", "PUNCT", ""), ("a", "a", "DET", ""),
             ("logistics", "logistics", "NOUN", ""), ("firm", "firm", "NOUN", ""), (",", ",", "PUNCT", "")]
    info = classify_source(words, [])
    assert (info.kind, info.name) == ("organisation", "Brenmark")


def test_a_passive_cue_s_content_runs_around_it_and_its_subject_is_no_source(nlp: Any) -> None:
    # PolNeAR marks the whole clause as what "is expected", and no one as expecting it.
    atts = extract_attributions("Trump is expected to deliver a victory speech later tonight.", nlp)
    assert [(a.source, a.cue.text, a.content.text if a.content else None) for a in atts] == [
        (None, "is expected", "Trump is expected to deliver a victory speech later tonight")]
