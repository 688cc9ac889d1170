"""The gateway as a real process: OpenAI-compatible answers from the arm the rollout picks,
streams passed through chunk by chunk, a client that leaves mid-stream cancels the upstream
call, and neither the client's key nor anything secret lands in the store or the log."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx

from agility.testing import FakeOpenAIServer
from tests.canary.conftest import (
    HALF,
    UPSTREAM_KEY,
    chat,
    openai_side,
    recording_server,
    sse_events,
    user_on,
    write_plan,
)


def test_each_user_gets_an_openai_answer_from_their_arm(tmp_path: Path, gateway) -> None:
    with recording_server(responder=lambda body: "from the source") as source, \
            recording_server(responder=lambda body: "from the target") as target:
        plan = write_plan(tmp_path, source=openai_side(source.base_url),
                          target=openai_side(target.base_url), rollout=HALF)
        gw = gateway(plan)
        on_source, on_target = user_on("source", 50), user_on("target", 50)
        for _ in range(3):  # sticky: the same user stays on one arm
            answer = chat(gw, user=on_source)
            assert answer.status_code == 200 and answer.headers["x-agility-arm"] == "source"
            assert answer.json()["choices"][0]["message"]["content"] == "from the source"
            answer = chat(gw, user=on_target)
            assert answer.headers["x-agility-arm"] == "target"
        body = answer.json()
        assert body["object"] == "chat.completion" and body["model"] == "gpt-4o"
        assert body["choices"][0]["message"] == {"role": "assistant", "content": "from the target"}
        assert body["choices"][0]["finish_reason"] == "stop"
        assert body["usage"]["completion_tokens"] == 3 and body["usage"]["total_tokens"] > 3
        assert len(source.requests) == 3 and len(target.requests) == 3
        # upstream calls carry the gateway's key from its environment, never the client's
        assert set(source.authorizations) | set(target.authorizations) == \
            {f"Bearer {UPSTREAM_KEY}"}
        models = httpx.get(f"{gw.url}/v1/models", headers=gw.auth()).json()
        assert [m["id"] for m in models["data"]] == ["canary-test"]
        gw.stop()
    stored = (tmp_path / "agility.db").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("agility.db-*"))
    for secret in (gw.client_token, UPSTREAM_KEY):
        assert secret.encode() not in stored and secret not in gw.read_log()


def test_a_stream_passes_through_chunk_by_chunk(tmp_path: Path, gateway) -> None:
    words = "one two three four five six"
    with FakeOpenAIServer(responder=lambda body: words, token_delay_ms=80) as upstream:
        plan = write_plan(tmp_path, source=openai_side(upstream.base_url),
                          target=openai_side(upstream.base_url), rollout=HALF)
        gw = gateway(plan)
        arrivals: list[tuple[float, str]] = []
        with httpx.Client(timeout=30) as client, client.stream(
                "POST", f"{gw.url}/v1/chat/completions", headers=gw.auth(),
                json={"model": "m", "stream": True, "stream_options": {"include_usage": True},
                      "messages": [{"role": "user", "content": "go"}]}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                if line.startswith("data: "):
                    arrivals.append((time.perf_counter(), line))
    events = sse_events("\n".join(line for _, line in arrivals))
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    pieces = [e["choices"][0]["delta"].get("content") for e in events[1:-3]]
    assert "".join(pieces) == words and len(pieces) == 6
    assert events[-3]["choices"][0]["finish_reason"] == "stop"
    assert events[-2]["usage"]["completion_tokens"] == 6 and events[-1] == "[DONE]"
    # each word left the gateway as it came: the first ~400 ms (5 gaps) before the last
    first_word, last_word = arrivals[1][0], arrivals[6][0]
    assert last_word - first_word > 0.3


def test_a_client_leaving_mid_stream_cancels_the_upstream_call(tmp_path: Path,
                                                               gateway) -> None:
    long = " ".join(f"w{i}" for i in range(400))  # 20 s at 50 ms a word
    with FakeOpenAIServer(responder=lambda body: long, token_delay_ms=50) as upstream:
        plan = write_plan(tmp_path, source=openai_side(upstream.base_url),
                          target=openai_side(upstream.base_url), rollout=HALF)
        gw = gateway(plan)
        with httpx.Client(timeout=30) as client, client.stream(
                "POST", f"{gw.url}/v1/chat/completions", headers=gw.auth(),
                json={"model": "m", "stream": True,
                      "messages": [{"role": "user", "content": "go"}]}) as response:
            for line in response.iter_lines():
                if '"content":"w1 "' in line:
                    break  # leave after two words
        deadline = time.monotonic() + 10
        while upstream.responses_abandoned < 1:
            assert time.monotonic() < deadline, "the upstream kept streaming to nobody"
            time.sleep(0.05)
        assert upstream.completed == 0
        gw.stop()
    with sqlite3.connect(tmp_path / "agility.db") as db:
        cancelled = sum(__import__("json").loads(row[0]).get("cancelled", 0)
                        for row in db.execute("SELECT counts_json FROM canary_counters"))
    assert cancelled == 1


def test_metrics_count_calls_per_arm_and_stage(tmp_path: Path, gateway) -> None:
    with FakeOpenAIServer() as upstream:
        plan = write_plan(tmp_path, source=openai_side(upstream.base_url),
                          target=openai_side(upstream.base_url), rollout=HALF)
        gw = gateway(plan)
        for _ in range(4):
            chat(gw, user=user_on("target", 50))
        chat(gw, user=user_on("source", 50))
        text = httpx.get(f"{gw.url}/metrics", headers=gw.auth("canary-viewer")).text
    assert 'agility_canary_requests_total{arm="target",outcome="ok",stage="1"} 4.0' in text
    assert 'agility_canary_requests_total{arm="source",outcome="ok",stage="1"} 1.0' in text
    assert 'agility_canary_ttft_seconds_count{arm="target",stage="1"} 4.0' in text
    assert "agility_canary_target_percent 50.0" in text
    assert httpx.get(f"{gw.url}/healthz").json() == {"status": "ok"}
