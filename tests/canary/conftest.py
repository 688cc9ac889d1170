"""Fixtures for the canary: plan files, the gateway as a real process, HTTP helpers.

The gateway runs as ``agility canary serve`` in a subprocess (uvicorn, real sockets); the
upstream models are the fake provider servers of ``agility.testing`` (threads of the test
process, so a test can read what they received) or the real llama.cpp server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

pytest.importorskip("starlette", reason="needs the 'web' extra (starlette, uvicorn)")
pytest.importorskip("uvicorn", reason="needs the 'web' extra (starlette, uvicorn)")

UPSTREAM_KEY = "sk-upstream-canary-0123456789abcdef"
#: a rollout held at 50% (its first stage never completes), checked every 0.2 s
HALF = {"stages": [{"percent": 50, "min_requests": 1000000}, {"percent": 100}],
        "check_every_s": 0.2}


def cli(*args: str) -> list[str]:
    """The command line of ``agility ARGS`` run by this interpreter."""
    # `python -m agility.cli.main` would register commands on another module object
    return [sys.executable, "-c", "from agility.cli.main import main; main()", *args]


def write_plan(folder: Path, *, source: dict[str, Any], target: dict[str, Any],
               rollout: dict[str, Any] | None = None, metrics: list[Any] | None = None,
               name: str = "canary-test", **extra: Any) -> Path:
    """A plan file whose candidates are ``source`` and ``target`` (candidate mappings)."""
    (folder / "golden.jsonl").write_text(
        json.dumps({"id": "q1", "source_prompt": "question?", "ground_truth": "x"}) + "\n")
    plan = {"name": name, "dataset": {"path": "golden.jsonl"},
            "source": {"name": "src", **source}, "target": {"name": "tgt", **target},
            "metrics": metrics or ["answered"], **extra}
    if rollout is not None:
        plan["rollout"] = rollout
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False))
    return path


def openai_side(base_url: str, **options: Any) -> dict[str, Any]:
    """A candidate calling an OpenAI-compatible server."""
    return {"model": "openai/fake-model",
            "provider_options": {"base_url": base_url, **options}}


class GatewayProcess:
    """``agility canary serve`` in a subprocess; ``url`` once it answers ``/healthz``."""

    def __init__(self, plan: Path, store: Path, *extra: str,
                 env: dict[str, str] | None = None) -> None:
        self.plan, self.store, self.extra = plan, store, extra
        self.env = {**os.environ, "OPENAI_API_KEY": UPSTREAM_KEY, "PYTHONUNBUFFERED": "1",
                    **(env or {})}
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.log = store.with_suffix(".log")
        self.tokens = accounts(store)

    @property
    def client_token(self) -> str:
        """A ``canary-client`` token."""
        return self.tokens["canary-client"]

    def auth(self, role: str = "canary-client") -> dict[str, str]:
        """The Authorization header of an account with ``role``."""
        return {"authorization": f"Bearer {self.tokens[role]}"}

    def start(self, timeout_s: float = 60.0) -> GatewayProcess:
        """Start it and wait until it answers."""
        args = cli("canary", "serve", str(self.plan), "--port", "0", "--store", str(self.store),
                   "--without-approval", "--actor", "test-operator", *self.extra)
        self._log = self.log.open("a")
        self.process = subprocess.Popen(args, env=self.env, stdout=subprocess.PIPE,
                                        stderr=self._log, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("listening "):
            self.process.wait(10)
            raise AssertionError(f"the gateway did not start: {line!r}\n{self.read_log()}")
        self.url = line.split()[-1]
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"no /healthz answer\n{self.read_log()}"
            time.sleep(0.05)

    def read_log(self) -> str:
        """What the gateway wrote to stderr so far."""
        return self.log.read_text() if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop it (SIGTERM: cleanly; SIGKILL: ``kill -9``); returns its exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(30)
        self._log.close()
        return code

    def __enter__(self) -> GatewayProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.stop(signal.SIGKILL)


def accounts(store: Path) -> dict[str, str]:
    """One account per gateway role in ``store`` (made once): ``{role: token}``."""
    from agility.auth import add_account
    from agility.store import Store

    cache = store.with_suffix(".tokens.json")
    if cache.exists():
        return dict(json.loads(cache.read_text()))
    tokens = {}
    with Store(store) as db:
        for role in ("canary-client", "canary-viewer", "canary-admin"):
            tokens[role] = add_account(db, f"test-{role}", role, actor="tests")[1]
    cache.write_text(json.dumps(tokens))
    return tokens


@pytest.fixture(autouse=True)
def _upstream_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", UPSTREAM_KEY)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Callable[..., GatewayProcess]]:
    """Start gateways for plan files (stopped, with SIGKILL if need be, at the end)."""
    started: list[GatewayProcess] = []

    def start(plan: Path, *extra: str, store: Path | None = None, **kwargs: Any
              ) -> GatewayProcess:
        process = GatewayProcess(plan, store or tmp_path / "agility.db", *extra, **kwargs)
        started.append(process)
        return process.start()

    yield start
    for process in started:
        if process.process is not None and process.process.poll() is None:
            process.stop(signal.SIGKILL)


def chat(gw: GatewayProcess, text: str = "hello there", *, user: str | None = None,
         stream: bool = False, token: str | None = None, **body: Any) -> httpx.Response:
    """POST one chat completion with a client token (which must never be kept)."""
    headers = {"authorization": f"Bearer {token or gw.client_token}"}
    if user is not None:
        headers["x-user-id"] = user
    payload = {"model": "gpt-4o", "messages": [{"role": "user", "content": text}],
               "stream": stream, **body}
    return httpx.post(f"{gw.url}/v1/chat/completions", json=payload, headers=headers,
                      timeout=30)


def sse_events(text: str) -> list[dict[str, Any] | str]:
    """The ``data:`` payloads of an SSE body (``[DONE]`` as the string)."""
    out: list[dict[str, Any] | str] = []
    for line in text.splitlines():
        if line.startswith("data: "):
            data = line[6:]
            out.append(data if data == "[DONE]" else json.loads(data))
    return out


def user_on(arm: str, percent: float, plan_name: str = "canary-test", start: int = 0) -> str:
    """A user id that the rollout of ``plan_name`` routes to ``arm`` at ``percent``."""
    import hashlib

    from agility.canary import bucket_of, routes_to_target

    salt = hashlib.sha256(plan_name.encode()).digest()
    for i in range(start, start + 100_000):
        user = f"user-{i}"
        if routes_to_target(bucket_of(salt, b"u:" + user.encode()), percent) == \
                (arm == "target"):
            return user
    raise AssertionError("no such user")


def recording_server(**kwargs: Any) -> Any:
    """A fake OpenAI server that also keeps each request's Authorization header and path."""
    import threading

    from agility.testing import FakeOpenAIServer

    class Recording(FakeOpenAIServer):
        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            self.authorizations: list[str] = []
            self.paths: list[str] = []
            self._auth_lock = threading.Lock()

        async def handle(self, request: Any, responder: Any) -> None:
            with self._auth_lock:
                self.authorizations.append(request.headers.get("authorization", ""))
                self.paths.append(request.path)
            await super().handle(request, responder)

    return Recording(**kwargs)


def send_load(gw: GatewayProcess, n: int, *, concurrency: int = 16, users: int = 10_000,
              stream: bool = False, offset: int = 0) -> list[tuple[float, int, str]]:
    """``n`` requests from ``users`` distinct users, ``concurrency`` at a time; returns each
    answer's (time it came back, status, arm). (aiohttp: a light client, so the test's CPU
    goes to the gateway.)"""
    import asyncio

    import aiohttp

    async def run() -> list[tuple[float, int, str]]:
        out: list[tuple[float, int, str]] = []
        queue = iter(range(offset, offset + n))
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector,
                                         timeout=aiohttp.ClientTimeout(total=60)) as client:
            async def worker() -> None:
                for i in queue:
                    async with client.post(
                            f"{gw.url}/v1/chat/completions",
                            headers={"x-user-id": f"load-{i % users}", **gw.auth()},
                            json={"model": "m", "stream": stream,
                                  "messages": [{"role": "user",
                                                "content": f"question {i}"}]}) as response:
                        await response.read()
                        out.append((time.monotonic(), response.status,
                                    response.headers.get("x-agility-arm", "")))
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        return out

    return asyncio.run(run())


def answer_text(body: str) -> str:
    """The answer's text in a whole or streamed chat completion body."""
    if body.startswith("data:"):
        return "".join(e["choices"][0]["delta"].get("content") or ""  # type: ignore[index]
                       for e in sse_events(body) if isinstance(e, dict) and e.get("choices"))
    return str(json.loads(body)["choices"][0]["message"]["content"])


def events_of(store: Path, kind: str | None = None) -> list[dict[str, Any]]:
    """The canary events in a store file, oldest first."""
    import sqlite3

    with sqlite3.connect(store) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM events WHERE kind LIKE 'canary.%' ORDER BY id").fetchall()
    out = [{**dict(r), "payload": json.loads(r["payload_json"])} for r in rows]
    return [e for e in out if kind is None or e["kind"] == kind]
