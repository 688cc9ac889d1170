"""Spans: what a system did while it answered one example, and how long each step took.

Mark a step with :func:`span` (``with span("retrieve", kind="retrieval") as s: s.set(
cost_usd=...)``); model calls made through agility's client (``settings.generate`` in a
system) are recorded as ``llm`` spans with their own TTFT, tokens and cost. The runner stores
the spans with each result; ``agility export --spans`` writes them out and the comparison
breaks tail latency down by span.

Not yet: calls made through the official OpenAI/Anthropic/boto3 SDKs directly are not
recorded (:func:`instrumented` is the hook the runner already holds open, with no SDK patched
yet), nor are spans a system emits through OpenTelemetry. Wrap such a call in
``span("name", kind="llm")`` to time it meanwhile.
"""

from agility.trace._calls import agility_call, in_agility_call, record_call
from agility.trace._instrument import instrumented
from agility.trace._span import (
    MAX_SPANS,
    Span,
    Trace,
    active_trace,
    collect,
    current_span,
    span,
)

__all__ = [
    "MAX_SPANS",
    "Span",
    "Trace",
    "active_trace",
    "agility_call",
    "collect",
    "current_span",
    "in_agility_call",
    "instrumented",
    "record_call",
    "span",
]
