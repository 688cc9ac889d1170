"""Wire-level instrumentation of the official SDKs while a system runs (see :func:`instrumented`).

The runner holds :func:`instrumented` open around a system's run; no SDK patcher is installed
yet (:func:`_install` returns none), so calls made through the official OpenAI, Anthropic and
boto3 clients are not recorded as spans. They are when made through agility's client.
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
    """Hold the SDK instrumentation for the block (nested and concurrent blocks share one
    installation, removed when the last one ends). No SDK is patched yet: see the module."""
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
