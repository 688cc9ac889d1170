"""Running coroutines from synchronous code (``agility._sync``): a new loop per call, or one
loop kept in a thread of its own from call to call (a Ray worker's shards)."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest

from agility._sync import LoopThread, run_sync


async def _loop_and_thread() -> tuple[asyncio.AbstractEventLoop, int]:
    import threading

    return asyncio.get_running_loop(), threading.get_ident()


def test_a_loop_thread_keeps_one_loop_from_call_to_call_and_closes_it() -> None:
    runner = LoopThread()
    try:
        first, thread = runner.run(_loop_and_thread())
        queue: asyncio.Queue[int] = runner.run(_make_queue())
        runner.run(queue.put(7))  # what one call opened is usable by the next
        assert runner.run(queue.get()) == 7
        again, same_thread = runner.run(_loop_and_thread())
        assert again is first and same_thread == thread
        if importlib.util.find_spec("uvloop") is not None:
            assert type(first).__module__.startswith("uvloop")
    finally:
        runner.close()
    assert first.is_closed()


async def _make_queue() -> asyncio.Queue[int]:
    return asyncio.Queue()


async def test_a_loop_thread_runs_from_code_inside_a_running_loop() -> None:
    # a Ray actor's thread runs a loop of Ray's: the worker's own loop must still run
    runner = LoopThread()
    try:
        loop, _ = runner.run(_loop_and_thread())
        assert loop is not asyncio.get_running_loop()
        assert run_sync(_answer()) == 42
    finally:
        runner.close()


async def _answer() -> int:
    return 42


def test_an_error_in_the_coroutine_reaches_the_caller() -> None:
    runner = LoopThread()
    try:
        with pytest.raises(ValueError, match="boom"):
            runner.run(_fail())
        assert runner.run(_answer()) == 42  # the loop survives it
    finally:
        runner.close()


async def _fail() -> None:
    raise ValueError("boom")
