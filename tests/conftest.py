"""Shared fixtures: a fresh store per test, and the shared seeds and data (skipped if absent)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newstrace.store import Store

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "test.db")
    yield s
    s.close()


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    path = SHARED / "seeds"
    if not (path / "000_53800d2f82c219fd.txt").exists():
        pytest.skip(f"the seed articles are not at {path}: check out ../shared beside the repo")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = SHARED / "data"
    if not path.is_dir():
        pytest.skip(f"the evaluation data is not at {path}: check out ../shared beside the repo")
    return path


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return REPO / "examples"
