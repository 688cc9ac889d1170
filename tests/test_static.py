"""The static checks CI runs (ruff, mypy) hold on the tree, so a change learns it here first."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (it comes with the dev extra: pip install -e '.[dev]')")
    return path


def test_ruff_finds_nothing() -> None:
    done = subprocess.run([_tool("ruff"), "check", "src", "tests", "benchmarks"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow  # a cold mypy run takes tens of seconds (CI's own mypy step warms the cache)
def test_mypy_finds_nothing() -> None:
    done = subprocess.run([_tool("mypy"), "src/agility"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
