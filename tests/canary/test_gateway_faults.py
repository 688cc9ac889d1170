"""Faults at the gateway: malformed requests get a 4xx (never a 500), oversized bodies are
refused, and upstream throttling, errors, dropped streams and hangs become clear answers.

One gateway process serves the whole module; both arms call one fake upstream whose faults
each test sets.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from agility.testing import FakeOpenAIServer, Fault
from tests.canary.conftest import GatewayProcess, chat, openai_side, sse_events, write_plan


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory,
       upstream: FakeOpenAIServer) -> Iterator[GatewayProcess]:
    folder = tmp_path_factory.mktemp("faults")
    side = openai_side(upstream.base_url, timeout_s=2)
    plan = write_plan(folder, source={**side, "timeout_s": 1.5},
                      target={**side, "timeout_s": 1.5},
                      rollout={"stages": [{"percent": 50, "min_requests": 10**6},
                                          {"percent": 100}],
                               "retry": {"max_attempts": 2, "base_delay_s": 0.01,
                                         "max_delay_s": 0.05},
                               "max_body_bytes": 4096})
    with GatewayProcess(plan, folder / "agility.db") as process:
        yield process
        # no request, however malformed or failed, made the gateway raise
        assert "Traceback" not in process.read_log(), process.read_log()


@pytest.fixture(autouse=True)
def _no_faults_left(upstream: FakeOpenAIServer) -> Iterator[None]:
    upstream.set_faults([])
    yield
    upstream.set_faults([])


BAD_BODIES = [
    (b"not json", "invalid_json"),
    (b"[1, 2]", "invalid_value"),
    (json.dumps({"messages": [{"role": "user", "content": "x"}]}).encode(), "invalid_value"),
    (json.dumps({"model": "m", "messages": []}).encode(), "invalid_value"),
    (json.dumps({"model": "m", "messages": "hello"}).encode(), "invalid_value"),
    (json.dumps({"model": "m", "messages": [{"role": "wizard", "content": "x"}]}).encode(),
     "invalid_value"),
    (json.dumps({"model": "m", "messages": [{"role": "user"}]}).encode(), "invalid_value"),
    (json.dumps({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "http://x"}}]}]}).encode(), "invalid_value"),
    (json.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}],
                 "temperature": 9}).encode(), "invalid_value"),
    (json.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}],
                 "max_tokens": 0}).encode(), "invalid_value"),
    (json.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}],
                 "stream": "yes"}).encode(), "invalid_value"),
    (json.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}],
                 "tools": [{"type": "function"}]}).encode(), "unsupported_parameter"),
    (json.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}],
                 "n": 3}).encode(), "unsupported_value"),
    (b"\xff\xfe\x00garbage", "invalid_json"),
]


@pytest.mark.parametrize(("body", "code"), BAD_BODIES)
def test_malformed_requests_get_a_400_naming_the_problem(gw: GatewayProcess, body: bytes,
                                                         code: str) -> None:
    response = httpx.post(f"{gw.url}/v1/chat/completions", content=body,
                          headers={"content-type": "application/json", **gw.auth()})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


def test_wrong_methods_and_paths_are_4xx(gw: GatewayProcess) -> None:
    assert httpx.get(f"{gw.url}/v1/chat/completions", headers=gw.auth()).status_code == 405
    assert httpx.post(f"{gw.url}/v1/models", headers=gw.auth()).status_code == 405
    assert httpx.get(f"{gw.url}/v1/embeddings", headers=gw.auth()).status_code == 404


def test_an_oversized_body_is_refused_before_it_is_read(gw: GatewayProcess) -> None:
    big = {"model": "m", "messages": [{"role": "user", "content": "x" * 10_000}]}
    response = httpx.post(f"{gw.url}/v1/chat/completions", json=big, headers=gw.auth())
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"
    # a chunked body (no Content-Length) is cut off at the limit as it arrives
    chunks = (b"x" * 1024 for _ in range(64))
    response = httpx.post(f"{gw.url}/v1/chat/completions", content=chunks, headers=gw.auth())
    assert response.status_code == 413
    assert chat(gw).status_code == 200  # and the gateway serves on


def test_a_broken_connection_mid_body_leaves_the_gateway_serving(gw: GatewayProcess) -> None:
    host, port = gw.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n"
                     b"content-length: 500\r\n\r\n{\"model\":")
    assert chat(gw).status_code == 200


def test_one_throttle_is_retried_and_the_client_never_sees_it(gw: GatewayProcess,
                                                              upstream: FakeOpenAIServer) -> None:
    upstream.set_faults([Fault.rate_limit(retry_after_s=0)])
    assert chat(gw).status_code == 200


def test_throttling_that_persists_is_a_429_with_retry_after(gw: GatewayProcess,
                                                            upstream: FakeOpenAIServer) -> None:
    upstream.set_faults([Fault.rate_limit(retry_after_s=0)] * 2)
    response = chat(gw)
    assert response.status_code == 429 and response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == "rate_limited"


def test_server_errors_are_a_502(gw: GatewayProcess, upstream: FakeOpenAIServer) -> None:
    upstream.set_faults([Fault.server_error(500)] * 2)
    response = chat(gw)
    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_error"


def test_a_request_the_upstream_refuses_keeps_its_4xx(gw: GatewayProcess,
                                                      upstream: FakeOpenAIServer) -> None:
    upstream.set_faults([Fault.server_error(400)])
    response = chat(gw)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "upstream_rejected"


def test_upstream_auth_failures_never_echo_a_key(gw: GatewayProcess,
                                                 upstream: FakeOpenAIServer) -> None:
    upstream.set_faults([Fault.auth_error()])
    response = chat(gw)
    assert response.status_code == 502 and "sk-" not in response.text


def test_a_hung_upstream_is_a_504_within_the_timeout(gw: GatewayProcess,
                                                     upstream: FakeOpenAIServer) -> None:
    upstream.set_faults([Fault.hang(seconds=20)] * 2)
    started = time.monotonic()
    response = chat(gw)
    assert response.status_code == 504
    assert time.monotonic() - started < 8  # two attempts of 1.5 s, plus a short backoff


def test_a_stream_dropped_before_its_first_word_is_retried(gw: GatewayProcess,
                                                           upstream: FakeOpenAIServer) -> None:
    upstream.set_faults([Fault.cut_stream(after_tokens=0)])
    response = chat(gw, "alpha beta", stream=True)
    events = sse_events(response.text)
    assert response.status_code == 200 and events[-1] == "[DONE]"
    assert "".join(e["choices"][0]["delta"].get("content", "") for e in events[1:-2]) == \
        "alpha beta"


def test_a_stream_dropped_midway_ends_with_an_error_event(gw: GatewayProcess,
                                                          upstream: FakeOpenAIServer) -> None:
    upstream.set_faults([Fault.cut_stream(after_tokens=2)])
    response = chat(gw, "alpha beta gamma delta", stream=True)
    events = sse_events(response.text)
    assert response.status_code == 200 and "[DONE]" not in events
    assert "".join(e["choices"][0]["delta"].get("content", "")
                   for e in events if "choices" in e) == "alpha beta "
    assert events[-1]["error"]["code"] == "upstream_error"


def test_a_stream_that_fails_before_any_byte_gets_an_http_status(gw: GatewayProcess,
                                                                 upstream: FakeOpenAIServer
                                                                 ) -> None:
    upstream.set_faults([Fault.server_error(503)] * 2)
    response = chat(gw, stream=True)
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/json"
