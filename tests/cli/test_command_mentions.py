"""Every `agility <command>` that the CLI's help texts, the starter plan, the README, the docs
or a library message (a string in the code that is not a docstring) tells a user to run exists
in the command-line app."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agility.cli.main import command
from agility.migrate import STARTER_PLAN

ROOT = Path(__file__).resolve().parents[2]
CODE_SPAN = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"^```.*?$(.*?)^```", re.DOTALL | re.MULTILINE)
WORD = re.compile(r"[a-z][a-z0-9-]*$")


def _commands_in(code: str) -> Iterator[list[str]]:
    """The words after ``agility`` of each command line in a piece of code."""
    for line in code.splitlines():
        line = line.split("#", 1)[0] if not line.lstrip().startswith("agility") else line
        for part in re.split(r"&&|\|\||;|\|", line):
            words = part.strip().removeprefix("$ ").split()
            if len(words) > 1 and words[0] == "agility":
                yield words[1:]


def _mentions_in_text(text: str) -> Iterator[list[str]]:
    for block in FENCE.findall(text):
        yield from _commands_in(block)
    for span in CODE_SPAN.findall(FENCE.sub("", text)):
        yield from _commands_in(span)


def _help_texts(command: Any) -> Iterator[str]:
    yield command.help or ""
    for param in command.params:
        yield getattr(param, "help", None) or ""
    for sub in getattr(command, "commands", {}).values():
        yield from _help_texts(sub)


def _messages(source: str) -> str:
    """The string literals of a module that are not docstrings (what users may be shown)."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                       ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return "\n".join(node.value for node in ast.walk(tree)
                     if isinstance(node, ast.Constant) and isinstance(node.value, str)
                     and id(node) not in docstrings)


def mentions() -> list[tuple[str, list[str]]]:
    """(where, words after agility) of every command mention we show users."""
    found: list[tuple[str, list[str]]] = []
    sources = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
               for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}
    sources["the starter plan"] = STARTER_PLAN
    # help texts are about commands: a bare "agility X" there is a command too
    help_text = "\n".join(_help_texts(command(load_all=True)))
    sources["the CLI's help"] = re.sub(r"\bagility(?: [a-z][\w.-]*)+", r"`\g<0>`", help_text)
    for path in sorted((ROOT / "src" / "agility").rglob("*.py")):
        sources[str(path.relative_to(ROOT))] = _messages(path.read_text(encoding="utf-8"))
    for where, text in sources.items():
        found.extend((where, words) for words in _mentions_in_text(text))
    return found


def _missing(root: Any, words: list[str]) -> str | None:
    """The part of ``agility WORDS`` that is not a command, or None."""
    command = root
    for word in words:
        if word.startswith("-") or not WORD.match(word):
            return None  # an option, an argument or a placeholder: the command is named
        subcommands = getattr(command, "commands", None)  # a group (Typer's own click types)
        if subcommands is None:
            return None  # past a leaf command: the rest are its arguments
        if word not in subcommands:
            return word
        command = subcommands[word]
    return None


def test_the_scan_finds_the_mentions_it_must_check() -> None:
    found = {" ".join(words[:2]) for _, words in mentions()}
    # a sample of what users are told to run, so the scan cannot silently find nothing
    assert {"metrics list", "dataset freeze", "init plan.yaml", "migrate plan.yaml"} <= found
    # the starter plan sends its reader to the list of metrics
    assert ("the starter plan", ["metrics", "list"]) in mentions()


def test_every_mentioned_command_exists() -> None:
    root = command(load_all=True)
    bad = [f"{where}: agility {' '.join(words)} ({_missing(root, words)!r} is not a command)"
           for where, words in mentions() if _missing(root, words) is not None]
    assert not bad, "\n".join(bad)


def test_a_missing_command_would_be_caught() -> None:
    root = command(load_all=True)
    assert _missing(root, ["metrics", "lst"]) == "lst"
    assert _missing(root, ["nosuch"]) == "nosuch"
    assert _missing(root, ["score", "source", "--metrics", "x"]) is None
    assert _missing(root, ["dataset", "validate", "golden.jsonl"]) is None
