"""Tools through the bedrock/ adapter (Converse): ``toolConfig`` with ``toolSpec`` and
``toolChoice``, streamed ``toolUse`` blocks read back, and an agent's next turn sent as
``toolUse`` and ``toolResult`` blocks (consecutive results in one user turn)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agility.chat import ChatRequest, Message, ToolCall, ToolSpec
from agility.errors import UsageError
from agility.providers import get_provider
from agility.testing import FakeBedrockServer

pytest.importorskip("boto3")
MODEL = "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0"
WEATHER = ToolSpec(name="get_weather", description="The weather in a city",
                   parameters={"type": "object", "properties": {"city": {"type": "string"}}})


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAABCDEFGHIJKLMNOP")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-value-never-shown")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/agility-test")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/agility-test")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _weather(body: dict[str, Any]) -> str | dict[str, Any]:
    last = body["messages"][-1]["content"]
    results = [b["toolResult"]["content"][0]["text"] for b in last if "toolResult" in b]
    if results:
        return "It is " + " and ".join(results)
    return {"content": "", "tool_calls": [
        {"name": "get_weather", "arguments": {"city": "Paris"}},
        {"name": "get_weather", "arguments": {"city": "Oslo"}}]}


def _complete(server: FakeBedrockServer, request: ChatRequest) -> Any:
    provider = get_provider(MODEL, endpoint_url=server.base_url, region="us-east-1")

    async def go() -> Any:
        try:
            return await provider.complete(request)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def test_tools_go_out_and_the_tool_use_blocks_come_back() -> None:
    with FakeBedrockServer(responder=_weather, ttft_ms=20) as server:
        completion = _complete(server, ChatRequest(
            messages=[Message(role="user", content="Weather?")], tools=[WEATHER],
            tool_choice="get_weather"))
        sent = server.requests[0]
    assert sent["toolConfig"] == {
        "tools": [{"toolSpec": {"name": "get_weather", "description": "The weather in a city",
                                "inputSchema": {"json": WEATHER.parameters}}}],
        "toolChoice": {"tool": {"name": "get_weather"}}}
    assert completion.finish_reason == "tool_use" and completion.text == ""
    assert [(c.name, c.arguments) for c in completion.tool_calls] == [
        ("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Oslo"})]
    assert completion.ttft_ms is not None and completion.ttft_ms >= 20


def test_the_next_turn_sends_tool_use_and_tool_result_blocks() -> None:
    calls = [ToolCall(name="get_weather", arguments={"city": "Paris"}, id="tu_a"),
             ToolCall(name="get_weather", arguments={"city": "Oslo"}, id="tu_b")]
    with FakeBedrockServer(responder=_weather) as server:
        completion = _complete(server, ChatRequest(
            messages=[Message(role="user", content="Weather?"),
                      Message(role="assistant", content="", tool_calls=calls),
                      Message(role="tool", content="sunny in Paris", tool_call_id="tu_a"),
                      Message(role="tool", content="rain in Oslo", tool_call_id="tu_b")],
            tools=[WEATHER], tool_choice="required"))
        sent = server.requests[0]
    assert completion.text == "It is sunny in Paris and rain in Oslo"
    assert sent["toolConfig"]["toolChoice"] == {"any": {}}
    assert sent["messages"][1] == {"role": "assistant", "content": [
        {"toolUse": {"toolUseId": "tu_a", "name": "get_weather", "input": {"city": "Paris"}}},
        {"toolUse": {"toolUseId": "tu_b", "name": "get_weather", "input": {"city": "Oslo"}}}]}
    assert sent["messages"][2] == {"role": "user", "content": [
        {"toolResult": {"toolUseId": "tu_a", "content": [{"text": "sunny in Paris"}]}},
        {"toolResult": {"toolUseId": "tu_b", "content": [{"text": "rain in Oslo"}]}}]}


def test_tool_choice_none_is_refused_not_ignored() -> None:
    with FakeBedrockServer() as server:
        with pytest.raises(UsageError, match="no tool_choice none"):
            _complete(server, ChatRequest(messages=[Message(role="user", content="x")],
                                          tools=[WEATHER], tool_choice="none"))
        assert server.requests == []  # refused before anything was sent
