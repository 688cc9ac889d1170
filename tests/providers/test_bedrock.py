"""bedrock/ provider: real boto3 against a local server speaking the ConverseStream event stream."""

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
from agility.testing import FakeBedrockServer, Fault

pytest.importorskip("boto3")
SECRET = "AKIAABCDEFGHIJKLMNOP"
MODEL = "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0"


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", SECRET)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-value-never-shown")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/agility-test")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/agility-test")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def server() -> Iterator[FakeBedrockServer]:
    with FakeBedrockServer() as fake:
        yield fake


def _request(text: str = "hello big world", **config: object) -> ChatRequest:
    return ChatRequest(messages=[Message(role="system", content="be brief"),
                                 Message(role="user", content=text)],
                       config=GenerationConfig(**config))


def _provider(server: FakeBedrockServer, **options: object) -> Provider:
    return get_provider(MODEL, endpoint_url=server.base_url, region="us-east-1", **options)


async def test_streams_text_usage_request_id_and_keeps_service_latency(
        server: FakeBedrockServer) -> None:
    provider = _provider(server)
    completion = await provider.complete(_request("one two three"))
    await provider.aclose()
    assert completion.text == "one two three"
    assert (completion.input_tokens, completion.output_tokens) == (5, 3)
    assert not completion.tokens_estimated and completion.finish_reason == "end_turn"
    assert completion.request_id == "req-000001"
    assert "bedrock_latency_ms" in completion.provider_metrics


async def test_request_maps_system_inference_config_and_profile_id(
        server: FakeBedrockServer) -> None:
    provider = _provider(server)
    await provider.complete(_request(max_tokens=12, temperature=0.1, top_p=0.5, stop=["\n\n"],
                                     extra={"bedrock_top_k": 50, "anthropic_top_k": 1}))
    await provider.aclose()
    body = server.requests[0]
    assert body["modelId"] == "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    assert body["system"] == [{"text": "be brief"}]
    assert body["messages"] == [{"role": "user", "content": [{"text": "hello big world"}]}]
    assert body["inferenceConfig"] == {"maxTokens": 12, "temperature": 0.1, "topP": 0.5,
                                       "stopSequences": ["\n\n"]}
    assert body["additionalModelRequestFields"] == {"top_k": 50}


async def test_ttft_is_measured_from_the_stream_not_taken_from_the_service() -> None:
    with FakeBedrockServer(ttft_ms=150, token_delay_ms=40) as server:
        provider = _provider(server)
        completion = await provider.complete(_request("a b c"))
        await provider.aclose()
    assert completion.ttft_ms is not None and completion.ttft_ms >= 145
    assert completion.latency_ms is not None and completion.latency_ms >= completion.ttft_ms + 75


async def test_missing_metadata_means_estimated_tokens() -> None:
    with FakeBedrockServer(usage=False) as server:
        provider = _provider(server)
        completion = await provider.complete(_request("abcd efgh"))
        await provider.aclose()
    assert completion.tokens_estimated and completion.output_tokens == 3
    assert completion.provider_metrics == {}


@pytest.mark.parametrize(("fault", "error_type", "retryable"), [
    (Fault.rate_limit(), RateLimitError, True),
    (Fault.server_error(503), ProviderError, True),
    (Fault.server_error(500), ProviderError, True),
    (Fault.server_error(400), ProviderError, False),
    (Fault.auth_error(), ProviderAuthError, False),
    (Fault.cut_stream(after_tokens=1), StreamError, True),
    (Fault.malformed_chunk(), StreamError, True),
    (Fault.midstream_error(after_tokens=1, status=429), RateLimitError, True),
    (Fault.midstream_error(after_tokens=1, status=500), ProviderError, True),
])
async def test_faults_are_classified(server: FakeBedrockServer, fault: Fault,
                                     error_type: type[ProviderError], retryable: bool) -> None:
    server.set_faults([fault])
    provider = _provider(server)
    with pytest.raises(error_type) as info:
        await provider.complete(_request("one two three"))
    await provider.aclose()
    assert type(info.value) is error_type and info.value.retryable is retryable
    assert info.value.request_id == "req-000001"
    assert SECRET not in str(info.value) and "secret-value" not in str(info.value)


async def test_hang_is_a_timeout(server: FakeBedrockServer) -> None:
    server.set_faults([Fault.hang(5)])
    provider = _provider(server, timeout_s=0.3)
    with pytest.raises(ProviderTimeout):
        await provider.complete(_request())
    await provider.aclose()


async def test_missing_credentials_is_an_auth_error(server: FakeBedrockServer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    provider = _provider(server)
    with pytest.raises(ProviderAuthError, match="no AWS credentials"):
        await provider.complete(_request())
    await provider.aclose()
    assert server.requests == []
