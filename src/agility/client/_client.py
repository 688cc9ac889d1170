"""One measured call: a request in, a completion out with TTFT, tokens, cost, retries, limits.

:class:`Client` wraps one provider with the one retry policy, the rate limiter, the per-call
timeout and the price. The runner calls it once per example, judges once per judgment; the
gateway and the port loop use it the same way, so every call agility makes is measured alike.
:meth:`Client.call` returns the whole answer; :meth:`Client.stream` hands it over piece by piece
(retrying only until the first piece has been handed over).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from agility.chat import (
    ChatRequest,
    Completion,
    StreamEnd,
    StreamEvent,
    TextDelta,
    mask_message,
)
from agility.client._adaptive import AdaptiveConcurrency
from agility.client._ratelimit import RateLimit, RateLimiter, estimate_tokens
from agility.client._retry import RetryExhausted, RetryPolicy, call_with_retry, is_throttle
from agility.errors import ProviderTimeout, StreamError, UsageError, scrub_secrets
from agility.pricing import Price, completion_cost
from agility.providers import Provider
from agility.trace import active_trace, agility_call, record_call
from agility.trace._span import Trace

__all__ = ["CallOutcome", "Client", "ClientStream", "call_attributes", "describe_error"]


def describe_error(exc: BaseException) -> str:
    """How a failure is recorded: its type and its (scrubbed) message."""
    return f"{type(exc).__name__}: {scrub_secrets(str(exc))}"


@dataclass(frozen=True)
class CallOutcome:
    """What one measured call produced.

    Exactly one of ``completion`` and ``error`` is set. ``cost_usd`` is the call's cost (tokens
    times the price plus ``extra_cost_usd``), None when not priced. ``retry_wait_ms`` is the time
    spent waiting for the rate limiter and between attempts: it is not in the completion's
    latency. ``throttled`` counts the attempts the provider throttled (429/503).
    """

    completion: Completion | None
    error: BaseException | None
    attempts: int
    cost_usd: float | None
    retry_wait_ms: float
    throttled: int = 0

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.error is None

    @property
    def error_text(self) -> str | None:
        """The recorded form of the error (type and scrubbed message), or None."""
        return None if self.error is None else describe_error(self.error)

    @property
    def request_id(self) -> str | None:
        """The provider's request id of the completion or of the last failed attempt."""
        if self.completion is not None:
            return self.completion.request_id
        return getattr(self.error, "request_id", None)


class Client:
    """One provider behind the retry policy, a rate limiter, a timeout and a price.

    Args:
        provider: the model to call.
        price: USD per 1M tokens (None: cost not measured).
        rate_limit: requests/tokens per minute, or a limiter shared with other clients.
        retry: the retry policy.
        timeout_s: limit per attempt (None: no limit beyond the provider's own).
        concurrency: calls in flight at most through this client; when the provider
            throttles, the limit halves and then grows back (see :class:`AdaptiveConcurrency`).
            None: no limit of the client's own.
        mask: applied to the text of every message before it leaves (personal data masked
            by a privacy policy); None sends the messages as they are.

    Attributes:
        throttled: throttled attempts seen so far (429/503/529), over every call.
        gate: the adaptive concurrency gate, when ``concurrency`` was given.
    """

    def __init__(self, provider: Provider, *, price: Price | None = None,
                 rate_limit: RateLimit | RateLimiter | None = None,
                 retry: RetryPolicy | None = None, timeout_s: float | None = 120.0,
                 concurrency: int | None = None,
                 mask: Callable[[str], str] | None = None) -> None:
        self.provider = provider
        #: applied to every message's text before it is sent (a privacy policy's masking)
        self.mask = mask
        self.price = price
        self.limiter = rate_limit if isinstance(rate_limit, RateLimiter) \
            else RateLimiter(rate_limit)
        self.retry = retry or RetryPolicy()
        self.timeout_s = timeout_s
        # a provider that answers one call at a time (a model in this process) gets a gate
        # of its size, so queued calls wait at the gate and not inside their timeout
        limit = provider.max_parallel_calls
        if limit is not None:
            concurrency = min(concurrency or limit, limit)
        self.gate = AdaptiveConcurrency(concurrency) if concurrency is not None else None
        self.throttled = 0

    async def call(self, request: ChatRequest, *, example_id: str | None = None,
                   extra_cost_usd: float = 0.0) -> CallOutcome:
        """Send ``request`` with retries and rate limiting; never raises a provider failure.

        Args:
            request: the messages and sampling settings.
            example_id: the golden example the call is for (replay looks answers up by it).
            extra_cost_usd: per-query cost beside the tokens (retrieval), added to the cost.

        Returns:
            The outcome: the completion or the last error, attempts, cost and wait time.

        A failure of any kind (a provider error, a timeout, an adapter's exception) is returned
        in the outcome, never raised; cancellation propagates.

        Raises:
            UsageError: the request has tools and the provider does not pass them through.
        """
        self._check_supported(request)
        request = self.masked(request)  # a privacy policy's masking, before any path
        trace = active_trace()
        if trace is not None:  # inside a system's example: the call becomes a span
            started = time.perf_counter()
            with agility_call():
                outcome = await self._call(request, example_id, extra_cost_usd)
            self._record(trace, request, outcome, started)
            return outcome
        return await self._call(request, example_id, extra_cost_usd)

    def _check_supported(self, request: ChatRequest) -> None:
        # refused before the call: a provider that drops the tools would answer as if the
        # model had chosen not to call any, and the run would score that silently
        if request.tools and not self.provider.supports_tools:
            raise UsageError(f"provider {self.provider.name} does not pass tools to the model "
                             f"yet (an openai/ endpoint does: OpenAI, vLLM, Ollama, the "
                             f"llama.cpp server)", argument="tools")
        if request.prompt_format == "text" and not self.provider.supports_text:
            raise UsageError(f"provider {self.provider.name} has no completions API for a text "
                             f"prompt (format: text); openai/ endpoints (vLLM, the llama.cpp "
                             f"server, Ollama) and llamacpp/ have one", argument="prompt_format")

    def _record(self, trace: Trace, request: ChatRequest, outcome: CallOutcome,
                started: float) -> None:
        """Record a call made inside a trace as a span (see :mod:`agility.trace`)."""
        completion = outcome.completion
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        record_call(
            trace, started=started + outcome.retry_wait_ms / 1000.0,
            duration_ms=completion.latency_ms if completion is not None else elapsed_ms,
            model=self.provider.spec,
            ttft_ms=None if completion is None else completion.ttft_ms,
            input_tokens=None if completion is None else completion.input_tokens,
            output_tokens=None if completion is None else completion.output_tokens,
            cost_usd=None if self.price is None or completion is None else outcome.cost_usd,
            error=outcome.error_text, attributes=call_attributes(outcome))
        trace.prompt = list(request.messages)
        if completion is not None:
            trace.extras["request_id"] = completion.request_id
            trace.tool_calls.extend(completion.tool_calls)

    async def _call(self, request: ChatRequest, example_id: str | None,
                    extra_cost_usd: float) -> CallOutcome:
        estimate = estimate_tokens(request.messages, request.config.max_tokens)
        waited = 0.0
        throttled = 0

        async def timed() -> Completion:
            if self.timeout_s is None:
                return await self.provider.complete(request, example_id=example_id)
            try:
                async with asyncio.timeout(self.timeout_s):
                    return await self.provider.complete(request, example_id=example_id)
            except TimeoutError as exc:
                raise ProviderTimeout(f"no complete answer within {self.timeout_s:g} s (the "
                                      f"per-call timeout)", provider=self.provider.name,
                                      model=self.provider.model) from exc

        async def attempt() -> Completion:
            # the per-call timeout starts once the call may go: waiting at the gate (a model
            # that takes one call at a time, a throttled provider) is queueing, not the call
            if self.gate is None:
                return await timed()
            async with self.gate:
                completion = await timed()
                self.gate.succeeded()
                return completion

        async def before_attempt() -> None:
            nonlocal waited
            if not self.limiter.active:
                return
            started = time.perf_counter()
            await self.limiter.acquire(estimate)
            waited += time.perf_counter() - started

        def on_retry(exc: BaseException, delay_s: float) -> None:
            nonlocal waited, throttled
            waited += delay_s
            if is_throttle(exc):
                throttled += 1
                self.throttled += 1
                if self.gate is not None:
                    self.gate.throttled()

        try:
            completion, attempts = await call_with_retry(
                attempt, self.retry, timeout_s=None,
                is_retryable=self.provider.is_retryable, before_attempt=before_attempt,
                on_retry=on_retry)
        except RetryExhausted as failed:
            # every failure of the call is recorded with the example, never raised: a run
            # goes on, and the failed call counts against the model
            if is_throttle(failed.error):
                throttled += 1
                self.throttled += 1
            return CallOutcome(completion=None, error=failed.error, attempts=failed.attempts,
                               cost_usd=None, retry_wait_ms=waited * 1000.0, throttled=throttled)
        return self._succeeded(completion, estimate, attempts, waited, throttled, extra_cost_usd)

    def stream(self, request: ChatRequest, *, example_id: str | None = None,
               extra_cost_usd: float = 0.0) -> ClientStream:
        """Send ``request`` and hand the answer over as it streams.

        Use it as ``async with client.stream(request) as call: async for delta in call: ...``,
        then read ``call.outcome``. A failure before the first piece is handed over is retried
        under the retry policy (with the rate limiter before each attempt); after it, nothing
        is retried: the iteration ends and the outcome carries the error. The per-call timeout
        covers each attempt from its start to its last piece. Leaving the ``async with`` early
        (or cancelling the task) cancels the provider's call.

        Args:
            request: the messages and sampling settings.
            example_id: the golden example the call is for (replay looks answers up by it).
            extra_cost_usd: per-query cost beside the tokens, added to the cost.
        """
        self._check_supported(request)
        return ClientStream(self, self.masked(request), example_id=example_id,
                            extra_cost_usd=extra_cost_usd)

    def masked(self, request: ChatRequest) -> ChatRequest:
        """``request`` as it is sent: every message's text through :attr:`mask`."""
        if self.mask is None:
            return request
        mask = self.mask
        return request.model_copy(update={"messages": [
            mask_message(m, mask) for m in request.messages]})

    def _succeeded(self, completion: Completion, estimate: int, attempts: int, waited_s: float,
                   throttled: int, extra_cost_usd: float) -> CallOutcome:
        used = (None if completion.input_tokens is None or completion.output_tokens is None
                else completion.input_tokens + completion.output_tokens)
        self.limiter.correct(estimate, used)
        cost = completion_cost(self.price, completion, extra_cost_usd)
        return CallOutcome(completion=completion, error=None, attempts=attempts, cost_usd=cost,
                           retry_wait_ms=waited_s * 1000.0, throttled=throttled)

    async def aclose(self) -> None:
        """Release the provider's connections or model. Safe to call twice."""
        await self.provider.aclose()


class ClientStream:
    """One streamed call through a :class:`Client` (made by :meth:`Client.stream`).

    Iterate it (once) for :class:`~agility.chat.TextDelta` pieces; once the iteration ends,
    :attr:`outcome` holds the completion or the error, attempts, cost and wait, as for
    :meth:`Client.call`. :attr:`delivered` says whether any piece was handed over: a caller
    may still fall back to another model when it is False.
    """

    def __init__(self, client: Client, request: ChatRequest, *, example_id: str | None,
                 extra_cost_usd: float) -> None:
        self._client, self._request = client, request
        self._example_id, self._extra_cost_usd = example_id, extra_cost_usd
        self._events: AsyncGenerator[TextDelta, None] | None = None
        #: the call's outcome, set when the iteration has ended (None while it runs, or when
        #: the caller left early)
        self.outcome: CallOutcome | None = None
        #: whether a piece of the answer was handed over (no retry after that)
        self.delivered = False

    def __aiter__(self) -> AsyncIterator[TextDelta]:
        if self._events is not None:
            raise RuntimeError("a ClientStream can be iterated only once")
        trace = active_trace()
        self._events = self._run() if trace is None else self._traced(trace)
        return self._events

    async def __aenter__(self) -> ClientStream:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the call if it is still running (its connection is closed). Safe to repeat."""
        if self._events is not None:
            await self._events.aclose()

    async def _traced(self, trace: Trace) -> AsyncGenerator[TextDelta, None]:
        """:meth:`_run` inside a system's example: the call becomes a span."""
        started = time.perf_counter()
        try:
            with agility_call():
                async with aclosing(self._run()) as events:
                    async for delta in events:
                        yield delta
        finally:
            if self.outcome is not None:
                self._client._record(trace, self._request, self.outcome, started)

    async def _run(self) -> AsyncGenerator[TextDelta, None]:
        client, request = self._client, self._request
        estimate = estimate_tokens(request.messages, request.config.max_tokens)
        waited = 0.0
        throttled = 0
        loop = asyncio.get_running_loop()
        attempt_started = loop.time()

        async def attempt() -> tuple[AsyncGenerator[StreamEvent, None], StreamEvent]:
            nonlocal attempt_started
            attempt_started = loop.time()
            events = client.provider.stream(request, example_id=self._example_id)
            try:
                return events, await anext(events)
            except BaseException:
                await events.aclose()
                raise

        async def before_attempt() -> None:
            nonlocal waited
            if not client.limiter.active:
                return
            started = time.perf_counter()
            await client.limiter.acquire(estimate)
            waited += time.perf_counter() - started

        def on_retry(exc: BaseException, delay_s: float) -> None:
            nonlocal waited, throttled
            waited += delay_s
            if is_throttle(exc):
                throttled += 1
                client.throttled += 1
                if client.gate is not None:
                    client.gate.throttled()

        try:
            (events, event), attempts = await call_with_retry(
                attempt, client.retry, timeout_s=client.timeout_s,
                is_retryable=client.provider.is_retryable, before_attempt=before_attempt,
                on_retry=on_retry)
        except RetryExhausted as failed:
            if is_throttle(failed.error):
                throttled += 1
                client.throttled += 1
            self.outcome = CallOutcome(completion=None, error=failed.error,
                                       attempts=failed.attempts, cost_usd=None,
                                       retry_wait_ms=waited * 1000.0, throttled=throttled)
            return
        deadline = None if client.timeout_s is None else attempt_started + client.timeout_s
        async with aclosing(events):
            try:
                while isinstance(event, TextDelta):
                    self.delivered = True
                    yield event
                    async with asyncio.timeout_at(deadline):
                        event = await anext(events)
            except StopAsyncIteration:
                error: BaseException = StreamError("the stream ended without its final event",
                                                   provider=client.provider.name,
                                                   model=client.provider.model)
            except TimeoutError:
                error = ProviderTimeout(f"no complete answer within {client.timeout_s:g} s "
                                        f"(the per-call timeout)",
                                        provider=client.provider.name,
                                        model=client.provider.model)
            except Exception as exc:  # noqa: BLE001 - recorded in the outcome, as call() does
                error = exc
            else:
                assert isinstance(event, StreamEnd)
                self.outcome = client._succeeded(event.completion, estimate, attempts, waited,
                                                 throttled, self._extra_cost_usd)
                return
        self.outcome = CallOutcome(completion=None, error=error, attempts=attempts,
                                   cost_usd=None, retry_wait_ms=waited * 1000.0,
                                   throttled=throttled)



def call_attributes(outcome: CallOutcome) -> dict[str, Any] | None:
    """What a call's span carries beside its figures: attempts beyond the first, and the
    names of the tools the model called."""
    attributes: dict[str, Any] = {}
    if outcome.attempts > 1:
        attributes["attempts"] = outcome.attempts
    if outcome.completion is not None and outcome.completion.tool_calls:
        attributes["tool_calls"] = [call.name for call in outcome.completion.tool_calls]
    return attributes or None
