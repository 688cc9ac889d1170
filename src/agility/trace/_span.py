"""Spans of one example: the :class:`Trace` that collects them and the :func:`span` marker.

While a system answers an example, the runner makes a :class:`Trace` current (a context
variable, so concurrent examples never mix and asyncio tasks inherit it). Code inside the
system marks its steps with ``with agility.trace.span("retrieve", kind="retrieval"):``; model
calls made through agility's client, or through the official SDKs while a run instruments
them, add their own spans. Outside a trace, :func:`span` does nothing (it costs a context
variable read), so a system's code can keep its markers when it runs in production.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any

from agility.errors import scrub_secrets
from agility.store import SpanRecord
from agility.store._records import SpanKind

__all__ = ["MAX_SPANS", "Span", "Trace", "active_trace", "collect", "current_span", "span"]

#: spans kept per example at most: a looping agent must not grow a result without bound
MAX_SPANS = 2000

_TRACE: ContextVar[Trace | None] = ContextVar("agility_trace", default=None)
_OPEN: ContextVar[Span | None] = ContextVar("agility_open_span", default=None)
_KINDS = ("llm", "retrieval", "tool", "other")


def error_text(exc: BaseException) -> str:
    """How a failure is recorded on a span: its type and its (scrubbed) message."""
    return f"{type(exc).__name__}: {scrub_secrets(str(exc))}"


class Trace:
    """The spans of one example, collected while it is answered.

    Attributes:
        started: ``time.perf_counter()`` when the example started (span offsets count from it).
        started_ns: the same moment as ``time.time_ns()`` (to place OpenTelemetry spans).
        dropped: spans not kept because the example already had :data:`MAX_SPANS`.
        tool_calls: the tool calls models asked for during the example, in order.
        prompt: the messages of the last model call made through agility's client.
        extras: per-example facts a model call reported (request id, attempts).
    """

    __slots__ = ("_next_id", "_spans", "dropped", "extras", "max_spans", "price", "prompt",
                 "started", "started_ns", "tool_calls")

    def __init__(self, *, max_spans: int = MAX_SPANS, price: Any = None) -> None:
        self.started = time.perf_counter()
        self.started_ns = time.time_ns()
        self._spans: list[SpanRecord] = []
        self._next_id = 0
        self.dropped = 0
        self.max_spans = max_spans
        #: ``price(provider, model, region) -> Price | None`` for calls seen on the wire
        self.price = price
        self.tool_calls: list[Any] = []
        self.prompt: list[Any] | None = None
        self.extras: dict[str, Any] = {}

    def new_id(self) -> int:
        """The next span id of this example."""
        self._next_id += 1
        return self._next_id

    def offset_ms(self, moment: float) -> float:
        """Milliseconds from the start of the example to ``moment`` (``perf_counter``)."""
        return (moment - self.started) * 1000.0

    def add(self, record: SpanRecord) -> None:
        """Keep one finished span (past :attr:`max_spans`, count it as dropped instead)."""
        if len(self._spans) >= self.max_spans:
            self.dropped += 1
            return
        self._spans.append(record)

    @property
    def spans(self) -> list[SpanRecord]:
        """The finished spans, in the order they started."""
        return sorted(self._spans, key=lambda s: (s.start_ms, s.id or 0))


def active_trace() -> Trace | None:
    """The trace of the example being answered in this context, or None."""
    return _TRACE.get()


def current_span() -> Span | None:
    """The innermost span open in this context, or None."""
    return _OPEN.get()


@contextmanager
def collect(trace: Trace) -> Iterator[Trace]:
    """Make ``trace`` current for the block: spans opened inside are recorded on it."""
    token = _TRACE.set(trace)
    opened = _OPEN.set(None)
    try:
        yield trace
    finally:
        _OPEN.reset(opened)
        _TRACE.reset(token)


class Span:
    """One marked step; use it as ``with span(...)`` or ``async with span(...)``.

    Inside, :meth:`set` records what the step learnt (``cost_usd``, ``model``, tokens,
    attributes). A step that raises records the error (type and scrubbed message) and the
    exception goes on. A model call made while an ``llm`` span is open and has no call yet
    fills that span (model, TTFT, tokens, cost), which is how a call gets its name.
    """

    __slots__ = ("_open_token", "_start", "_trace", "attributes", "cost_usd", "error", "filled",
                 "id", "input_tokens", "kind", "model", "name", "output_tokens", "parent_id",
                 "ttft_ms")

    def __init__(self, name: str, kind: SpanKind = "other", **attributes: Any) -> None:
        if kind not in _KINDS:
            raise ValueError(f"span kind must be one of {', '.join(_KINDS)}, got {kind!r}")
        self.name, self.kind = name, kind
        self.attributes: dict[str, Any] = attributes
        self.cost_usd: float | None = None
        self.model: str | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.ttft_ms: float | None = None
        self.error: str | None = None
        #: whether a model call has filled this span already
        self.filled = False
        self.id: int | None = None
        self.parent_id: int | None = None
        self._trace: Trace | None = None
        self._start = 0.0
        self._open_token: Token[Span | None] | None = None

    @property
    def recording(self) -> bool:
        """Whether the span is being recorded (a trace was current when it opened)."""
        return self._trace is not None

    def set(self, *, cost_usd: float | None = None, model: str | None = None,
            input_tokens: int | None = None, output_tokens: int | None = None,
            **attributes: Any) -> None:
        """Record what the step learnt. ``cost_usd`` is this step's own cost (a vector
        database query, a paid tool), added to the query's cost."""
        if cost_usd is not None:
            if cost_usd < 0:
                raise ValueError(f"cost_usd must be >= 0, got {cost_usd}")
            self.cost_usd = cost_usd
        if model is not None:
            self.model = model
        if input_tokens is not None:
            self.input_tokens = input_tokens
        if output_tokens is not None:
            self.output_tokens = output_tokens
        self.attributes.update(attributes)

    def __enter__(self) -> Span:
        trace = _TRACE.get()
        if trace is None:
            return self
        self._trace = trace
        self._start = time.perf_counter()
        self.id = trace.new_id()
        parent = _OPEN.get()
        self.parent_id = parent.id if parent is not None else None
        self._open_token = _OPEN.set(self)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        trace = self._trace
        if trace is None:
            return
        end = time.perf_counter()
        if self._open_token is not None:
            try:
                _OPEN.reset(self._open_token)
            except ValueError:  # closed in another context (a generator): restore by hand
                _OPEN.set(None)
        if exc is not None and self.error is None:
            self.error = error_text(exc)
        trace.add(SpanRecord(
            name=self.name, kind=self.kind, start_ms=trace.offset_ms(self._start),
            duration_ms=(end - self._start) * 1000.0, ttft_ms=self.ttft_ms, model=self.model,
            input_tokens=self.input_tokens, output_tokens=self.output_tokens,
            cost_usd=self.cost_usd, error=self.error, attributes=self.attributes, id=self.id,
            parent_id=self.parent_id))

    async def __aenter__(self) -> Span:
        return self.__enter__()

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        self.__exit__(exc_type, exc, tb)


def span(name: str, kind: SpanKind = "other", **attributes: Any) -> Span:
    """Mark a step of a system: ``with span("retrieve", kind="retrieval") as s: ...``.

    Args:
        name: the step's name; the comparison groups spans by it (``retrieve``, ``rerank``,
            ``answer``).
        kind: ``llm``, ``retrieval``, ``tool`` or ``other``. A model call made inside an open
            ``llm`` span fills it, so ``with span("rewrite", kind="llm"): client.chat(...)``
            names that call ``rewrite``.
        **attributes: facts to keep with the span (JSON values).

    Returns:
        The span, a context manager (sync or async). Outside a run it records nothing.
    """
    return Span(name, kind, **attributes)
