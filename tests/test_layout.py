"""The test tree itself: pytest's default import mode needs unique test file names."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def test_test_file_names_are_unique_across_folders() -> None:
    tests = Path(__file__).parent
    names = Counter(p.name for p in tests.rglob("test_*.py"))
    clashes = sorted(name for name, count in names.items() if count > 1)
    assert not clashes, f"rename these test files, pytest cannot import both: {clashes}"
