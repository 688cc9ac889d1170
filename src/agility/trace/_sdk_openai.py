"""The official OpenAI SDK's chat calls as spans, while a system runs (see :mod:`._instrument`).

``chat.completions.create`` of ``OpenAI`` and ``AsyncOpenAI`` is wrapped
(:func:`agility.trace._sdk_call.wrap_create`): each call inside an example is an ``llm`` span
``openai/MODEL``. Tokens are the reply's ``usage``; for a stream, the usage chunk when
``stream_options.include_usage`` asked for it, else not measured. A streamed call's TTFT is
its first chunk carrying content or a tool call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agility.trace._sdk_call import SdkCall, wrap_create

__all__ = ["patch_openai"]


class _OpenAICall(SdkCall):
    provider = "openai"

    def _usage(self, usage: Any) -> None:
        if usage is not None:
            self.input_tokens = getattr(usage, "prompt_tokens", None)
            self.output_tokens = getattr(usage, "completion_tokens", None)

    def read_reply(self, reply: Any) -> None:
        self._usage(getattr(reply, "usage", None))
        self.model = getattr(reply, "model", None) or self.model

    def read_event(self, event: Any) -> bool:
        self._usage(getattr(event, "usage", None))
        for choice in getattr(event, "choices", None) or ():
            delta = getattr(choice, "delta", None)
            if delta is not None and (getattr(delta, "content", None)
                                      or getattr(delta, "tool_calls", None)):
                return True
        return False


def patch_openai(module: Any) -> Callable[[], None]:
    """Wrap the chat completion calls of the imported ``openai`` package; returns the undo."""
    from openai.resources.chat.completions import completions

    sync_create = completions.Completions.create
    async_create = completions.AsyncCompletions.create
    create, acreate = wrap_create(sync_create, async_create, _OpenAICall)
    completions.Completions.create = create  # type: ignore[method-assign]
    completions.AsyncCompletions.create = acreate  # type: ignore[method-assign]

    def undo() -> None:
        completions.Completions.create = sync_create  # type: ignore[method-assign]
        completions.AsyncCompletions.create = async_create  # type: ignore[method-assign]

    return undo
