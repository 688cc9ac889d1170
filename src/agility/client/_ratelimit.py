"""Client-side rate limits: token buckets for requests per minute and tokens per minute.

Each bucket holds at most one second's worth of its rate (at least one request, or one
request's tokens), so calls are spread evenly rather than sent in a burst that the provider
would throttle. Tokens are estimated from the prompt before a call and corrected by the
provider's usage after it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from agility.chat import Message

__all__ = ["RateLimit", "RateLimiter", "estimate_tokens"]


@dataclass(frozen=True)
class RateLimit:
    """A provider's limits. ``None`` means unlimited.

    Args:
        rpm: requests per minute.
        tpm: tokens (input + output) per minute.
    """

    rpm: float | None = None
    tpm: float | None = None

    def __post_init__(self) -> None:
        for label, value in (("rpm", self.rpm), ("tpm", self.tpm)):
            if value is not None and value <= 0:
                raise ValueError(f"{label} must be > 0")


def estimate_tokens(messages: Sequence[Message], max_tokens: int | None) -> int:
    """A cheap upper-ish estimate of a call's tokens: ~4 characters a token, plus the output cap."""
    chars = sum(len(m.content) for m in messages)
    return chars // 4 + 4 * len(messages) + (max_tokens or 256)


class _Bucket:
    def __init__(self, per_minute: float) -> None:
        self.rate_per_s = per_minute / 60.0
        self.capacity = max(1.0, self.rate_per_s)
        self.level = self.capacity
        self.stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate_per_s)
        self.stamp = now

    def wait_s(self, amount: float) -> float:
        """Seconds until ``amount`` can be taken (a request larger than the bucket waits for a
        full bucket and then leaves it in debt)."""
        self._refill()
        need = min(amount, self.capacity)
        return 0.0 if self.level >= need else (need - self.level) / self.rate_per_s

    def take(self, amount: float) -> None:
        self._refill()
        self.level -= amount

    def give_back(self, amount: float) -> None:
        self._refill()
        self.level = min(self.capacity, self.level + amount)


class RateLimiter:
    """Enforces a :class:`RateLimit` across the concurrent calls of one provider."""

    def __init__(self, limit: RateLimit | None) -> None:
        self.requests = _Bucket(limit.rpm) if limit and limit.rpm else None
        self.tokens = _Bucket(limit.tpm) if limit and limit.tpm else None
        self._lock = asyncio.Lock()

    @property
    def active(self) -> bool:
        return self.requests is not None or self.tokens is not None

    async def acquire(self, estimated_tokens: int) -> None:
        """Wait until one request of about ``estimated_tokens`` tokens may be sent."""
        if not self.active:
            return
        # one waiter at a time keeps the order fair (first come, first served)
        async with self._lock:
            while True:
                wait = max(b.wait_s(a) for b, a in ((self.requests, 1), (self.tokens,
                           estimated_tokens)) if b is not None)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            if self.requests is not None:
                self.requests.take(1)
            if self.tokens is not None:
                self.tokens.take(estimated_tokens)

    def correct(self, estimated_tokens: int, actual_tokens: int | None) -> None:
        """Replace a call's estimate by the tokens the provider reported."""
        if self.tokens is None or actual_tokens is None:
            return
        diff = estimated_tokens - actual_tokens
        if diff > 0:
            self.tokens.give_back(diff)
        else:
            self.tokens.take(-diff)
