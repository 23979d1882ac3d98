"""The learned attribution model: packaged weights load, find spans, and round-trip exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newstrace.attribution import extract_attributions, extract_many
from newstrace.attribution_model import (
    CUE_TAGS,
    MODEL_PATH,
    AttributionModel,
    LinearModel,
    decode_cues,
    load_model,
)

TEXT = (
    "The minister told reporters on Monday that the bridge would reopen in May.\n"
    "\u201cWe have no money left,\u201d the mayor said.\n"
    "According to the police report, three people were injured."
)


@pytest.fixture(scope="module")
def nlp() -> Any:
    from newstrace.models import spacy_nlp

    return spacy_nlp()


def test_attribution_model_is_packaged_and_small() -> None:
    assert MODEL_PATH.is_file(), "run `python bench/train_attribution.py` to build the model"
    assert MODEL_PATH.stat().st_size < 3_000_000
    model = load_model()
    assert model is not None
    assert set(model.cue_tags) == set(CUE_TAGS)
    assert 0 < model.thresholds["source"] < 1


def test_attribution_model_finds_sources_cues_and_contents(nlp: Any) -> None:
    atts = extract_attributions(TEXT, nlp)
    found = {(a.source.text if a.source else None, a.cue.text, a.content.text if a.content else None) for a in atts}
    assert ("The minister", "told", "the bridge would reopen in May") in found or \
        ("The minister", "told", "that the bridge would reopen in May") in found, found
    mayor = next(a for a in atts if a.source is not None and a.source.text == "the mayor")
    assert mayor.content is not None and "no money left" in mayor.content.text
    assert mayor.quote == "direct"
    police = next(a for a in atts if "According to" in a.cue.text)
    assert police.source is not None and "police report" in police.source.text
    for a in atts:
        for span in (a.source, a.cue, a.content):
            if span is not None:
                assert TEXT[span.start:span.end] == span.text


def test_attribution_model_batched_equals_single(nlp: Any) -> None:
    texts = [TEXT, "Nobody said anything.\nThe senator said she would vote no."]
    batched = extract_many(texts, nlp)
    single = [extract_attributions(t, nlp) for t in texts]
    assert [[a.as_dict() for a in atts] for atts in batched] == [[a.as_dict() for a in atts] for atts in single]


def test_attribution_model_rules_only_differs_from_model_path(nlp: Any) -> None:
    rules = extract_attributions(TEXT, nlp, rules_only=True)
    assert any(a.cue.text == "told" for a in rules)


def test_attribution_model_decodes_multiword_cue_as_one_span(nlp: Any) -> None:
    doc = nlp("The mayor said in a statement that taxes would rise. Nobody else spoke.")
    words = [t.text for t in doc]
    said, statement = words.index("said"), words.index("statement")
    probs = [(0.9, 0.05, 0.05)] * len(doc)
    probs[said] = (0.2, 0.7, 0.1)
    for i in range(said + 1, statement + 1):
        probs[i] = (0.45, 0.05, 0.5)  # each word alone is barely "inside": the sequence decides
    assert decode_cues(doc, probs) == [(said, statement + 1)]
    # An I with no B before it cannot open a cue, nor continue one into the next sentence.
    probs = [(0.9, 0.05, 0.05)] * len(doc)
    probs[words.index("Nobody")] = (0.3, 0.1, 0.6)
    assert decode_cues(doc, probs) == []


def test_attribution_model_save_is_byte_reproducible(tmp_path: Path) -> None:
    tags = {"O": LinearModel(0.5, {"a": 1.0, "b": -2.0}), "B": LinearModel(-1.0, {}), "I": LinearModel(-2.0, {"a": 0.5})}
    model = AttributionModel(tags, LinearModel(0.0, {}), LinearModel(-1.0, {"x": 0.25}), {"source": 0.05, "content": 0.05})
    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    model.save(first)
    model.save(second)
    assert first.read_bytes() == second.read_bytes()
    loaded = load_model.__wrapped__(first)
    assert loaded == model
    assert loaded.content.prob(["x"]) == pytest.approx(1 / (1 + 2.718281828459045 ** 0.75))
    o, b, i = loaded.cue_tag_probs([["a"]])[0]
    assert o + b + i == pytest.approx(1.0) and o > b > i
