"""The official Anthropic SDK's message calls as spans, while a system runs (see
:mod:`._instrument`).

``messages.create`` of ``Anthropic`` and ``AsyncAnthropic`` is wrapped
(:func:`agility.trace._sdk_call.wrap_create`): each call inside an example is an ``llm`` span
``anthropic/MODEL``. Tokens are the reply's ``usage`` (``input_tokens``, ``output_tokens``);
for a stream (``stream=True``), the input tokens of ``message_start`` and the output tokens of
the last ``message_delta``. A streamed call's TTFT is its first ``content_block_delta`` (text
or a tool call's arguments) or the start of a ``tool_use`` block. The ``messages.stream()``
helper (``with client.messages.stream(...) as stream``, sync and async) is timed the same way:
its request is sent when the block is entered, and its span runs to the stream's end (or to
the block's exit, when the caller stops reading early), whichever of its readers
(``text_stream``, ``get_final_message()``, iteration) reads it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from agility.trace._calls import in_agility_call
from agility.trace._sdk_call import SdkCall, wrap_create
from agility.trace._span import Trace, active_trace

__all__ = ["patch_anthropic"]


class _AnthropicCall(SdkCall):
    provider = "anthropic"

    def read_reply(self, reply: Any) -> None:
        usage = getattr(reply, "usage", None)
        if usage is not None:
            self.input_tokens = getattr(usage, "input_tokens", None)
            self.output_tokens = getattr(usage, "output_tokens", None)
        self.model = getattr(reply, "model", None) or self.model

    def read_event(self, event: Any) -> bool:
        kind = getattr(event, "type", None)
        if kind == "message_start":
            self.read_reply(getattr(event, "message", None))
            self.output_tokens = None  # the start's count is a placeholder; message_delta's counts
        elif kind == "message_delta":
            usage = getattr(event, "usage", None)
            if usage is not None and getattr(usage, "output_tokens", None) is not None:
                self.output_tokens = usage.output_tokens
        elif kind == "content_block_delta":
            return True
        elif kind == "content_block_start":
            return getattr(getattr(event, "content_block", None), "type", None) == "tool_use"
        return False


def _watch_sync(trace: Trace, kwargs: dict[str, Any], request: Callable[[], Any]) -> Any:
    """Send the helper's request as one timed call: its raw stream read through the timing,
    its close ending the span."""
    call = _AnthropicCall(trace, kwargs)
    try:
        raw = request()
    except Exception as exc:
        call.failed(exc)
        raise
    raw._iterator = call.watch(raw._iterator)
    close = raw.close

    def closed() -> None:
        close()
        call._record()  # a caller that stopped reading early: the span ends at the close

    raw.close = closed
    return raw


async def _watch_async(trace: Trace, kwargs: dict[str, Any], request: Awaitable[Any]) -> Any:
    """:func:`_watch_sync` for ``AsyncAnthropic``: ``request`` is the helper's awaitable."""
    call = _AnthropicCall(trace, kwargs)
    try:
        raw = await request
    except Exception as exc:
        call.failed(exc)
        raise
    raw._iterator = call.awatch(raw._iterator)
    close = raw.close

    async def closed() -> None:
        await close()
        call._record()

    raw.close = closed
    return raw


def _wrap_stream(sync_stream: Callable[..., Any], async_stream: Callable[..., Any]
                 ) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Wrappers of ``messages.stream()``: the manager it returns sends its request through
    the timing when its block is entered (the SDK keeps the request in a private attribute:
    an SDK laid out otherwise is left as it is, its helper not recorded)."""

    @functools.wraps(sync_stream)
    def stream(self: Any, *args: Any, **kwargs: Any) -> Any:
        manager = sync_stream(self, *args, **kwargs)
        trace = active_trace()
        request = getattr(manager, _SYNC_REQUEST, None)
        if trace is None or in_agility_call() or not callable(request):
            return manager
        setattr(manager, _SYNC_REQUEST, functools.partial(_watch_sync, trace, kwargs, request))
        return manager

    @functools.wraps(async_stream)
    def astream(self: Any, *args: Any, **kwargs: Any) -> Any:
        manager = async_stream(self, *args, **kwargs)
        trace = active_trace()
        request = getattr(manager, _ASYNC_REQUEST, None)
        if trace is None or in_agility_call() or not inspect.isawaitable(request):
            return manager
        setattr(manager, _ASYNC_REQUEST, _watch_async(trace, kwargs, request))
        return manager

    return stream, astream


#: where the SDK's stream managers keep the request they send on entering (name-mangled)
_SYNC_REQUEST = "_MessageStreamManager__api_request"
_ASYNC_REQUEST = "_AsyncMessageStreamManager__api_request"


def patch_anthropic(module: Any) -> Callable[[], None]:
    """Wrap the message calls of the imported ``anthropic`` package; returns the undo."""
    from anthropic.resources.messages import messages

    sync_create = messages.Messages.create
    async_create = messages.AsyncMessages.create
    sync_stream = messages.Messages.stream
    async_stream = messages.AsyncMessages.stream
    create, acreate = wrap_create(sync_create, async_create, _AnthropicCall)
    stream, astream = _wrap_stream(sync_stream, async_stream)
    messages.Messages.create = create  # type: ignore[method-assign]
    messages.AsyncMessages.create = acreate  # type: ignore[method-assign]
    messages.Messages.stream = stream  # type: ignore[method-assign]
    messages.AsyncMessages.stream = astream  # type: ignore[method-assign]

    def undo() -> None:
        messages.Messages.create = sync_create  # type: ignore[method-assign]
        messages.AsyncMessages.create = async_create  # type: ignore[method-assign]
        messages.Messages.stream = sync_stream  # type: ignore[method-assign]
        messages.AsyncMessages.stream = async_stream  # type: ignore[method-assign]

    return undo
