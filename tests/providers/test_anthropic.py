"""anthropic/ provider: the real SDK against a local server speaking the Messages SSE format."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agility.chat import ChatRequest, GenerationConfig, Message
from agility.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    StreamError,
)
from agility.providers import Provider, get_provider
from agility.testing import FakeAnthropicServer, Fault

pytest.importorskip("anthropic")
SECRET = "sk-ant-test-SECRET123456"


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)


@pytest.fixture
def server() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer() as fake:
        yield fake


def _request(text: str = "hello big world", **config: object) -> ChatRequest:
    return ChatRequest(messages=[Message(role="system", content="answer briefly"),
                                 Message(role="user", content=text)],
                       config=GenerationConfig(**config))


def _provider(server: FakeAnthropicServer, **options: object) -> Provider:
    return get_provider("anthropic/claude-test", base_url=server.base_url, **options)


async def test_streams_text_usage_stop_reason_and_request_id(server: FakeAnthropicServer) -> None:
    provider = _provider(server)
    completion = await provider.complete(_request("one two three"))
    await provider.aclose()
    assert completion.text == "one two three"
    # the fake counts words of system + messages: "answer briefly" + "one two three"
    assert (completion.input_tokens, completion.output_tokens) == (5, 3)
    assert not completion.tokens_estimated
    assert completion.finish_reason == "end_turn" and completion.request_id == "req_000001"


async def test_system_goes_in_system_and_config_is_mapped(server: FakeAnthropicServer) -> None:
    provider = _provider(server)
    await provider.complete(_request(temperature=0.3, top_p=0.8, stop=["END"], max_tokens=9,
                                     extra={"anthropic_top_k": 40, "openai_seed": 1}))
    await provider.aclose()
    body = server.requests[0]
    assert body["system"] == "answer briefly"
    assert body["messages"] == [{"role": "user", "content": "hello big world"}]
    assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.3, 0.8, 9)
    assert body["stop_sequences"] == ["END"] and body["top_k"] == 40 and "seed" not in body


async def test_ttft_waits_for_first_text_delta() -> None:
    # message_start, content_block_start and ping arrive at once; text 150 ms later
    with FakeAnthropicServer(ttft_ms=150) as server:
        provider = _provider(server)
        completion = await provider.complete(_request("a b"))
        await provider.aclose()
    assert completion.ttft_ms is not None and completion.ttft_ms >= 145


async def test_missing_usage_is_estimated_and_flagged() -> None:
    with FakeAnthropicServer(usage=False) as server:
        provider = _provider(server)
        completion = await provider.complete(_request("twelve chars"))
        await provider.aclose()
    assert completion.tokens_estimated and completion.output_tokens == 3


@pytest.mark.parametrize(("fault", "error_type", "retryable"), [
    (Fault.rate_limit(retry_after_s=4), RateLimitError, True),
    (Fault.server_error(529), ProviderError, True),
    (Fault.server_error(500), ProviderError, True),
    (Fault.server_error(400), ProviderError, False),
    (Fault.cut_stream(after_tokens=1), StreamError, True),
    (Fault.malformed_chunk(), StreamError, True),
    (Fault.midstream_error(after_tokens=1, status=529), StreamError, True),
])
async def test_faults_are_classified(server: FakeAnthropicServer, fault: Fault,
                                     error_type: type[ProviderError], retryable: bool) -> None:
    server.set_faults([fault])
    provider = _provider(server)
    with pytest.raises(error_type) as info:
        await provider.complete(_request("one two three"))
    await provider.aclose()
    assert type(info.value) is error_type and info.value.retryable is retryable
    assert info.value.request_id == "req_000001"
    if fault.kind == "rate_limit":
        assert info.value.retry_after_s == 4.0


async def test_hang_is_a_timeout(server: FakeAnthropicServer) -> None:
    server.set_faults([Fault.hang(5)])
    provider = _provider(server, timeout_s=0.3)
    with pytest.raises(ProviderTimeout):
        await provider.complete(_request())
    await provider.aclose()


async def test_auth_error_hides_the_key_and_is_final(server: FakeAnthropicServer) -> None:
    server.set_faults([Fault.auth_error()])
    provider = _provider(server)
    with pytest.raises(ProviderAuthError) as info:
        await provider.complete(_request())
    await provider.aclose()
    assert "SECRET123456" not in str(info.value) and not info.value.retryable
    assert "ANTHROPIC_API_KEY" in str(info.value)


async def test_missing_key_is_an_auth_error_naming_the_variable(
        server: FakeAnthropicServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    # the whole message, with no stray mask (the scrubber once turned a word into ***)
    with pytest.raises(ProviderAuthError, match=r"the environment variable ANTHROPIC_API_KEY is "
                                                r"not set \(anthropic/claude-test\)$"):
        await _provider(server).complete(_request())
    assert server.requests == []
