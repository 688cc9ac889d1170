"""Client(mask=): a privacy policy's masking reaches every text of the request before it
leaves, the arguments of an agent's earlier tool calls included. Against the fake OpenAI
server, which records the bodies it was sent."""

from __future__ import annotations

import json

import pytest

from agility.chat import ChatRequest, Message, ToolCall
from agility.client import Client
from agility.providers import get_provider
from agility.testing import FakeOpenAIServer

SECRET = "CANARY-2210-card"


def _mask(text: str) -> str:
    return text.replace(SECRET, "<SECRET>")


async def test_the_mask_reaches_messages_and_earlier_tool_call_arguments(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-client-mask-0123456789")
    request = ChatRequest(messages=[
        Message(role="user", content=f"refund card {SECRET}"),
        Message(role="assistant", content="", tool_calls=[ToolCall(
            name="refund", arguments={"card": SECRET, "items": [{"note": SECRET}], "n": 2},
            id="call_1")]),
        Message(role="tool", content=f"refunded {SECRET}", tool_call_id="call_1"),
    ])
    with FakeOpenAIServer() as server:
        client = Client(get_provider("openai/fake", base_url=server.base_url), mask=_mask)
        outcome = await client.call(request)
        async with client.stream(request) as call:
            async for _delta in call:
                pass
        await client.aclose()
        sent = json.dumps(server.requests)
    assert outcome.error is None and len(server.requests) == 2
    assert SECRET not in sent and sent.count("<SECRET>") == 2 * 4
    arguments = json.loads(server.requests[0]["messages"][1]["tool_calls"][0]["function"]
                           ["arguments"])
    assert arguments == {"card": "<SECRET>", "items": [{"note": "<SECRET>"}], "n": 2}
