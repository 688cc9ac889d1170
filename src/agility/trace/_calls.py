"""Model calls as spans: what agility's client and the wire instrumentation report.

A call made while an ``llm`` span is open (and not yet filled) fills that span: the user named
the call. Otherwise the call gets a span of its own, named ``generate`` unless the caller says
otherwise. While agility's own client is calling a provider, the wire instrumentation of the
official SDKs stands aside (:func:`agility_call`), so a call through the ``anthropic/``
provider, which uses the Anthropic SDK, is recorded once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from agility.store import SpanRecord
from agility.trace._span import _OPEN, Trace

__all__ = ["agility_call", "in_agility_call", "record_call"]

_IN_CLIENT: ContextVar[bool] = ContextVar("agility_in_client_call", default=False)


@contextmanager
def agility_call() -> Iterator[None]:
    """Mark the block as a call through agility's client (the wire instrumentation skips it)."""
    token = _IN_CLIENT.set(True)
    try:
        yield
    finally:
        try:
            _IN_CLIENT.reset(token)
        except ValueError:  # left in another context (a stream closed by the collector)
            _IN_CLIENT.set(False)


def in_agility_call() -> bool:
    """Whether agility's client is making the call running in this context."""
    return _IN_CLIENT.get()


def record_call(trace: Trace, *, started: float, duration_ms: float | None, model: str | None,
                ttft_ms: float | None = None, input_tokens: int | None = None,
                output_tokens: int | None = None, cost_usd: float | None = None,
                error: str | None = None, name: str = "generate",
                attributes: dict[str, Any] | None = None) -> None:
    """Record one model call on ``trace``.

    Args:
        trace: the example's trace.
        started: ``perf_counter()`` when the call went out.
        duration_ms: how long it took (None: not measured, e.g. it failed before timing).
        model: ``provider/model`` or the model id the request named.
        ttft_ms: the call's own time to first token (None: it did not stream).
        input_tokens, output_tokens: as reported (None: not reported).
        cost_usd: the call's cost (None: not priced).
        error: the recorded failure, if it failed.
        name: the span's name when no open ``llm`` span claims the call.
        attributes: facts to keep with the span.
    """
    open_span = _OPEN.get()
    if open_span is not None and open_span.kind == "llm" and not open_span.filled \
            and open_span._trace is trace:
        open_span.filled = True
        open_span.model = open_span.model or model
        open_span.ttft_ms = ttft_ms
        open_span.input_tokens = input_tokens
        open_span.output_tokens = output_tokens
        if cost_usd is not None:
            open_span.cost_usd = (open_span.cost_usd or 0.0) + cost_usd
        if error is not None:
            open_span.error = error
        open_span.attributes.update(attributes or {})
        return
    trace.add(SpanRecord(
        name=name, kind="llm", start_ms=trace.offset_ms(started), duration_ms=duration_ms,
        ttft_ms=ttft_ms, model=model, input_tokens=input_tokens, output_tokens=output_tokens,
        cost_usd=cost_usd, error=error, attributes=dict(attributes or {}), id=trace.new_id(),
        parent_id=open_span.id if open_span is not None else None))
