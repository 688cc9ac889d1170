"""Run a coroutine from synchronous code, whether or not an event loop is already running.

The library is async first; its synchronous wrappers (``run_model``, ``score_run``,
``Metric.score``) call :func:`run_sync`. Outside an event loop it runs the coroutine on a new
loop in this thread. Inside one (a notebook, a web handler, an ``async def`` test) a second
loop cannot run in the same thread, so the coroutine runs on a new loop in a worker thread
while this thread waits for it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["LoopThread", "new_runner", "run_sync"]

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion and return its result (or raise its exception).

    Uses uvloop's event loop when uvloop is installed (less CPU per call; see
    ``benchmarks/README.md``).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_loop(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_run_loop, coro).result()


def new_runner() -> asyncio.Runner:
    """An :class:`asyncio.Runner` on a new event loop (uvloop's when installed), to run
    several coroutines on one loop in turn (a Ray worker's shards share its clients)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


class LoopThread:
    """One event loop (uvloop's when installed) in a thread of its own, kept from call to
    call: synchronous code runs coroutines on it in turn, whether or not its own thread runs
    a loop (a Ray actor's does), and what they open (a client's connections) stays usable."""

    def __init__(self) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="agility-loop")
        self._runner = new_runner()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and return its result (or raise its exception)."""
        return self._pool.submit(self._runner.run, coro).result()

    def close(self) -> None:
        """Close the loop and end its thread."""
        try:
            self._pool.submit(self._runner.close).result()
        finally:
            self._pool.shutdown()


def _run_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on a new event loop (uvloop's when installed)."""
    with new_runner() as runner:
        return runner.run(coro)
