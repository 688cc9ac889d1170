"""Instrumentation overhead per span: the CPU a system pays for each step agility records.

    python benchmarks/span_overhead.py [--spans 200000] [--repeats 5]

Measured with ``time.process_time`` (this process's CPU, so other jobs on the machine do not
count), per span, median of ``--repeats`` rounds:

- ``with span(...)`` inside an example's trace (what a marked step costs: two clock reads,
  the parent link, a ``SpanRecord``), with ``set(cost_usd=...)`` and an attribute;
- the same, nested one level (an ``agent`` span holding the step);
- ``async with span(...)`` inside a trace, on a running event loop;
- ``record_call``: a model call made through agility's client becoming an ``llm`` span;
- ``with span(...)`` outside a run (a system in production keeps its markers): a context
  variable read;
- an OpenTelemetry span (GenAI attributes) inside a trace, with agility's processor
  recording it, beside the same span with no processor at all (OpenTelemetry's own cost):
  the difference is what agility adds to a span a system emits;
- the loop itself with no span (subtracted from nothing: printed so the figures can be read).

A new :class:`~agility.trace.Trace` is opened every 1,000 spans, as the runner opens one per
example (and a trace keeps at most ``MAX_SPANS``). Goal (issue 18): <= 50 us CPU per span.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable

from agility.trace import Trace, collect, record_call, span

PER_TRACE = 1000


def _sync_spans(n: int) -> None:
    for _ in range(n // PER_TRACE):
        with collect(Trace()):
            for _ in range(PER_TRACE):
                with span("retrieve", kind="retrieval", top_k=5) as s:
                    s.set(cost_usd=0.0001)


def _nested_spans(n: int) -> None:
    for _ in range(n // PER_TRACE):
        with collect(Trace()):
            for _ in range(PER_TRACE // 2):
                with span("agent"), span("tool", kind="tool"):
                    pass


def _async_spans(n: int) -> None:
    async def body() -> None:
        for _ in range(n // PER_TRACE):
            with collect(Trace()):
                for _ in range(PER_TRACE):
                    async with span("retrieve", kind="retrieval") as s:
                        s.set(cost_usd=0.0001)

    asyncio.run(body())


def _model_calls(n: int) -> None:
    for _ in range(n // PER_TRACE):
        trace = Trace()
        with collect(trace):
            for _ in range(PER_TRACE):
                record_call(trace, started=time.perf_counter(), duration_ms=12.5,
                            model="openai/gpt-4o-mini", ttft_ms=3.0, input_tokens=120,
                            output_tokens=40, cost_usd=0.00004)


def _otel_tracer(recorded: bool) -> object:
    """A tracer of an SDK provider with no exporter; with agility's processor when
    ``recorded`` (the difference between the two cases is what agility adds)."""
    from opentelemetry.sdk.trace import TracerProvider

    from agility.trace import otel_span_processor

    provider = TracerProvider()
    if recorded:
        provider.add_span_processor(otel_span_processor())
    return provider.get_tracer("bench")


def _otel(recorded: bool) -> Callable[[int], None]:
    def run(n: int) -> None:
        tracer = _otel_tracer(recorded)
        for _ in range(n // PER_TRACE):
            with collect(Trace()):
                for _ in range(PER_TRACE):
                    with tracer.start_as_current_span("chat gpt-4o-mini") as s:  # type: ignore[attr-defined]
                        s.set_attributes({"gen_ai.operation.name": "chat",
                                          "gen_ai.system": "openai",
                                          "gen_ai.request.model": "gpt-4o-mini",
                                          "gen_ai.usage.input_tokens": 120,
                                          "gen_ai.usage.output_tokens": 40})

    return run


def _outside_a_run(n: int) -> None:
    for _ in range(n):
        with span("retrieve", kind="retrieval") as s:
            s.set(cost_usd=0.0001)


def _bare_loop(n: int) -> None:
    for _ in range(n // PER_TRACE):
        for _ in range(PER_TRACE):
            pass


def _per_span_us(fn: Callable[[int], None], n: int, repeats: int) -> float:
    rounds = []
    for _ in range(repeats):
        start = time.process_time()
        fn(n)
        rounds.append((time.process_time() - start) / n * 1e6)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n = max(PER_TRACE, args.spans // PER_TRACE * PER_TRACE)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    cases: list[tuple[str, Callable[[int], None]]] = [
        ("with span(...) in a trace, set(cost_usd)", _sync_spans),
        ("nested: span('agent') > span('tool')", _nested_spans),
        ("async with span(...) in a trace", _async_spans),
        ("record_call (a model call as an llm span)", _model_calls),
        ("with span(...) outside a run (no trace)", _outside_a_run),
        ("empty loop (no span)", _bare_loop),
    ]
    try:
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError:
        print("(opentelemetry-sdk not installed: the OpenTelemetry cases are skipped)")
    else:
        cases[-1:-1] = [
            ("OpenTelemetry span, no processor (OTel alone)", _otel(False)),
            ("OpenTelemetry span recorded by agility", _otel(True)),
        ]
    print(f"{n:,} spans per round, median of {args.repeats} rounds, CPU per span:")
    worst = 0.0
    alone = None
    for label, fn in cases:
        us = _per_span_us(fn, n, args.repeats)
        print(f"  {label:<45} {us:8.2f} us")
        if "OTel alone" in label:
            alone = us  # OpenTelemetry's own cost: not agility's
            continue
        if "recorded by agility" in label and alone is not None:
            us -= alone
            print(f"  {'  of which agility (recorded - OTel alone)':<45} {us:8.2f} us")
        if fn is not _bare_loop:
            worst = max(worst, us)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"worst case {worst:.2f} us per span; goal <= 50 us: "
          f"{'met' if worst <= 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
