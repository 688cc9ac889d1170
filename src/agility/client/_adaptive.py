"""Adaptive concurrency: back off when the provider throttles, grow back while it answers.

Additive increase, multiplicative decrease, as TCP does: each throttle halves the number of
calls allowed in flight (at most once per ``cooldown_s``, so one burst of 429s is one cut), and
every ``limit`` successes add one back, up to the configured maximum.
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType

__all__ = ["AdaptiveConcurrency"]


class AdaptiveConcurrency:
    """A concurrency gate whose limit moves between 1 and ``maximum``.

    Use ``async with gate:`` around each attempt; report outcomes with :meth:`throttled` and
    :meth:`succeeded`.
    """

    def __init__(self, maximum: int, *, cooldown_s: float = 1.0) -> None:
        if maximum < 1:
            raise ValueError("maximum must be at least 1")
        self.maximum = maximum
        self.limit = float(maximum)
        self.lowest = maximum
        self.cooldown_s = cooldown_s
        self.in_flight = 0
        self.cuts = 0
        self._last_cut = float("-inf")
        self._changed = asyncio.Condition()

    @property
    def current(self) -> int:
        """Calls allowed in flight now."""
        return max(1, int(self.limit))

    async def __aenter__(self) -> AdaptiveConcurrency:
        async with self._changed:
            await self._changed.wait_for(lambda: self.in_flight < self.current)
            self.in_flight += 1
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        async with self._changed:
            self.in_flight -= 1
            self._changed.notify_all()

    def throttled(self) -> None:
        """The provider said slow down: halve the limit (once per cool-down)."""
        now = time.monotonic()
        if now - self._last_cut < self.cooldown_s:
            return
        self._last_cut = now
        self.limit = max(1.0, self.limit / 2)
        self.lowest = min(self.lowest, self.current)
        self.cuts += 1

    def succeeded(self) -> None:
        """A call was answered: creep back towards the maximum (one per ``limit`` answers).

        Call it inside the ``async with`` block: leaving the block wakes the waiters, who then
        see the raised limit.
        """
        if self.limit < self.maximum:
            self.limit = min(float(self.maximum), self.limit + 1.0 / self.limit)
