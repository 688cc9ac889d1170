"""``bedrock/MODEL_ID``: Amazon Bedrock ConverseStream through boto3.

Model ids may be foundation models (``anthropic.claude-3-5-haiku-20241022-v1:0``) or
cross-region inference profiles (``us.anthropic...``, ``eu.``, ``apac.``, ``global.``) or
profile ARNs. Credentials come from boto3's usual chain (environment, ``profile``, SSO,
instance role); agility never sees or stores them.

boto3 is blocking, so the stream is read in a worker thread that timestamps each event as it
arrives and hands it to the event loop through a queue: TTFT is the arrival of the first
``contentBlockDelta`` with text, measured here, not the service's ``latencyMs`` (kept in
``provider_metrics["bedrock_latency_ms"]``). Usage comes from the ``metadata`` event.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Mapping
from concurrent.futures import ThreadPoolExecutor
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
    ConfigError,
    MissingExtraError,
    ProviderAuthError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    StreamError,
    UsageError,
)
from agility.providers._base import Location, Provider, ProviderOptions, Stopwatch
from agility.providers._common import estimate_input_tokens, estimate_tokens, provider_extra

__all__ = ["BedrockProvider"]

_THROTTLED = {"throttlingexception", "toomanyrequestsexception", "servicequotaexceededexception"}
_AUTH = {"accessdeniedexception", "unrecognizedclientexception", "expiredtokenexception",
         "invalidsignatureexception", "missingauthenticationtokenexception",
         "invalidclienttokenid", "signaturedoesnotmatch"}
_RETRYABLE = {"serviceunavailableexception", "internalserverexception", "modelnotreadyexception",
              "modelstreamerrorexception", "internalfailure"}
_TIMEOUT = {"modeltimeoutexception"}


def _sdk() -> tuple[Any, Any]:
    try:
        import boto3
        import botocore.config
    except ImportError as exc:
        raise MissingExtraError("boto3", "bedrock", "The bedrock/ provider") from exc
    return boto3, botocore.config


class BedrockOptions(ProviderOptions):
    """Options of ``bedrock/``: see :class:`BedrockProvider`."""

    routing = frozenset({"endpoint_url", "profile"})

    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    timeout_s: float = Field(60.0, gt=0)
    max_concurrency: int = Field(64, ge=1)


class BedrockProvider(Provider):
    """Amazon Bedrock Converse API, streamed.

    Options (:class:`BedrockOptions`):
        region: AWS region (default: boto3's, from ``AWS_REGION``/config).
        endpoint_url: a different endpoint (VPC endpoint, a local fake).
        profile: a named AWS profile.
        timeout_s: connect/read timeout in seconds (default 60).
        max_concurrency: worker threads and HTTP connections (default 64).
    """

    name = "bedrock"
    supports_tools = True
    Options = BedrockOptions
    options: BedrockOptions

    def __init__(self, model: str, options: BedrockOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        super().__init__(model, options, **more)
        opts = self.options
        self.region = opts.region
        self.endpoint_url = opts.endpoint_url
        self.profile = opts.profile
        self.timeout_s = opts.timeout_s
        self.max_concurrency = opts.max_concurrency
        self._boto_client: Any = None
        self._client_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def _client(self) -> Any:
        """The boto3 ``bedrock-runtime`` client (made once; boto3's retries are off)."""
        boto3, botocore_config = _sdk()
        with self._client_lock:
            if self._boto_client is None:
                config = botocore_config.Config(
                    retries={"total_max_attempts": 1, "mode": "standard"},
                    read_timeout=self.timeout_s, connect_timeout=min(self.timeout_s, 10.0),
                    max_pool_connections=self.max_concurrency)
                session = boto3.Session(profile_name=self.profile)
                try:
                    self._boto_client = session.client(
                        "bedrock-runtime", region_name=self.region,
                        endpoint_url=self.endpoint_url, config=config)
                except Exception as exc:
                    raise ConfigError(f"cannot set up the Bedrock client: {exc}. Set the region "
                                      f"(option region= or $AWS_REGION) and check the profile"
                                      ) from exc
            return self._boto_client

    def price_region(self) -> str | None:
        """The region requests are made from: the ``region`` option, else boto3's own
        (``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's config); a cross-region
        inference profile is priced in it."""
        if self.region:
            return self.region
        try:
            boto3, _ = _sdk()
            region = boto3.Session(profile_name=self.profile).region_name
        except Exception:  # noqa: BLE001 - no boto3, a broken profile: no region to price in
            return None
        return region if isinstance(region, str) and region else None

    def check_credentials(self) -> None:
        """AWS credentials must resolve (environment, profile, SSO or a role)."""
        boto3, _ = _sdk()
        try:
            credentials = boto3.Session(profile_name=self.profile).get_credentials()
        except Exception as exc:  # noqa: BLE001 - a missing profile, a broken config file
            raise ProviderAuthError(f"cannot resolve AWS credentials: {exc}",
                                    provider=self.name, model=self.model) from exc
        if credentials is None:
            raise ProviderAuthError("no AWS credentials found: configure them as for the AWS "
                                    "CLI (environment, profile= option, SSO or a role)",
                                    provider=self.name, model=self.model)

    def build_params(self, request: ChatRequest) -> dict[str, Any]:
        """The ``converse_stream`` keyword arguments for ``request``."""
        config = request.config
        params: dict[str, Any] = {
            "modelId": self.model,
            "messages": _messages(request.messages),
        }
        if request.tools:
            params["toolConfig"] = _tool_config(request)
        system = [{"text": m.content} for m in request.messages if m.role == "system"]
        if system:
            params["system"] = system
        inference = {key: value for key, value in (
            ("maxTokens", config.max_tokens), ("temperature", config.temperature),
            ("topP", config.top_p), ("stopSequences", config.stop)) if value is not None}
        if inference:
            params["inferenceConfig"] = inference
        extra = provider_extra(config.extra, "bedrock")
        if extra:
            params["additionalModelRequestFields"] = extra
        return params


    def location(self) -> Location:
        """The region of the call, or the geography of a cross-region inference profile."""
        import os

        geography = self.model.split(".", 1)[0] if "." in self.model else ""
        if geography == "global":
            return Location(("*",), "a global cross-region inference profile may serve the "
                                    "call from any region")
        if geography in ("us", "eu", "apac", "ca", "jp", "au", "us-gov"):
            return Location((f"{geography}-*",), f"a cross-region inference profile "
                                                  f"({geography}.) may serve the call from any "
                                                  f"{geography} region")
        region = self.options.region or os.environ.get("AWS_REGION") \
            or os.environ.get("AWS_DEFAULT_REGION")
        if region:
            return Location((region,), f"Bedrock region {region}")
        return Location((), "no Bedrock region is set (option region or AWS_REGION)")
    async def stream(self, request: ChatRequest, *,
                     example_id: str | None = None) -> AsyncGenerator[StreamEvent, None]:
        """Stream one Converse call: a delta per text delta, then the completion (see the module
        docstring for what is measured). Closing the iterator early makes the worker thread
        close the event stream at its next event."""
        params = self.build_params(request)
        client = await asyncio.to_thread(self._client)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.max_concurrency, "agility-bedrock")
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any, float]] = asyncio.Queue()
        cancelled = threading.Event()

        def put(kind: str, item: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, (kind, item, time.perf_counter()))

        def read_stream() -> None:
            try:
                response = client.converse_stream(**params)
                put("meta", response.get("ResponseMetadata") or {})
                stream = response["stream"]
                for event in stream:
                    if cancelled.is_set():
                        stream.close()
                        return
                    put("event", event)
                put("end", None)
            except BaseException as exc:  # noqa: BLE001 - handed to the event loop
                put("error", exc)

        watch = Stopwatch()
        self._executor.submit(read_stream)
        state = _ConverseState()
        try:
            while True:
                kind, item, at = await queue.get()
                if kind == "meta":
                    state.request_id = item.get("RequestId")
                elif kind == "event":
                    text = state.feed(item, at, watch)
                    if text:
                        yield TextDelta(text)
                elif kind == "end":
                    watch.end = at
                    break
                else:
                    raise self._error(item, state) from item
        finally:
            cancelled.set()
        yield StreamEnd(state.completion(request, watch, self))

    def _error(self, exc: BaseException, state: _ConverseState) -> ProviderError:
        common: dict[str, Any] = {"provider": self.name, "model": self.model}
        response = getattr(exc, "response", None)
        if isinstance(response, dict) and "Error" in response:
            return self._client_error(response, state)
        kind = type(exc).__name__
        if kind == "NoCredentialsError" or kind == "PartialCredentialsError":
            return ProviderAuthError("no AWS credentials found: configure them as for the AWS "
                                     "CLI (environment, profile= option, SSO or a role)", **common)
        if "Timeout" in kind:
            return ProviderTimeout(f"no answer within {self.timeout_s:g}s ({kind}); raise "
                                   f"timeout_s if the model is slow",
                                   request_id=state.request_id, **common)
        if kind in ("EndpointConnectionError", "ConnectionClosedError") and not state.started:
            error = ProviderError(f"cannot reach Bedrock at "
                                  f"{self.endpoint_url or self.region or 'the default endpoint'}"
                                  f": {exc}", **common)
            error.retryable = True
            return error
        return StreamError(f"the stream broke before it finished: {kind}: {exc}",
                           request_id=state.request_id, **common)

    def _client_error(self, response: dict[str, Any], state: _ConverseState) -> ProviderError:
        code = str(response["Error"].get("Code") or "")
        message = f"{code}: {str(response['Error'].get('Message') or '').rstrip('.')}"
        meta = response.get("ResponseMetadata") or {}
        common: dict[str, Any] = {"provider": self.name, "model": self.model,
                                  "status": meta.get("HTTPStatusCode"),
                                  "request_id": meta.get("RequestId") or state.request_id}
        key = code.lower()
        if key in _THROTTLED:
            return RateLimitError(f"throttled: {message}", **common)
        if key in _AUTH:
            return ProviderAuthError(f"not authorised: {message}. Check the AWS credentials "
                                     f"and model access for this region", **common)
        if key in _TIMEOUT:
            return ProviderTimeout(message, **common)
        if state.started and key not in _RETRYABLE:
            return StreamError(f"the stream reported an error: {message}", **common)
        error = ProviderError(f"provider error: {message}", **common)
        error.retryable = key in _RETRYABLE
        return error

    async def aclose(self) -> None:
        """Stop the worker threads."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _messages(messages: list[Message]) -> list[dict[str, Any]]:
    """The conversation in Converse form: an assistant's tool calls as ``toolUse`` blocks,
    tool results as ``toolResult`` blocks of one user turn (Converse alternates turns)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            block = {"toolResult": {"toolUseId": message.tool_call_id,
                                    "content": [{"text": message.content}]}}
            if out and out[-1]["role"] == "user" \
                    and all("toolResult" in b for b in out[-1]["content"]):
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif message.tool_calls:
            blocks: list[dict[str, Any]] = [{"text": message.content}] if message.content else []
            blocks += [{"toolUse": {"toolUseId": call.id or f"tooluse_{index}",
                                    "name": call.name, "input": call.arguments}}
                       for index, call in enumerate(message.tool_calls)]
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": message.role, "content": [{"text": message.content}]})
    return out


def _tool_config(request: ChatRequest) -> dict[str, Any]:
    """``toolConfig``: the tools and the choice (Converse has no ``none``: refused)."""
    config: dict[str, Any] = {"tools": [
        {"toolSpec": {"name": t.name, "inputSchema": {"json": t.parameters},
                      **({"description": t.description} if t.description else {})}}
        for t in request.tools]}
    choice = request.tool_choice
    if choice == "none":
        raise UsageError("Bedrock's Converse API has no tool_choice none: leave the tools out "
                         "of the request instead", argument="tool_choice")
    if choice == "auto":
        config["toolChoice"] = {"auto": {}}
    elif choice == "required":
        config["toolChoice"] = {"any": {}}
    elif choice is not None:
        config["toolChoice"] = {"tool": {"name": choice}}
    return config


class _ConverseState:
    """What has arrived so far on one ConverseStream."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        #: toolUse blocks by their index: id, name and the input's JSON text so far
        self.tools: dict[int, dict[str, Any]] = {}
        self.usage: dict[str, Any] = {}
        self.metrics: dict[str, Any] = {}
        self.finish_reason: str | None = None
        self.request_id: str | None = None
        self.started = False
        self.stopped = False

    def feed(self, event: dict[str, Any], at: float, watch: Stopwatch) -> str | None:
        """Take one event that arrived at ``at``; return the text it carries, if any."""
        self.started = True
        if "contentBlockStart" in event:
            start = (event["contentBlockStart"].get("start") or {}).get("toolUse")
            if start is not None:
                if watch.first_token is None:
                    watch.first_token = at  # a call is the answer's first output too
                index = event["contentBlockStart"].get("contentBlockIndex", len(self.tools))
                self.tools[index] = {"id": start.get("toolUseId"), "name": start.get("name"),
                                     "json": ""}
        elif "contentBlockDelta" in event:
            delta = event["contentBlockDelta"].get("delta") or {}
            index = event["contentBlockDelta"].get("contentBlockIndex")
            if "toolUse" in delta and index in self.tools:
                self.tools[index]["json"] += delta["toolUse"].get("input") or ""
                return None
            text = delta.get("text")
            if text:
                if watch.first_token is None:
                    watch.first_token = at  # the moment the worker thread received it
                self.parts.append(text)
                return str(text)
        elif "messageStop" in event:
            self.finish_reason = event["messageStop"].get("stopReason")
            self.stopped = True
        elif "metadata" in event:
            self.usage = event["metadata"].get("usage") or {}
            self.metrics = event["metadata"].get("metrics") or {}
        return None

    def completion(self, request: ChatRequest, watch: Stopwatch,
                   provider: BedrockProvider) -> Completion:
        if not self.stopped:
            raise StreamError("the stream ended before messageStop", provider=provider.name,
                              model=provider.model, request_id=self.request_id)
        text = "".join(self.parts)
        input_tokens = self.usage.get("inputTokens")
        if input_tokens is not None:  # Bedrock counts cache reads/writes apart from inputTokens
            input_tokens += sum(self.usage.get(k) or 0 for k in ("cacheReadInputTokens",
                                                                 "cacheWriteInputTokens"))
        output_tokens = self.usage.get("outputTokens")
        estimated = input_tokens is None or output_tokens is None
        metrics = {"bedrock_latency_ms": self.metrics["latencyMs"]} \
            if "latencyMs" in self.metrics else {}
        return Completion(
            text=text, ttft_ms=watch.ttft_ms, latency_ms=watch.latency_ms,
            input_tokens=input_tokens if input_tokens is not None
            else estimate_input_tokens(request),
            output_tokens=output_tokens if output_tokens is not None else estimate_tokens(text),
            cached_input_tokens=self.usage.get("cacheReadInputTokens"),
            cache_write_input_tokens=self.usage.get("cacheWriteInputTokens"),
            tokens_estimated=estimated, finish_reason=self.finish_reason,
            request_id=self.request_id, provider_metrics=metrics,
            tool_calls=self._tool_calls(provider))

    def _tool_calls(self, provider: BedrockProvider) -> list[ToolCall]:
        calls = []
        for _index, tool in sorted(self.tools.items()):
            try:
                calls.append(ToolCall.model_validate(
                    {"id": tool["id"], "name": tool["name"], "arguments": tool["json"] or "{}"}))
            except ValueError as exc:
                raise StreamError(f"the model called {tool['name']} with input that is not a "
                                  f"JSON object", provider=provider.name, model=provider.model,
                                  request_id=self.request_id) from exc
        return calls
