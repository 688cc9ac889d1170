"""``python:package.module:function``: the team's own code, called once per example.

The function takes the golden example and, when it has a second parameter, the candidate's
:class:`~agility.systems.SystemSettings`; it returns the answer (a string, ``{output,
contexts}`` or a :class:`~agility.systems.SystemAnswer`). An ``async def`` runs on the run's
event loop; a plain function runs in a worker thread (with the example's trace, so its spans
and its SDK calls are recorded; it calls the model with ``settings.generate_sync``).

The module is imported on first use, not when the run is set up: a module that cannot be
imported fails each example with the reason (the run goes on and the failures count against
the system, as any other failure would).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from pathlib import Path
from typing import Any

from agility.errors import SystemCallError
from agility.systems._base import System, SystemAnswer, SystemSettings, check_answer
from agility.trace import attach_to_global_provider, refresh_instrumentation

__all__ = ["PythonSystem", "load_target"]


def _agility_root() -> Path:
    import agility

    return Path(agility.__file__).resolve().parent


def load_target(system: str, target: str) -> Any:
    """Import ``package.module:attribute`` and return the attribute.

    A module named ``agility.*`` must resolve inside the installed agility package: agility's
    own code is trusted in plans, a look-alike on ``sys.path`` is not.

    Raises:
        SystemCallError: the module cannot be imported, or has no such attribute.
    """
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SystemCallError(system, f"cannot import {module_name}: {exc}. Check the module "
                                      f"path and that its package is installed") from exc
    except Exception as exc:  # noqa: BLE001 - the module's own code failed while importing
        raise SystemCallError(system, f"importing {module_name} failed: "
                                      f"{type(exc).__name__}: {exc}") from exc
    if module_name == "agility" or module_name.startswith("agility."):
        origin = Path(getattr(module, "__file__", "") or "").resolve()
        if not origin.is_relative_to(_agility_root()):
            raise SystemCallError(system, f"{module_name} resolves to {origin}, outside the "
                                          f"installed agility package")
    # a module that set up OpenTelemetry or imported an SDK: its calls are recorded from now on
    attach_to_global_provider()
    refresh_instrumentation()
    value: Any = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise SystemCallError(system, f"{module_name} has no attribute {attribute!r}")
        value = getattr(value, part)
    return value


def _takes_settings(func: Any) -> bool:
    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


class PythonSystem(System):
    """A Python callable (see the module docstring)."""

    kind = "python"

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self._func: Any = None
        self._with_settings = True

    def _load(self) -> Any:
        if self._func is None:
            func = load_target(self.name, self.spec.python or self.spec.langgraph or "")
            if not callable(func):
                raise SystemCallError(self.name, f"{self.spec.python} is not callable")
            self._with_settings = _takes_settings(func)
            self._func = func
        return self._func

    async def answer(self, example: Any, settings: SystemSettings) -> SystemAnswer:
        """Call the function on ``example`` (see the module docstring)."""
        func = self._load()
        args = (example, settings) if self._with_settings else (example,)
        if inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
                getattr(func, "__call__", None)):  # noqa: B004 - an async callable object
            value = await func(*args)
        else:
            value = await asyncio.to_thread(func, *args)  # copies the context: spans recorded
            if inspect.isawaitable(value):
                value = await value
        return check_answer(self.name, value)
