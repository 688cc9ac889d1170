"""Wire-level instrumentation of the official SDKs while a system runs (see :func:`instrumented`).

The runner holds :func:`instrumented` open around a system's run. While it is, calls made
through the official OpenAI SDK (``chat.completions.create``) and Anthropic SDK
(``messages.create`` and the ``messages.stream()`` helper), sync and async, streamed or not,
and Bedrock's ``converse``, ``converse_stream``, ``invoke_model`` and
``invoke_model_with_response_stream`` through boto3, inside an example are recorded as ``llm``
spans
(:mod:`agility.trace._sdk_openai`, :mod:`agility.trace._sdk_anthropic`,
:mod:`agility.trace._sdk_boto3`), once:
agility's own client stands aside (:func:`~agility.trace.agility_call`). An SDK is patched
only once it has been imported by someone (agility never imports it for this): at the start
of the block, and again whenever :func:`refresh_instrumentation` runs (the runner calls it
after a system's module is imported, and as each example starts).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["instrumented", "refresh_instrumentation"]

_lock = threading.Lock()
_users = 0
_undo: list[Callable[[], None]] = []
_patched: set[str] = set()


def _patchers() -> dict[str, Callable[[Any], Callable[[], None]]]:
    from agility.trace._sdk_anthropic import patch_anthropic
    from agility.trace._sdk_boto3 import patch_botocore
    from agility.trace._sdk_openai import patch_openai

    return {"openai": patch_openai, "anthropic": patch_anthropic, "botocore": patch_botocore}


def _install_new() -> None:
    """Patch the SDKs imported since the last look (under ``_lock``)."""
    for name, patch in _patchers().items():
        module = sys.modules.get(name)
        if module is not None and name not in _patched:
            try:
                _undo.append(patch(module))
            except (ImportError, AttributeError):
                continue  # an SDK version laid out otherwise: its calls are not recorded
            _patched.add(name)


def refresh_instrumentation() -> None:
    """Patch the SDKs imported since the instrumentation started (cheap when none is new;
    does nothing outside :func:`instrumented`)."""
    if _users == 0 or all(name in _patched or name not in sys.modules
                          for name in ("openai", "anthropic", "botocore")):
        return
    with _lock:
        if _users > 0:
            _install_new()


@contextmanager
def instrumented() -> Iterator[None]:
    """Hold the SDK instrumentation for the block (nested and concurrent blocks share one
    installation, removed when the last one ends)."""
    global _users, _undo
    with _lock:
        if _users == 0:
            _undo = []
            _patched.clear()
            _install_new()
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
                _patched.clear()
