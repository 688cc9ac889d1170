"""The official Anthropic SDK's message calls as spans, while a system runs (see
:mod:`._instrument`).

``messages.create`` of ``Anthropic`` and ``AsyncAnthropic`` is wrapped
(:func:`agility.trace._sdk_call.wrap_create`): each call inside an example is an ``llm`` span
``anthropic/MODEL``. Tokens are the reply's ``usage`` (``input_tokens``, ``output_tokens``);
for a stream (``stream=True``), the input tokens of ``message_start`` and the output tokens of
the last ``message_delta``. A streamed call's TTFT is its first ``content_block_delta`` (text
or a tool call's arguments) or the start of a ``tool_use`` block. Not recorded this way: the
``messages.stream()`` helper (its calls are spans when they go through agility's providers or
OpenTelemetry).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agility.trace._sdk_call import SdkCall, wrap_create

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


def patch_anthropic(module: Any) -> Callable[[], None]:
    """Wrap the message calls of the imported ``anthropic`` package; returns the undo."""
    from anthropic.resources.messages import messages

    sync_create = messages.Messages.create
    async_create = messages.AsyncMessages.create
    create, acreate = wrap_create(sync_create, async_create, _AnthropicCall)
    messages.Messages.create = create  # type: ignore[method-assign]
    messages.AsyncMessages.create = acreate  # type: ignore[method-assign]

    def undo() -> None:
        messages.Messages.create = sync_create  # type: ignore[method-assign]
        messages.AsyncMessages.create = async_create  # type: ignore[method-assign]

    return undo
