"""The runner's one retry policy: what is retried, how long to wait, and the per-call timeout.

Exponential backoff with full jitter (a random wait between 0 and ``base * 2**n``, capped), never
shorter than a provider's ``Retry-After``. Auth errors and errors the provider calls
non-retryable are never retried. A call that exceeds its timeout is cancelled and retried.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from agility.errors import ProviderAuthError, ProviderTimeout

__all__ = ["RetryExhausted", "RetryPolicy", "call_with_retry"]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How failed calls are retried.

    Args:
        max_attempts: calls per example at most (1 = never retry).
        base_delay_s: the backoff before the second attempt (doubles each time).
        max_delay_s: cap of the backoff (a provider's Retry-After may exceed it).
        jitter: full jitter (wait a random time up to the backoff) to spread retries out.
    """

    max_attempts: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("retry delays must be >= 0")

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
    return is_retryable(exc)


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
            if attempt >= policy.max_attempts or not _retryable(exc, is_retryable):
                raise RetryExhausted(exc, attempt) from exc
            delay = policy.delay_s(attempt, exc)
            if on_retry is not None:
                on_retry(exc, delay)
            await asyncio.sleep(delay)
