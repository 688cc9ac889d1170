"""Helpers for dataset tests: small golden files and a CLI runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from agility.cli.main import _register, app


def golden_rows(strata: dict[str, int]) -> list[dict[str, Any]]:
    """Valid golden rows: ``count`` per stratum, ids ``<stratum>-<n>``."""
    return [
        {"id": f"{name}-{i:03d}", "source_prompt": f"Question {i} about {name}?",
         "ground_truth": f"answer {i}", "stratum": name}
        for name, count in strata.items() for i in range(count)
    ]


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    """Write rows (dicts, or raw strings written as they are) one per line."""
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(name="golden_rows")
def golden_rows_fixture() -> Callable[[dict[str, int]], list[dict[str, Any]]]:
    """:func:`golden_rows` as a fixture."""
    return golden_rows


@pytest.fixture(name="write_jsonl")
def write_jsonl_fixture() -> Callable[[Path, list[Any]], Path]:
    """:func:`write_jsonl` as a fixture."""
    return write_jsonl


@pytest.fixture()
def cli() -> Callable[..., Result]:
    """Run ``agility <args>`` in-process; stdout and stderr are kept apart."""
    _register()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, [str(a) for a in args])

    return invoke
