"""Text completions through the gateway (``POST /v1/completions``, OpenAI's legacy API): the
raw prompt a ported ``format: text`` prompt sends reaches each arm's ``/v1/completions`` as
sent, answers come back in the Completions format (whole or streamed), a failed target falls
back to the source, bad bodies are 400s naming the field, and an arm that cannot take a text
prompt refuses every text request before any call."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agility.testing import FakeAnthropicServer, FakeOpenAIServer, Fault
from tests.canary.conftest import (
    HALF,
    GatewayProcess,
    openai_side,
    recording_server,
    sse_events,
    user_on,
    write_plan,
)

PROMPT = "Context: revenue was $1.2 billion.\nQuestion: What was revenue?\nAnswer:"


def complete(gw: GatewayProcess, prompt: Any = PROMPT, *, on: str | None = None,
             stream: bool = False, **body: Any) -> httpx.Response:
    """POST one text completion with a client token, as user ``on`` (``x-user-id``)."""
    headers = {"authorization": f"Bearer {gw.client_token}"}
    if on is not None:
        headers["x-user-id"] = on
    return httpx.post(f"{gw.url}/v1/completions", headers=headers, timeout=30,
                      json={"model": "gpt-3.5-turbo-instruct", "prompt": prompt,
                            "stream": stream, **body})


def streamed_text(events: list[Any]) -> str:
    return "".join(e["choices"][0]["text"] for e in events
                   if isinstance(e, dict) and e.get("choices"))


def test_a_text_completion_reaches_the_arms_completions_api_as_sent(tmp_path: Path,
                                                                    gateway) -> None:
    with recording_server(responder=lambda body: "from the source") as source, \
            recording_server(responder=lambda body: "from the target") as target:
        plan = write_plan(tmp_path, source=openai_side(source.base_url),
                          target=openai_side(target.base_url),
                          rollout={**HALF, "grading": {"sample_rate": 1.0}})
        gw = gateway(plan)
        answer = complete(gw, on=user_on("target", 50), max_tokens=40, stop=["\n"],
                          temperature=0, echo=False, n=1, logprobs=None)
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-agility-arm"] == "target"
        body = answer.json()
        assert body["object"] == "text_completion" and body["id"].startswith("cmpl-")
        assert body["model"] == "gpt-3.5-turbo-instruct" and isinstance(body["created"], int)
        assert body["choices"] == [{"text": "from the target", "index": 0, "logprobs": None,
                                    "finish_reason": "stop"}]
        assert body["usage"]["completion_tokens"] == 3
        assert body["usage"]["total_tokens"] == 3 + len(PROMPT.split())
        # the upstream got the raw prompt on its completions API, with the client's settings
        assert target.paths == ["/v1/completions"] and source.paths == []
        sent = target.requests[0]
        assert sent["prompt"] == PROMPT and "messages" not in sent
        assert sent["max_tokens"] == 40 and sent["stop"] == ["\n"] and sent["temperature"] == 0
        # the body's user field routes like the x-user-id header
        routed = complete(gw, ["one prompt in a list"], user=user_on("source", 50))
        assert routed.headers["x-agility-arm"] == "source"
        assert routed.json()["choices"][0]["text"] == "from the source"
        assert source.requests[0]["prompt"] == "one prompt in a list"
        # the online grader and the metrics see text calls as they see chat calls
        deadline = time.monotonic() + 10
        while True:
            metrics = httpx.get(f"{gw.url}/metrics", headers=gw.auth("canary-viewer")).text
            if 'agility_canary_grades_total{arm="target",metric="answered"} 1.0' in metrics:
                break
            assert time.monotonic() < deadline, metrics
            time.sleep(0.05)
        assert 'agility_canary_requests_total{arm="target",outcome="ok",stage="1"} 1.0' \
            in metrics
        assert 'agility_canary_requests_total{arm="source",outcome="ok",stage="1"} 1.0' \
            in metrics
        models = httpx.get(f"{gw.url}/v1/models", headers=gw.auth()).json()
        assert [m["id"] for m in models["data"]] == ["canary-test"]
        assert gw.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    with sqlite3.connect(tmp_path / "agility.db") as db:
        counts = {arm: json.loads(counts) for arm, counts in db.execute(
            "SELECT arm, counts_json FROM canary_counters")}
    assert counts["target"]["requests"] == 1 and counts["source"]["requests"] == 1, counts


def test_a_streamed_text_completion_passes_through_in_the_completions_format(
        tmp_path: Path, gateway) -> None:
    words = "one two three four five six"
    with recording_server(responder=lambda body: words, token_delay_ms=60) as upstream:
        plan = write_plan(tmp_path, source=openai_side(upstream.base_url),
                          target=openai_side(upstream.base_url), rollout=HALF)
        gw = gateway(plan)
        arrivals: list[tuple[float, str]] = []
        with httpx.Client(timeout=30) as client, client.stream(
                "POST", f"{gw.url}/v1/completions",
                headers={**gw.auth(), "x-user-id": user_on("target", 50)},
                json={"model": "m", "prompt": PROMPT, "stream": True,
                      "stream_options": {"include_usage": True}}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["x-agility-arm"] == "target"
            for line in response.iter_lines():
                if line.startswith("data: "):
                    arrivals.append((time.perf_counter(), line))
        # without include_usage: no usage chunk
        plain = complete(gw, "alpha beta", stream=True, on=user_on("source", 50))
    events = sse_events("\n".join(line for _, line in arrivals))
    chunks = [e for e in events if isinstance(e, dict)]
    assert all(e["object"] == "text_completion" and e["id"].startswith("cmpl-")
               for e in chunks)
    # no role chunk: the first event is the first piece of text
    assert [e["choices"][0]["text"] for e in chunks[:6]] == \
        ["one ", "two ", "three ", "four ", "five ", "six"]
    assert all("delta" not in e["choices"][0] and e["choices"][0]["logprobs"] is None
               and e["choices"][0]["finish_reason"] is None for e in chunks[:6])
    assert events[-3]["choices"] == [{"text": "", "index": 0, "logprobs": None,
                                      "finish_reason": "stop"}]
    assert events[-2]["choices"] == [] and events[-2]["usage"]["completion_tokens"] == 6
    assert events[-1] == "[DONE]" and len(events) == 9
    assert arrivals[5][0] - arrivals[0][0] > 0.2  # piece by piece, not all at the end
    assert upstream.paths == ["/v1/completions", "/v1/completions"]
    assert upstream.requests[0]["prompt"] == PROMPT and upstream.requests[0]["stream"] is True
    assert plain.headers["x-agility-arm"] == "source"
    plain_events = sse_events(plain.text)
    assert streamed_text(plain_events) == words and plain_events[-1] == "[DONE]"
    assert not any(isinstance(e, dict) and "usage" in e for e in plain_events)


def test_a_failed_target_falls_back_to_the_source_for_a_text_call(tmp_path: Path,
                                                                  gateway) -> None:
    with recording_server(responder=lambda body: "source answer") as source, \
            recording_server(faults=[Fault.server_error(500)] * 2) as target:
        plan = write_plan(tmp_path, source=openai_side(source.base_url),
                          target=openai_side(target.base_url),
                          rollout={**HALF, "fallback": "source", "retry": {"max_attempts": 1}})
        gw = gateway(plan)
        on_target = user_on("target", 50)
        whole = complete(gw, on=on_target)
        streamed = complete(gw, "a streamed prompt", on=on_target, stream=True)
        metrics = httpx.get(f"{gw.url}/metrics", headers=gw.auth("canary-viewer")).text
        assert gw.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    assert whole.status_code == 200 and whole.headers["x-agility-arm"] == "source"
    assert whole.json()["choices"][0]["text"] == "source answer"
    assert streamed.status_code == 200 and streamed.headers["x-agility-arm"] == "source"
    assert streamed_text(sse_events(streamed.text)) == "source answer"
    assert target.paths == source.paths == ["/v1/completions"] * 2
    assert [r["prompt"] for r in source.requests] == [PROMPT, "a streamed prompt"]
    assert 'agility_canary_requests_total{arm="target",outcome="fallback",stage="1"} 2.0' \
        in metrics
    # audited as chat calls are: the prompt as sent, the failed target, the source's answer
    with sqlite3.connect(tmp_path / "agility.db") as db:
        calls = [json.loads(row[0]) for row in db.execute(
            "SELECT payload_json FROM events WHERE kind='model.call' ORDER BY id")]
    assert [(c["arm"], c["stream"], c.get("answered_by"), c["response"]) for c in calls] == [
        ("target", False, "source", None), ("source", False, None, "source answer"),
        ("target", True, "source", None), ("source", True, None, "source answer")]
    assert calls[0]["prompt"] == [{"role": "user", "content": PROMPT}] and calls[0]["error"]
    assert all(c["prompt_format"] == "text" for c in calls)


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory,
       upstream: FakeOpenAIServer) -> Iterator[GatewayProcess]:
    folder = tmp_path_factory.mktemp("text")
    plan = write_plan(folder, source=openai_side(upstream.base_url),
                      target=openai_side(upstream.base_url), rollout=HALF)
    with GatewayProcess(plan, folder / "agility.db") as process:
        yield process
        assert "Traceback" not in process.read_log(), process.read_log()


BAD_TEXT_BODIES = [
    ({"model": "m", "prompt": [1734, 374, 264]}, "prompt", "token-array"),
    ({"model": "m", "prompt": [[1734, 374], [264]]}, "prompt", "token-array"),
    ({"model": "m", "prompt": ["first", "second"]}, "prompt", "2 prompts"),
    ({"model": "m", "prompt": "x", "echo": True}, "echo", "echo=True"),
    ({"model": "m", "prompt": "x", "n": 2}, "n", "n=2"),
    ({"model": "m", "prompt": "x", "logprobs": 5}, "logprobs", "logprobs=5"),
    ({"model": "m", "prompt": "x", "suffix": "}"}, "suffix", "suffix="),
    ({"model": "m", "prompt": "x", "response_format": {"type": "json_object"}},
     "response_format", "unsupported parameter"),
    ({"model": "m", "messages": [{"role": "user", "content": "x"}]}, "messages",
     "unsupported parameter"),
    ({"model": "m", "prompt": 42}, "prompt", "must be a string"),
    ({"model": "m"}, "prompt", "required"),
    ({"model": 7, "prompt": "x"}, "model", "non-empty string"),
    ({"model": "m", "prompt": "x", "temperature": "hot"}, "temperature", "number"),
    ({"model": "m", "prompt": "x", "max_tokens": 0}, "max_tokens", "integer"),
    ({"model": "m", "prompt": "x", "stream": "yes"}, "stream", "true or false"),
    ({"model": "m", "prompt": "x", "stream_options": {"include_usage": "yes"}},
     "stream_options.include_usage", "true or false"),
    ({"model": "m", "prompt": "x", "stop": [1, 2]}, "stop", "strings"),
]


@pytest.mark.parametrize(("body", "param", "says"), BAD_TEXT_BODIES)
def test_a_bad_text_body_is_a_400_naming_the_field_without_any_call(
        gw: GatewayProcess, upstream: FakeOpenAIServer, body: dict[str, Any], param: str,
        says: str) -> None:
    before = len(upstream.requests)
    response = httpx.post(f"{gw.url}/v1/completions", json=body, headers=gw.auth())
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param and says in error["message"], error
    assert len(upstream.requests) == before


def test_text_completions_need_a_client_token_and_a_post(gw: GatewayProcess,
                                                         upstream: FakeOpenAIServer) -> None:
    before = len(upstream.requests)
    body = {"model": "m", "prompt": "x"}
    response = httpx.post(f"{gw.url}/v1/completions", json=body)
    assert response.status_code == 401 and response.headers["www-authenticate"]
    wrong = httpx.post(f"{gw.url}/v1/completions", json=body,
                       headers={"authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401
    assert httpx.get(f"{gw.url}/v1/completions", headers=gw.auth()).status_code == 405
    assert len(upstream.requests) == before
    assert complete(gw, "still serving").json()["choices"][0]["text"] == "still serving"


def test_an_arm_without_a_completions_api_refuses_text_before_any_call(
        tmp_path: Path, gateway) -> None:
    with recording_server() as source, FakeAnthropicServer() as target:
        plan = write_plan(
            tmp_path, source=openai_side(source.base_url),
            target={"model": "anthropic/claude-test",
                    "provider_options": {"base_url": target.base_url},
                    "price": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}},
            rollout=HALF)
        gw = gateway(plan, env={"ANTHROPIC_API_KEY": "sk-ant-test-0123456789"})
        for arm in ("source", "target"):  # wherever the request was routed
            for stream in (False, True):
                response = complete(gw, on=user_on(arm, 50), stream=stream)
                assert response.status_code == 400, response.text
                error = response.json()["error"]
                assert error["code"] == "text_prompt_unsupported"
                assert "the target arm (anthropic/claude-test)" in error["message"]
                assert "source arm" not in error["message"]
        assert source.paths == [] and target.requests == []
        # chat completions are served as before
        chat = httpx.post(f"{gw.url}/v1/chat/completions", headers=gw.auth(), timeout=30,
                          json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
        assert chat.status_code == 200 and len(source.paths) + len(target.requests) == 1
        assert "Traceback" not in gw.read_log()


def test_the_openai_sdk_reads_text_completions_from_the_gateway(
        gw: GatewayProcess, upstream: FakeOpenAIServer) -> None:
    openai = pytest.importorskip("openai", reason="needs the openai SDK")
    client = openai.OpenAI(base_url=f"{gw.url}/v1", api_key=gw.client_token, max_retries=0)
    whole = client.completions.create(model="m", prompt="alpha beta gamma", max_tokens=20)
    assert whole.object == "text_completion" and whole.choices[0].text == "alpha beta gamma"
    assert whole.choices[0].finish_reason == "stop" and whole.usage is not None
    assert whole.usage.completion_tokens == 3
    chunks = list(client.completions.create(model="m", prompt="one two", stream=True,
                                            stream_options={"include_usage": True}))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "one two"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 2
    with pytest.raises(openai.BadRequestError) as refused:
        client.completions.create(model="m", prompt="x", echo=True)
    assert refused.value.body["param"] == "echo"


def test_the_privacy_policy_masks_a_text_prompt_as_it_masks_messages(tmp_path: Path,
                                                                     gateway) -> None:
    pytest.importorskip("presidio_analyzer", reason="needs the privacy extra (Presidio)")
    email, ssn = "text.canary@example.com", "536-80-4398"
    with recording_server(responder=lambda body: f"Noted {email}.") as upstream:
        plan = write_plan(tmp_path, source=openai_side(upstream.base_url),
                          target=openai_side(upstream.base_url), rollout=HALF,
                          privacy={"mask": ["EMAIL_ADDRESS", "US_SSN"], "mode": "hash",
                                   "where": ["providers", "store", "logs"]},
                          residency={"allowed": ["local"]})
        gw = gateway(plan)
        prompt = f"Customer {email}, SSN {ssn}.\nSummary:"
        assert complete(gw, prompt, on=user_on("source", 50)).status_code == 200
        assert complete(gw, prompt, on=user_on("target", 50), stream=True).status_code == 200
        assert gw.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    assert upstream.paths == ["/v1/completions"] * 2
    sent = [r["prompt"] for r in upstream.requests]
    assert all("<EMAIL_ADDRESS:" in p and "<US_SSN:" in p and email not in p and ssn not in p
               for p in sent), sent
    with sqlite3.connect(tmp_path / "agility.db") as db:
        calls = [json.loads(row[0]) for row in db.execute(
            "SELECT payload_json FROM events WHERE kind='model.call' ORDER BY id")]
    assert [(c["arm"], c["stream"], c["prompt_format"]) for c in calls] == [
        ("source", False, "text"), ("target", True, "text")]
    for call in calls:
        assert "<EMAIL_ADDRESS:" in call["prompt"][0]["content"]
        assert email not in json.dumps(call)
