"""The packaged model served over HTTP the way the docs say (`agility serve-local`): concurrent
calls queue instead of cutting each other's streams, and a prompt that does not fit the
context window is named as such. A real llama.cpp server process."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.store import Store
from agility.testing import FakeOpenAIServer, Fault

_register()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(port: int, log: Path, *more: str) -> subprocess.Popen[str]:
    # output to a file, not a pipe: an unread pipe fills and blocks the server
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-c", "from agility.cli.main import main; main()",
                                 "serve-local", "--port", str(port), *more], stdout=out,
                                stderr=subprocess.STDOUT, text=True, env=os.environ.copy())


def _wait_ready(proc: subprocess.Popen[str], port: int, log: Path) -> None:
    deadline = time.monotonic() + 180
    while True:
        assert proc.poll() is None, log.read_text()[-2000:]
        assert time.monotonic() < deadline, "the server did not answer within 180 s"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of `agility serve-local` with a 1,024-token context window."""
    pytest.importorskip("uvicorn", reason="needs the 'server' extra (llama-cpp-python[server])")
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "server.log"
    proc = _start(port, log, "--n-ctx", "1024")
    try:
        _wait_ready(proc, port, log)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.slow
def test_concurrent_calls_to_the_served_model_all_finish(served: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
    golden = tmp_path / "golden.jsonl"
    golden.write_text("".join(json.dumps({"id": f"q{i}", "source_prompt": f"Name a colour, number {i}.",
                                          "ground_truth": "red"}) + "\n" for i in range(6)))
    store = tmp_path / "agility.db"
    result = CliRunner().invoke(app, [
        "run", "--dataset", str(golden), "--model", "openai/gemma3-270m", "--base-url", served,
        "--name", "served", "--max-tokens", "16", "--concurrency", "4", "--store", str(store),
        # queued calls wait without a byte; on a loaded machine that can pass the 60 s default
        "--timeout", "600", "--provider-option", "timeout_s=600"])
    assert result.exit_code == 0, result.output
    with Store(store) as db:
        results = db.results(db.get_run("served").id)
    # with the server's default (--interrupt_requests True) most of these streams are cut
    assert len(results) == 6
    assert [r.error for r in results if r.error] == []
    assert all(r.output for r in results)


@pytest.mark.slow
def test_a_prompt_longer_than_the_context_is_named_as_such(served: str) -> None:
    from agility.chat import ChatRequest, Message
    from agility.errors import ContextOverflowError
    from agility.providers import get_provider

    async def call() -> None:
        provider = get_provider("openai/gemma3-270m", base_url=served)
        try:
            await provider.complete(ChatRequest(messages=[
                Message(role="user", content="apple banana cherry " * 700)]))
        finally:
            await provider.aclose()

    with pytest.raises(ContextOverflowError):
        asyncio.run(call())


def test_a_cut_stream_on_a_local_server_says_how_to_serve_it() -> None:
    from agility.chat import ChatRequest, Message
    from agility.errors import StreamError
    from agility.providers import get_provider

    async def call(base_url: str) -> None:
        provider = get_provider("openai/m", base_url=base_url)
        try:
            await provider.complete(ChatRequest(messages=[Message(role="user",
                                                                  content="one two three")]))
        finally:
            await provider.aclose()

    with FakeOpenAIServer() as server:
        server.set_faults([Fault.cut_stream(after_tokens=1)])
        with pytest.raises(StreamError, match="--interrupt_requests False"):
            asyncio.run(call(server.base_url))


@pytest.mark.slow
def test_stopping_serve_local_leaves_no_server_behind(tmp_path: Path) -> None:
    pytest.importorskip("uvicorn", reason="needs the 'server' extra (llama-cpp-python[server])")
    port = _free_port()
    log = tmp_path / "serve.log"
    proc = _start(port, log)
    try:
        _wait_ready(proc, port, log)
        assert log.read_text().startswith(f"serving on http://127.0.0.1:{port}/v1")
    finally:
        proc.terminate()
        proc.wait(30)
    # the command became the server: stopping it stopped the server, the port is free again
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_a_taken_port_or_a_foreign_host_is_one_line_before_the_model_loads() -> None:
    pytest.importorskip("llama_cpp")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = CliRunner().invoke(app, ["serve-local", "--port", str(port)])
    assert busy.exit_code == 2 and "port must be free on 127.0.0.1" in busy.output
    foreign = CliRunner().invoke(app, ["serve-local", "--host", "256.1.1.1"])
    assert foreign.exit_code == 2 and "host must be an address of this machine" in foreign.output
    assert "Traceback" not in busy.output + foreign.output
