"""Interleaved runs: two (or more) runs' calls start in strict rotation, A B B A A B ...

A source and a target benchmarked one after the other on a shared machine see different loads,
and load drift then reads as a latency regression. Run together through a :class:`Turnstile`,
each call of one side is followed by a call of the other, so drift hits both alike; every other
round runs the other way (A B, then B A), so neither side always follows the other (and gets
what it left warm, such as a shared model's prompt cache). A side that has nothing left to call
leaves the rotation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from agility.store import utc_now

__all__ = ["Turnstile"]


class Turnstile:
    """Strict rotation of call starts between ``sides`` runs.

    Args:
        sides: how many runs take turns.
        names: the runs' names, in side order (each run records which runs it was interleaved
            with, and until when: see :mod:`agility.runner._timing`).
    """

    def __init__(self, sides: int, names: Sequence[str] | None = None) -> None:
        if sides < 1:
            raise ValueError("a turnstile needs at least one side")
        if names is not None and len(names) != sides:
            raise ValueError("a turnstile needs one name per side")
        self._order = list(range(sides))
        self._turn = 0
        self._changed = asyncio.Condition()
        self.starts: list[int] = []  # the order calls started in (for the record and tests)
        self.names = list(names) if names is not None else [f"side {i}" for i in range(sides)]
        #: when each side left the rotation (store timestamps), by side
        self.left_at: dict[int, str] = {}
        #: whether the latest call start was made in turn: every side was in the rotation at
        #: it or at the start before it (a side leaves only once its calls have finished, so
        #: the other side's start right after the leaver's last one still followed it)
        self.last_start_in_turn = True
        self._full_at_last_start = True

    def partners(self, side: int) -> tuple[list[str], str | None]:
        """The other sides' names, and the earliest time one of them left (None: none has)."""
        others = [i for i in range(len(self.names)) if i != side]
        left = [self.left_at[i] for i in others if i in self.left_at]
        return [self.names[i] for i in others], min(left) if left else None

    async def enter(self, side: int) -> None:
        """Wait for ``side``'s turn to start a call, then pass the turn on."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._current() == side)
            full = len(self._order) == len(self.names)
            self.last_start_in_turn = full or self._full_at_last_start
            self._full_at_last_start = full
            self.starts.append(side)
            self._turn += 1
            self._changed.notify_all()

    async def leave(self, side: int) -> None:
        """``side`` will start no more calls: the others go on without it."""
        async with self._changed:
            self.left_at.setdefault(side, utc_now())
            if side in self._order:
                current = self._current()
                self._order.remove(side)
                if self._order:
                    # keep the turn with the side that had it, or the one after the leaver
                    # (restarting at a forward round)
                    if current == side or current is None:
                        self._turn %= len(self._order)
                    else:
                        self._turn = self._order.index(current)
            self._changed.notify_all()

    def _current(self) -> int | None:
        if not self._order:
            return None
        # every other round goes the other way (A B, B A, A B ...): no side is always the one
        # that follows the other, which would hand it whatever the other left warm (a shared
        # model's prompt cache)
        size = len(self._order)
        position = self._turn % size
        if (self._turn // size) % 2:
            position = size - 1 - position
        return self._order[position]
