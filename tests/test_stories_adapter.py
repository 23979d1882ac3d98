"""The learned story adapter: the packaged matrix is the one trained on AllSides train, and the
stories stage stores MiniLM's raw vectors but compares adapted ones, the same way whether a
story's members were clustered in this run or loaded from the store."""

from __future__ import annotations

import gzip
import json

import numpy as np
from test_stories_seeds import seed_items  # tests/ is on sys.path (no package)

from newstrace import sentences, stories
from newstrace.config import Config
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext
from newstrace.story_scorer import ADAPTER_PATH, adapt, adapter_matrix


def test_stories_adapter_is_packaged_small_and_trained():
    assert ADAPTER_PATH.stat().st_size < 2 * 2**20
    meta = json.loads(gzip.decompress(ADAPTER_PATH.read_bytes()))
    assert meta["fitted_on"].startswith("AllSides-NeuS train")
    matrix = adapter_matrix()
    assert matrix.shape == (384, 384) and matrix.dtype == np.float32 and np.isfinite(matrix).all()
    # Trained away from its identity start, but still near it (a light adaptation).
    distance = np.linalg.norm(matrix - np.eye(384)) / np.linalg.norm(np.eye(384))
    assert 0.05 < distance < 2.0


def test_stories_adapter_gives_unit_vectors():
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(5, 384)).astype(np.float32)
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    adapted = adapt(raw)
    assert adapted.shape == (5, 384) and adapted.dtype == np.float32
    assert np.allclose(np.linalg.norm(adapted, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(adapted, raw, atol=1e-3)
    assert np.allclose(adapt(raw[0]), adapted[0], atol=1e-6)  # one vector or rows alike
    assert adapt(np.zeros((0, 384), dtype=np.float32)).shape == (0, 384)


def _partition(store) -> list[list[str]]:
    by_story: dict[str, list[str]] = {}
    for row in store.rows("SELECT article_id, story_id FROM story_articles"):
        by_story.setdefault(row["story_id"], []).append(row["article_id"])
    return sorted(sorted(ids) for ids in by_story.values())


def test_stories_adapter_store_keeps_raw_vectors_and_reloads_consistently(tmp_path, seeds_dir):
    from newstrace.store import Store

    items = seed_items(seeds_dir)
    one_run = Store.open(tmp_path / "one.db")
    ids = add_articles(one_run, items)
    ctx = StageContext(one_run, Config())
    sentences.run(ctx)
    stories.run(ctx)
    expected = _partition(one_run)
    assert expected == sorted([sorted(ids[:2]), [ids[2]]])  # Mosul pair together, Havice apart
    stored = {r["article_id"]: np.frombuffer(r["vector"], dtype=np.float32)
              for r in one_run.rows("SELECT article_id, vector FROM story_features")}
    one_run.close()
    for vector in stored.values():  # MiniLM's own unit vector, not the adapted one
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 0.01  # bf16 encoder: unit within 1%
        assert float(vector @ adapt(vector)) < 0.999

    # RT first, the two Sputnik articles in a later run: RT's evidence comes back from the store
    # and must be adapted the same way, so the stories come out the same.
    two_runs = Store.open(tmp_path / "two.db")
    first = add_articles(two_runs, items[:1])
    ctx = StageContext(two_runs, Config())
    sentences.run(ctx)
    stories.run(ctx)
    rest = add_articles(two_runs, items[1:])
    sentences.run(ctx)
    summary = stories.run(ctx)
    assert summary["articles"] == 2 and summary["joined_by_similarity"] == 1
    assert [first[0], *rest] == ids  # content-hash ids: the same articles
    assert _partition(two_runs) == expected
    two_runs.close()
