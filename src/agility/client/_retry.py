"""The one retry policy: what is retried, how long to wait, and the per-call timeout.

Exponential backoff with full jitter (a random wait between 0 and ``base * 2**n``, capped), never
shorter than a provider's ``Retry-After``. Auth errors and errors the provider calls
non-retryable are never retried. A call that exceeds its timeout is cancelled and retried.

Throttling (HTTP 429, 503, 529 "overloaded", Bedrock's ThrottlingException) is expected, not a
failure: a throttled call is retried, beyond ``max_attempts``, until its ``throttle_budget_s``
(minutes by default) is spent. ``max_attempts`` bounds the other failures (5xx, broken streams,
timeouts).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from agility.errors import ProviderAuthError, ProviderTimeout, RateLimitError

__all__ = ["RetryExhausted", "RetryPolicy", "call_with_retry", "is_throttle"]

T = TypeVar("T")

#: statuses that mean "slow down", not "broken": 503 unavailable, 529 overloaded
_BUSY_STATUSES = frozenset({503, 529})


def is_throttle(exc: BaseException) -> bool:
    """Whether ``exc`` is the provider asking us to slow down (not a failure of the call).

    A 429 that means the quota is gone is not: providers raise it as a plain, non-retryable
    ProviderError, never a RateLimitError.
    """
    if isinstance(exc, RateLimitError):
        return True
    return getattr(exc, "status", None) in _BUSY_STATUSES and bool(getattr(exc, "retryable", False))


@dataclass(frozen=True)
class RetryPolicy:
    """How failed calls are retried.

    Args:
        max_attempts: attempts per call at most for failures other than throttling
            (1 = never retry).
        base_delay_s: the backoff before the second attempt (doubles each time).
        max_delay_s: cap of the backoff (a provider's Retry-After may exceed it).
        jitter: full jitter (wait a random time up to the backoff) to spread retries out.
        throttle_budget_s: how long a throttled call keeps being retried, from its first
            attempt (0 = throttles count against ``max_attempts`` like other failures).
    """

    max_attempts: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    jitter: bool = True
    throttle_budget_s: float = 600.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("retry delays must be >= 0")
        if self.throttle_budget_s < 0:
            raise ValueError("throttle_budget_s must be >= 0")

    def delay_s(self, attempt: int, exc: BaseException | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        backoff = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        wait = random.uniform(0.0, backoff) if self.jitter else backoff
        retry_after = getattr(exc, "retry_after_s", None)
        if retry_after is not None:
            wait = max(wait, float(retry_after))
        return wait


class RetryExhausted(Exception):
    """The last error of a call that failed for good, with how many attempts were made."""

    def __init__(self, error: BaseException, attempts: int) -> None:
        super().__init__(str(error))
        self.error, self.attempts = error, attempts


def _retryable(exc: BaseException, is_retryable: Callable[[BaseException], bool]) -> bool:
    if isinstance(exc, ProviderAuthError):
        return False
    return is_retryable(exc) or is_throttle(exc)


async def call_with_retry(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    timeout_s: float | None,
    is_retryable: Callable[[BaseException], bool],
    before_attempt: Callable[[], Awaitable[None]] | None = None,
    on_retry: Callable[[BaseException, float], None] | None = None,
) -> tuple[T, int]:
    """Await ``call()`` until it succeeds or the policy gives up.

    Args:
        call: makes one fresh attempt (a broken stream is retried whole).
        policy: the retry policy.
        timeout_s: limit per attempt; a timed-out attempt raises ProviderTimeout (retryable).
        is_retryable: the provider's judgement of an error (auth errors are never retried).
        before_attempt: awaited before each attempt (the rate limiter).
        on_retry: called with the error and the wait (seconds) before each retry.

    Returns:
        the result and the number of attempts made.

    Raises:
        RetryExhausted: wrapping the last error, when no attempt succeeded.
    """
    attempt = 0
    failures = 0  # attempts that failed other than by throttling
    started = time.monotonic()
    while True:
        attempt += 1
        try:
            if before_attempt is not None:
                await before_attempt()
            if timeout_s is None:
                return await call(), attempt
            try:
                # asyncio.timeout: wait_for's semantics without wrapping the call in a new task
                async with asyncio.timeout(timeout_s):
                    return await call(), attempt
            except TimeoutError as exc:
                raise ProviderTimeout(f"no complete answer within {timeout_s:g} s "
                                      f"(the per-call timeout)") from exc
        except Exception as exc:  # noqa: BLE001 - the caller records it with the result
            if not _retryable(exc, is_retryable):
                raise RetryExhausted(exc, attempt) from exc
            throttled = is_throttle(exc) and policy.throttle_budget_s > 0
            if not throttled:
                failures += 1
            delay = policy.delay_s(attempt if not throttled else min(attempt, 7), exc)
            elapsed = time.monotonic() - started
            if (not throttled and failures >= policy.max_attempts) \
                    or (throttled and elapsed + delay > policy.throttle_budget_s):
                raise RetryExhausted(exc, attempt) from exc
            if on_retry is not None:
                on_retry(exc, delay)
            await asyncio.sleep(delay)
