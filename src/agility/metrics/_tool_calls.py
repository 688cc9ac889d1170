"""Tool-call metrics: did the answer call the expected tools, with the expected arguments?

The golden row says what it expects in ``metadata.expected_tool_calls``: a list of calls in
any form :class:`~agility.chat.ToolCall` accepts (``{name, arguments}``, OpenAI's
``{type: function, function: {name, arguments}}`` with arguments as a JSON string,
Anthropic's ``{type: tool_use, name, input}``); ``[]`` expects no tool to be called. The
answer's calls are those its system returned (``ResultRecord.tool_calls``); a result that did
not record them (a plain model call records none yet) cannot be scored, and says so.

- ``tool_calls``: each expected call matched by an answered call with the same name and
  equal arguments. Arguments are compared as JSON values, so the order of their keys never
  matters; ``arguments: equivalent`` (the default) also takes a number and a string holding
  the same number as equal (``42``, ``"42"``, ``"42.0"``, ``"1,000"`` = ``1000``) and ignores
  spaces around strings, ``arguments: exact`` does not. ``order: any`` (default) matches calls
  in any order, ``strict`` position by position. Score: matched calls over the larger of the
  expected and answered counts (an extra call costs as a missing one), or over the expected
  count with ``allow_extra: true``; passed when every call matched.
- ``tool_trajectory``: the sequence of tool names only. ``order: strict`` (default): the same
  names in the same order; ``any``: the same names as many times each. Score 1 or 0.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import ValidationError

from agility.chat import ToolCall
from agility.metrics._base import Metric, MetricInput, MetricResult, register_metric
from agility.metrics._options import MetricOptions

__all__ = ["ToolCallOptions", "ToolCallsMetric", "ToolTrajectoryMetric", "TrajectoryOptions",
           "same_arguments", "tool_calls_of"]

EXPECTED_KEY = "expected_tool_calls"
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


class ToolCallOptions(MetricOptions):
    """Options of ``tool_calls`` (see the module docstring)."""

    arguments: Literal["equivalent", "exact"] = "equivalent"
    order: Literal["any", "strict"] = "any"
    allow_extra: bool = False


class TrajectoryOptions(MetricOptions):
    """Options of ``tool_trajectory``: ``order: strict`` (default) or ``any``."""

    order: Literal["any", "strict"] = "strict"


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None  # true is not 1
    if isinstance(value, int | float):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    if isinstance(value, str):
        text = value.strip()
        if _GROUPED.fullmatch(text):
            text = text.replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _same(expected: Any, actual: Any, equivalent: bool) -> bool:
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            _same(expected[k], actual[k], equivalent) for k in expected)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            _same(e, a, equivalent) for e, a in zip(expected, actual, strict=True))
    if not equivalent:
        if isinstance(expected, str) or isinstance(actual, str):
            return isinstance(expected, str) and isinstance(actual, str) and expected == actual
        left, right = _number(expected), _number(actual)  # 1 and 1.0: one JSON number
        if left is not None and right is not None:
            return left == right
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, str) and isinstance(actual, str) and \
            expected.strip() == actual.strip():
        return True
    left, right = _number(expected), _number(actual)
    if left is not None and right is not None:
        return left == right
    return type(expected) is type(actual) and expected == actual


def same_arguments(expected: dict[str, Any], actual: dict[str, Any], *,
                   equivalent: bool = True) -> bool:
    """Whether two calls' arguments are equal (see the module docstring for ``equivalent``)."""
    return _same(expected, actual, equivalent)


def tool_calls_of(values: Any, where: str) -> list[ToolCall]:
    """Tool calls in any accepted form, as :class:`~agility.chat.ToolCall`.

    Raises:
        ValueError: ``values`` is not a list of tool calls (the message names ``where``).
    """
    if not isinstance(values, list):
        raise ValueError(f"{where} is not a list of tool calls")
    calls = []
    for i, value in enumerate(values):
        try:
            calls.append(ToolCall.model_validate(value))
        except ValidationError as exc:
            problem = exc.errors()[0]
            raise ValueError(f"{where}[{i}] is not a tool call: {problem['msg']}") from None
    return calls


def _both(item: MetricInput) -> tuple[list[ToolCall], list[ToolCall]] | MetricResult:
    if EXPECTED_KEY not in item.metadata:
        return MetricResult(error=f"cannot score: the example has no metadata.{EXPECTED_KEY}")
    if item.tool_calls is None:
        return MetricResult(error="cannot score: the answer's tool calls were not recorded "
                                  "(a system records them: return them as tool_calls)")
    try:
        expected = tool_calls_of(item.metadata[EXPECTED_KEY], f"metadata.{EXPECTED_KEY}")
        actual = tool_calls_of(item.tool_calls, "the answer's tool_calls")
    except ValueError as exc:
        return MetricResult(error=f"cannot score: {exc}")
    return expected, actual


def _show(call: ToolCall) -> str:
    return f"{call.name}({', '.join(f'{k}={v!r}' for k, v in call.arguments.items())})"


@register_metric("tool_calls")
class ToolCallsMetric(Metric):
    """Expected tool calls matched by name and arguments (see the module docstring)."""

    Options = ToolCallOptions
    options: ToolCallOptions
    requires = ()

    def score(self, item: MetricInput) -> MetricResult:
        """Score one answer's tool calls."""
        both = _both(item)
        if isinstance(both, MetricResult):
            return both
        expected, actual = both
        equivalent = self.options.arguments == "equivalent"

        def match(e: ToolCall, a: ToolCall) -> bool:
            return e.name == a.name and same_arguments(e.arguments, a.arguments,
                                                       equivalent=equivalent)

        missed: list[ToolCall] = []
        if self.options.order == "strict":
            matched = sum(1 for e, a in zip(expected, actual, strict=False) if match(e, a))
            missed = [e for i, e in enumerate(expected)
                      if i >= len(actual) or not match(e, actual[i])]
        else:
            free = list(actual)
            for e in expected:
                found = next((a for a in free if match(e, a)), None)
                if found is None:
                    missed.append(e)
                else:
                    free.remove(found)
            matched = len(expected) - len(missed)
        extra = max(0, len(actual) - matched)
        denominator = len(expected) if self.options.allow_extra else max(len(expected),
                                                                         len(actual))
        score = 1.0 if denominator == 0 else matched / denominator
        passed = not missed and (self.options.allow_extra or extra == 0)
        parts = [f"{matched} of {len(expected)} expected calls matched"]
        if missed:
            parts.append("missing or different: " + "; ".join(_show(c) for c in missed[:3]))
        if extra and not self.options.allow_extra:
            parts.append(f"{extra} call(s) not expected")
        return MetricResult(score=score, passed=passed, reason="; ".join(parts))


@register_metric("tool_trajectory")
class ToolTrajectoryMetric(Metric):
    """The sequence of tool names against the expected one (see the module docstring)."""

    Options = TrajectoryOptions
    options: TrajectoryOptions
    requires = ()

    def score(self, item: MetricInput) -> MetricResult:
        """Score one answer's trajectory."""
        both = _both(item)
        if isinstance(both, MetricResult):
            return both
        expected = [c.name for c in both[0]]
        actual = [c.name for c in both[1]]
        same = expected == actual if self.options.order == "strict" \
            else Counter(expected) == Counter(actual)
        reason = (f"called {' > '.join(actual) or 'no tool'}; expected "
                  f"{' > '.join(expected) or 'no tool'}"
                  + ("" if self.options.order == "strict" else " (any order)"))
        return MetricResult(score=float(same), passed=same, reason=reason)
