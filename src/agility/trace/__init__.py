"""Spans: what a system did while it answered one example, and how long each step took.

Mark a step with :func:`span` (``with span("retrieve", kind="retrieval") as s: s.set(
cost_usd=...)``); model calls made through agility's client, through the official OpenAI,
Anthropic and boto3 clients while a run instruments them (:func:`instrument`), and spans a
system emits through OpenTelemetry (:func:`otel_bridge`, GenAI semantic conventions) are
recorded too. The runner stores them with each result; ``agility export --spans`` writes them
out and the comparison breaks tail latency down by span.
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
