"""``openai/MODEL``: any OpenAI-compatible Chat Completions endpoint, streamed over httpx.

OpenAI, Azure OpenAI, vLLM, Ollama, the llama.cpp server and OpenRouter are configurations of
this one adapter: ``base_url``, ``api_key_env``, ``headers`` and, for Azure,
``azure_api_version`` (``api-key`` header, ``?api-version=``, deployment URL).

TTFT runs from the moment the request headers go on the wire (after any wait for a pooled
connection) to the arrival of the first chunk whose delta carries non-empty ``content`` (the
role-only chunk servers send first does not count). Token counts come from the final usage
chunk (``stream_options.include_usage``); when a server sends none they are estimated and
``tokens_estimated`` is set.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from typing import Any

import httpx

from agility.chat import ChatRequest, Completion
from agility.errors import ProviderError, ProviderTimeout, StreamError
from agility.providers._base import Provider, Stopwatch
from agility.providers._common import (
    error_for_status,
    estimate_input_tokens,
    estimate_tokens,
    hide,
    is_sensitive_header,
    parse_retry_after,
    provider_extra,
    read_api_key,
    redact_headers,
)

__all__ = ["OpenAIProvider"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
#: connections per pooled httpx client (see OpenAIProvider._pick_client)
_PER_CLIENT = 8
_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "apim-request-id")


class OpenAIProvider(Provider):
    """OpenAI-compatible Chat Completions with streaming and usage.

    Options:
        base_url: API root ending in ``/v1`` (default ``https://api.openai.com/v1``).
        api_key_env: environment variable holding the key (default ``OPENAI_API_KEY``, or
            ``AZURE_OPENAI_API_KEY`` for Azure); a missing key is fine for local servers.
        headers: extra HTTP headers.
        timeout_s: seconds to wait for the connection and between stream chunks (default 60).
        azure_api_version: set for Azure OpenAI (the model is the deployment name).
        max_tokens_field: body field for ``max_tokens`` (``max_completion_tokens`` for o-series).
        max_connections: connections kept open at most (default 256).
        transport / client: an ``httpx.AsyncBaseTransport`` or ``httpx.AsyncClient`` to use.
    """

    name = "openai"

    def __init__(self, model: str, **options: Any) -> None:
        self._transport: httpx.AsyncBaseTransport | None = options.pop("transport", None)
        given: httpx.AsyncClient | None = options.pop("client", None)
        self._owns_client = given is None
        self._clients: list[httpx.AsyncClient] = [given] if given is not None else []
        self._in_flight: list[int] = [0] * len(self._clients)
        self._ssl_context: ssl.SSLContext | None = None
        super().__init__(model, **options)
        self.base_url = str(options.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.azure_api_version: str | None = options.get("azure_api_version")
        default_env = "AZURE_OPENAI_API_KEY" if self.azure_api_version else "OPENAI_API_KEY"
        self.api_key_env: str | None = options.get("api_key_env", default_env)
        self.headers: dict[str, str] = dict(options.get("headers") or {})
        self.timeout_s = float(options.get("timeout_s", 60.0))
        self.max_tokens_field = str(options.get("max_tokens_field", "max_tokens"))
        self.max_connections = int(options.get("max_connections", 256))
        self._client_loop: asyncio.AbstractEventLoop | None = None

    # -- request building ------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The chat completions URL."""
        if self.azure_api_version and "/deployments/" not in self.base_url:
            return f"{self.base_url}/openai/deployments/{self.model}/chat/completions"
        return f"{self.base_url}/chat/completions"

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body for ``request`` (streaming, usage requested)."""
        config = request.config
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        for field in ("temperature", "top_p", "stop", "seed"):
            value = getattr(config, field)
            if value is not None:
                body[field] = value
        if config.max_tokens is not None:
            body[self.max_tokens_field] = config.max_tokens
        body.update(provider_extra(config.extra, "openai"))
        return body

    def _headers(self, api_key: str | None) -> dict[str, str]:
        headers = {"accept": "text/event-stream", **self.headers}
        if api_key:
            if self.azure_api_version:
                headers["api-key"] = api_key
            else:
                headers["authorization"] = f"Bearer {api_key}"
        return headers

    def _pick_client(self) -> int:
        """Index of the least busy pooled client; adds a client when all are full.

        httpcore's pool scans every connection on each request and release, which costs
        O(connections^2) at high concurrency (one client of 64 connections: 51 calls/s on the
        build machine; 8 clients of 8: about 300), so connections are spread over small
        clients. Calls go to the least busy one, so a sequential caller keeps one connection.
        """
        loop = asyncio.get_running_loop()
        if self._owns_client and self._client_loop is not loop:
            # an AsyncClient's pool belongs to the loop that first used it
            self._clients, self._in_flight, self._client_loop = [], [], loop
        if self._clients:
            index = min(range(len(self._clients)), key=self._in_flight.__getitem__)
            if not self._owns_client or self._transport is not None \
                    or self._in_flight[index] < _PER_CLIENT \
                    or len(self._clients) * _PER_CLIENT >= self.max_connections:
                return index
        self._clients.append(self._new_client())
        self._in_flight.append(0)
        return len(self._clients) - 1

    def _new_client(self) -> httpx.AsyncClient:
        if self._ssl_context is None:  # loading CA certificates takes ~20 ms: do it once
            self._ssl_context = httpx.create_ssl_context()
        size = min(_PER_CLIENT, self.max_connections)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        return httpx.AsyncClient(transport=self._transport, limits=limits,
                                 verify=self._ssl_context, timeout=httpx.Timeout(self.timeout_s))

    # -- the call --------------------------------------------------------------------------
    async def complete(self, request: ChatRequest, *, example_id: str | None = None) -> Completion:
        """Stream one chat completion; see the module docstring for what is measured."""
        index = self._pick_client()
        self._in_flight[index] += 1
        try:
            return await self._stream(self._clients[index], request)
        finally:
            if index < len(self._in_flight):
                self._in_flight[index] -= 1

    async def _stream(self, client: httpx.AsyncClient, request: ChatRequest) -> Completion:
        api_key = read_api_key(self.api_key_env)
        params = {"api-version": self.azure_api_version} if self.azure_api_version else None
        stream = _StreamState()
        watch = Stopwatch()

        async def trace(event: str, info: dict[str, Any]) -> None:
            # restart the clock when the request goes on the wire: waiting for a pooled
            # connection (or opening one) is client-side queueing, not the model's TTFT
            if event.endswith("send_request_headers.started"):
                watch.start = time.perf_counter()

        try:
            async with client.stream("POST", self.url, json=self.build_body(request),
                                     headers=self._headers(api_key), params=params,
                                     extensions={"trace": trace}) as response:
                stream.request_id = _header_request_id(response.headers)
                if response.status_code >= 400:
                    await response.aread()
                    raise self._http_error(response, stream.request_id, api_key)
                stream.started = True
                await stream.read(response, watch, self)
        except httpx.TimeoutException as exc:
            raise ProviderTimeout(
                f"no answer within {self.timeout_s:g}s from {self.base_url} "
                f"(raise timeout_s if the model is slow)",
                provider=self.name, model=self.model, request_id=stream.request_id) from exc
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, stream, api_key) from exc
        if watch.end is None:
            watch.stop()
        return stream.completion(request, watch, self)

    def _http_error(self, response: httpx.Response, request_id: str | None,
                    api_key: str | None) -> ProviderError:
        message, code = _error_message(response)
        return error_for_status(
            response.status_code, hide(message, *self._secrets(api_key)), provider=self.name,
            model=self.model,
            request_id=request_id, retry_after_s=parse_retry_after(response.headers),
            key_env=self.api_key_env, code=code)

    def _transport_error(self, exc: httpx.HTTPError, stream: _StreamState,
                         api_key: str | None) -> ProviderError:
        detail = hide(str(exc) or type(exc).__name__, *self._secrets(api_key))
        if stream.started:
            return StreamError(f"the stream broke before it finished: {detail}",
                               provider=self.name, model=self.model, request_id=stream.request_id)
        error = ProviderError(f"cannot reach {self.base_url}: {detail}. Check base_url and that "
                              f"the server is running", provider=self.name, model=self.model)
        error.retryable = True
        return error

    def _secrets(self, api_key: str | None) -> list[str | None]:
        """Values to blank out of any message: the key and credential-like header values."""
        return [api_key, *(v for k, v in self.headers.items() if is_sensitive_header(k))]

    def public_options(self) -> dict[str, Any]:
        """Options worth recording with a run, credential-like header values blanked."""
        options = super().public_options()
        if "headers" in options:
            options["headers"] = redact_headers(options["headers"] or {})
        return options

    async def aclose(self) -> None:
        """Close the connection pool (if this provider created it)."""
        if self._owns_client:
            clients, self._clients = self._clients, []
            for client in clients:
                await client.aclose()


class _StreamState:
    """What has arrived so far on one SSE stream."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.usage: dict[str, Any] | None = None
        self.finish_reason: str | None = None
        self.request_id: str | None = None
        self.started = False
        self.done = False

    async def read(self, response: httpx.Response, watch: Stopwatch,
                   provider: OpenAIProvider) -> None:
        """Feed every SSE line of ``response`` to :meth:`feed`, reading the body to its end.

        A response left unread closes its connection instead of returning it to the pool, so
        the bytes after ``[DONE]`` are read too. Lines are split from the raw bytes here:
        httpx's text and line decoders cost more per chunk.
        """
        pending = b""
        async for data in response.aiter_bytes():
            if self.done:
                continue
            *lines, pending = (pending + data).split(b"\n")
            for line in lines:
                if not self.done:
                    self.feed(line.rstrip(b"\r").decode("utf-8", "replace"), watch, provider)
        if pending.strip() and not self.done:
            self.feed(pending.rstrip(b"\r").decode("utf-8", "replace"), watch, provider)

    def feed(self, line: str, watch: Stopwatch, provider: OpenAIProvider) -> bool:
        """Take one SSE line; return True at ``[DONE]``."""
        if not line.startswith("data:"):
            return False  # blank separators, comments, "event:" lines
        data = line[5:].strip()
        if data == "[DONE]":
            self.done = True
            watch.stop()  # the answer is complete; what follows is the body's end
            return True
        try:
            chunk = json.loads(data)
        except ValueError as exc:
            raise StreamError(f"unreadable stream chunk: {data[:80]!r}", provider=provider.name,
                              model=provider.model, request_id=self.request_id) from exc
        if not isinstance(chunk, dict):
            raise StreamError(f"unexpected stream chunk: {data[:80]!r}", provider=provider.name,
                              model=provider.model, request_id=self.request_id)
        if "error" in chunk:
            error = chunk["error"] if isinstance(chunk["error"], dict) else {}
            raise StreamError(f"the server reported an error mid-stream: "
                              f"{error.get('message', chunk['error'])}", provider=provider.name,
                              model=provider.model, request_id=self.request_id)
        self.request_id = self.request_id or chunk.get("id")
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            content = (choice.get("delta") or {}).get("content")
            if content:
                watch.mark_first_token()
                self.parts.append(content)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return False

    def completion(self, request: ChatRequest, watch: Stopwatch,
                   provider: OpenAIProvider) -> Completion:
        if not self.done and self.finish_reason is None:
            raise StreamError("the stream ended before the answer finished (no finish_reason "
                              "or [DONE])", provider=provider.name, model=provider.model,
                              request_id=self.request_id)
        text = "".join(self.parts)
        usage = self.usage or {}
        input_tokens, output_tokens = usage.get("prompt_tokens"), usage.get("completion_tokens")
        estimated = input_tokens is None or output_tokens is None
        if input_tokens is None:
            input_tokens = estimate_input_tokens(request)
        if output_tokens is None:
            output_tokens = estimate_tokens(text)
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
        return Completion(
            text=text, ttft_ms=watch.ttft_ms, latency_ms=watch.latency_ms,
            input_tokens=input_tokens, output_tokens=output_tokens, cached_input_tokens=cached,
            tokens_estimated=estimated, finish_reason=self.finish_reason,
            request_id=self.request_id)


def _header_request_id(headers: httpx.Headers) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        if headers.get(name):
            return headers[name]
    return None


def _error_message(response: httpx.Response) -> tuple[str, str | None]:
    """The provider's error text and code from an error response body."""
    try:
        payload = response.json()
    except ValueError:
        return (response.text.strip()[:300] or response.reason_phrase), None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error), error.get("code") or error.get("type")
    if isinstance(error, str):
        return error, None
    return json.dumps(payload)[:300], None
