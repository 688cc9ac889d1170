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
from collections.abc import Callable

__all__ = ["EMPTY_VALUE", "json_string", "structured_text"]

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
    """``text`` read as the JSON object (or the flat ``key=value`` record) it is, or None
    when it is neither.

    A nested object is read field by field: a field under an answer's key ("result":
    {"value": 1577, "unit": "USD millions"}) is the answer, unless it is working
    ("explanation") or about the answer ("confidence"). A record of ``key=value`` lines, as
    a pipeline logs its output ("value=59268", "status=ok"), is read as the object it
    writes out, dotted keys as nested ones.

    Returns:
        The text of its values (working fields in order, then the answer's fields, each
        under "Final Answer:"), and for each character its offset in ``text``.
    """
    leaves = _json_leaves(text) if text.lstrip()[:1] in ("{", "`") else _record_leaves(text)
    return None if leaves is None else _assembled(leaves)


def _json_leaves(text: str) -> list[_Leaf] | None:
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
    read = _object(text, body_start + body.index("{"), (), 0)
    return None if read is None else read[0]


# a record's line: "key=value", "capex.fy2018 = 1486843", 'note="..."'
_RECORD_LINE = re.compile(r"[ \t]*([A-Za-z_][\w.\-]{0,60})[ \t]*=[ \t]*(.*?)[ \t]*$")
# a record's value that says nothing ("answer=null", "value=N/A")
EMPTY_VALUE = re.compile(r"(?i)null|none|nil|n/?a|nan|-|")
# a status word's underscores ("insufficient_data", "NOT_FOUND") are spaces
_TOKEN = re.compile(r"[A-Za-z]+(?:_[A-Za-z]+)+")


def _record_leaves(text: str) -> list[_Leaf] | None:
    """The values of a record of ``key=value`` lines (three or more, and nothing else but
    blank lines), each with its path of keys."""
    if text.count("=") < 3:
        return None
    leaves: list[_Leaf] = []
    position = 0
    for line in text.split("\n"):
        start, position = position, position + len(line) + 1
        if not line.strip():
            continue
        found = _RECORD_LINE.fullmatch(line)
        if found is None:
            return None
        path = tuple(k for k in found.group(1).split(".") if k)
        value, at = found.group(2), start + found.start(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value, at = value[1:-1], at + 1
        said = {"true": "yes", "false": "no"}.get(value.lower())
        if said is not None:
            leaves.append((path, (said, [at] * len(said))))
        elif EMPTY_VALUE.fullmatch(value):
            # (an answer's field left empty says that no answer is given)
            if path and path[-1].lower() in _ANSWER_KEYS | _VALUE_KEYS:
                leaves.append((path, (_NONE_GIVEN, [at] * len(_NONE_GIVEN))))
        else:
            value = _TOKEN.sub(lambda m: m.group(0).replace("_", " "), value) \
                if _TOKEN.fullmatch(value) else value
            leaves.append((path, (value, list(range(at, at + len(value))))))
    return leaves if len(leaves) >= 3 else None


_NONE_GIVEN = "not available"
_SOURCE_WORDS = frozenset(["source", "sources", "citation", "citations", "snippet", "quote"])
_FIGURE = re.compile(r"[-+(]?[$\u20ac\u00a3]?\d[\d,]*(?:\.\d+)?\)?%?")
# ("value" is the answer when it is the record's own field, not a step's)
_VALUE_KEYS = frozenset(["value", "answer_value"])


def _assembled(leaves: list[_Leaf]) -> tuple[str, list[int]] | None:
    working: list[_Text] = []
    remarks: list[_Text] = []
    answers: list[_Text] = []
    # (a number under "step" or "index" counts the items; it is no figure)
    kept = [(path, value) for path, value in leaves
            if not any(key.lower() in _META_KEYS for key in path)
            # (a key that names a source, "source_snippet": what the source says is no
            # answer)
            and not any(word in _SOURCE_WORDS for word in _key_words(path[-1]).split())
            and not (path[-1].lower() in _COUNTERS and value[0].isdigit()
                     and not any(key.lower() in _ANSWER_KEYS for key in path[:-1]))]
    for path, value in _merged(kept):
        keys = [key.lower() for key in path]
        answer = keys[-1] in _ANSWER_KEYS or (len(keys) == 1 and keys[0] in _VALUE_KEYS) or (
            any(key in _ANSWER_KEYS for key in keys[:-1]) and keys[-1] not in _WORKING_KEYS)
        # (a note inside the working, {"steps": [{"note": ...}]}, is working)
        remark = keys[-1] in _REMARK_KEYS and not any(k in _WORKING_KEYS for k in keys[:-1])
        if not answer and remark:
            # (and under its key, a label that marks it as a remark: "comment: ..., so ROA
            # fell from ~7.4%" concludes nothing)
            label = _key_words(path[-1]) + ": "
            value = (label + value[0], [value[1][0] if value[1] else 0] * len(label) + value[1])
        elif not answer and keys[-1] not in _WORKING_KEYS and _short(value[0]):
            # a short value is read with its key, as its label ("largest_liability_2022":
            # "Customer deposits" says "largest liability 2022: Customer deposits")
            label = _key_words(path[-1]) + ": "
            value = (label + value[0], [value[1][0] if value[1] else 0] * len(label) + value[1])
        # (a remark on the answer, "comment" or "note", is read first: it is no step that
        # the working ends on)
        (answers if answer else remarks if remark else working).append(value)
    working = remarks + working
    out: list[str] = []
    offsets: list[int] = []
    for index, (chars, where) in enumerate([*working, *answers]):
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


# a value's text and the offset of each of its characters
_Text = tuple[str, list[int]]
_Leaf = tuple[tuple[str, ...], _Text]
# fields that are working wherever they are (under "answer" too)
_WORKING_KEYS = frozenset(["reasoning", "explanation", "rationale", "working", "steps", "step",
                           "calculation", "calculations", "analysis", "justification",
                           "thoughts", "thinking", "notes", "note", "details", "method",
                           "reason", "reasons", "comment", "comments", "message", "error"])
_REMARK_KEYS = frozenset(["comment", "comments", "note", "notes", "message", "caveat", "caveats",
                          "disclaimer", "remark", "remarks", "context"])
# (outside the answer's fields: {"answer": {"number": 1577}} is the answer)
_COUNTERS = frozenset(["step", "index", "number", "no", "n", "order", "rank", "item"])
# deeper than this is no answer's shape
_MAX_DEPTH = 6
_LITERAL = re.compile(r"true|false|null")


def _merged(leaves: list[_Leaf]) -> list[_Leaf]:
    """A list's items (one path) as one text, a line each; an object's short values under
    one key ({"value": 1577, "unit": "USD millions"}) as one phrase."""
    out: list[_Leaf] = []
    for path, (chars, where) in leaves:
        if out and out[-1][0] == path:
            joiner = "\n"
        elif (out and len(path) > 1 and out[-1][0][:-1] == path[:-1]
              and _short(out[-1][1][0]) and _short(chars)
              # (two figures are two fields, {"fy2018": 1486843, "fy2019": 739006}, not a
              # value and its unit)
              and not (_FIGURE.fullmatch(chars) and _FIGURE.fullmatch(out[-1][1][0]))
              and not {path[-1].lower(), out[-1][0][-1].lower()} & _WORKING_KEYS):
            joiner = " "
        else:
            out.append((path, (chars, where)))
            continue
        last_path, (last_chars, last_where) = out[-1]
        out[-1] = (path if joiner == " " else last_path,
                   (last_chars + joiner + chars, [*last_where, where[0] if where else 0,
                                                  *where]))
    return out


def _key_words(key: str) -> str:
    """A key's words: "net_earnings_pct", "netEarningsPct" and "net-earnings-pct" are "net
    earnings pct"."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key)
    return " ".join(re.split(r"[_\-\s.]+", spaced)).strip().lower()


def _short(chars: str) -> bool:
    return len(chars) <= 40 and "\n" not in chars


def _object(text: str, start: int, path: tuple[str, ...], depth: int
            ) -> tuple[list[_Leaf], int] | None:
    """The values of the object at ``start`` (a "{"), each with its path of keys, and
    where the object ends; None when it is not read."""
    def field(position: int) -> tuple[list[_Leaf], int] | None:
        found = _FIELD.match(text, position)
        if found is None:
            return None
        key = _decode(found.group(1), found.start(1))[0]
        return _value(text, found.end(), (*path, key), depth)

    return _members(text, start, "}", field)


def _members(text: str, start: int, close: str,
             member: Callable[[int], tuple[list[_Leaf], int] | None]
             ) -> tuple[list[_Leaf], int] | None:
    """The leaves of an object's fields or an array's items (each read by ``member``) from
    ``start`` (its opening bracket) to ``close``, and where it ends."""
    found: list[_Leaf] = []
    position = start + 1
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if text[position:position + 1] == close:
            return found, position + 1
        read = member(position)
        if read is None:
            return None
        found.extend(read[0])
        position = read[1]


def _value(text: str, at: int, path: tuple[str, ...], depth: int
           ) -> tuple[list[_Leaf], int] | None:
    char = text[at:at + 1]
    if char == '"':
        value = _STRING.match(text, at)
        if value is None:
            return None
        return [(path, _decode(value.group(1), value.start(1)))], value.end()
    if char == "{":
        return None if depth >= _MAX_DEPTH else _object(text, at, path, depth + 1)
    if char == "[":
        if depth >= _MAX_DEPTH:
            return None
        return _members(text, at, "]", lambda position: _value(text, position, path,
                                                               depth + 1))
    number = _NUMBER.match(text, at)
    if number is not None:
        return [(path, (number.group(0), list(range(number.start(), number.end()))))], \
            number.end()
    literal = _LITERAL.match(text, at)
    if literal is None:
        return None
    # true and false say yes and no ("healthy_liquidity": false); null says nothing, and in
    # the answer's own field, that no answer is given ("answer": null)
    said = {"true": "yes", "false": "no"}.get(literal.group(0))
    if said is None and literal.group(0) == "null" and path \
            and path[-1].lower() in _ANSWER_KEYS | _VALUE_KEYS:
        said = _NONE_GIVEN
    if said is None:
        return [], literal.end()
    return [(path, (said, [literal.start()] * len(said)))], literal.end()


def json_string(text: str, at: int) -> tuple[str, list[int], int] | None:
    """The JSON string written at ``at`` (its opening quote): its value, the offset in
    ``text`` of each of its characters (an escape's at its backslash), and the offset after
    its closing quote; None when it is not one."""
    found = _STRING.match(text, at)
    if found is None:
        return None
    value, offsets = _decode(found.group(1), found.start(1))
    return value, offsets, found.end()


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
