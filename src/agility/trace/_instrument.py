"""Wire-level instrumentation of the official SDKs while a system runs (see :func:`instrumented`).

Filled in by the SDK patchers below; each patcher installs itself once per process while at
least one run is instrumenting, and records a call only inside an example's trace.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["instrumented"]

_lock = threading.Lock()
_users = 0
_undo: list[Callable[[], None]] = []


def _install() -> list[Callable[[], None]]:
    return []


@contextmanager
def instrumented() -> Iterator[None]:
    """Instrument the official OpenAI, Anthropic and boto3 clients for the block (nested and
    concurrent blocks share one installation, removed when the last one ends)."""
    global _users, _undo
    with _lock:
        if _users == 0:
            _undo = _install()
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                for undo in reversed(_undo):
                    undo()
                _undo = []
