"""Helpers of the port tests (and of the migrate tests of a plan's port): a small golden set
whose holdout rows are easy to spot in a log, and a target whose answers depend on the
prompt's shape."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

#: every holdout question carries this word; no dev row does
HOLDOUT_MARK = "zebra"

LEGACY = """\
name: legacy
version: "1"
system: |
  You are a helpful analyst. Be thorough, explain your reasoning and mention the units.
  If the documents do not contain the answer, say so. Never give investment advice.
messages:
  - role: user
    content: "Documents:\\n{{ context }}\\n\\nQuestion: {{ question }}"
"""


def value_of(i: int) -> int:
    """Row ``i``'s value: never 0, and never a number its question names (the grader takes an
    answer that only repeats a figure of the question for no answer)."""
    return (i + 1) * 7


def golden_rows(n: int = 40) -> list[dict[str, Any]]:
    """``n`` rows; every fourth is holdout and names the holdout mark."""
    rows = []
    for i in range(n):
        holdout = i % 4 == 0
        item = f"{HOLDOUT_MARK} {i}" if holdout else f"item {i}"
        rows.append({"id": f"q{i:02d}", "source_prompt": f"What is the value of {item}?",
                     "input_context": [f"The value of {item} is {value_of(i)} dollars. Unrelated text "
                                       f"follows here."],
                     "ground_truth": f"{value_of(i)} dollars", "stratum": "a" if i % 2 else "b",
                     "split": "holdout" if holdout else "dev"})
    return rows


def write_golden(folder: Path, rows: list[dict[str, Any]] | None = None) -> Path:
    path = folder / "golden.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows or golden_rows()) + "\n")
    return path


def shape_responder(body: dict[str, Any]) -> str:
    """Right only for a plain completion layout (no system message, the user turn ending in
    'Answer:'); otherwise a rambling answer echoing Llama-2 markup, as a model served in the
    wrong chat format does."""
    messages = body.get("messages") or []
    last = str(messages[-1].get("content", "")) if messages else ""
    asked = re.findall(r"value of ((?:item|zebra) \d+)\?", last)
    number = int(asked[-1].split()[-1]) if asked else 0
    plain = not any(m.get("role") == "system" for m in messages) \
        and last.rstrip().endswith("Answer:")
    if plain:
        return f"{value_of(number)} dollars"
    return f"[INST] Let me explain what the documents say about the value of item {number}."
