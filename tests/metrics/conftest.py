"""Fixtures for metric tests: judge servers (real OpenAI-compatible servers on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from agility.testing import FakeOpenAIServer


@pytest.fixture()
def server_factory() -> Iterator[Callable[[Callable[[dict[str, Any]], str]], FakeOpenAIServer]]:
    """Start fake OpenAI servers answering with ``responder(body)``; all stop after the test."""
    servers: list[FakeOpenAIServer] = []

    def make(responder: Callable[[dict[str, Any]], str]) -> FakeOpenAIServer:
        server = FakeOpenAIServer(responder=responder)
        server.__enter__()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.__exit__(None, None, None)
