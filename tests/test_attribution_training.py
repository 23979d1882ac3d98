"""The attribution trainer is reproducible: its examples and weights do not depend on the
process (string hashing is salted per process by PYTHONHASHSEED, so set order is not stable),
and its BLAS runs on one thread (liblinear's sums, and so its weights, follow the thread count)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

# Trains the three linear models of bench/train_attribution.py on one small hand-labelled
# article, in a fresh process, and prints the examples' digest and the weights.
_TRAIN_SMALL = r"""
import json, sys
sys.path.insert(0, sys.argv[1] + "/bench")
import train_attribution as T
from newstrace.attribution import paragraphs
from newstrace.models import spacy_nlp

text = ("The minister said on Monday that the bridge would reopen in May.\n"
        "\u201cWe have no money left,\u201d the mayor told reporters.\n"
        "Officials said the road was closed. Police said three people were injured.\n"
        "The senator claimed that taxes would rise, according to the report.")
golds = []
for cue, source, content in (("said", "The minister", "that the bridge would reopen in May"),
                             ("told", "the mayor", "\u201cWe have no money left,\u201d"),
                             ("said the", "Officials", "the road was closed"),
                             ("said three", "Police", "three people were injured"),
                             ("claimed", "The senator", "that taxes would rise")):
    c = text.index(cue)
    c = (c, c + len(cue.split()[0]))
    s = text.index(source); t = text.index(content)
    golds.append((c, (s, s + len(source)), (t, t + len(content))))
nlp = spacy_nlp()
parsed = [[(off, nlp(p)) for off, p in paragraphs(text)]]
data = T.examples(parsed, [golds])
from threadpoolctl import threadpool_info
out = {"digest": T.examples_digest(data),
       "blas_threads": sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})}
for key in ("cue", "source", "content"):
    feats, labels = data[key]
    model = T.fit(*T._matrix(feats), [int(y > 0) for y in labels], c=0.5)
    out[key] = [model.bias, sorted(model.weights.items())]
print(json.dumps(out))
"""


def _train_in_fresh_process(hash_seed: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", _TRAIN_SMALL, str(REPO)], env=env, capture_output=True,
                          text=True, check=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_attribution_training_does_not_depend_on_the_hash_seed_or_blas_threads() -> None:
    first, second = _train_in_fresh_process("1"), _train_in_fresh_process("2")
    # A 2-thread OpenBLAS splits liblinear's sums differently: the trainer pins one thread.
    assert first["blas_threads"] == [1]
    assert first["digest"] == second["digest"]
    for key in ("cue", "source", "content"):
        _bias, weights = first[key]
        assert weights, f"the {key} model learned nothing from the small article"
        assert first[key] == second[key], f"the {key} weights depend on PYTHONHASHSEED"
