"""Fixtures of the review tests: a real store with a compared pair of runs and accounts."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from review_builder import ReviewEnv, make_review_env


@pytest.fixture()
def review_env(tmp_path: Path) -> Iterator[ReviewEnv]:
    """See :func:`review_builder.make_review_env`."""
    env = make_review_env(tmp_path / "agility.db")
    try:
        yield env
    finally:
        env.store.close()
