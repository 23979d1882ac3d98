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
    assert MODEL_PATH.stat().st_size < 2_000_000
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


def test_attribution_model_tagger_lstm_matches_pytorch() -> None:
    """The numpy inference of the cue tagger computes what PyTorch's LSTM computes."""
    import numpy as np
    import torch

    from newstrace.attribution_model import CueTagger

    torch.manual_seed(1)
    lstm = torch.nn.LSTM(5, 4, batch_first=True, bidirectional=True)
    x = torch.randn(1, 7, 5)
    expected = lstm(x)[0][0].detach().numpy()
    arrays = {f"lstm.{k}": v.detach().numpy() for k, v in lstm.state_dict().items()}
    tagger = CueTagger({}, {}, arrays)
    xs = x[0].numpy()
    got = np.concatenate([tagger._lstm(xs, ""), tagger._lstm(xs[::-1], "_reverse")[::-1]], axis=1)
    assert np.allclose(got, expected, atol=1e-5)


def test_attribution_model_tagger_round_trips_in_fp16(tmp_path: Path) -> None:
    import numpy as np

    from newstrace.attribution_model import CueTagger, load_tagger

    arrays = {"lem.weight": np.array([[0.1, -2.5], [3.0, 1e-3]], dtype=np.float32)}
    tagger = CueTagger({"pos": {"NOUN": 1}}, {"say": 1}, arrays)
    path = tmp_path / "tagger.json.gz"
    tagger.save(path)
    loaded = load_tagger.__wrapped__(path)
    assert loaded.vocab == tagger.vocab and loaded.lemmas == tagger.lemmas
    assert np.allclose(loaded.arrays["lem.weight"], arrays["lem.weight"], rtol=1e-3, atol=1e-4)


def test_attribution_model_packaged_tagger_marks_reporting_verbs(nlp: Any) -> None:
    """The packaged LSTM tagger loads beside the linear model and, on its own, puts a cue's
    beginning on the reporting verb and nowhere else in a plain sentence."""
    from newstrace.attribution import CUE_LEMMAS, quotations
    from newstrace.attribution_model import TAGGER_PATH

    assert TAGGER_PATH.is_file() and TAGGER_PATH.stat().st_size < 2_000_000
    model = load_model()
    assert model is not None and model.tagger is not None
    assert 0 < model.thresholds["tagger_weight"] <= 1
    doc = nlp("The senator insisted on Tuesday that the bill would pass.")
    probs = model.tagger.tag_probs(doc, quotations(doc.text), set(), CUE_LEMMAS)
    begins = [t.text for t, (o, b, i) in zip(doc, probs, strict=True) if b > max(o, i)]
    assert begins == ["insisted"], begins
    assert all(abs(sum(p) - 1) < 1e-5 for p in probs)
