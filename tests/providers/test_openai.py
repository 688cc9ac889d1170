"""openai/ provider against the fault-injecting fake server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from agility.chat import ChatRequest, GenerationConfig, Message
from agility.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    StreamError,
)
from agility.providers import get_provider
from agility.providers.openai import OpenAIProvider
from agility.testing import FakeOpenAIServer, Fault
from agility.testing._http import BackgroundHTTPServer, HTTPRequest, HTTPResponder

SECRET = "sk-test-SECRET123456"


class ScriptedServer(BackgroundHTTPServer):
    """Answers every request with the same SSE bytes, ``piece`` bytes per network write, and
    keeps the requests it got (path, query, headers)."""

    def __init__(self, wire: bytes, piece: int = 0, headers: dict[str, str] | None = None):
        super().__init__()
        self.wire, self.piece, self.reply_headers = wire, piece or len(wire), headers or {}
        self.seen: list[HTTPRequest] = []

    async def handle(self, request: HTTPRequest, responder: HTTPResponder) -> None:
        self.seen.append(request)
        await responder.start_stream(200, self.reply_headers)
        for i in range(0, len(self.wire), self.piece):
            await responder.write_chunk(self.wire[i:i + self.piece])
            if self.piece < len(self.wire):
                await asyncio.sleep(0.002)  # so that the client gets separate reads
        await responder.end_stream()


def _sse(chunks: list[dict[str, object]], newline: str = "\n") -> bytes:
    events = "".join(f"data: {json.dumps(c, ensure_ascii=False)}{newline}{newline}"
                     for c in chunks)
    return (events + f"data: [DONE]{newline}{newline}").encode()


def _request(text: str = "the quick brown fox", **config: object) -> ChatRequest:
    return ChatRequest(messages=[Message(role="system", content="be brief"),
                                 Message(role="user", content=text)],
                       config=GenerationConfig(**config))


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def _provider(server: FakeOpenAIServer, **options: object) -> OpenAIProvider:
    provider = get_provider("openai/fake-model", base_url=server.base_url, **options)
    assert isinstance(provider, OpenAIProvider)
    return provider


async def test_streams_text_usage_finish_reason_and_request_id(server: FakeOpenAIServer) -> None:
    provider = _provider(server)
    completion = await provider.complete(_request("alpha beta gamma delta"))
    await provider.aclose()
    assert completion.text == "alpha beta gamma delta"
    # the fake counts whitespace words: 2 ("be brief") + 4 prompt, 4 completion
    assert (completion.input_tokens, completion.output_tokens) == (6, 4)
    assert completion.tokens_estimated is False
    assert completion.finish_reason == "stop"
    assert completion.request_id == "req_000001"
    assert completion.latency_ms is not None and completion.ttft_ms is not None
    assert completion.latency_ms >= completion.ttft_ms


async def test_ttft_counts_from_first_content_not_role_chunk() -> None:
    # the role-only chunk is sent at once; content follows 150 ms later
    with FakeOpenAIServer(ttft_ms=150, token_delay_ms=20) as server:
        provider = _provider(server)
        completion = await provider.complete(_request("one two three"))
        await provider.aclose()
    assert completion.ttft_ms is not None and completion.ttft_ms >= 145
    assert completion.latency_ms is not None and completion.latency_ms >= completion.ttft_ms + 35


async def test_tokens_estimated_and_flagged_without_usage() -> None:
    with FakeOpenAIServer(usage=False) as server:
        provider = _provider(server)
        completion = await provider.complete(_request("a reply of some thirty characters"))
        await provider.aclose()
    assert completion.tokens_estimated is True
    assert completion.output_tokens == math.ceil(len("a reply of some thirty characters") / 4)
    assert completion.input_tokens is not None and completion.input_tokens > 0


async def test_generation_config_is_mapped_into_the_body(server: FakeOpenAIServer) -> None:
    provider = _provider(server, max_tokens_field="max_completion_tokens")
    await provider.complete(_request(temperature=0.2, top_p=0.9, max_tokens=7, stop=["\n"],
                                     seed=11, extra={"openai_logprobs": True,
                                                     "anthropic_top_k": 5}))
    await provider.aclose()
    body = server.requests[0]
    assert body["temperature"] == 0.2 and body["top_p"] == 0.9 and body["seed"] == 11
    assert body["max_completion_tokens"] == 7 and "max_tokens" not in body
    assert body["stop"] == ["\n"] and body["logprobs"] is True and "top_k" not in body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["messages"][0] == {"role": "system", "content": "be brief"}


async def test_rate_limit_carries_retry_after(server: FakeOpenAIServer) -> None:
    server.set_faults([Fault.rate_limit(retry_after_s=3)])
    provider = _provider(server)
    with pytest.raises(RateLimitError) as info:
        await provider.complete(_request())
    await provider.aclose()
    assert info.value.retry_after_s == 3.0 and info.value.status == 429
    assert provider.is_retryable(info.value)


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (529, True),
                                                   (400, False), (404, False)])
async def test_http_errors_are_classified(server: FakeOpenAIServer, status: int,
                                          retryable: bool) -> None:
    server.set_faults([Fault.server_error(status)])
    provider = _provider(server)
    with pytest.raises(ProviderError) as info:
        await provider.complete(_request())
    await provider.aclose()
    assert type(info.value) is ProviderError
    assert info.value.status == status and info.value.retryable is retryable


async def test_hang_becomes_provider_timeout(server: FakeOpenAIServer) -> None:
    server.set_faults([Fault.hang(30)])
    provider = _provider(server, timeout_s=0.3)
    start = time.perf_counter()
    with pytest.raises(ProviderTimeout):
        await provider.complete(_request())
    await provider.aclose()
    assert time.perf_counter() - start < 10  # gave up long before the server would answer


@pytest.mark.parametrize("fault", [Fault.cut_stream(after_tokens=2), Fault.malformed_chunk(),
                                   Fault.midstream_error(after_tokens=1)])
async def test_broken_streams_raise_stream_error(server: FakeOpenAIServer, fault: Fault) -> None:
    server.set_faults([fault])
    provider = _provider(server)
    with pytest.raises(StreamError) as info:
        await provider.complete(_request("one two three four five"))
    await provider.aclose()
    assert info.value.retryable and info.value.request_id == "req_000001"


async def test_auth_error_never_shows_the_key(server: FakeOpenAIServer,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    server.set_faults([Fault.auth_error()])
    provider = _provider(server)
    with pytest.raises(ProviderAuthError) as info:
        await provider.complete(_request())
    await provider.aclose()
    assert SECRET not in str(info.value) and "SECRET123456" not in str(info.value)
    assert "OPENAI_API_KEY" in str(info.value) and not provider.is_retryable(info.value)
    assert SECRET not in json.dumps(provider.public_options())


async def test_custom_key_env_that_does_not_look_like_a_key_is_still_hidden(
        server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_GATEWAY_TOKEN", "plainwordsecretvalue")
    server.set_faults([Fault.auth_error()])
    provider = _provider(server, api_key_env="MY_GATEWAY_TOKEN")
    with pytest.raises(ProviderAuthError) as info:
        await provider.complete(_request())
    await provider.aclose()
    assert "plainwordsecretvalue" not in str(info.value)


async def test_unreachable_server_is_a_retryable_error_naming_the_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = get_provider("openai/m", base_url=f"http://127.0.0.1:{port}/v1", timeout_s=2)
    with pytest.raises(ProviderError) as info:
        await provider.complete(_request())
    await provider.aclose()
    assert info.value.retryable and f"127.0.0.1:{port}" in str(info.value)


async def test_azure_config_uses_api_key_header_and_api_version(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-key-123")
    wire = _sse([{"id": "c1", "choices": [{"index": 0, "delta": {"content": "hi"}}]},
                 {"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}])
    with ScriptedServer(wire, headers={"apim-request-id": "az-1"}) as server:
        provider = get_provider("openai/my-deployment", base_url=f"http://127.0.0.1:{server.port}",
                                azure_api_version="2024-10-21")
        completion = await provider.complete(_request())
        await provider.aclose()
    sent = server.seen[0]
    assert sent.path == "/openai/deployments/my-deployment/chat/completions"
    assert sent.query["api-version"] == ["2024-10-21"]
    assert sent.headers["api-key"] == "azure-key-123" and "authorization" not in sent.headers
    assert completion.text == "hi" and completion.request_id == "az-1"


async def test_http_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    # the fake server plays the proxy: the model's host does not even resolve
    with FakeOpenAIServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        for name in ("NO_PROXY", "no_proxy", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        provider = get_provider("openai/m", base_url="http://model.invalid/v1")
        completion = await provider.complete(_request("through the proxy"))
        await provider.aclose()
    assert completion.text == "through the proxy" and len(proxy.requests) == 1


async def test_no_proxy_bypasses_the_environment_proxy(server: FakeOpenAIServer,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a proxy address nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.delenv("no_proxy", raising=False)
    provider = _provider(server)
    assert (await provider.complete(_request("direct"))).text == "direct"
    await provider.aclose()


async def test_sixty_four_concurrent_calls_share_one_pool() -> None:
    with FakeOpenAIServer(ttft_ms=100) as server:
        provider = _provider(server)
        start = time.perf_counter()
        results = await asyncio.gather(*(provider.complete(_request(f"n{i}"))
                                         for i in range(64)))
        elapsed = time.perf_counter() - start
        await provider.aclose()
    assert sorted(r.text for r in results) == sorted(f"n{i}" for i in range(64))
    assert elapsed < 4.0  # one after another would take 6.4 s
    assert all(r.ttft_ms is not None and r.ttft_ms >= 95 for r in results)


async def test_sequential_calls_reuse_one_connection(server: FakeOpenAIServer) -> None:
    provider = _provider(server)
    for i in range(5):
        assert (await provider.complete(_request(f"call {i}"))).text == f"call {i}"
    await provider.aclose()
    assert server.connections_opened == 1


async def test_credential_headers_are_never_recorded_or_shown(server: FakeOpenAIServer) -> None:
    # a gateway key passed as a header rather than through api_key_env
    server.set_faults([Fault.server_error(400)])
    provider = _provider(server, headers={"X-Gateway-Key": "gw-topsecret-value",
                                          "X-Team": "search"})
    with pytest.raises(ProviderError) as info:
        await provider.complete(_request())
    await provider.aclose()
    recorded = json.dumps(provider.public_options())
    assert "gw-topsecret-value" not in recorded and "search" in recorded
    assert "gw-topsecret-value" not in str(info.value)


async def test_ttft_excludes_waiting_for_a_pooled_connection() -> None:
    # one connection, two calls: the second waits ~200 ms for it before being sent
    with FakeOpenAIServer(ttft_ms=200) as server:
        provider = _provider(server, max_connections=1)
        start = time.perf_counter()
        first, second = await asyncio.gather(provider.complete(_request("a")),
                                             provider.complete(_request("b")))
        elapsed = time.perf_counter() - start
        await provider.aclose()
    assert elapsed >= 0.39  # the calls did queue on the single connection
    assert first.ttft_ms is not None and second.ttft_ms is not None
    assert max(first.ttft_ms, second.ttft_ms) < 350


async def test_lines_and_characters_split_across_network_reads_are_reassembled() -> None:
    chunks: list[dict[str, object]] = [
        {"id": "c9", "choices": [{"index": 0, "delta": {"content": text}}]}
        for text in ("Café ", "crème ", "brûlée")]
    chunks.append({"id": "c9", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    # 7-byte writes split lines and UTF-8 sequences across the client's reads
    with ScriptedServer(_sse(chunks, newline="\r\n"), piece=7) as server:
        provider = get_provider("openai/m", base_url=f"http://127.0.0.1:{server.port}/v1")
        completion = await provider.complete(_request())
        await provider.aclose()
    assert completion.text == "Café crème brûlée" and completion.finish_reason == "stop"


async def test_broken_utf8_in_a_chunk_is_replaced_not_fatal() -> None:
    good = {"id": "c7", "choices": [{"index": 0, "delta": {"content": "ok "}}]}
    wire = _sse([good, {"id": "c7", "choices": [{"index": 0, "delta": {"content": "BAD"}}]},
                 {"id": "c7", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}])
    wire = wire.replace(b"BAD", b"b\xffd")  # a byte that is never valid UTF-8
    with ScriptedServer(wire) as server:
        provider = get_provider("openai/m", base_url=f"http://127.0.0.1:{server.port}/v1")
        completion = await provider.complete(_request())
        await provider.aclose()
    assert completion.text == "ok b\ufffdd"


async def test_a_given_session_is_used_and_left_open(server: FakeOpenAIServer) -> None:
    async with aiohttp.ClientSession() as session:
        provider = _provider(server, session=session)
        assert (await provider.complete(_request("via your session"))).text == "via your session"
        await provider.aclose()
        assert not session.closed  # its owner closes it
        assert "session" not in provider.public_options()
    assert len(server.requests) == 1


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A TLS server on 127.0.0.1 with a fresh self-signed certificate, streaming one answer."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    wire = _sse([{"id": "t1", "choices": [{"index": 0, "delta": {"content": "secure"}}]},
                 {"id": "t1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}])
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def serve() -> None:
            while True:
                try:
                    raw, _ = listener.accept()
                except OSError:
                    return
                try:
                    with context.wrap_socket(raw, server_side=True) as conn:
                        while b"\r\n\r\n" not in conn.recv(65536):
                            pass
                        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                                     b"content-length: %d\r\n\r\n%s" % (len(wire), wire))
                except (OSError, ssl.SSLError):
                    continue  # the client refused our certificate

        threading.Thread(target=serve, daemon=True).start()
        yield port, cert


async def test_tls_certificates_are_verified(tls_server: tuple[int, Path],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    port, cert = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    provider = get_provider("openai/m", base_url=f"https://127.0.0.1:{port}/v1")
    with pytest.raises(ProviderError) as info:
        await provider.complete(_request())
    await provider.aclose()
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)
    # trusted through the environment (a corporate CA bundle, say), the same server answers
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    provider = get_provider("openai/m", base_url=f"https://127.0.0.1:{port}/v1")
    assert (await provider.complete(_request())).text == "secure"
    await provider.aclose()


async def test_a_plain_http_server_costs_no_ca_store(server: FakeOpenAIServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading the CA store (the system's and certifi's bundles) was the largest CPU cost of
    a short run against a local server; a session that cannot speak TLS builds none."""
    from agility.providers.openai import _ssl_context_for

    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    before = _ssl_context_for.cache_info()
    provider = _provider(server)
    assert (await provider.complete(_request("plain http"))).text == "plain http"
    await provider.aclose()
    after = _ssl_context_for.cache_info()
    assert after.hits + after.misses == before.hits + before.misses
