"""Tools through the openai/ adapter: the definitions go out in Chat Completions form, the
streamed calls come back stitched together, and an agent's next turn (the assistant's calls,
each tool's result) is sent as OpenAI expects it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from agility.chat import ChatRequest, Message, ToolCall, ToolSpec
from agility.client import Client
from agility.errors import StreamError, UsageError
from agility.providers import get_provider
from agility.testing import FakeOpenAIServer
from agility.testing._http import BackgroundHTTPServer, HTTPRequest, HTTPResponder


class ScriptedServer(BackgroundHTTPServer):
    """Answers every request with the same SSE bytes."""

    def __init__(self, wire: bytes) -> None:
        super().__init__()
        self.wire = wire

    async def handle(self, request: HTTPRequest, responder: HTTPResponder) -> None:
        await responder.start_stream(200, {})
        await responder.write_chunk(self.wire)
        await responder.end_stream()

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                     "days": {"type": "integer"}},
                   "required": ["city"]}}}


def _calls_then_answers(body: dict[str, Any]) -> str | dict[str, Any]:
    """First turn: two tool calls; once the tools answered: a sentence using their results."""
    tool_results = [m["content"] for m in body["messages"] if m["role"] == "tool"]
    if tool_results:
        return "It is " + " and ".join(tool_results)
    return {"content": "", "tool_calls": [
        {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}},
        {"name": "get_weather", "arguments": {"city": "Oslo"}}]}


def _complete(server: FakeOpenAIServer, request: ChatRequest) -> Any:
    provider = get_provider("openai/fake-model", {"base_url": server.base_url})

    async def go() -> Any:
        try:
            return await provider.complete(request)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def test_tools_go_out_and_the_streamed_calls_come_back() -> None:
    with FakeOpenAIServer(responder=_calls_then_answers, ttft_ms=30) as server:
        request = ChatRequest(messages=[Message(role="user", content="Weather?")],
                              tools=[ToolSpec.model_validate(WEATHER)], tool_choice="required")
        completion = _complete(server, request)
        sent = server.requests[0]
    assert sent["tools"] == [WEATHER]
    assert sent["tool_choice"] == "required"
    assert completion.text == "" and completion.finish_reason == "tool_calls"
    assert [(c.name, c.arguments) for c in completion.tool_calls] == [
        ("get_weather", {"city": "Paris", "days": 2}), ("get_weather", {"city": "Oslo"})]
    assert all(c.id and c.id.startswith("call_") for c in completion.tool_calls)
    # the first call is the answer's first output: TTFT is measured, after the server's delay
    assert completion.ttft_ms is not None and completion.ttft_ms >= 30


def test_the_next_turn_sends_the_calls_and_each_tools_result() -> None:
    calls = [ToolCall(name="get_weather", arguments={"city": "Paris"}, id="call_a"),
             ToolCall(name="get_weather", arguments={"city": "Oslo"}, id="call_b")]
    request = ChatRequest(
        messages=[Message(role="user", content="Weather?"),
                  Message(role="assistant", content="", tool_calls=calls),
                  Message(role="tool", content="sunny in Paris", tool_call_id="call_a"),
                  Message(role="tool", content="rain in Oslo", tool_call_id="call_b")],
        tools=[ToolSpec.model_validate(WEATHER)], tool_choice="get_weather")
    with FakeOpenAIServer(responder=_calls_then_answers) as server:
        completion = _complete(server, request)
        sent = server.requests[0]
    assert completion.text == "It is sunny in Paris and rain in Oslo"
    assert completion.tool_calls == []
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assistant = sent["messages"][1]
    assert assistant["content"] == ""
    assert assistant["tool_calls"] == [
        {"id": "call_a", "type": "function",
         "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
        {"id": "call_b", "type": "function",
         "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}]
    assert sent["messages"][2] == {"role": "tool", "content": "sunny in Paris",
                                   "tool_call_id": "call_a"}


def test_a_request_without_tools_sends_none() -> None:
    with FakeOpenAIServer() as server:
        completion = _complete(server, ChatRequest(messages=[Message(role="user",
                                                                     content="hi")]))
        sent = server.requests[0]
    assert "tools" not in sent and "tool_choice" not in sent
    assert completion.text == "hi" and completion.tool_calls == []


def test_arguments_that_are_not_json_fail_the_answer() -> None:
    # the fake server JSON-encodes the arguments it is given: a string arrives as a JSON
    # string, not the object a call's arguments must be
    with FakeOpenAIServer(responder=lambda body: {"tool_calls": [
            {"name": "get_weather", "arguments": "{not json"}]}) as server:
        with pytest.raises(StreamError, match="not a JSON object"):
            _complete(server, ChatRequest(messages=[Message(role="user", content="x")],
                                          tools=[ToolSpec(name="get_weather")]))


def test_a_provider_that_drops_tools_is_refused_before_the_call() -> None:
    client = Client(get_provider("mock/echo"))
    request = ChatRequest(messages=[Message(role="user", content="x")],
                          tools=[ToolSpec(name="get_weather")])
    with pytest.raises(UsageError, match="does not pass tools"):
        asyncio.run(client.call(request))


@pytest.mark.parametrize("bad, message", [
    ({"messages": [{"role": "user", "content": "x", "tool_calls": [{"name": "f"}]}]},
     "only an assistant message carries tool_calls"),
    ({"messages": [{"role": "tool", "content": "x"}]}, "names the tool_call_id"),
    ({"messages": [], "tools": [{"name": "f"}], "tool_choice": "g"}, "neither auto"),
    ({"messages": [], "tools": [{"name": "no spaces allowed"}]}, "tools.0.name"),
])
def test_malformed_tool_turns_are_refused(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ChatRequest.model_validate(bad)


def test_a_name_repeated_in_every_delta_is_read_once() -> None:
    # the llama.cpp Python server sends the function's name in every delta of a call
    wire = b"".join(
        b"data: " + json.dumps({"id": "c", "choices": [{"index": 0, "delta": delta,
                                                        "finish_reason": finish}]}).encode()
        + b"\n\n" for delta, finish in [
            ({"role": "assistant", "content": None, "tool_calls": [
                {"index": 0, "id": "call_x", "type": "function",
                 "function": {"name": "get_weather", "arguments": ""}}]}, None),
            ({"tool_calls": [{"index": 0, "id": "call_x", "type": "function",
                              "function": {"name": "get_weather", "arguments": '{"city": '}}]},
             None),
            ({"tool_calls": [{"index": 0, "id": "call_x", "type": "function",
                              "function": {"name": "get_weather", "arguments": '"Paris"}'}}]},
             "tool_calls")]) + b"data: [DONE]\n\n"
    server = ScriptedServer(wire)
    with server:
        provider = get_provider("openai/m", {"base_url": f"http://127.0.0.1:{server.port}/v1"})

        async def go() -> Any:
            try:
                return await provider.complete(ChatRequest(
                    messages=[Message(role="user", content="x")], tools=[ToolSpec(name="get_weather")]))
            finally:
                await provider.aclose()

        completion = asyncio.run(go())
    assert [(c.name, c.arguments, c.id) for c in completion.tool_calls] == [
        ("get_weather", {"city": "Paris"}, "call_x")]
