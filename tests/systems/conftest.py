"""Fixtures for the system tests: a store, a small golden set, the fake OpenAI server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agility.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "agility.db") as db:
        yield db


@pytest.fixture
def golden(tmp_path: Path) -> Callable[..., Path]:
    """``golden(n, **fields)`` writes n rows ``ex-000``... and returns the file."""

    def make(n: int = 3, name: str = "golden.jsonl", **extra: Any) -> Path:
        path = tmp_path / name
        rows = [{"id": f"ex-{i:03d}", "source_prompt": f"What happened in ex-{i:03d}?",
                 "ground_truth": f"answer {i}", **extra} for i in range(n)]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return path

    return make
