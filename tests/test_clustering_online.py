"""The pure online clusterer: joining, starting, merging, time windows, must-links, evidence."""

from __future__ import annotations

import numpy as np
import pytest

from newstrace.clustering import (
    ClusterParams,
    OnlineClusterer,
    Record,
    extract_entities,
    extract_numbers,
    record_texts,
    time_in_days,
)
from newstrace.story_scorer import DEFAULT_SCORER, FEATURES, PairScorer

DIM = 16


def unit(*axes: int) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[list(axes)] = 1.0
    return v / np.linalg.norm(v)


# A scorer that reads the embedding cosine only: P(same story) >= 0.5 exactly when cosine >= 0.6,
# and >= 0.7 when cosine >= 0.642. The packaged scorer is tested on its own below.
COSINE_ONLY = PairScorer(np.zeros(4), np.ones(4), np.array([20.0, 0.0, 0.0, 0.0]), -12.0)
PLAIN = ClusterParams(threshold=0.5, merge_threshold=0.7, window_days=7.0, candidates=5)


def plain(*args, **kwargs) -> OnlineClusterer:
    return OnlineClusterer(PLAIN, *args, scorer=COSINE_ONLY, **kwargs)


def test_clustering_similar_records_join_and_others_start_stories():
    c = plain()
    result = c.add_batch([Record("a1", unit(0)), Record("b1", unit(5)), Record("a2", unit(0, 1))])
    evidence = {a.record_id: a.evidence for a in result.assignments}
    assert evidence == {"a1": "new", "b1": "new", "a2": "similar"}
    labels = c.labels()
    assert labels["a1"] == labels["a2"] == "s-a1"
    assert labels["b1"] == "s-b1"


def test_clustering_bridging_record_merges_into_older_story():
    c = plain()
    c.add_batch([Record("a1", unit(0), time=1.0), Record("b1", unit(1), time=2.0)])
    # Equally close (0.707) to both: joins one and merges the two; the older id survives.
    result = c.add_batch([Record("x", unit(0, 1), time=3.0)])
    assert result.merges == [("s-a1", "s-b1")]
    assert set(c.labels().values()) == {"s-a1"}
    assert c.resolve("s-b1") == "s-a1"
    assert c.stories["s-a1"].size == 3


def test_clustering_time_window_keeps_distant_records_apart():
    c = plain()
    c.add_batch([Record("a1", unit(0), time=100.0)])
    c.add_batch([Record("a2", unit(0), time=103.0), Record("a3", unit(0), time=130.0)])
    labels = c.labels()
    assert labels["a2"] == labels["a1"]
    assert labels["a3"] != labels["a1"]  # same words, a month later: another story


def test_clustering_reuse_links_force_one_story():
    c = plain()
    c.add_batch([Record("a", unit(0)), Record("b", unit(9))])
    result = c.add_batch([Record("copy", unit(12), links=("a",))])
    assert result.assignments[0].evidence == "reuse"
    assert c.labels()["copy"] == c.labels()["a"]
    # A record linked into two stories merges them.
    c.add_batch([Record("both", unit(13), links=("a", "b"))])
    labels = c.labels()
    assert labels["a"] == labels["b"] == labels["both"]


def test_clustering_shared_words_tip_a_borderline_record():
    """With the packaged scorer, embedding cosine 0.45 alone keeps two records apart; the same
    cosine with the same rare words puts them together."""
    v1, v2 = unit(0), (unit(0) * 0.45 + unit(3) * 0.89)
    v2 = (v2 / np.linalg.norm(v2)).astype(np.float32)
    filler = [Record(f"f{i}", unit(8 + i % 4), words={f"filler{i}": 1, "common": 1}) for i in range(20)]

    def together(**shared: object) -> bool:
        c = OnlineClusterer(ClusterParams())
        c.add_batch([*filler, Record("r1", v1, **shared.get("a", {})), Record("r2", v2, **shared.get("b", {}))])
        return c.labels()["r1"] == c.labels()["r2"]

    assert not together(a={"words": {"mosul": 1, "fighters": 1}}, b={"words": {"havice": 1, "kirkuk": 1}})
    assert together(a={"words": {"mosul": 1, "fighters": 1}}, b={"words": {"mosul": 1, "fighters": 1}})


def test_clustering_scorer_is_monotone_and_checks_its_features():
    scorer = PairScorer.from_dict(DEFAULT_SCORER)
    rows = np.array([[0.3, 0.0, 0.0, 0.0], [0.6, 0.0, 0.0, 0.0], [0.6, 0.4, 0.0, 0.0], [0.6, 0.4, 1.0, 1.0]])
    p = scorer.probability(rows)
    assert np.all(np.diff(p) > 0) and np.all((p > 0) & (p < 1))
    assert DEFAULT_SCORER["fitted_on"].startswith("AllSides-NeuS train")
    with pytest.raises(ValueError, match="train_story_scorer"):
        PairScorer.from_dict({**DEFAULT_SCORER, "features": list(reversed(FEATURES))})


def test_clustering_story_score_averages_over_its_members():
    """A record close to one member of a story but far from the rest does not join it (mean,
    not single, linkage), so one loose article cannot chain two stories together."""
    c = plain()
    c.add_batch([Record("a1", unit(0)), Record("a2", unit(0, 1)), Record("a3", unit(0, 2))])
    assert len(set(c.labels().values())) == 1
    near_a2_only = (unit(1) * 0.8 + unit(0, 1) * 0.2).astype(np.float32)
    c.add_batch([Record("x", near_a2_only / np.linalg.norm(near_a2_only))])
    assert c.labels()["x"] != c.labels()["a1"]


def test_clustering_state_survives_a_restart():
    c = plain()
    c.add_batch([Record("a1", unit(0), time=1.0), Record("b1", unit(4), time=1.0)])
    restarted = plain(list(c.stories.values()), members=c._items, known_assignments=c.labels())
    restarted.add_batch([Record("a2", unit(0, 1), time=2.0)])
    assert restarted.labels()["a2"] == "s-a1"
    # A record already assigned is not clustered again.
    assert restarted.add_batch([Record("a1", unit(4))]).assignments == []


def test_clustering_many_stories_are_found_through_the_candidate_index():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(300, 64)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    records, truth = [], {}
    for i in range(1500):
        story = i % 300
        v = centres[story] + rng.normal(scale=0.03, size=64).astype(np.float32)
        records.append(Record(f"r{i}", v / np.linalg.norm(v)))
        truth[f"r{i}"] = story
    c = OnlineClusterer(ClusterParams(threshold=0.5, candidates=5), scorer=COSINE_ONLY)
    for start in range(0, 1500, 250):
        c.add_batch(records[start : start + 250])
    labels = c.labels()
    assert len(set(labels.values())) == 300
    assert all(labels[f"r{i}"] == labels[f"r{i % 300}"] for i in range(1500))


def test_clustering_evidence_extractors():
    text = "The U.S. and Saudi Arabia will let more than 9,000 fighters leave Mosul, RIA Novosti said."
    entities = extract_entities(text)
    assert {"us", "saudi arabia", "arabia", "saudi", "mosul", "ria novosti", "novosti"} <= entities
    assert "the" not in entities
    assert extract_numbers(text) == {"9000"}
    assert extract_numbers("On 5 May, 83 soldiers; 2.5 percent") == {"83", "2.5"}
    assert time_in_days("1970-01-02T00:00:00+00:00") == 1.0
    assert time_in_days("not a date") is None
    embed_text, entity_text = record_texts("Title", ["One.", "Two.", "Three."], lead_sentences=2)
    assert embed_text == "Title. One. Two."
    assert entity_text == "Title. One. Two. Three."
