"""The official OpenAI SDK's chat calls as spans, while a system runs (see :mod:`._instrument`).

``chat.completions.create`` of ``OpenAI`` and ``AsyncOpenAI`` is wrapped: inside an example
(and not inside agility's own client), each call becomes an ``llm`` span with its model
(``openai/MODEL``), latency, tokens (the reply's ``usage``; for a stream, the usage chunk when
``stream_options.include_usage`` asked for it, else not measured), cost (the price table's,
None for a model it does not know) and error. A streamed call's TTFT is the arrival of its
first chunk carrying content or a tool call; its latency runs to the stream's end (or to its
close, when the caller stops reading early). Outside an example the wrapper calls straight
through.
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from agility.trace._calls import in_agility_call, record_call
from agility.trace._span import Trace, active_trace, error_text

__all__ = ["patch_openai"]


def patch_openai(module: Any) -> Callable[[], None]:
    """Wrap the chat completion calls of the imported ``openai`` package; returns the undo."""
    from openai.resources.chat.completions import completions

    sync_create = completions.Completions.create
    async_create = completions.AsyncCompletions.create

    @functools.wraps(sync_create)
    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        trace = active_trace()
        if trace is None or in_agility_call():
            return sync_create(self, *args, **kwargs)
        call = _Call(trace, kwargs)
        try:
            result = sync_create(self, *args, **kwargs)
        except Exception as exc:
            call.failed(exc)
            raise
        if kwargs.get("stream"):
            result._iterator = call.watch(result._iterator)
            return result
        call.done(result)
        return result

    @functools.wraps(async_create)
    async def acreate(self: Any, *args: Any, **kwargs: Any) -> Any:
        trace = active_trace()
        if trace is None or in_agility_call():
            return await async_create(self, *args, **kwargs)
        call = _Call(trace, kwargs)
        try:
            result = await async_create(self, *args, **kwargs)
        except Exception as exc:
            call.failed(exc)
            raise
        if kwargs.get("stream"):
            result._iterator = call.awatch(result._iterator)
            return result
        call.done(result)
        return result

    completions.Completions.create = create  # type: ignore[method-assign]
    completions.AsyncCompletions.create = acreate  # type: ignore[method-assign]

    def undo() -> None:
        completions.Completions.create = sync_create  # type: ignore[method-assign]
        completions.AsyncCompletions.create = async_create  # type: ignore[method-assign]

    return undo


class _Call:
    """One SDK call being timed."""

    def __init__(self, trace: Trace, kwargs: dict[str, Any]) -> None:
        self.trace = trace
        self.model = str(kwargs.get("model") or "")
        self.started = time.perf_counter()
        self.first: float | None = None
        self.usage: Any = None
        self.recorded = False

    def _record(self, *, error: str | None = None, model: str | None = None) -> None:
        if self.recorded:
            return
        self.recorded = True
        model = model or self.model
        usage = self.usage
        input_tokens = getattr(usage, "prompt_tokens", None) if usage is not None else None
        output_tokens = getattr(usage, "completion_tokens", None) if usage is not None else None
        cost = None
        if self.trace.price is not None and model:
            from agility.pricing import cost_usd

            cost = cost_usd(self.trace.price("openai", model, None), input_tokens,
                            output_tokens)
        now = time.perf_counter()
        record_call(self.trace, started=self.started, duration_ms=(now - self.started) * 1e3,
                    model=f"openai/{model}" if model else None,
                    ttft_ms=None if self.first is None else (self.first - self.started) * 1e3,
                    input_tokens=input_tokens, output_tokens=output_tokens, cost_usd=cost,
                    error=error, attributes={"sdk": "openai"})

    def failed(self, exc: BaseException) -> None:
        self._record(error=error_text(exc))

    def done(self, completion: Any) -> None:
        self.usage = getattr(completion, "usage", None)
        self._record(model=getattr(completion, "model", None))

    def _chunk(self, chunk: Any) -> None:
        if getattr(chunk, "usage", None) is not None:
            self.usage = chunk.usage
        if self.first is None:
            for choice in getattr(chunk, "choices", None) or ():
                delta = getattr(choice, "delta", None)
                if delta is not None and (getattr(delta, "content", None)
                                          or getattr(delta, "tool_calls", None)):
                    self.first = time.perf_counter()
                    break

    def watch(self, chunks: Iterator[Any]) -> Iterator[Any]:
        error = None
        try:
            for chunk in chunks:
                self._chunk(chunk)
                yield chunk
        except Exception as exc:
            error = error_text(exc)
            raise
        finally:
            self._record(error=error)

    async def awatch(self, chunks: AsyncIterator[Any]) -> AsyncIterator[Any]:
        error = None
        try:
            async for chunk in chunks:
                self._chunk(chunk)
                yield chunk
        except Exception as exc:
            error = error_text(exc)
            raise
        finally:
            self._record(error=error)
