"""Spans: what a system did while it answered one example, and how long each step took.

Mark a step with :func:`span` (``with span("retrieve", kind="retrieval") as s: s.set(
cost_usd=...)``); model calls made through agility's client (``settings.generate`` in a
system) are recorded as ``llm`` spans with their own TTFT, tokens and cost. The runner stores
the spans with each result; ``agility export --spans`` writes them out and the comparison
breaks tail latency down by span.

Spans a system emits through OpenTelemetry (its own, or an instrumentation library's under
the GenAI semantic conventions) are recorded too (:func:`otel_span_processor`, see
:mod:`agility.trace._otel`), and so are calls through the official SDKs while a run holds
:func:`instrumented` open: OpenAI's chat completions, Anthropic's ``messages.create`` and its
``messages.stream()`` helper, boto3's Bedrock ``converse``/``converse_stream`` and
``invoke_model``/``invoke_model_with_response_stream`` (another SDK's call is timed by
wrapping it in ``span("name", kind="llm")``).
"""

from agility.trace._calls import agility_call, in_agility_call, record_call
from agility.trace._instrument import instrumented, refresh_instrumentation
from agility.trace._otel import attach_to_global_provider, otel_span_processor
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
    "attach_to_global_provider",
    "collect",
    "current_span",
    "in_agility_call",
    "instrumented",
    "otel_span_processor",
    "record_call",
    "refresh_instrumentation",
    "span",
]
