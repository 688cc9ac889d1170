"""The real llama.cpp server as the target arm: the gateway forwards OpenAI requests to it
(streamed and not) while the source is a fake upstream, and counts both arms."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from agility.testing import FakeOpenAIServer
from tests.canary.conftest import chat, openai_side, sse_events, user_on, write_plan


def _half_on_llama(folder: Path, source_url: str, llama_server: str) -> Path:
    """A plan at 50%: the fake source, and the local model behind the llama.cpp server."""
    target = openai_side(llama_server, timeout_s=120)
    target["model"] = "openai/gemma3-270m"
    target["config"] = {"max_tokens": 8, "temperature": 0, "seed": 1}
    target["timeout_s"] = 120
    return write_plan(folder, source=openai_side(source_url), target=target,
                      rollout={"stages": [{"percent": 50, "min_requests": 10**6},
                                          {"percent": 100}]})


@pytest.mark.slow
def test_the_local_model_served_by_llama_cpp_is_one_arm(tmp_path: Path, gateway,
                                                       llama_server: str) -> None:
    with FakeOpenAIServer(responder=lambda body: "source says hi") as source:
        plan = _half_on_llama(tmp_path, source.base_url, llama_server)
        gw = gateway(plan)
        on_target = user_on("target", 50)
        whole = chat(gw, "What is the capital of France? One word.", user=on_target)
        assert whole.status_code == 200, whole.text
        assert whole.headers["x-agility-arm"] == "target"
        answer = whole.json()["choices"][0]
        assert answer["message"]["content"].strip()
        assert answer["finish_reason"] in ("stop", "length")
        streamed = chat(gw, "Name a colour.", user=on_target, stream=True)
        events = sse_events(streamed.text)
        assert streamed.status_code == 200 and events[-1] == "[DONE]"
        text = "".join(e["choices"][0]["delta"].get("content", "") for e in events[1:-2])
        assert text.strip()
        assert chat(gw, user=user_on("source", 50)).json()["choices"][0]["message"][
            "content"] == "source says hi"
        gw.stop()
    with sqlite3.connect(tmp_path / "agility.db") as db:
        counts = {arm: json.loads(raw) for arm, raw in
                  db.execute("SELECT arm, counts_json FROM canary_counters")}
    assert counts["target"]["requests"] == 2 and counts["target"]["errors"] == 0
    assert counts["target"]["ttft"] and counts["source"]["requests"] == 1


@pytest.mark.slow
def test_a_text_prompt_reaches_the_llama_cpp_servers_completions_api(tmp_path: Path, gateway,
                                                                     llama_server: str) -> None:
    with FakeOpenAIServer(responder=lambda body: "source continues") as source:
        plan = _half_on_llama(tmp_path, source.base_url, llama_server)
        gw = gateway(plan)
        on_target = user_on("target", 50)
        prompt = "Question: What is the capital of France?\nAnswer:"
        whole = httpx.post(f"{gw.url}/v1/completions", timeout=120,
                           headers={**gw.auth(), "x-user-id": on_target},
                           json={"model": "m", "prompt": prompt})
        assert whole.status_code == 200, whole.text
        assert whole.headers["x-agility-arm"] == "target"
        body = whole.json()
        assert body["object"] == "text_completion" and body["choices"][0]["text"].strip()
        assert body["choices"][0]["finish_reason"] in ("stop", "length")
        assert body["usage"]["prompt_tokens"] > 5
        streamed = httpx.post(f"{gw.url}/v1/completions", timeout=120,
                              headers={**gw.auth(), "x-user-id": on_target},
                              json={"model": "m", "prompt": prompt, "stream": True})
        events = sse_events(streamed.text)
        assert streamed.status_code == 200 and events[-1] == "[DONE]"
        assert "".join(e["choices"][0]["text"] for e in events[:-1]  # type: ignore[index]
                       if isinstance(e, dict)).strip()
        gw.stop()
    with sqlite3.connect(tmp_path / "agility.db") as db:
        counts = {arm: json.loads(raw) for arm, raw in
                  db.execute("SELECT arm, counts_json FROM canary_counters")}
    assert counts["target"]["requests"] == 2 and counts["target"]["errors"] == 0
