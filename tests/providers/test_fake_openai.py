"""The fault-injecting fake OpenAI server speaks the wire format and injects what it is told."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest

from agility.testing import FakeOpenAIServer, Fault


def _body(text: str = "one two three", **extra: object) -> dict[str, object]:
    return {"model": "m", "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": text}], **extra}


def _events(server: FakeOpenAIServer, body: dict[str, object],
            headers: dict[str, str] | None = None) -> list[tuple[float, str]]:
    start = time.perf_counter()
    out = []
    with httpx.stream("POST", server.base_url + "/chat/completions", json=body,
                      headers=headers) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                out.append(((time.perf_counter() - start) * 1000, line[6:]))
    return out


def test_stream_has_role_chunk_content_finish_usage_and_done() -> None:
    with FakeOpenAIServer() as server:
        events = _events(server, _body("alpha beta gamma"))
    payloads = [e[1] for e in events]
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "alpha beta gamma"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"] == {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}
    assert server.completed == 1
    assert server.requests[0]["messages"][0]["content"] == "alpha beta gamma"


def test_ttft_delay_separates_role_chunk_from_first_content() -> None:
    with FakeOpenAIServer(ttft_ms=300) as server:
        events = _events(server, _body("a b"))
        fast = _events(server, _body("a b"), headers={"x-fake-ttft-ms": "0"})
    assert events[1][0] - events[0][0] >= 295
    assert fast[1][0] - fast[0][0] < 200  # the header overrode the 300 ms


def test_usage_chunk_omitted_when_disabled() -> None:
    with FakeOpenAIServer(usage=False) as server:
        events = _events(server, _body())
    assert not any("usage" in json.loads(p) for _, p in events[:-1])


def test_faults_apply_in_order_then_normal_service_resumes() -> None:
    with FakeOpenAIServer(faults=[Fault.rate_limit(retry_after_s=3),
                                  Fault.server_error(503)]) as server:
        url = server.base_url + "/chat/completions"
        first = httpx.post(url, json=_body())
        second = httpx.post(url, json=_body())
        third = httpx.post(url, json={**_body("fine"), "stream": False})
    assert (first.status_code, first.headers["retry-after"]) == (429, "3")
    assert second.status_code == 503
    assert third.json()["choices"][0]["message"]["content"] == "fine"


def test_cut_stream_drops_connection_midway() -> None:
    with FakeOpenAIServer(faults=[Fault.cut_stream(after_tokens=1)]) as server:
        with pytest.raises(httpx.RemoteProtocolError):
            _events(server, _body("a b c d"))
        assert server.completed == 0


def test_hang_makes_client_time_out() -> None:
    with FakeOpenAIServer(faults=[Fault.hang(5)]) as server, pytest.raises(httpx.ReadTimeout):
        httpx.post(server.base_url + "/chat/completions", json=_body(), timeout=0.3)


def test_runs_as_separate_process() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "agility.testing.fake_openai", "--port", "0",
                             "--ttft-ms", "1"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base_url = line.split()[-1]
        models = httpx.get(base_url + "/models", timeout=5).json()
        assert models["data"][0]["id"] == "fake-model"
    finally:
        proc.terminate()
        proc.wait(5)


def _whole_answer_ms(server: FakeOpenAIServer) -> float:
    start = time.perf_counter()
    response = httpx.post(server.base_url + "/chat/completions",
                          json={**_body("a b c d e"), "stream": False})
    assert response.json()["choices"][0]["message"]["content"] == "a b c d e"
    return (time.perf_counter() - start) * 1000


def test_a_whole_answer_can_take_as_long_as_its_stream() -> None:
    """With delay_whole_answers a non-streamed answer takes the stream's time (first chunk
    after 1.2 s, four more 50 ms apart: 1.4 s), so benchmarks of clients that do not stream
    do the same job; by default it goes out at once (well under the first chunk's delay, even
    on a loaded machine)."""
    with FakeOpenAIServer(ttft_ms=1200, token_delay_ms=50, delay_whole_answers=True) as server:
        assert _whole_answer_ms(server) >= 1400
    with FakeOpenAIServer(ttft_ms=1200, token_delay_ms=50) as server:
        assert _whole_answer_ms(server) < 1200
