"""Fixtures of the port tests (helpers in ``port_fixtures``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from port_fixtures import LEGACY, shape_responder, write_golden

from agility.testing import FakeOpenAIServer


@pytest.fixture()
def golden(tmp_path: Path) -> Path:
    """The golden set (40 rows, 10 holdout)."""
    return write_golden(tmp_path)


@pytest.fixture()
def legacy(tmp_path: Path) -> Path:
    """The source prompt: a long system message, the documents and the question."""
    path = tmp_path / "legacy.yaml"
    path.write_text(LEGACY)
    return path


@pytest.fixture()
def shape_server() -> Iterator[FakeOpenAIServer]:
    """A fake OpenAI-compatible target that answers right only when the prompt has the plain
    layout; every request body is in ``server.requests``."""
    with FakeOpenAIServer(responder=shape_responder) as server:
        yield server
