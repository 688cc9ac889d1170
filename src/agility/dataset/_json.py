"""Strict JSON for dataset files: what Python's ``json`` lets through, refused with its field.

A dataset may come from anywhere (a pull request, an export of another tool), so each JSON
value read from a dataset file (a JSONL line, a JSON-encoded CSV or Parquet cell) is refused,
with the field that holds it, when it has:

- a key twice in one object (``json`` silently keeps the last one);
- ``NaN``, ``Infinity`` or a number too large for a float (not JSON; ``json`` accepts them, and
  they became ``null`` in hashes, so a frozen row could change unnoticed);
- an integer of more than 4,300 digits (Python refuses to convert it);
- a lone UTF-16 surrogate escape such as ``"\\ud800"`` (it cannot be written as UTF-8);
- objects and lists nested more than :data:`MAX_JSON_DEPTH` deep (deep nesting overflows the
  parser's and the serialiser's recursion).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["MAX_JSON_DEPTH", "JsonRefused", "loads_strict"]

#: the deepest nesting of objects and lists accepted in a dataset value
MAX_JSON_DEPTH = 64
#: Python's default limit on the digits of an integer read from text
MAX_INT_DIGITS = 4300

_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonRefused(ValueError):
    """A JSON value is well-formed but holds something a dataset may not hold.

    Attributes:
        field: where in the value (``metadata.scores[2]``), or None for the whole value.
        reason: what is wrong, in words.
    """

    def __init__(self, field: str | None, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}" if field else reason)


class _Marked:
    """Stands in for a value the parser met but a dataset may not hold."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _DuplicateKeys(dict[str, Any]):
    """An object that named a key more than once (``duplicates`` lists them)."""

    duplicates: list[str]


class _Hooks:
    """Parser hooks for one ``loads_strict`` call; ``flagged`` says whether to walk the value."""

    def __init__(self) -> None:
        self.flagged = False

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        data = dict(pairs)
        if len(data) == len(pairs):
            return data
        self.flagged = True
        seen: set[str] = set()
        marked = _DuplicateKeys(data)
        marked.duplicates = sorted({k for k, _ in pairs if k in seen or seen.add(k)})  # type: ignore[func-returns-value]
        return marked

    def constant(self, name: str) -> Any:
        self.flagged = True
        return _Marked(f"{name} is not a number JSON allows; write null if there is no value")

    def number(self, text: str) -> Any:
        value = float(text)
        if math.isfinite(value):
            return value
        self.flagged = True
        return _Marked(f"the number {text[:20]}{'...' if len(text) > 20 else ''} is too large "
                       f"for a float")

    def integer(self, text: str) -> Any:
        if len(text) - text.startswith("-") > MAX_INT_DIGITS:
            self.flagged = True
            return _Marked(f"an integer of {len(text.lstrip('-')):,} digits (more than "
                           f"{MAX_INT_DIGITS:,})")
        return int(text)


def _depth(text: str) -> int:
    """How deep objects and lists nest in ``text`` (brackets inside strings do not count)."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return 0  # cannot nest deeper than the number of openings
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub('""', text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _first_problem(value: Any, check_surrogates: bool) -> JsonRefused | None:
    """The first refused thing in ``value``, walking it without recursion."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, _Marked):
            return JsonRefused(where or None, item.reason)
        if isinstance(item, dict):
            if isinstance(item, _DuplicateKeys):
                key = item.duplicates[0]
                return JsonRefused(_path(where, key), f"the key {key!r} appears more than once "
                                                      f"in one object (JSON readers disagree on "
                                                      f"which value counts); give it once")
            for key, child in reversed(list(item.items())):
                if check_surrogates and _SURROGATE.search(key):
                    return JsonRefused(where or None, f"the key {key!r} holds a lone UTF-16 "
                                                      f"surrogate escape (not valid text)")
                stack.append((_path(where, key), child))
        elif isinstance(item, list):
            stack.extend((_path(where, i), child) for i, child in reversed(list(enumerate(item))))
        elif check_surrogates and isinstance(item, str) and _SURROGATE.search(item):
            return JsonRefused(where or None, "holds a lone UTF-16 surrogate escape such as "
                                              "\\ud800 (not valid text); remove it")
    return None


def loads_strict(text: str) -> Any:
    """Decode one JSON value, refusing what a dataset may not hold (see the module docstring).

    Args:
        text: the JSON text.

    Returns:
        The decoded value.

    Raises:
        json.JSONDecodeError: the text is not JSON.
        JsonRefused: the JSON holds a duplicate key, NaN/Infinity, a huge integer, a lone
            surrogate or too deep a nesting (``field`` says where).
    """
    deepest = _depth(text)
    if deepest > MAX_JSON_DEPTH:
        raise JsonRefused(None, f"objects and lists nested {deepest} levels deep (at most "
                                f"{MAX_JSON_DEPTH})")
    hooks = _Hooks()
    try:
        value = json.loads(text, object_pairs_hook=hooks.pairs, parse_constant=hooks.constant,
                           parse_float=hooks.number, parse_int=hooks.integer)
    except RecursionError:
        raise JsonRefused(None, f"objects and lists nested too deeply (at most "
                                f"{MAX_JSON_DEPTH})") from None
    surrogates = _SURROGATE_ESCAPE.search(text) is not None
    if hooks.flagged or surrogates:
        problem = _first_problem(value, surrogates)
        if problem is not None:
            raise problem
    return value
