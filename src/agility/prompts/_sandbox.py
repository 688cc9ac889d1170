"""The Jinja2 sandbox prompt templates render in, with bounds on work and size.

Jinja's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` stops a template from reaching
Python internals, but not from asking for a 300 MB prompt (``{{ "x" * 300000000 }}``), a
billion loop iterations or an exponential macro. A template may come from a pull request, so
one render here has a budget (:class:`RenderLimits`):

- **steps**: loop iterations, calls (macros included), filters and intercepted operators;
- **characters produced**: every string or list that a step builds counts, so what a template
  can hold in memory is bounded too; operations that can multiply a size (``*``, ``**``,
  ``%``, ``center``, ``indent``, ``join``, ``replace``, ``str.ljust``, ``str.format`` ...) are
  checked *before* they allocate;
- **output**: the characters one message renders to;
- **time**: a deadline checked at every step.

Loops and ``~`` concatenations are wrapped by a rewrite of the parsed template, so they count
even when no function is called. Going past a limit raises :class:`RenderLimitExceeded`, which
the template turns into one ``ConfigError`` line naming the file and message.
"""

from __future__ import annotations

import contextvars
import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

__all__ = ["RenderLimitExceeded", "RenderLimits", "bounded_environment", "render_bounded"]

_LOOP_FILTER = "_agility_loop"
_SIZED_FILTER = "_agility_sized"
#: the largest integer (in bits) a template may build with ``*`` or ``**``
_MAX_INT_BITS = 100_000
#: printf-style (``%5s``, ``%*d``) and str.format (``{:>20}``) width and precision numbers
_PRINTF_SPEC = re.compile(r"%[#0\- +]*(\*|\d*)(?:\.(\*|\d*))?")
_FORMAT_SPEC = re.compile(r"\{[^{}]*?:[^{}]*?(\d+)(?:\.(\d+))?[^{}]*\}")


class RenderLimitExceeded(Exception):
    """A render went past one of its :class:`RenderLimits`."""


@dataclass(frozen=True)
class RenderLimits:
    """What one message of a template may cost to render.

    Attributes:
        max_steps: loop iterations, calls, filters and operators, in all.
        max_chars_produced: characters of every string (and items of every list) built.
        max_output_chars: characters of the rendered message.
        max_seconds: wall time.
    """

    max_steps: int = 250_000
    max_chars_produced: int = 32_000_000
    max_output_chars: int = 8_000_000
    max_seconds: float = 5.0


class _Budget:
    """What is left of one render's limits."""

    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self.steps_left = limits.max_steps
        self.chars_left = limits.max_chars_produced
        self.deadline = time.monotonic() + limits.max_seconds

    def step(self) -> None:
        self.steps_left -= 1
        if self.steps_left < 0:
            raise RenderLimitExceeded(f"more than {self.limits.max_steps:,} steps (loop "
                                      f"iterations, calls, filters)")
        if self.steps_left % 64 == 0 and time.monotonic() > self.deadline:
            raise RenderLimitExceeded(f"more than {self.limits.max_seconds:g} s")

    def allow(self, chars: int) -> None:
        """Refuse, before allocating, a value of ``chars`` characters the budget cannot hold."""
        if chars > self.chars_left:
            raise RenderLimitExceeded(f"a value of {chars:,} characters (more than the "
                                      f"{self.limits.max_chars_produced:,} a render may build)")

    def charge(self, value: Any) -> Any:
        if isinstance(value, (str, bytes, list, tuple)):
            self.allow(len(value))
            self.chars_left -= len(value)
        return value


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("_agility_budget",
                                                                        default=None)


def _budget() -> _Budget:
    # outside a render (Jinja folding constants at compile time) each check gets a fresh budget
    return _BUDGET.get() or _Budget(RenderLimits())


def _length(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else 0


def _as_int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _printf_need(fmt: str, args: Any) -> int:
    need = len(fmt)
    for width, precision in _PRINTF_SPEC.findall(fmt):
        if "*" in (width, precision):
            raise RenderLimitExceeded("'*' widths in % formatting are not allowed in templates")
        need += int(width or 0) + int(precision or 0)
    values = args if isinstance(args, tuple) else (args,)
    return need + sum(_length(v) for v in values)


def _format_need(fmt: str, args: Iterable[Any]) -> int:
    need = len(fmt) + sum(_length(v) for v in args)
    for width, precision in _FORMAT_SPEC.findall(fmt):
        need += int(width or 0) + int(precision or 0)
    return need


def _str_method_need(text: str, name: str, args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> int | None:
    """Characters a call of ``text.<name>(...)`` may build, for the methods that multiply."""
    first = args[0] if args else None
    if name in ("ljust", "rjust", "center", "zfill"):
        return max(len(text), _as_int(first))
    if name == "expandtabs":
        return len(text) + text.count("\t") * _as_int(first if args else kwargs.get("tabsize"), 8)
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str):
        hits = text.count(args[0]) if args[0] else len(text) + 1
        return len(text) + hits * _length(args[1])
    if name == "translate" and isinstance(first, dict):
        widest = max((_length(v) for v in first.values()), default=1)
        return len(text) * max(widest, 1)
    if name in ("format", "format_map"):
        values = list(args) + list(kwargs.values())
        if name == "format_map" and isinstance(first, dict):
            values = list(first.values())
        return _format_need(text, values)
    return None


def _materialise(args: tuple[Any, ...], index: int) -> tuple[Any, ...]:
    """``args`` with the iterable at ``index`` turned into a list (to measure it)."""
    if len(args) <= index or isinstance(args[index], (str, list, tuple)):
        return args
    items = args[index]
    if isinstance(items, dict):
        return args
    budget = _budget()
    collected = []
    for item in items:
        budget.step()
        collected.append(item)
    return (*args[:index], collected, *args[index + 1:])


def _join_need(items: Any, separator: Any) -> int:
    if not isinstance(items, (list, tuple, str)):
        return 0
    parts = [_length(x) if isinstance(x, str) else len(repr(x)) for x in items]
    return sum(parts) + _length(separator) * max(len(parts) - 1, 0)


def _filter_need(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """Characters a filter may build, for the filters that multiply a size."""
    first = args[0] if args else None
    text = value if isinstance(value, str) else ""
    if name == "center":
        return max(_length(value), _as_int(first if args else kwargs.get("width"), 80))
    if name == "indent":
        width = first if args else kwargs.get("width", 4)
        step = _length(width) if isinstance(width, str) else _as_int(width, 4)
        return len(text) + (text.count("\n") + 1) * step
    if name == "wordwrap":
        wrap = kwargs.get("wrapstring") or (args[2] if len(args) > 2 else None) or "\n"
        return len(text) + (len(text) + 1) * _length(wrap)
    if name == "format" and isinstance(value, str):
        return _printf_need(value, args or tuple(kwargs.values()))
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str):
        hits = text.count(args[0]) if args[0] else len(text) + 1
        return len(text) + hits * _length(args[1])
    if name == "join":
        return _join_need(value, first if args else kwargs.get("d", ""))
    if name in ("batch", "slice"):
        return _as_int(first)
    return 0


def _wrap_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    # filters marked pass_context/pass_environment/pass_eval_context get that first
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.step()
        if len(args) > skip:
            if name == "join":
                args = _materialise(args, skip)
            budget.allow(_filter_need(name, args[skip], args[skip + 1:], kwargs))
        return budget.charge(func(*args, **kwargs))

    return bounded


def _loop(items: Any) -> Iterator[Any]:
    budget = _budget()
    for item in items:
        budget.step()
        yield item


def _sized(value: Any) -> Any:
    budget = _budget()
    budget.step()
    return budget.charge(value)


class _CountLoopsAndConcats(NodeTransformer):
    """Route every ``for`` iterable, ``~`` concatenation and ``{% set %}`` block through the
    budget filters."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, _LOOP_FILTER, [], [], None, None,
                                 lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(node, _SIZED_FILTER, [], [], None, None, lineno=node.lineno)

    def visit_AssignBlock(self, node: nodes.AssignBlock) -> nodes.Node:
        self.generic_visit(node)
        node.filter = nodes.Filter(node.filter, _SIZED_FILTER, [], [], None, None,
                                   lineno=node.lineno)
        return node


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with every step counted against the current render's budget."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.pop("lipsum", None)  # lipsum(n) builds n paragraphs of text
        self.filters = {name: _wrap_filter(name, f) for name, f in self.filters.items()}
        self.filters[_LOOP_FILTER] = _loop
        self.filters[_SIZED_FILTER] = _sized

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        result: nodes.Template = _CountLoopsAndConcats().visit(tree)
        result.set_environment(self)
        return result

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        budget = _budget()
        budget.step()
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (str, bytes, list, tuple)) and isinstance(count, int):
                    budget.allow(len(seq) * max(count, 0))
            if isinstance(left, int) and isinstance(right, int):
                self._int_bits(left.bit_length() + right.bit_length())
        elif operator == "**" and isinstance(left, int) and isinstance(right, int):
            if abs(left) > 1 and right > 0:
                self._int_bits(right * left.bit_length())
        elif operator == "+":
            budget.allow(_length(left) + _length(right))
        elif operator == "%" and isinstance(left, str):
            budget.allow(_printf_need(left, right))
        return budget.charge(super().call_binop(context, operator, left, right))

    @staticmethod
    def _int_bits(bits: int) -> None:
        if bits > _MAX_INT_BITS:
            raise RenderLimitExceeded(f"an integer of about {bits:,} bits (more than "
                                      f"{_MAX_INT_BITS:,})")

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.step()
        # the sandbox hands out str.format wrapped; the wrapper keeps the bound method
        method = getattr(obj, "__wrapped__", obj)
        owner = getattr(method, "__self__", None)
        if isinstance(owner, str):
            name = getattr(method, "__name__", "")
            if name == "join":
                args = _materialise(args, 0)
                need: int | None = _join_need(args[0] if args else (), owner)
            else:
                need = _str_method_need(owner, name, args, kwargs)
            if need is not None:
                budget.allow(need)
        return budget.charge(super().call(context, obj, *args, **kwargs))


def bounded_environment(**options: Any) -> ImmutableSandboxedEnvironment:
    """A new immutable sandbox whose templates count their work (see the module docstring)."""
    return _BoundedSandbox(**options)


def render_bounded(template: Any, variables: dict[str, Any],
                   limits: RenderLimits | None = None) -> str:
    """Render a template compiled by :func:`bounded_environment` within ``limits``.

    Raises:
        RenderLimitExceeded: the render went past a limit.
        jinja2.TemplateError, or any exception the template's own code raised.
    """
    budget = _Budget(limits or RenderLimits())
    token = _BUDGET.set(budget)
    try:
        size = 0
        chunks = []
        for chunk in template.generate(variables):
            size += len(chunk)
            if size > budget.limits.max_output_chars:
                raise RenderLimitExceeded(f"a message longer than "
                                          f"{budget.limits.max_output_chars:,} characters")
            chunks.append(chunk)
        return "".join(chunks)
    finally:
        _BUDGET.reset(token)
