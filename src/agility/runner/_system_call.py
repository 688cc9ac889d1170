"""One (example, repeat) answered by a system: its trace, its spans, its result record.

The system runs inside the example's :class:`~agility.trace.Trace`, bounded by its
``timeout_s``; whatever it raises becomes the example's error (the run goes on). The result's
figures come from the spans:

- ``latency_ms`` and ``end_to_end_ms``: the system's wall time for the example;
- ``ttft_ms``: from the start of the example to the first token of the last model call that
  streamed (the answer's first token, as a user waiting for it would see it); None when no
  call streamed;
- tokens: summed over the model calls that reported them;
- ``cost_usd``: the model calls' costs plus the costs spans declared (retrieval, tools);
  None when a successful model call was not priced (never a partial sum shown as the cost);
  ``extra_cost_usd``: the declared (non-model) part, plus the run's per-query extra;
- ``retrieval_ms``: the time in ``retrieval`` spans.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from agility.client import describe_error
from agility.errors import SystemCallError
from agility.store import ResultRecord, SpanRecord
from agility.trace import Trace, attach_to_global_provider, collect, refresh_instrumentation

__all__ = ["call_system", "result_from_spans"]


def _sum(values: list[float | None] | list[int | None]) -> Any:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def result_from_spans(example_id: str, repeat_index: int, spans: list[SpanRecord],
                      elapsed_ms: float, extra_cost_usd: float = 0.0) -> dict[str, Any]:
    """The figures of a result made from its spans (see the module docstring)."""
    llm = [s for s in spans if s.kind == "llm"]
    answered = [s for s in llm if s.error is None]
    streamed = [s for s in answered if s.ttft_ms is not None]
    last = max(streamed, key=lambda s: s.start_ms + (s.duration_ms or 0.0), default=None)
    declared = [s.cost_usd for s in spans if s.kind != "llm" and s.cost_usd is not None]
    extra = (sum(declared) if declared else 0.0) + extra_cost_usd
    cost: float | None = None
    if answered or declared:
        if all(s.cost_usd is not None for s in answered):
            cost = sum(s.cost_usd or 0.0 for s in answered) + extra
    retrieval = [s.duration_ms for s in spans if s.kind == "retrieval"]
    return {
        "example_id": example_id, "repeat_index": repeat_index,
        "latency_ms": elapsed_ms, "end_to_end_ms": elapsed_ms,
        "ttft_ms": None if last is None or last.ttft_ms is None else last.start_ms + last.ttft_ms,
        "input_tokens": _sum([s.input_tokens for s in answered]),
        "output_tokens": _sum([s.output_tokens for s in answered]),
        "cost_usd": cost, "extra_cost_usd": extra or None,
        "retrieval_ms": _sum(retrieval),
    }


async def call_system(ctx: Any, example: Any, repeat_index: int) -> ResultRecord:
    """Answer one (example, repeat) with the run's system; never raises for the system's own
    failures (they become the result's error), only for cancellation."""
    system, settings = ctx.system, ctx.settings
    # a system that set up OpenTelemetry or imported an SDK since the last example
    attach_to_global_provider()
    refresh_instrumentation()
    trace = Trace(price=ctx.span_price)
    started = time.perf_counter()
    answer = None
    error: str | None = None
    timeout = asyncio.timeout(system.spec.timeout_s)
    with collect(trace):
        try:
            async with timeout:
                answer = await system.answer(example, settings)
        except TimeoutError as exc:
            if timeout.expired():
                error = describe_error(SystemCallError(
                    system.name, f"no answer within {system.spec.timeout_s:g} s (timeout_s)"))
            else:
                error = describe_error(exc)
        except Exception as exc:  # noqa: BLE001 - a system's failure fails this example only
            error = describe_error(exc)
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    spans = trace.spans
    if timeout.expired():  # the steps cut short say why, not "CancelledError"
        for record in spans:
            if record.error is not None and record.error.startswith("CancelledError"):
                record.error = error
    if error is not None and not any(s.error for s in spans):
        spans.append(SpanRecord(name="system", kind="other", start_ms=0.0,
                                duration_ms=elapsed_ms, error=error, id=trace.new_id()))
    figures = result_from_spans(example.id, repeat_index, spans, elapsed_ms,
                                ctx.extra_cost_usd)
    common: dict[str, Any] = {
        "spans": spans, "prompt": trace.prompt, "attempts": 1,
        "request_id": trace.extras.get("request_id"),
        "provider_metrics": {"spans_dropped": trace.dropped} if trace.dropped else {},
    }
    if answer is None:
        return ResultRecord(error=error, **{**figures, **common, "cost_usd": None})
    # the calls the system reports, else those its models asked for through agility's client
    calls = answer.tool_calls if answer.tool_calls is not None else trace.tool_calls
    return ResultRecord(output=answer.output, contexts=answer.contexts,
                        tool_calls=[c.model_dump(mode="json") for c in calls],
                        **figures, **common)
