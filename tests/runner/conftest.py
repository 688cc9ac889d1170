"""Fixtures for runner tests: a real store, real dataset files, a real fake OpenAI server."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agility.runner import RetryPolicy, RunSummary, run_model
from agility.store import Store
from agility.testing import FakeOpenAIServer

API_KEY = "sk-test-runner-key-0123456789"
ID_PATTERN = re.compile(r"\bex-\d{3}\b")


class CountingServer(FakeOpenAIServer):
    """The fake server, also counting requests in flight (the most seen at once)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._gauge = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    async def handle(self, request: Any, responder: Any) -> None:
        with self._gauge:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await super().handle(request, responder)
        finally:
            with self._gauge:
                self.in_flight -= 1

    def requested_ids(self) -> list[str]:
        """The example id found in each request received, in order."""
        out = []
        for body in self.requests:
            text = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
            match = ID_PATTERN.search(text)
            out.append(match.group(0) if match else "?")
        return out


def example_row(i: int, **extra: Any) -> dict[str, Any]:
    return {"id": f"ex-{i:03d}", "source_prompt": f"What happened in ex-{i:03d}?",
            "ground_truth": f"answer {i}", **extra}


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    return API_KEY


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "agility.db") as db:
        yield db


@pytest.fixture
def make_dataset(tmp_path: Path) -> Callable[..., Path]:
    def make(n: int = 5, name: str = "golden.jsonl", **extra: Any) -> Path:
        path = tmp_path / name
        path.write_text("".join(json.dumps(example_row(i, **extra)) + "\n" for i in range(n)),
                        encoding="utf-8")
        return path

    return make


@pytest.fixture
def server() -> Iterator[CountingServer]:
    with CountingServer() as srv:
        yield srv


FAST_RETRY = RetryPolicy(max_attempts=4, base_delay_s=0.01, max_delay_s=0.05)


@pytest.fixture
def run(store: Store, server: CountingServer) -> Callable[..., RunSummary]:
    """Run the openai provider against the fake server with fast retries and no progress bar."""

    def go(dataset: Path, name: str = "bench", **kwargs: Any) -> RunSummary:
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("progress", False)
        kwargs.setdefault("provider_options", {"base_url": server.base_url})
        return run_model(dataset, "openai/gpt-4o-mini", name=name, store=store, **kwargs)

    return go


@pytest.fixture
def slow_server() -> Callable[..., CountingServer]:
    """Make a counting server with other timings (use it as a context manager)."""
    return CountingServer
