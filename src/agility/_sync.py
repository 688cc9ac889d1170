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

__all__ = ["run_sync"]

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


def _run_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on a new event loop (uvloop's when installed)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)
