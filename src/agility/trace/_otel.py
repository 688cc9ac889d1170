"""OpenTelemetry spans a system emits, recorded as agility spans of the example.

A system that already traces itself with OpenTelemetry (its own spans, or an instrumentation
library that follows the GenAI semantic conventions: ``gen_ai.operation.name``,
``gen_ai.request.model``, ``gen_ai.usage.input_tokens``...) needs no agility markers: while a
system runs, every OpenTelemetry span that starts inside an example is recorded on that
example's trace, nested as it was, beside agility's own spans.

- :func:`otel_span_processor` is the processor to add to a ``TracerProvider``
  (``provider.add_span_processor(otel_span_processor())``); the runner also adds it to the
  global provider by itself when that is an SDK ``TracerProvider``
  (:func:`attach_to_global_provider`, called as each example starts).
- A span's kind: ``llm`` for a GenAI model operation (``chat``, ``text_completion``,
  ``generate_content``, ``embeddings``...), ``tool`` for ``execute_tool``, ``retrieval`` for a
  database call (``db.system``), else ``other``. Model, tokens and the error (an ``ERROR``
  status) are read from the span; its cost comes from the price table (the run's own price
  for the run's model), None when the model is not priced. TTFT is not a span attribute in
  the conventions: None (not measured).
- A span that starts outside any example (or after :func:`attach_to_global_provider`'s run
  ended) is left alone, and the system's own exporters still get every span.

``opentelemetry-sdk`` is imported only when a processor is made (extra ``otel``).
"""

from __future__ import annotations

import threading
from typing import Any

from agility.store import SpanRecord
from agility.store._records import SpanKind
from agility.trace._span import Trace, active_trace, current_span

__all__ = ["attach_to_global_provider", "otel_span_processor"]

#: GenAI operations that are calls of a model
_MODEL_OPERATIONS = frozenset({"chat", "text_completion", "generate_content", "embeddings",
                               "create_agent", "invoke_agent"})
#: ``gen_ai.system`` / ``gen_ai.provider.name`` values as agility's provider names (prices)
_PROVIDERS = {"openai": "openai", "anthropic": "anthropic", "aws.bedrock": "bedrock",
              "az.ai.openai": "openai", "azure.ai.openai": "openai"}
_KEPT = ("gen_ai.operation.name", "gen_ai.system", "gen_ai.provider.name",
         "gen_ai.response.id", "gen_ai.tool.name", "db.system", "db.system.name")

_processor: Any = None
_attached: set[int] = set()
_lock = threading.Lock()


def otel_span_processor() -> Any:
    """The span processor that records OpenTelemetry spans on the running example's trace
    (one per process; adding it to a provider twice records nothing twice).

    Raises:
        MissingExtraError: ``opentelemetry-sdk`` is not installed.
    """
    global _processor
    with _lock:
        if _processor is None:
            _processor = _make_processor()
        return _processor


def attach_to_global_provider() -> bool:
    """Add :func:`otel_span_processor` to the global tracer provider when that is an SDK
    ``TracerProvider`` (once per provider); cheap when there is none or it is done.

    Returns:
        Whether the global provider records into agility's traces.
    """
    import sys

    if "opentelemetry.trace" not in sys.modules:
        return False  # nobody traces with OpenTelemetry in this process
    from opentelemetry import trace as otel_trace

    provider = otel_trace.get_tracer_provider()
    if id(provider) in _attached:
        return True
    add = getattr(provider, "add_span_processor", None)
    if add is None:  # the API's no-op or proxy provider: no spans are made
        return False
    try:
        processor = otel_span_processor()
    except ImportError:
        return False
    with _lock:
        if id(provider) not in _attached:
            add(processor)
            _attached.add(id(provider))
    return True


def _make_processor() -> Any:
    try:
        from opentelemetry.sdk.trace import SpanProcessor
    except ImportError as exc:
        from agility.errors import MissingExtraError

        raise MissingExtraError("opentelemetry-sdk", "otel",
                                "Recording OpenTelemetry spans") from exc

    class _Recorder(SpanProcessor):
        """Records the spans that start inside an example (see the module docstring)."""

        def __init__(self) -> None:
            #: OpenTelemetry span id -> (trace, agility span id, parent's agility span id)
            self.open: dict[int, tuple[Trace, int, int | None]] = {}
            self.lock = threading.Lock()

        def on_start(self, span: Any, parent_context: Any = None) -> None:
            trace = active_trace()
            if trace is None:
                return
            parent = getattr(span, "parent", None)
            with self.lock:
                above = self.open.get(parent.span_id) if parent is not None else None
            if above is not None and above[0] is trace:
                parent_id: int | None = above[1]
            else:  # at the top of the system's tracing: inside agility's open span, if any
                marker = current_span()
                parent_id = marker.id if marker is not None and marker._trace is trace \
                    else None
            with self.lock:
                self.open[span.context.span_id] = (trace, trace.new_id(), parent_id)

        def on_end(self, span: Any) -> None:
            with self.lock:
                entry = self.open.pop(span.context.span_id, None)
            if entry is None:
                return
            trace, span_id, parent_id = entry
            trace.add(_record(span, trace, span_id, parent_id))

        def shutdown(self) -> None:
            with self.lock:
                self.open.clear()

        def force_flush(self, timeout_millis: int = 30000) -> bool:
            return True

    return _Recorder()


def _kind(attributes: Any) -> SpanKind:
    operation = attributes.get("gen_ai.operation.name")
    if operation == "execute_tool":
        return "tool"
    if operation in _MODEL_OPERATIONS:
        return "llm"
    if attributes.get("db.system") or attributes.get("db.system.name"):
        return "retrieval"
    return "other"


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def _record(span: Any, trace: Trace, span_id: int, parent_id: int | None) -> SpanRecord:
    """An ended OpenTelemetry span as an agility span."""
    attributes = span.attributes or {}  # read in place: copying it cost more than the rest
    kind = _kind(attributes)
    model = attributes.get("gen_ai.response.model") or attributes.get("gen_ai.request.model")
    input_tokens = _int(attributes.get("gen_ai.usage.input_tokens")
                        if "gen_ai.usage.input_tokens" in attributes
                        else attributes.get("gen_ai.usage.prompt_tokens"))
    output_tokens = _int(attributes.get("gen_ai.usage.output_tokens")
                         if "gen_ai.usage.output_tokens" in attributes
                         else attributes.get("gen_ai.usage.completion_tokens"))
    system = attributes.get("gen_ai.provider.name") or attributes.get("gen_ai.system")
    provider = _PROVIDERS.get(str(system)) if system else None
    cost = None
    if kind == "llm" and model and provider and trace.price is not None:
        from agility.pricing import cost_usd

        cost = cost_usd(trace.price(provider, str(model), None), input_tokens, output_tokens)
    start_ns, end_ns = span.start_time or trace.started_ns, span.end_time
    error = None
    status = span.status
    if status is not None and status.status_code.name == "ERROR":
        error = status.description or "the span ended with an error status"
    kept: dict[str, Any] = {k: attributes[k] for k in _KEPT if k in attributes}
    kept["otel"] = True
    return SpanRecord(
        name=span.name, kind=kind, start_ms=(start_ns - trace.started_ns) / 1e6,
        duration_ms=None if end_ns is None else (end_ns - start_ns) / 1e6,
        model=None if model is None else (f"{provider}/{model}" if provider else str(model)),
        input_tokens=input_tokens, output_tokens=output_tokens, cost_usd=cost, error=error,
        attributes=kept, id=span_id, parent_id=parent_id)
