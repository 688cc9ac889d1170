"""What every official SDK's call span shares (see :mod:`._instrument`): the wrappers of a
``create`` method, sync and async, and the timing of one call, plain or streamed.

Each SDK module (:mod:`._sdk_openai`, :mod:`._sdk_anthropic`, :mod:`._sdk_boto3`) says how its replies carry the
model and the tokens, and which stream event is the first token; the rest is here. Inside an
example (and not inside agility's own client) a call becomes an ``llm`` span with its model
(``PROVIDER/MODEL``), latency, tokens, cost (the price table's, None for a model it does not
know) and error; a streamed call's TTFT is its first content event and its latency runs to
the stream's end (or its close, when the caller stops reading early). Outside an example the
wrapper calls straight through.
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from agility.trace._calls import in_agility_call, record_call
from agility.trace._span import Trace, active_trace, error_text

__all__ = ["SdkCall", "wrap_create"]


class SdkCall:
    """One SDK call being timed; subclasses read their SDK's replies."""

    #: the provider prefix of the span's model and of the price lookup
    provider = ""
    #: the SDK, as the span's ``sdk`` attribute names it
    sdk = ""

    def __init__(self, trace: Trace, kwargs: dict[str, Any], region: str | None = None) -> None:
        self.trace = trace
        self.model = str(kwargs.get("model") or "")
        self.region = region
        self.started = time.perf_counter()
        self.first: float | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.recorded = False

    # -- what a subclass reads -------------------------------------------------------------
    def read_reply(self, reply: Any) -> None:
        """Take the model and tokens of a whole (not streamed) reply."""

    def read_event(self, event: Any) -> bool:
        """Take what a stream event carries; True when it is a first token (content or a
        tool call)."""
        return False

    # -- the timing ------------------------------------------------------------------------
    def _record(self, *, error: str | None = None) -> None:
        if self.recorded:
            return
        self.recorded = True
        cost = None
        if self.trace.price is not None and self.model:
            from agility.pricing import cost_usd

            cost = cost_usd(self.trace.price(self.provider, self.model, self.region),
                            self.input_tokens, self.output_tokens)
        now = time.perf_counter()
        record_call(self.trace, started=self.started, duration_ms=(now - self.started) * 1e3,
                    model=f"{self.provider}/{self.model}" if self.model else None,
                    ttft_ms=None if self.first is None else (self.first - self.started) * 1e3,
                    input_tokens=self.input_tokens, output_tokens=self.output_tokens,
                    cost_usd=cost, error=error, attributes={"sdk": self.sdk or self.provider})

    def failed(self, exc: BaseException) -> None:
        self._record(error=error_text(exc))

    def done(self, reply: Any) -> None:
        self.read_reply(reply)
        self._record()

    def _event(self, event: Any) -> None:
        if self.read_event(event) and self.first is None:
            self.first = time.perf_counter()

    def watch(self, events: Iterator[Any]) -> Iterator[Any]:
        error = None
        try:
            for event in events:
                self._event(event)
                yield event
        except Exception as exc:
            error = error_text(exc)
            raise
        finally:
            self._record(error=error)

    async def awatch(self, events: AsyncIterator[Any]) -> AsyncIterator[Any]:
        error = None
        try:
            async for event in events:
                self._event(event)
                yield event
        except Exception as exc:
            error = error_text(exc)
            raise
        finally:
            self._record(error=error)


def wrap_create(sync_create: Callable[..., Any], async_create: Callable[..., Any],
                call_type: type[SdkCall]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Wrappers of an SDK's sync and async ``create`` that time each call inside an example
    (a streamed reply is a stream object whose ``_iterator`` the wrapper watches)."""

    @functools.wraps(sync_create)
    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        trace = active_trace()
        if trace is None or in_agility_call():
            return sync_create(self, *args, **kwargs)
        call = call_type(trace, kwargs)
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
        call = call_type(trace, kwargs)
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

    return create, acreate
