"""YAML configuration files validated by pydantic, with errors that name file, line and field.

Plans, sign-off criteria and prompt templates are all YAML read into a pydantic model; this module
holds what they share so that every config error reads the same way::

    plan.yaml:14: target.config.max_tokens: Input should be greater than or equal to 1
"""

from __future__ import annotations

from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from agility.errors import ConfigError

__all__ = ["child_node", "line_of", "load_yaml", "validate_yaml"]

M = TypeVar("M", bound=BaseModel)


def load_yaml(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """Parse ``text`` into plain data and its node tree (for line numbers).

    Raises:
        ConfigError: the text is not valid YAML (names the line).
    """
    try:
        return yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise ConfigError(f"{where}: -: not valid YAML ({getattr(exc, 'problem', None) or exc}). "
                          f"Fix the syntax and run again.") from exc


def child_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node under ``key`` of a mapping node, or None."""
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if getattr(k, "value", None) == key), None)
    return None


def line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the value at ``loc`` (or of its closest existing parent; for an
    unknown key, the key itself)."""
    line = None if node is None else node.start_mark.line + 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = child_node(node, key)
            if match is None:
                match = next((k for k, _ in node.value if getattr(k, "value", None) == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            match = node.value[key]
        else:
            match = None
        if match is None:
            break
        node, line = match, match.start_mark.line + 1
    return line


def _message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown field (check the spelling)"
    if err["type"] == "missing":
        return "required field is missing"
    if err["type"] == "string_pattern_mismatch":
        return "use only letters, digits, '.', '_' and '-' (no spaces or slashes)"
    return str(err["msg"]).removeprefix("Value error, ")


def validate_yaml(data: Any, node: yaml.Node | None, model: type[M], source: str,
                  what: str, prefix: tuple[Any, ...] = ()) -> M:
    """Validate ``data`` as ``model``; every problem is listed as ``file:line: field: message``.

    Args:
        data: the parsed YAML (a mapping).
        node: the node tree of the same YAML, for line numbers.
        model: the pydantic model to validate against.
        source: the file name used in messages.
        what: what the file is, for the message's first line ("migration plan").
        prefix: where ``data`` sits in a larger file (for a section validated on its own).

    Raises:
        ConfigError: listing every invalid field.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:{line_of(node, ()) or 1}: {'.'.join(map(str, prefix)) or '-'}:"
                          f" a {what} is a mapping of fields, not {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            # drop pydantic's internal location parts (validator names)
            loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
            line = line_of(node, loc)
            where = f"{source}:{line}" if line else source
            field = ".".join(str(p) for p in (*prefix, *loc)) or "-"
            lines.append(f"{where}: {field}: {_message(err)}")
        raise ConfigError(f"invalid {what}; fix these fields:\n" + "\n".join(lines)) from exc
