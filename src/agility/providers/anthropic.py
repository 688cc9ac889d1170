"""``anthropic/MODEL``: the Anthropic Messages API through the official SDK, streamed.

System messages go in ``system``; TTFT is taken at the first ``content_block_delta`` carrying
text; input tokens come from ``message_start``, output tokens from the last ``message_delta``.
The SDK's own retries are off (the runner retries, once, for every provider).
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from collections.abc import AsyncGenerator, Mapping
from typing import Any

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
from agility.errors import (
    MissingExtraError,
    ProviderAuthError,
    ProviderError,
    ProviderTimeout,
    StreamError,
)
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

__all__ = ["AnthropicProvider"]


def _sdk() -> Any:
    try:
        import anthropic
    except ImportError as exc:
        raise MissingExtraError("anthropic", "anthropic", "The anthropic/ provider") from exc
    return anthropic


class AnthropicOptions(ProviderOptions):
    """Options of ``anthropic/``: see :class:`AnthropicProvider`."""

    routing = frozenset({"base_url", "api_key_env", "headers"})

    base_url: str | None = None
    api_key_env: str = "ANTHROPIC_API_KEY"
    timeout_s: float = Field(60.0, gt=0)
    default_max_tokens: int = Field(1024, ge=1)
    headers: dict[str, str] = Field(default_factory=dict)


class AnthropicProvider(HeaderCredentials, Provider):
    """Anthropic Messages API.

    Options (:class:`AnthropicOptions`):
        base_url: API root (default: the SDK's, i.e. ``https://api.anthropic.com``).
        api_key_env: environment variable holding the key (default ``ANTHROPIC_API_KEY``).
        timeout_s: request timeout in seconds (default 60).
        default_max_tokens: ``max_tokens`` when the request sets none (the API requires one;
            default 1024).
        headers: extra HTTP headers.
    """

    name = "anthropic"
    supports_tools = True
    Options = AnthropicOptions
    options: AnthropicOptions

    def __init__(self, model: str, options: AnthropicOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        super().__init__(model, options, **more)
        opts = self.options
        self.base_url = opts.base_url
        self.api_key_env = opts.api_key_env
        self.timeout_s = opts.timeout_s
        self.default_max_tokens = opts.default_max_tokens
        self.headers: dict[str, str] = dict(opts.headers)
        self._sdk_client: Any = None
        self._client_tag: tuple[int, str] | None = None

    def _client(self, api_key: str | None = None) -> Any:
        """The SDK client for this event loop and key (made on first use, SDK retries off)."""
        anthropic = _sdk()
        # remember which key the client was built with by digest only, never the key itself
        tag = (id(asyncio.get_running_loop()) if api_key else 0,
               hashlib.sha256((api_key or "").encode()).hexdigest())
        if self._sdk_client is None or tag != self._client_tag:
            self._sdk_client = anthropic.AsyncAnthropic(
                api_key=api_key, base_url=self.base_url, timeout=self.timeout_s, max_retries=0,
                default_headers=self.headers or None)
            self._client_tag = tag
        return self._sdk_client

    def build_params(self, request: ChatRequest) -> dict[str, Any]:
        """The ``messages.create`` keyword arguments for ``request``."""
        config = request.config
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        params: dict[str, Any] = {
            "model": self.model,
            "messages": _messages(request.messages),
            "max_tokens": config.max_tokens or self.default_max_tokens,
        }
        if request.tools:
            params["tools"] = [{"name": t.name, "input_schema": t.parameters,
                                **({"description": t.description} if t.description else {})}
                               for t in request.tools]
        if request.tool_choice is not None:
            params["tool_choice"] = _TOOL_CHOICE.get(request.tool_choice) \
                or {"type": "tool", "name": request.tool_choice}
        if system:
            params["system"] = system
        if config.temperature is not None:
            params["temperature"] = config.temperature
        if config.top_p is not None:
            params["top_p"] = config.top_p
        if config.stop:
            params["stop_sequences"] = config.stop
        params.update(provider_extra(config.extra, "anthropic"))
        return params

    def check_credentials(self) -> None:
        """The Messages API always needs a key."""
        if read_api_key(self.api_key_env) is None:
            raise ProviderAuthError(f"no API key: the environment variable {self.api_key_env} "
                                    f"is not set", provider=self.name, model=self.model)


    def location(self) -> Location:
        """This host for a loopback server; otherwise as the user declares for the host."""
        return host_location(self.options.base_url, "api.anthropic.com")
    async def stream(self, request: ChatRequest, *,
                     example_id: str | None = None) -> AsyncGenerator[StreamEvent, None]:
        """Stream one message: a delta per text delta, then the completion (see the module
        docstring for what is measured). Closing the iterator early closes the SDK's stream."""
        self.check_credentials()
        api_key = read_api_key(self.api_key_env)
        anthropic = _sdk()
        client = self._client(api_key)
        state = _MessageState()
        watch = Stopwatch()
        stream: Any = None
        try:
            stream = await client.messages.create(
                stream=True, **_split_sdk_params(client, self.build_params(request)))
            state.request_id = stream.response.headers.get("request-id")
            state.started = True
            async for event in stream:
                text = state.feed(event, watch)
                if text:
                    yield TextDelta(text)
            watch.stop()
        except anthropic.APITimeoutError as exc:
            raise ProviderTimeout(f"no answer within {self.timeout_s:g}s (raise timeout_s if the "
                                  f"model is slow)", provider=self.name, model=self.model,
                                  request_id=state.request_id) from exc
        except anthropic.APIStatusError as exc:
            raise self._status_error(exc, state, api_key) from exc
        except anthropic.APIConnectionError as exc:
            error = ProviderError(f"cannot reach {self.base_url or 'the Anthropic API'}: "
                                  f"{hide(str(exc), *self._secrets(api_key))}", provider=self.name,
                                  model=self.model)
            error.retryable = True
            raise error from exc
        except ProviderError:
            raise
        except Exception as exc:
            if not state.started:
                detail = hide(str(exc), *self._secrets(api_key))
                raise ProviderError(f"could not send the request: {detail}",
                                    provider=self.name, model=self.model) from exc
            raise StreamError(f"the stream broke before it finished: "
                              f"{hide(str(exc) or type(exc).__name__, *self._secrets(api_key))}",
                              provider=self.name, model=self.model,
                              request_id=state.request_id) from exc
        finally:
            if stream is not None:
                await stream.close()  # a no-op once read to the end; else drops the connection
        yield StreamEnd(state.completion(request, watch, self))

    def _status_error(self, exc: Any, state: _MessageState,
                      api_key: str | None) -> ProviderError:
        body = exc.body if isinstance(exc.body, dict) else {}
        error: dict[str, Any] = body["error"] if isinstance(body.get("error"), dict) else body
        message = hide(str(error.get("message") or exc.message), *self._secrets(api_key))
        request_id = getattr(exc, "request_id", None) or state.request_id
        if state.started:  # an `error` event in the middle of a 200 stream
            return StreamError(f"the stream reported an error: {message}", provider=self.name,
                               model=self.model, request_id=request_id)
        status = exc.status_code
        if error.get("type") == "overloaded_error":
            status = 529
        return error_for_status(status, message, provider=self.name, model=self.model,
                                request_id=request_id,
                                retry_after_s=parse_retry_after(exc.response.headers),
                                key_env=self.api_key_env)

    async def aclose(self) -> None:
        """Close the SDK client's connections."""
        if self._sdk_client is not None:
            await self._sdk_client.close()
            self._sdk_client = None


_TOOL_CHOICE = {"auto": {"type": "auto"}, "none": {"type": "none"},
                "required": {"type": "any"}}


def _messages(messages: list[Message]) -> list[dict[str, Any]]:
    """The conversation in Messages form: an assistant's tool calls as ``tool_use`` blocks,
    tool results as ``tool_result`` blocks of one user turn (Anthropic alternates turns)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            block = {"type": "tool_result", "tool_use_id": message.tool_call_id,
                     "content": message.content}
            if out and out[-1]["role"] == "user" and isinstance(out[-1]["content"], list) \
                    and all(b.get("type") == "tool_result" for b in out[-1]["content"]):
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif message.tool_calls:
            blocks: list[dict[str, Any]] = [{"type": "text", "text": message.content}] \
                if message.content else []
            blocks += [{"type": "tool_use", "id": call.id or f"toolu_{index}",
                        "name": call.name, "input": call.arguments}
                       for index, call in enumerate(message.tool_calls)]
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": message.role, "content": message.content})
    return out


class _MessageState:
    """What has arrived so far on one Messages stream."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        #: tool_use blocks by their index: id, name and the input's JSON text so far
        self.tools: dict[int, dict[str, Any]] = {}
        self.input_tokens: int | None = None
        self.cached_input_tokens: int | None = None
        self.cache_write_input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.finish_reason: str | None = None
        self.request_id: str | None = None
        self.message_id: str | None = None
        self.started = False
        self.stopped = False

    def feed(self, event: Any, watch: Stopwatch) -> str | None:
        """Take one SDK event; return the text it carries, if any."""
        kind = getattr(event, "type", None)
        if kind == "message_start":
            self.message_id = event.message.id
            usage = event.message.usage
            if usage is not None:
                self.input_tokens = _total_input(usage)
                self.cached_input_tokens = getattr(usage, "cache_read_input_tokens", None)
                self.cache_write_input_tokens = getattr(usage, "cache_creation_input_tokens",
                                                        None)
        elif kind == "content_block_start":
            block = event.content_block
            if getattr(block, "type", None) == "tool_use":
                watch.mark_first_token()  # a call is the answer's first output too
                self.tools[event.index] = {"id": block.id, "name": block.name, "json": ""}
        elif kind == "content_block_delta":
            partial = getattr(event.delta, "partial_json", None)
            if partial is not None and event.index in self.tools:
                self.tools[event.index]["json"] += partial
                return None
            text = getattr(event.delta, "text", None)
            if text:
                watch.mark_first_token()
                self.parts.append(text)
                return str(text)
        elif kind == "message_delta":
            self.finish_reason = event.delta.stop_reason or self.finish_reason
            output = getattr(event.usage, "output_tokens", None) if event.usage else None
            self.output_tokens = output if output is not None else self.output_tokens
        elif kind == "message_stop":
            self.stopped = True
        return None

    def completion(self, request: ChatRequest, watch: Stopwatch,
                   provider: AnthropicProvider) -> Completion:
        request_id = self.request_id or self.message_id
        if not self.stopped:
            raise StreamError("the stream ended before message_stop", provider=provider.name,
                              model=provider.model, request_id=request_id)
        text = "".join(self.parts)
        estimated = self.input_tokens is None or self.output_tokens is None
        return Completion(
            text=text, ttft_ms=watch.ttft_ms, latency_ms=watch.latency_ms,
            input_tokens=(self.input_tokens if self.input_tokens is not None
                          else estimate_input_tokens(request)),
            output_tokens=(self.output_tokens if self.output_tokens is not None
                           else estimate_tokens(text)),
            cached_input_tokens=self.cached_input_tokens,
            cache_write_input_tokens=self.cache_write_input_tokens, tokens_estimated=estimated,
            finish_reason=self.finish_reason, request_id=request_id,
            provider_metrics={"message_id": self.message_id} if self.message_id else {},
            tool_calls=self._tool_calls(provider, request_id))

    def _tool_calls(self, provider: AnthropicProvider, request_id: str | None) -> list[ToolCall]:
        calls = []
        for _index, tool in sorted(self.tools.items()):
            try:
                calls.append(ToolCall.model_validate(
                    {"id": tool["id"], "name": tool["name"], "arguments": tool["json"] or "{}"}))
            except ValueError as exc:
                raise StreamError(f"the model called {tool['name']} with input that is not a "
                                  f"JSON object", provider=provider.name, model=provider.model,
                                  request_id=request_id) from exc
        return calls


def _split_sdk_params(client: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Pass what this SDK version names as keywords; send the rest in ``extra_body``.

    Recent SDKs dropped ``temperature``/``top_p``/``top_k`` from the signature, while the API
    still accepts them for the models that support them.
    """
    accepted = inspect.signature(client.messages.create).parameters
    direct = {k: v for k, v in params.items() if k in accepted}
    extra = {k: v for k, v in params.items() if k not in accepted}
    if extra:
        direct["extra_body"] = extra
    return direct


def _total_input(usage: Any) -> int | None:
    """Input tokens including cache reads and writes (Anthropic reports them apart)."""
    base = getattr(usage, "input_tokens", None)
    if base is None:
        return None
    extra = [getattr(usage, f, None) for f in ("cache_read_input_tokens",
                                                "cache_creation_input_tokens")]
    return int(base) + sum(int(x) for x in extra if x)
