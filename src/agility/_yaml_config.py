"""YAML configuration files validated by pydantic, with errors that name file, line and field.

Plans, sign-off criteria, price files and prompt templates are all YAML read into a pydantic
model; this module holds what they share so that every config error reads the same way::

    plan.yaml:14: target.config.max_tokens: Input should be greater than or equal to 1

A config file may come from a pull request, so reading one is bounded: the file may hold at
most :data:`MAX_CONFIG_BYTES`, must be UTF-8, and its YAML may expand (aliases counted as
many times as they are used) to at most :data:`MAX_YAML_NODES` nodes nested at most
:data:`MAX_YAML_DEPTH` deep. A "billion laughs" file of nested aliases is refused in
milliseconds, before anything walks the expanded data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from agility._files import describe_os_error
from agility.errors import ConfigError

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "child_node",
    "line_of",
    "load_yaml",
    "read_config_text",
    "validate_yaml",
]

M = TypeVar("M", bound=BaseModel)

#: the largest config file (plan, criteria, price file, prompt template) read, in bytes
MAX_CONFIG_BYTES = 2 * 1024 * 1024
#: the most YAML nodes a file may expand to, each alias counted as often as it is used
MAX_YAML_NODES = 100_000
#: the deepest nesting of mappings and lists in a YAML file
MAX_YAML_DEPTH = 64


def read_config_text(path: str | Path, what: str, hint: str = "") -> str:
    """The text of a config file: at most :data:`MAX_CONFIG_BYTES`, decoded as UTF-8.

    Args:
        path: the file.
        what: what the file is, for messages ("plan file", "prompt template").
        hint: what to do when it cannot be read (a sentence).

    Raises:
        ConfigError: the file is missing, unreadable, too large or not UTF-8 (names the
            line of the first bad byte).
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {describe_os_error(exc)}."
                          f"{' ' + hint if hint else ''}") from exc
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: the {what} is larger than {MAX_CONFIG_BYTES:,} bytes; "
                          f"a config file this large is refused.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(f"{path}:{line}: -: not valid UTF-8 (byte 0x{data[exc.start]:02x} at "
                          f"column {column}). Save the {what} as UTF-8.") from None


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Refuse a node graph that expands past the limits (or refers to itself)."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    on_path: set[int] = set()
    # iterative post-order walk; each distinct node is sized once, aliases reuse the size
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            depths[key] = 1 + max((depths[id(c)] for c in children), default=0)
            if sizes[key] > MAX_YAML_NODES or depths[key] > MAX_YAML_DEPTH:
                line = node.start_mark.line + 1
                what = (f"expands to more than {MAX_YAML_NODES:,} values (aliases are counted "
                        f"each time they are used)" if sizes[key] > MAX_YAML_NODES
                        else f"is nested more than {MAX_YAML_DEPTH} levels deep")
                raise ConfigError(f"{source}:{line}: -: this YAML {what}, more than a config "
                                  f"file may hold; it is refused.")
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise ConfigError(f"{source}:{node.start_mark.line + 1}: -: an alias refers to the "
                              f"value that contains it; a config file cannot be recursive.")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)


def load_yaml(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """Parse ``text`` into plain data and its node tree (for line numbers).

    The text is parsed once; aliases are checked against the limits before the data is built.

    Raises:
        ConfigError: the text is not valid YAML, or too large once its aliases are expanded
            (names the line).
    """
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source}: more than {MAX_CONFIG_BYTES:,} characters of YAML; a "
                          f"config file this large is refused.")
    try:
        loader = yaml.SafeLoader(text)  # checks the characters first
    except yaml.YAMLError as exc:
        position = getattr(exc, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        detail = " ".join(str(exc).split())
        raise ConfigError(f"{source}{f':{line}' if line else ''}: -: not valid YAML ({detail}). "
                          f"Fix the file and run again.") from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_expansion(node, source)
        return loader.construct_document(node), node
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise ConfigError(f"{where}: -: not valid YAML ({getattr(exc, 'problem', None) or exc}). "
                          f"Fix the syntax and run again.") from exc
    except RecursionError:
        raise ConfigError(f"{source}: -: the YAML is nested too deeply (more than "
                          f"{MAX_YAML_DEPTH} levels); a config file this deep is refused.") from None
    except ValueError as exc:
        # a scalar the YAML constructor cannot build: an integer of more than 4,300 digits,
        # a date that does not exist
        detail = ("a number has more than 4,300 digits" if "digits" in str(exc)
                  else str(exc).split(";")[0])
        raise ConfigError(f"{source}: -: a value cannot be read ({detail}). Fix the value."
                          ) from None
    finally:
        loader.dispose()


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
