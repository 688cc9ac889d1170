"""An answer given as a JSON object, read as the text it holds.

A pipeline that asks for structured output gets ``{"reasoning": "...", "answer": "$1,577
million"}``, often in a ```json fence. Read as text, its escapes ("\\n" as two characters)
join every line of the working into one, and its field order puts the answer before or
after the working at random. :func:`structured_text` reads such an object as the plain
text of its string (and number) values: the working first, then the answer's field under a
"Final Answer:" label (fields about the answer, its sources or confidence, left out), as an answer written out would put it, with the offset in the
original of every character, so reasons still cite figures where the JSON holds them.
"""

from __future__ import annotations

import json
import re

__all__ = ["structured_text"]

_FENCE = re.compile(r"\A\s*```(?:json|JSON)?[ \t]*\n(.*)\n[ \t]*```\s*\Z", re.DOTALL)
# the fields that hold the answer itself (the others are working, sources, notes)
_ANSWER_KEYS = frozenset(["answer", "final_answer", "finalanswer", "final", "result",
                          "conclusion", "verdict", "response", "output", "short_answer"])
# fields about the answer, not of it (as a sources or confidence line is): left out
_META_KEYS = frozenset(["sources", "source", "references", "reference", "citations",
                        "citation", "confidence", "confidence_score", "confidence_level",
                        "score", "pages", "page", "documents", "document", "doc_ids", "ids",
                        "id", "metadata", "model", "timestamp", "context_ids", "chunks"])
# a key, then the start of its value
_FIELD = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*')
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "\\": "\\",
            "/": "/"}
_LABEL = "Final Answer: "


def structured_text(text: str) -> tuple[str, list[int]] | None:
    """``text`` read as the JSON object it is, or None when it is no flat JSON object.

    Returns:
        The text of its values (working fields in order, then the answer's fields, each
        under "Final Answer:"), and for each character its offset in ``text``.
    """
    stripped = text.strip()
    fenced = _FENCE.match(text)
    body_start = fenced.start(1) if fenced else text.find("{")
    body = fenced.group(1) if fenced else stripped
    if not body.lstrip().startswith("{") or not body.rstrip().endswith("}"):
        return None
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(parsed, dict) or not parsed:
        return None
    fields = _top_level_values(text, body_start + body.index("{"))
    if fields is None:
        return None
    fields = [(key, value) for key, value in fields if key.lower() not in _META_KEYS]
    working = [(key, value) for key, value in fields if key.lower() not in _ANSWER_KEYS]
    answers = [(key, value) for key, value in fields if key.lower() in _ANSWER_KEYS]
    out: list[str] = []
    offsets: list[int] = []
    for index, (_, (chars, where)) in enumerate([*working, *answers]):
        if not chars:
            continue
        after_working = bool(out) and index >= len(working)
        if out:
            out.append("\n\n")
            offsets.extend([where[0]] * 2)
        if after_working:
            # (an answer field alone is the whole answer: no label marks a conclusion in it)
            out.append(_LABEL)
            offsets.extend([where[0]] * len(_LABEL))
        out.append(chars)
        offsets.extend(where)
    if not out:
        return None
    return "".join(out), offsets


def _top_level_values(text: str, start: int
                      ) -> list[tuple[str, tuple[str, list[int]]]] | None:
    """The object's keys with the decoded text of their string or number values (a list
    of strings is its items, one a line); None when a value is an object (not flat)."""
    found: list[tuple[str, tuple[str, list[int]]]] = []
    position = start + 1
    while True:
        field = _FIELD.search(text, position)
        if field is None:
            return found
        key = _decode(field.group(1), field.start(1))[0]
        at = field.end()
        char = text[at:at + 1]
        if char == '"':
            value = _STRING.match(text, at)
            if value is None:
                return None
            found.append((key, _decode(value.group(1), value.start(1))))
            position = value.end()
        elif char == "[":
            items, position = _string_list(text, at)
            if items is None:
                return None
            found.append((key, items))
        elif char == "{":
            return None
        else:
            number = _NUMBER.match(text, at)
            if number is not None:
                found.append((key, (number.group(0), list(range(number.start(),
                                                                 number.end())))))
                position = number.end()
            else:
                # true, false, null: no text
                position = at + 1


def _string_list(text: str, start: int) -> tuple[tuple[str, list[int]] | None, int]:
    chars: list[str] = []
    offsets: list[int] = []
    position = start + 1
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if text[position:position + 1] == "]":
            return ("".join(chars), offsets), position + 1
        value = _STRING.match(text, position)
        if value is None:
            return None, position
        decoded, where = _decode(value.group(1), value.start(1))
        if chars:
            chars.append("\n")
            offsets.append(where[0] if where else value.start())
        chars.append(decoded)
        offsets.extend(where)
        position = value.end()


def _decode(raw: str, start: int) -> tuple[str, list[int]]:
    """A JSON string's contents decoded, with the offset of each character's escape."""
    chars: list[str] = []
    offsets: list[int] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            code = raw[index + 1]
            if code == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", raw[index + 2:index + 6]):
                chars.append(chr(int(raw[index + 2:index + 6], 16)))
                offsets.append(start + index)
                index += 6
                continue
            chars.append(_ESCAPES.get(code, code))
            offsets.append(start + index)
            index += 2
            continue
        chars.append(char)
        offsets.append(start + index)
        index += 1
    return "".join(chars), offsets
