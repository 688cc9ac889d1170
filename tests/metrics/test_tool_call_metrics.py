"""Tool-call metrics on hand-made cases: argument order, numeric strings, the usual wire forms,
strict and any order, extra and missing calls, and what cannot be scored."""

from __future__ import annotations

from typing import Any

import pytest

from agility.errors import OptionsError
from agility.metrics import MetricInput, get_metric

WEATHER = {"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}
FX = {"name": "convert", "arguments": {"amount": 1000, "from": "USD", "to": "EUR"}}


def _item(expected: Any, actual: Any) -> MetricInput:
    metadata = {} if expected is None else {"expected_tool_calls": expected}
    return MetricInput(example_id="e1", output="done", metadata=metadata, tool_calls=actual)


def _score(metric: str, expected: Any, actual: Any, **options: Any) -> tuple[float | None,
                                                                           bool | None]:
    result = get_metric(metric, options).score(_item(expected, actual))
    assert result.error is None, result.error
    return result.score, result.passed


def test_argument_order_never_matters() -> None:
    # the same object with its keys in another order, once as a JSON string (OpenAI's form)
    answered = [{"type": "function", "function": {
        "name": "convert", "arguments": '{"to": "EUR", "from": "USD", "amount": 1000}'}}]
    assert _score("tool_calls", [FX], answered) == (1.0, True)
    assert _score("tool_calls", [FX], answered, arguments="exact") == (1.0, True)


@pytest.mark.parametrize("amount", ["1000", " 1000 ", "1000.0", "1,000", 1000.0, "1e3"])
def test_a_numeric_string_equals_its_number(amount: Any) -> None:
    answered = [{"name": "convert", "arguments": {**FX["arguments"], "amount": amount}}]
    assert _score("tool_calls", [FX], answered) == (1.0, True)


@pytest.mark.parametrize("amount", ["1000", "1,000", "1000.0"])
def test_exact_arguments_keep_strings_and_numbers_apart(amount: Any) -> None:
    answered = [{"name": "convert", "arguments": {**FX["arguments"], "amount": amount}}]
    assert _score("tool_calls", [FX], answered, arguments="exact") == (0.0, False)
    # but 1000 and 1000.0 are one JSON number
    same = [{"name": "convert", "arguments": {**FX["arguments"], "amount": 1000.0}}]
    assert _score("tool_calls", [FX], same, arguments="exact") == (1.0, True)


@pytest.mark.parametrize("amount", ["1001", "1,00", "one thousand", True, None, [1000]])
def test_a_different_value_does_not_match(amount: Any) -> None:
    answered = [{"name": "convert", "arguments": {**FX["arguments"], "amount": amount}}]
    assert _score("tool_calls", [FX], answered) == (0.0, False)


def test_a_missing_or_extra_argument_does_not_match() -> None:
    missing = [{"name": "get_weather", "arguments": {"city": "Paris"}}]
    extra = [{"name": "get_weather", "arguments": {"city": "Paris", "days": 3, "units": "C"}}]
    assert _score("tool_calls", [WEATHER], missing) == (0.0, False)
    assert _score("tool_calls", [WEATHER], extra) == (0.0, False)


def test_anthropic_tool_use_blocks_are_read() -> None:
    answered = [{"type": "tool_use", "id": "toolu_1", "name": "get_weather",
                 "input": {"days": "3", "city": "Paris "}}]
    assert _score("tool_calls", [WEATHER], answered) == (1.0, True)


def test_order_any_and_strict() -> None:
    swapped = [FX, WEATHER]
    assert _score("tool_calls", [WEATHER, FX], swapped) == (1.0, True)
    assert _score("tool_calls", [WEATHER, FX], swapped, order="strict") == (0.0, False)
    assert _score("tool_trajectory", [WEATHER, FX], swapped) == (0.0, False)
    assert _score("tool_trajectory", [WEATHER, FX], swapped, order="any") == (1.0, True)


def test_extra_and_missing_calls_cost_a_share() -> None:
    assert _score("tool_calls", [WEATHER], [WEATHER, FX]) == (0.5, False)
    assert _score("tool_calls", [WEATHER], [WEATHER, FX], allow_extra=True) == (1.0, True)
    assert _score("tool_calls", [WEATHER, FX], [FX]) == (0.5, False)
    # the same call twice is two calls
    assert _score("tool_calls", [WEATHER], [WEATHER, WEATHER]) == (0.5, False)
    assert _score("tool_trajectory", [WEATHER], [WEATHER, WEATHER], order="any") == (0.0, False)


def test_expecting_no_tool() -> None:
    assert _score("tool_calls", [], []) == (1.0, True)
    assert _score("tool_calls", [], [WEATHER]) == (0.0, False)
    assert _score("tool_trajectory", [], []) == (1.0, True)


@pytest.mark.parametrize(("expected", "actual", "says"), [
    (None, [WEATHER], "no metadata.expected_tool_calls"),
    ([WEATHER], None, "tool calls were not recorded"),
    ([{"arguments": {}}], [WEATHER], "metadata.expected_tool_calls[0] is not a tool call"),
    ([WEATHER], [{"name": "x", "arguments": "{not json"}], "the answer's tool_calls[0]"),
    ("get_weather", [WEATHER], "is not a list of tool calls"),
])
def test_what_cannot_be_scored_says_why(expected: Any, actual: Any, says: str) -> None:
    for metric in ("tool_calls", "tool_trajectory"):
        result = get_metric(metric).score(_item(expected, actual))
        assert result.score is None and result.error is not None
        assert says in result.error


def test_an_option_typo_is_an_error() -> None:
    with pytest.raises(OptionsError):
        get_metric("tool_calls", {"argument": "exact"})
    with pytest.raises(OptionsError):
        get_metric("tool_trajectory", {"order": "sorted"})
