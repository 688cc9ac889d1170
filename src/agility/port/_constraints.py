"""The source prompt's constraints: the instructions that forbid or require behaviour.

A port may rewrite, shorten or drop a prompt's prose, but never its constraints: every
candidate generator carries them word for word (:func:`carry_constraints`), the report lists
them and whether each candidate carries them, and the search never chooses a candidate that
drops one.

**The rule.** The text read is the prompt's instructions: its ``system`` text, its system
messages, and the literal text of its user messages (a Jinja ``{% ... %}`` statement or
``{# ... #}`` comment ends a sentence; a ``{{ variable }}`` stays where it is). Few-shot pairs
and assistant messages are examples, not instructions, and are not read. The text is cut into
units: blank lines, list items (``-``, ``*``, ``1.``), markup lines (``<rules>``, ``# Rules``)
and sentences (``.``, ``!``, ``?`` followed by a space). A unit is a constraint when it holds
a deontic cue:

- **forbids**: ``never``, ``must not``, ``should not``, ``may not``, ``shall not``,
  ``under no circumstances``, ``not allowed``/``not permitted``,
  ``forbidden``, ``prohibited``, ``refrain from``, ``avoid``; and ``do not``/``don't`` in the
  imperative: opening the unit or a clause (after ``,`` ``;`` ``:`` ``and`` ``or`` ``but``
  ``please``), so "If the documents do not contain the answer, say so" (a condition,
  not a prohibition) is not one;
- **refusal**: ``refuse``, ``decline``;
- **requires**: ``must``, ``always``, ``shall``, ``required``, ``only``.

The first family that matches names the constraint's kind (forbids, then refusal, then
requires). The rule reads words, not meaning: a persona ("You are FinAssist"), a style ("be
thorough") or a conditional instruction without a cue ("if ..., say so") is not a constraint
(the rules' layouts carry the refusal instruction on their own); a cue in a descriptive
sentence would be kept as one, which costs a few words, never a constraint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from agility.prompts import MessageSpec, PromptSpec

__all__ = ["Constraint", "carried", "carry_constraints", "constraint_lines",
           "extract_constraints"]

ConstraintKind = Literal["forbids", "refusal", "requires"]

_CLAUSE_START = r"(?:^|[,;:(\u2014]\s*|\b(?:and|or|but|please)\s+)"
_CUES: tuple[tuple[ConstraintKind, re.Pattern[str]], ...] = (
    ("forbids", re.compile(
        r"(?i)\b(never|must\s+not|mustn't|should\s+not|shouldn't|may\s+not|shall\s+not|"
        r"under\s+no\s+circumstances|not\s+(?:allowed|permitted)|forbidden|prohibited|"
        r"refrain\s+from|avoid(?:s|ing)?)\b")),
    ("forbids", re.compile(r"(?i)" + _CLAUSE_START + r"(do\s+not|don't|do\s+n't)\b")),
    ("refusal", re.compile(r"(?i)\b(refuse[sd]?|refusing|decline[sd]?|declining)\b")),
    ("requires", re.compile(r"(?i)\b(must|always|shall|required|only)\b")),
)
_STATEMENT = re.compile(r"\{%-?.*?-?%\}|\{#.*?#\}", re.S)
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+")
_MARKUP_LINE = re.compile(r"^\s*(?:</?[A-Za-z_][\w-]*>|#{1,6}\s.*|[-=*_]{3,})\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


@dataclass(frozen=True)
class Constraint:
    """One constraint of a prompt.

    Attributes:
        text: the unit, word for word (runs of whitespace made one space).
        kind: ``forbids``, ``refusal`` or ``requires``.
        cue: the words that made it a constraint (``never``, ``do not``...).
        where: where the prompt holds it (``system``, ``message 1 (user)``...).
    """

    text: str
    kind: ConstraintKind
    cue: str
    where: str


def _sentences(lines: Sequence[str]) -> list[str]:
    joined = " ".join(" ".join(lines).split())
    return [s.strip() for s in _SENTENCE_END.split(joined) if s.strip()]


def _units(text: str) -> list[str]:
    """``text`` cut into blank-line blocks, list items, markup lines and sentences."""
    out: list[str] = []
    for block in _STATEMENT.split(text):
        paragraph: list[str] = []
        for line in block.splitlines():
            item = _LIST_ITEM.match(line)
            if not line.strip() or _MARKUP_LINE.match(line) or item:
                out += _sentences(paragraph)  # a unit ends here
                paragraph = []
            if item:
                paragraph.append(line[item.end():].strip())
            elif line.strip() and not _MARKUP_LINE.match(line):
                paragraph.append(line.strip())
        out += _sentences(paragraph)
    return out


def _cue(unit: str) -> tuple[ConstraintKind, str] | None:
    for kind, pattern in _CUES:
        found = pattern.search(unit)
        if found:
            return kind, " ".join(found.group(1).lower().split())
    return None


def _instruction_texts(spec: PromptSpec) -> list[tuple[str, str]]:
    """(where, text) of every instruction text of ``spec`` (never its few-shot pairs)."""
    texts = [("system", spec.system)] if spec.system else []
    texts += [(f"message {i} ({m.role})", m.content) for i, m in enumerate(spec.messages, 1)
              if m.role != "assistant"]
    return texts


def extract_constraints(spec: PromptSpec) -> list[Constraint]:
    """The constraints of ``spec`` in the order it states them (see the module docstring).

    A unit is a constraint when it holds a cue; a unit that is only a template variable or
    markup is never one. The same sentence stated twice is listed once.
    """
    out: list[Constraint] = []
    seen: set[str] = set()
    for where, text in _instruction_texts(spec):
        for unit in _units(text):
            bare = re.sub(r"\{\{.*?\}\}", " ", unit).strip()
            if not re.search(r"[A-Za-z]", bare):
                continue
            cue = _cue(bare)
            key = _normal(unit)
            if cue is None or key in seen:
                continue
            seen.add(key)
            out.append(Constraint(text=unit, kind=cue[0], cue=cue[1], where=where))
    return out


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _instructions_of(spec: PromptSpec) -> str:
    return _normal(" ".join(text for _, text in _instruction_texts(spec)))


def carried(spec: PromptSpec, constraints: Sequence[Constraint]) -> list[bool]:
    """Whether ``spec``'s instructions state each constraint word for word (whitespace and
    case aside); few-shot pairs do not count."""
    text = _instructions_of(spec)
    return [_normal(c.text) in text for c in constraints]


def constraint_lines(constraints: Sequence[Constraint]) -> str:
    """The constraints as plain lines, one a line (what a layout puts before its content)."""
    return "\n".join(c.text for c in constraints)


def carry_constraints(spec: PromptSpec, constraints: Sequence[Constraint]
                      ) -> tuple[PromptSpec, int]:
    """``spec`` with every constraint it does not state added where its instructions go.

    A prompt with a ``system`` text gets them at its end (the system or developer section of
    a chat layout; the text that opens a ``format: text`` prompt); a prompt without one gets
    them as plain lines opening its first user message (the layout of families without a
    system role, and of plain completion layouts).

    Returns:
        The prompt and how many constraints were added.
    """
    missing = [c for c, kept in zip(constraints, carried(spec, constraints), strict=True)
               if not kept]
    if not missing:
        return spec, 0
    lines = constraint_lines(missing)
    if spec.system:
        return spec.model_copy(update={"system": f"{spec.system.rstrip()}\n{lines}"}), \
            len(missing)
    messages = list(spec.messages)
    first = next((i for i, m in enumerate(messages) if m.role == "user"), 0)
    messages[first] = MessageSpec(role=messages[first].role,
                                  content=f"{lines}\n\n{messages[first].content}")
    return spec.model_copy(update={"messages": messages}), len(missing)
