"""One measured call: a request in, a completion out with TTFT, tokens, cost, retries, limits.

:class:`Client` wraps one provider with the one retry policy, the rate limiter, the per-call
timeout and the price. The runner calls it once per example, judges once per judgment; the
gateway and the port loop use it the same way, so every call agility makes is measured alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from agility.chat import ChatRequest, Completion
from agility.client._ratelimit import RateLimit, RateLimiter, estimate_tokens
from agility.client._retry import RetryExhausted, RetryPolicy, call_with_retry
from agility.errors import RateLimitError, scrub_secrets
from agility.pricing import Price, cost_usd
from agility.providers import Provider

__all__ = ["CallOutcome", "Client", "describe_error"]


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
    """

    def __init__(self, provider: Provider, *, price: Price | None = None,
                 rate_limit: RateLimit | RateLimiter | None = None,
                 retry: RetryPolicy | None = None, timeout_s: float | None = 120.0) -> None:
        self.provider = provider
        self.price = price
        self.limiter = rate_limit if isinstance(rate_limit, RateLimiter) \
            else RateLimiter(rate_limit)
        self.retry = retry or RetryPolicy()
        self.timeout_s = timeout_s

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
        """
        estimate = estimate_tokens(request.messages, request.config.max_tokens)
        waited = 0.0
        throttled = 0

        async def attempt() -> Completion:
            return await self.provider.complete(request, example_id=example_id)

        async def before_attempt() -> None:
            nonlocal waited
            started = time.perf_counter()
            await self.limiter.acquire(estimate)
            waited += time.perf_counter() - started

        def on_retry(exc: BaseException, delay_s: float) -> None:
            nonlocal waited, throttled
            waited += delay_s
            if isinstance(exc, RateLimitError) or getattr(exc, "status", None) == 503:
                throttled += 1

        try:
            completion, attempts = await call_with_retry(
                attempt, self.retry, timeout_s=self.timeout_s,
                is_retryable=self.provider.is_retryable, before_attempt=before_attempt,
                on_retry=on_retry)
        except RetryExhausted as failed:
            # every failure of the call is recorded with the example, never raised: a run
            # goes on, and the failed call counts against the model
            if isinstance(failed.error, RateLimitError):
                throttled += 1
            return CallOutcome(completion=None, error=failed.error, attempts=failed.attempts,
                               cost_usd=None, retry_wait_ms=waited * 1000.0, throttled=throttled)
        used = (None if completion.input_tokens is None or completion.output_tokens is None
                else completion.input_tokens + completion.output_tokens)
        self.limiter.correct(estimate, used)
        extra = extra_cost_usd + (completion.extra_cost_usd or 0.0)
        cost = cost_usd(self.price, completion.input_tokens, completion.output_tokens,
                        cached_input_tokens=completion.cached_input_tokens, extra_usd=extra)
        return CallOutcome(completion=completion, error=None, attempts=attempts, cost_usd=cost,
                           retry_wait_ms=waited * 1000.0, throttled=throttled)

    async def aclose(self) -> None:
        """Release the provider's connections or model. Safe to call twice."""
        await self.provider.aclose()
