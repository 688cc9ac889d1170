"""Fixtures shared by every test package. Keep each fixture small and documented."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agility.store import Store

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the repository (read-only data); skips the test when absent."""
    path = REPO_ROOT.parent / "shared"
    if not path.is_dir():
        pytest.skip(f"needs the shared data folder {path} (../shared from the repo root), "
                    f"which is absent here")
    return path


@pytest.fixture(scope="session")
def financebench_dir(shared_dir: Path) -> Path:
    """``../shared/datasets/financebench``; skips the test when absent."""
    path = shared_dir / "datasets" / "financebench"
    if not (path / "financebench_open_source.jsonl").is_file():
        pytest.skip(f"needs FinanceBench in {path}, which is absent here")
    return path


@pytest.fixture()
def tmp_store(tmp_path: Path) -> Iterator[Store]:
    """A fresh SQLite :class:`Store` in the test's temporary folder."""
    store = Store(tmp_path / "agility.db")
    try:
        yield store
    finally:
        store.close()
