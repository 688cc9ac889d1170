"""``openai/MODEL``: any OpenAI-compatible Chat Completions endpoint, streamed over aiohttp.

OpenAI, Azure OpenAI, vLLM, Ollama, the llama.cpp server and OpenRouter are configurations of
this one adapter: ``base_url``, ``api_key_env``, ``headers`` and, for Azure,
``azure_api_version`` (``api-key`` header, ``?api-version=``, deployment URL).

TTFT runs from the moment the request headers go on the wire (after any wait for a pooled
connection) to the arrival of the first chunk whose delta carries non-empty ``content`` (the
role-only chunk servers send first does not count). Token counts come from the final usage
chunk (``stream_options.include_usage``); when a server sends none they are estimated and
``tokens_estimated`` is set.

The HTTP client is aiohttp (C-accelerated HTTP parser): on the 2-core build machine it costs
about 0.2 ms of CPU per streamed call where httpx cost 1.1-1.5 ms, which is what lets 64
concurrent calls keep up with a 50 ms server (see ``benchmarks/README.md``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import ssl
import time
import urllib.request
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp
import orjson
from pydantic import Field

from agility.chat import (
    ChatRequest,
    Completion,
    Message,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolCall,
)
from agility.errors import ProviderAuthError, ProviderError, ProviderTimeout, StreamError
from agility.providers._base import Location, Provider, ProviderOptions, Stopwatch, host_location
from agility.providers._common import (
    HeaderCredentials,
    error_for_status,
    estimate_input_tokens,
    estimate_tokens,
    hide,
    parse_retry_after,
    provider_extra,
    read_api_key,
)

__all__ = ["OpenAIOptions", "OpenAIProvider"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "apim-request-id")


class OpenAIOptions(ProviderOptions):
    """Options of ``openai/``: see :class:`OpenAIProvider`."""

    routing = frozenset({"base_url", "api_key_env", "headers"})

    base_url: str = DEFAULT_BASE_URL
    api_key_env: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout_s: float = Field(60.0, gt=0)
    azure_api_version: str | None = None
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    max_connections: int = Field(256, ge=1)
    session: aiohttp.ClientSession | None = Field(None, exclude=True)


class OpenAIProvider(HeaderCredentials, Provider):
    """OpenAI-compatible Chat Completions with streaming and usage.

    Options (:class:`OpenAIOptions`):
        base_url: API root ending in ``/v1`` (default ``https://api.openai.com/v1``).
        api_key_env: environment variable holding the key (default ``OPENAI_API_KEY``, or
            ``AZURE_OPENAI_API_KEY`` for Azure); a missing key is fine for local servers.
        headers: extra HTTP headers.
        timeout_s: seconds to wait for the connection and between stream chunks (default 60).
        azure_api_version: set for Azure OpenAI (the model is the deployment name).
        max_tokens_field: body field for ``max_tokens`` (``max_completion_tokens`` for o-series).
        max_connections: connections kept open at most (default 256).
        session: an ``aiohttp.ClientSession`` to send through (its owner closes it; TTFT then
            includes any wait for one of its pooled connections).

    ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` from the environment are honoured (read
    once, when the first call opens the connection pool).
    """

    name = "openai"
    Options = OpenAIOptions
    options: OpenAIOptions
    supports_tools = True
    supports_text = True  # a text prompt goes to /completions (vLLM, llama.cpp, Ollama)

    def __init__(self, model: str, options: OpenAIOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        super().__init__(model, options, **more)
        opts = self.options
        self._owns_session = opts.session is None
        self._session = opts.session
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._proxy: tuple[str | None, aiohttp.BasicAuth | None] | None = None
        self.base_url = opts.base_url.rstrip("/")
        self.azure_api_version = opts.azure_api_version
        default_env = "AZURE_OPENAI_API_KEY" if self.azure_api_version else "OPENAI_API_KEY"
        self.api_key_env: str | None = opts.api_key_env or default_env
        self.headers: dict[str, str] = dict(opts.headers)
        self.timeout_s = opts.timeout_s
        self.max_tokens_field = opts.max_tokens_field
        self.max_connections = opts.max_connections

    def check_credentials(self) -> None:
        """A hosted OpenAI or Azure endpoint needs a key; a local server may need none."""
        host = (urlsplit(self.base_url).hostname or "").lower()
        hosted = host == "api.openai.com" or host.endswith(".openai.azure.com")
        if hosted and read_api_key(self.api_key_env) is None:
            raise ProviderAuthError(
                f"no API key for {self.base_url}: the environment variable {self.api_key_env} "
                f"is not set", provider=self.name, model=self.model)

    # -- request building ------------------------------------------------------------------
    def url_for(self, prompt_format: str) -> str:
        """The chat completions URL, or the (legacy) completions one for a ``text`` prompt."""
        path = "completions" if prompt_format == "text" else "chat/completions"
        if self.azure_api_version and "/deployments/" not in self.base_url:
            return f"{self.base_url}/openai/deployments/{self.model}/{path}"
        return f"{self.base_url}/{path}"

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body for ``request`` (streaming, usage requested): Chat Completions, or
        Completions with ``prompt`` for a ``text`` request."""
        config = request.config
        body: dict[str, Any] = {"model": self.model}
        if request.prompt_format == "text":
            body["prompt"] = request.text
        else:
            body["messages"] = [_message(m) for m in request.messages]
        body.update({"stream": True, "stream_options": {"include_usage": True}})
        if request.tools:
            body["tools"] = [{"type": "function", "function": t.model_dump(exclude_none=True)}
                             for t in request.tools]
        if request.tool_choice is not None:
            body["tool_choice"] = request.tool_choice \
                if request.tool_choice in ("auto", "none", "required") \
                else {"type": "function", "function": {"name": request.tool_choice}}
        for field in ("temperature", "top_p", "stop", "seed"):
            value = getattr(config, field)
            if value is not None:
                body[field] = value
        if config.max_tokens is not None:
            body[self.max_tokens_field] = config.max_tokens
        body.update(provider_extra(config.extra, "openai"))
        return body

    def _headers(self, api_key: str | None) -> dict[str, str]:
        headers = {"accept": "text/event-stream", "content-type": "application/json",
                   **self.headers}
        if api_key:
            if self.azure_api_version:
                headers["api-key"] = api_key
            else:
                headers["authorization"] = f"Bearer {api_key}"
        return headers

    def _get_session(self) -> aiohttp.ClientSession:
        """The session of the running event loop (a pool belongs to the loop that made it)."""
        if not self._owns_session:
            return self._session  # type: ignore[return-value]
        loop = asyncio.get_running_loop()
        if self._session is None or self._session_loop is not loop:
            self._session, self._session_loop = _new_session(
                self.max_connections, self.timeout_s, tls=self._may_use_tls()), loop
        return self._session

    def _may_use_tls(self) -> bool:
        """Whether this provider's connections may need TLS (an ``https`` URL or a proxy)."""
        return urlsplit(self.base_url).scheme != "http" or self._env_proxy()[0] is not None

    def _env_proxy(self) -> tuple[str | None, aiohttp.BasicAuth | None]:
        """The proxy for ``base_url`` from the environment, looked up once.

        aiohttp's ``trust_env`` would look it (and ``~/.netrc``) up in a worker thread on
        every request, two thread hops per call; the environment is read once instead.
        """
        if self._proxy is None:
            host = urlsplit(self.base_url).hostname or ""
            proxy = None if urllib.request.proxy_bypass(host) else \
                urllib.request.getproxies().get(urlsplit(self.base_url).scheme)
            if proxy:
                from yarl import URL  # aiohttp's own URL type
                url = URL(proxy)
                self._proxy = (str(url.with_user(None)), aiohttp.BasicAuth.from_url(url))
            else:
                self._proxy = (None, None)
        return self._proxy

    # -- the call --------------------------------------------------------------------------

    def location(self) -> Location:
        """This host for a loopback server; otherwise as the user declares for the host
        (OpenAI and Azure do not say where a call is served)."""
        return host_location(self.options.base_url, "api.openai.com")
    async def stream(self, request: ChatRequest, *,
                     example_id: str | None = None) -> AsyncGenerator[StreamEvent, None]:
        """Stream one chat completion: a delta per content chunk, then the completion (see the
        module docstring for what is measured). Closing the iterator early closes the
        connection, so the server sees the call cancelled."""
        api_key = read_api_key(self.api_key_env)
        params = {"api-version": self.azure_api_version} if self.azure_api_version else None
        proxy, proxy_auth = self._env_proxy()
        stream = _StreamState()
        watch = Stopwatch()
        try:
            async with self._get_session().post(
                    self.url_for(request.prompt_format),
                    data=orjson.dumps(self.build_body(request)),
                    headers=self._headers(api_key), params=params, proxy=proxy,
                    proxy_auth=proxy_auth, trace_request_ctx=watch) as response:
                stream.request_id = _header_request_id(response.headers)
                if response.status >= 400:
                    raise self._http_error(response, await response.read(), stream.request_id,
                                           api_key)
                stream.started = True
                async with aclosing(stream.read(response, watch, self)) as pieces:
                    async for text in pieces:
                        yield TextDelta(text)
            if stream.received == 0:
                raise await self._empty_stream_error(request, api_key, stream.request_id)
        except TimeoutError as exc:
            raise ProviderTimeout(
                f"no answer within {self.timeout_s:g}s from {self.base_url} "
                f"(raise timeout_s if the model is slow)",
                provider=self.name, model=self.model, request_id=stream.request_id) from exc
        except aiohttp.ClientError as exc:
            raise self._transport_error(exc, stream, api_key) from exc
        if watch.end is None:
            watch.stop()
        yield StreamEnd(stream.completion(request, watch, self))

    def _http_error(self, response: aiohttp.ClientResponse, body: bytes,
                    request_id: str | None, api_key: str | None) -> ProviderError:
        message, code = _error_message(body, response.reason)
        return error_for_status(
            response.status, hide(message, *self._secrets(api_key)), provider=self.name,
            model=self.model,
            request_id=request_id, retry_after_s=parse_retry_after(response.headers),
            key_env=self.api_key_env, code=code)

    async def _empty_stream_error(self, request: ChatRequest, api_key: str | None,
                                  request_id: str | None) -> ProviderError:
        """The error behind an HTTP 200 whose stream held nothing at all.

        The llama.cpp server answers an over-long prompt that way when streaming (and with
        a 400 ``context_length_exceeded`` when not), so the request is sent once more without
        streaming to learn why: a context overflow is then named as such.
        """
        body = {k: v for k, v in self.build_body(request).items() if k != "stream_options"}
        body["stream"] = False
        params = {"api-version": self.azure_api_version} if self.azure_api_version else None
        proxy, proxy_auth = self._env_proxy()
        # the server may have closed the connection the empty stream came on: a pooled
        # connection then fails at once, and the probe is sent again on a fresh one
        for _ in range(2):
            try:
                async with self._get_session().post(
                        self.url_for(request.prompt_format), data=json.dumps(body).encode(),
                        headers=self._headers(api_key), params=params, proxy=proxy,
                        proxy_auth=proxy_auth, trace_request_ctx=Stopwatch()) as response:
                    answer = await response.read()
                    if response.status >= 400:
                        return self._http_error(response, answer, request_id, api_key)
                    break
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                continue
            except (aiohttp.ClientError, TimeoutError):
                break
        return StreamError("the server answered with an empty stream (no data at all)",
                           provider=self.name, model=self.model, request_id=request_id)

    def _transport_error(self, exc: aiohttp.ClientError, stream: _StreamState,
                         api_key: str | None) -> ProviderError:
        detail = hide(str(exc) or type(exc).__name__, *self._secrets(api_key))
        if stream.started:
            hint = ""
            if (urlsplit(self.base_url).hostname or "") in ("127.0.0.1", "localhost", "::1"):
                # seen with the llama.cpp server, whose default is to cut a stream in flight
                # when the next request arrives
                hint = (" (a llama.cpp server cuts a stream when another request arrives unless "
                        "it runs with --interrupt_requests False; see docs/providers.md)")
            return StreamError(f"the stream broke before it finished: {detail}{hint}",
                               provider=self.name, model=self.model, request_id=stream.request_id)
        error = ProviderError(f"cannot reach {self.base_url}: {detail}. Check base_url and that "
                              f"the server is running", provider=self.name, model=self.model)
        error.retryable = True
        return error

    async def aclose(self) -> None:
        """Close the connection pool (if this provider created it). Safe to call twice."""
        if self._owns_session and self._session is not None:
            session, self._session = self._session, None
            await session.close()


def _ssl_context() -> ssl.SSLContext:
    """The CA store for the current ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` (OpenSSL's defaults
    when unset), plus certifi's bundle when installed. Loading takes ~20 ms: done once per
    setting."""
    return _ssl_context_for(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _ssl_context_for(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()  # reads SSL_CERT_FILE / SSL_CERT_DIR itself
    try:
        import certifi
    except ImportError:
        pass
    else:
        context.load_verify_locations(cafile=certifi.where())
    return context


async def _on_headers_sent(session: aiohttp.ClientSession, context: Any, params: Any) -> None:
    # restart the clock when the request goes on the wire: waiting for a pooled connection
    # (or opening one) is client-side queueing, not the model's TTFT
    context.trace_request_ctx.start = time.perf_counter()


def _new_session(max_connections: int, timeout_s: float, *,
                 tls: bool = True) -> aiohttp.ClientSession:
    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(_on_headers_sent)
    # the CA store is built only for a session that may speak TLS: loading it is the largest
    # CPU cost of a short run against a plain-HTTP local server (~10% of a 200-call run's
    # instructions under callgrind). ssl=True is aiohttp's own verifying context, used if a
    # plain-HTTP server ever redirects to https.
    connector = aiohttp.TCPConnector(limit=max_connections, limit_per_host=0,
                                     ssl=_ssl_context() if tls else True)
    # sock_connect / sock_read: the connection, then each wait between stream chunks; no
    # total limit (the runner has its own per-call timeout) and no limit on pool queueing
    return aiohttp.ClientSession(connector=connector, trace_configs=[trace],
                                 timeout=aiohttp.ClientTimeout(
                                     total=None, sock_connect=timeout_s, sock_read=timeout_s))


class _StreamState:
    """What has arrived so far on one SSE stream."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.usage: dict[str, Any] | None = None
        self.finish_reason: str | None = None
        self.request_id: str | None = None
        self.received = 0  # body bytes received
        self.started = False
        self.done = False
        #: tool calls by their stream index: id, name and the argument text as it arrives
        self.tools: dict[int, dict[str, Any]] = {}

    async def read(self, response: aiohttp.ClientResponse, watch: Stopwatch,
                   provider: OpenAIProvider) -> AsyncGenerator[str, None]:
        """Feed every SSE line of ``response`` to :meth:`feed`, reading the body to its end,
        and yield each piece of content as it arrives.

        A response left unread closes its connection instead of returning it to the pool, so
        the bytes after ``[DONE]`` are read too. Lines are split from the raw bytes as they
        arrive (a read may end mid-line or mid-character).

        The first token is timed when its bytes come off the socket, before any parsing, and
        the task then yields once: responses that arrived together each take their timestamp
        before any of them does the rest of its work (parsing, the runner's store write), so
        at high concurrency one call's bookkeeping is not counted in another's TTFT.
        """
        pending = b""
        parts = self.parts
        async for data in response.content.iter_any():
            self.received += len(data)
            if self.done:
                continue
            arrived = time.perf_counter()
            first = watch.first_token is None
            *lines, pending = (pending + data).split(b"\n")
            seen = len(parts)
            for line in lines:
                if not self.done:
                    self.feed(line, watch, provider, arrived)
            if first and watch.first_token is not None:
                await asyncio.sleep(0)
            for index in range(seen, len(parts)):
                yield parts[index]
        if pending.strip() and not self.done:
            seen = len(parts)
            self.feed(pending, watch, provider, time.perf_counter())
            for index in range(seen, len(parts)):
                yield parts[index]

    def feed(self, line: bytes, watch: Stopwatch, provider: OpenAIProvider,
             arrived: float) -> bool:
        """Take one raw SSE line that came off the socket at ``arrived`` (``perf_counter``);
        return True at ``[DONE]``."""
        if not line.startswith(b"data:"):
            return False  # blank separators, comments, "event:" lines
        data = line[5:].strip()
        if data == b"[DONE]":
            self.done = True
            watch.stop()  # the answer is complete; what follows is the body's end
            return True
        try:
            chunk = orjson.loads(data)  # from bytes: 0.9 us a chunk, json.loads of str 3 us
        except orjson.JSONDecodeError:
            chunk = _loads_lenient(data, provider, self.request_id)
        if not isinstance(chunk, dict):
            raise StreamError(f"unexpected stream chunk: {_show(data)}", provider=provider.name,
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
            delta = choice.get("delta") or {}
            # a Completions chunk (a text prompt) carries its piece as the choice's "text"
            content = delta.get("content") if "delta" in choice else choice.get("text")
            if content:
                if watch.first_token is None:
                    watch.first_token = arrived
                self.parts.append(content)
            if delta.get("tool_calls"):
                # a call is the answer's first output too: it starts the TTFT clock
                if watch.first_token is None:
                    watch.first_token = arrived
                self._take_tool_deltas(delta["tool_calls"])
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return False

    def _take_tool_deltas(self, deltas: list[Any]) -> None:
        """Stitch streamed tool calls together: the first delta of a call (by ``index``)
        brings its id and name, every delta more of its arguments' JSON text."""
        for position, delta in enumerate(deltas):
            if not isinstance(delta, dict):
                continue
            index = delta.get("index", position)
            call = self.tools.setdefault(index, {"id": None, "name": "", "arguments": ""})
            call["id"] = call["id"] or delta.get("id")
            function = delta.get("function") or {}
            # OpenAI names the function in a call's first delta only; the llama.cpp Python
            # server repeats it in every delta: the first name given is the name
            call["name"] = call["name"] or function.get("name") or ""
            call["arguments"] += function.get("arguments") or ""

    def tool_calls(self, provider: OpenAIProvider) -> list[ToolCall]:
        """The streamed tool calls, in order (a call whose arguments are not JSON fails the
        answer: the model produced no usable call)."""
        calls = []
        for _index, call in sorted(self.tools.items()):
            try:
                calls.append(ToolCall.model_validate(call))
            except ValueError as exc:
                raise StreamError(f"the model called a tool with arguments that are not a "
                                  f"JSON object: {_show(str(call['arguments']).encode())}",
                                  provider=provider.name, model=provider.model,
                                  request_id=self.request_id) from exc
        return calls

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
        # reported or None: a server that sends no details did not measure them
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
        reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens")
        return Completion(
            text=text, ttft_ms=watch.ttft_ms, latency_ms=watch.latency_ms,
            input_tokens=input_tokens, output_tokens=output_tokens, cached_input_tokens=cached,
            reasoning_tokens=reasoning, tokens_estimated=estimated, finish_reason=self.finish_reason,
            request_id=self.request_id, tool_calls=self.tool_calls(provider))


def _message(message: Message) -> dict[str, Any]:
    """A message in Chat Completions form (an assistant's tool calls, a tool's result)."""
    data: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:  # content stays a string: some servers refuse a null one
        data["tool_calls"] = [
            {"id": call.id or f"call_{index}", "type": "function",
             "function": {"name": call.name, "arguments": json.dumps(call.arguments)}}
            for index, call in enumerate(message.tool_calls)]
    if message.tool_call_id is not None:
        data["tool_call_id"] = message.tool_call_id
    return data


def _show(data: bytes) -> str:
    return repr(data[:80].decode("utf-8", "replace"))


def _loads_lenient(data: bytes, provider: OpenAIProvider, request_id: str | None) -> Any:
    """A chunk orjson refused: accept it if only its UTF-8 is broken, else a StreamError."""
    try:
        return orjson.loads(data.decode("utf-8", "replace"))
    except orjson.JSONDecodeError as exc:
        raise StreamError(f"unreadable stream chunk: {_show(data)}", provider=provider.name,
                          model=provider.model, request_id=request_id) from exc


def _header_request_id(headers: Any) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        if headers.get(name):
            return str(headers[name])
    return None


def _error_message(body: bytes, reason: str | None) -> tuple[str, str | None]:
    """The provider's error text and code from an error response body."""
    try:
        payload = json.loads(body)
    except ValueError:
        return (body.decode("utf-8", "replace").strip()[:300] or reason or "no reason given"), None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error), error.get("code") or error.get("type")
    if isinstance(error, str):
        return error, None
    return json.dumps(payload)[:300], None
