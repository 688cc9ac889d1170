"""Tools through the anthropic/ adapter: definitions as ``input_schema``, ``tool_choice`` in
Anthropic's form, streamed ``tool_use`` blocks read back, and an agent's next turn sent as
``tool_use`` and ``tool_result`` blocks (consecutive results in one user turn)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agility.chat import ChatRequest, Message, ToolCall, ToolSpec
from agility.providers import get_provider
from agility.testing import FakeAnthropicServer

WEATHER = ToolSpec(name="get_weather", description="The weather in a city",
                   parameters={"type": "object", "properties": {"city": {"type": "string"}}})


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-tools-0123456789")


def _weather(body: dict[str, Any]) -> str | dict[str, Any]:
    last = body["messages"][-1]["content"]
    if isinstance(last, list):  # tool results came back
        return "It is " + " and ".join(b["content"] for b in last)
    return {"content": "Let me check.", "tool_calls": [
        {"name": "get_weather", "arguments": {"city": "Paris"}},
        {"name": "get_weather", "arguments": {"city": "Oslo"}}]}


def _complete(server: FakeAnthropicServer, request: ChatRequest) -> Any:
    provider = get_provider("anthropic/claude-test", base_url=server.base_url)

    async def go() -> Any:
        try:
            return await provider.complete(request)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def test_tools_go_out_and_the_tool_use_blocks_come_back() -> None:
    with FakeAnthropicServer(responder=_weather, ttft_ms=20) as server:
        completion = _complete(server, ChatRequest(
            messages=[Message(role="user", content="Weather?")], tools=[WEATHER],
            tool_choice="required"))
        sent = server.requests[0]
    assert sent["tools"] == [{"name": "get_weather", "description": "The weather in a city",
                              "input_schema": WEATHER.parameters}]
    assert sent["tool_choice"] == {"type": "any"}
    assert completion.text == "Let me check." and completion.finish_reason == "tool_use"
    assert [(c.name, c.arguments) for c in completion.tool_calls] == [
        ("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Oslo"})]
    assert all(c.id and c.id.startswith("toolu_") for c in completion.tool_calls)


def test_the_next_turn_sends_tool_use_and_tool_result_blocks() -> None:
    calls = [ToolCall(name="get_weather", arguments={"city": "Paris"}, id="toolu_a"),
             ToolCall(name="get_weather", arguments={"city": "Oslo"}, id="toolu_b")]
    with FakeAnthropicServer(responder=_weather) as server:
        completion = _complete(server, ChatRequest(
            messages=[Message(role="system", content="Be brief."),
                      Message(role="user", content="Weather?"),
                      Message(role="assistant", content="Let me check.", tool_calls=calls),
                      Message(role="tool", content="sunny in Paris", tool_call_id="toolu_a"),
                      Message(role="tool", content="rain in Oslo", tool_call_id="toolu_b")],
            tools=[WEATHER], tool_choice="get_weather"))
        sent = server.requests[0]
    assert completion.text == "It is sunny in Paris and rain in Oslo"
    assert completion.tool_calls == []
    assert sent["tool_choice"] == {"type": "tool", "name": "get_weather"}
    assert sent["system"] == "Be brief."
    assert sent["messages"][1] == {"role": "assistant", "content": [
        {"type": "text", "text": "Let me check."},
        {"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "toolu_b", "name": "get_weather", "input": {"city": "Oslo"}}]}
    assert sent["messages"][2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_a", "content": "sunny in Paris"},
        {"type": "tool_result", "tool_use_id": "toolu_b", "content": "rain in Oslo"}]}
    assert len(sent["messages"]) == 3


def test_a_request_without_tools_sends_none() -> None:
    with FakeAnthropicServer() as server:
        completion = _complete(server, ChatRequest(messages=[Message(role="user",
                                                                     content="hi")]))
        sent = server.requests[0]
    assert "tools" not in sent and "tool_choice" not in sent
    assert completion.text == "hi" and completion.tool_calls == []
