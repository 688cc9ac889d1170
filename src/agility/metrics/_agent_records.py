"""An agent's or a pipeline's result object read as the answer it holds.

A system under test may return what its framework returns, serialized: the chat messages of
a tool-calling run (OpenAI's ``tool_calls``, Anthropic's ``tool_use`` and ``tool_result``
content blocks), an agent service's trace (Amazon Bedrock's ``orchestrationTrace`` with its
``finalResponse``), or a result object printed by Python (DSPy's ``Prediction(...,
answer='...')``, Haystack's ``GeneratedAnswer(data='...')``). The answer is the field that
holds it; what a tool returned is what the system read. A run that ended on a tool's result,
on an error, or with an empty answer field answers nothing, and an answer cut off by its token
limit ("finish_reason": "length") answers with the sentences it finished.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator

from agility.metrics._structured import json_string

__all__ = ["ANSWER_ARGUMENTS", "record_answer"]

_Read = tuple[str, list[int]]
# the stop reasons that say the answer was cut off by its length
_CUT_OFF = frozenset({"length", "max_tokens", "max_output_tokens"})
# where a message's text stands in the JSON as written
_TEXT_FIELD = re.compile(r'"(?:content|text|value|bytes|output)"\s*:\s*"')
# a result object printed by Python: DSPy's Prediction, Haystack's GeneratedAnswer and replies
_REPR_FIELD = re.compile(r"\bPrediction\(.*?\banswer\s*=\s*(?=['\"])|\bGeneratedAnswer\(\s*data\s*=\s*"
                         r"(?=['\"])|['\"]replies['\"]\s*:\s*\[\s*(?=['\"])", re.DOTALL)
_REPR_CUT_OFF = re.compile(r"""['"]finish_reason['"]\s*:\s*['"](?:length|max_tokens)['"]""")
_SENTENCE_END = re.compile(r"[.!?](?=[\s\"')\]]|$)")


def _walk(value: object) -> Iterator[tuple[str, object]]:
    """Every (key, value) pair in a parsed JSON document, depth first, in written order."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _dicts(value: object) -> Iterator[dict[str, object]]:
    """Every object in a parsed JSON document, in written order (an object before the
    objects inside it)."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _dicts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _dicts(item)


def _finished(text: str, offsets: list[int]) -> _Read:
    """``text`` cut off by a token limit, up to the last sentence it finished (nothing when
    it finished none: "the operating cash flow ratio is 1,469.5 / 2,213.6 =")."""
    ends = list(_SENTENCE_END.finditer(text))
    if not ends:
        return "", []
    end = ends[-1].end()
    return text[:end], offsets[:end]


def _located(text: str, offsets: list[int], value: str) -> _Read:
    """``value``, a string of the parsed document, with the offset of each of its characters
    where ``text`` writes it (the last such string), or at the document's start."""
    for found in reversed(list(_TEXT_FIELD.finditer(text))):
        decoded = json_string(text, found.end() - 1)
        if decoded is not None and decoded[0] == value:
            return value, [offsets[i] for i in decoded[1]]
    return value, [offsets[0]] * len(value)


# the content blocks that hold text: Anthropic's and Chat Completions' "text", the Responses
# API's "output_text"; a block's text may be a string or {"value": ...} (the Assistants API)
_TEXT_BLOCKS = frozenset({"text", "output_text"})


def _block_text(block: object) -> str | None:
    if not isinstance(block, dict) or block.get("type") not in _TEXT_BLOCKS:
        return None
    value = block.get("text")
    if isinstance(value, dict):
        value = value.get("value")
    return value if isinstance(value, str) else None


def _blocks_text(content: object) -> tuple[str | None, bool]:
    """A message's text (its text blocks joined) and whether it calls a tool."""
    if isinstance(content, str):
        return content, False
    if not isinstance(content, list):
        return None, False
    texts = [t for t in map(_block_text, content) if t]
    calls = any(isinstance(b, dict) and b.get("type") in ("tool_use", "function_call")
                for b in content)
    return ("\n".join(texts) or None), calls


_AFTER_ANSWER = frozenset({"function_call", "function_call_output", "tool_result", "error"})


def _messages_answer(text: str, offsets: list[int], items: object,
                     submitted: _Read | None) -> _Read | None:
    """What a list of chat messages answers: the assistant's last message, unless the run
    went on to a tool or ended on an error (None: no message is the assistant's)."""
    # (every message in the document, in written order: a request's messages and the
    # response after them, {"messages": [...], "response": {"role": "assistant", ...}})
    messages = [m for m in _dicts(items) if isinstance(m.get("role"), str)
                or m.get("type") in _AFTER_ANSWER]
    # (a list of chat messages, the assistant's among them; with tools called or not, its
    # answer is the assistant's last message, as a transcript's is its last turn)
    if not any(m.get("role") == "assistant" for m in messages):
        return None
    # (in the order they were written: a listing may give the newest first)
    stamps = [m.get("created_at", m.get("created")) for m in messages]
    numbers = [float(t) for t in stamps if isinstance(t, int | float)]
    if len(numbers) == len(messages):
        messages = [m for _, m in sorted(zip(numbers, messages, strict=True),
                                         key=lambda pair: pair[0])]
    answering = max(i for i, m in enumerate(messages) if m.get("role") == "assistant")
    last = messages[answering]
    value, calls = _blocks_text(last.get("content"))
    if last.get("tool_calls") or calls:
        # (a last call that submits, by its name or by an answer among its arguments,
        # delivers the answer, whatever the tool said back; any other was a step of a run
        # that stopped before answering)
        if submitted is not None:
            return submitted
        delivered = _delivered(last)
        return _located(text, offsets, delivered) if delivered else ("", [])
    # (a run that went on past it to a tool or ended on an error: no answer; a user's turn
    # after it, "thanks", takes nothing back)
    if any(m.get("role") != "user" or m.get("type") in _AFTER_ANSWER
           for m in messages[answering + 1:]):
        return "", []
    if value is None:
        # (content in a form not known here: read as the document it is)
        return None if last.get("content") else ("", [])
    if not value.strip():
        return "", []
    read = _located(text, offsets, value) if "\n" not in value or isinstance(
        last.get("content"), str) else _joined(text, offsets, last.get("content"))
    stop = last.get("stop_reason") or last.get("finish_reason")
    return _finished(*read) if stop in _CUT_OFF else read


#: the fields of a submission or a tool call's arguments that hold the answer
ANSWER_ARGUMENTS = ("answer", "final_answer", "response", "result", "output", "value", "text",
                    "content", "message")


def _delivered(message: dict[str, object]) -> str | None:
    """The answer a message's last tool call carries among its arguments ({"answer": ...}),
    or None."""
    calls: list[object] = []
    listed = message.get("tool_calls")
    for call in listed if isinstance(listed, list) else []:
        function = call.get("function", call) if isinstance(call, dict) else None
        if isinstance(function, dict):
            calls.append(function.get("arguments", function.get("input")))
    content = message.get("content")
    for block in content if isinstance(content, list) else []:
        if isinstance(block, dict) and block.get("type") in ("tool_use", "function_call"):
            calls.append(block.get("input", block.get("arguments")))
    if not calls:
        return None
    arguments = calls[-1]
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return None
    if not isinstance(arguments, dict):
        return None
    value = next((arguments[k] for k in ANSWER_ARGUMENTS if k in arguments), None)
    return value if isinstance(value, str) and value.strip() else None


def _joined(text: str, offsets: list[int], content: object) -> _Read:
    parts: list[str] = []
    mapped: list[int] = []
    for block in content if isinstance(content, list) else []:
        if isinstance(block, dict) and block.get("type") == "text" and block.get("text"):
            value, where = _located(text, offsets, str(block["text"]))
            if parts:
                parts.append("\n")
                mapped.append(mapped[-1] if mapped else where[0])
            parts.append(value)
            mapped.extend(where)
    return "".join(parts), mapped


def _trace_answer(text: str, offsets: list[int], document: object) -> _Read | None:
    """What an agent service's trace answers: its last ``finalResponse`` text, else the
    chunks it streamed; nothing when it has neither (None: it is no trace)."""
    pairs = list(_walk(document))
    keys = {key for key, _ in pairs}
    if not keys & {"orchestrationTrace", "finalResponse", "failureTrace", "invocationInput"}:
        return None
    finals = [str(v["text"]) for k, v in pairs if k == "finalResponse" and isinstance(v, dict)
              and isinstance(v.get("text"), str)]
    if finals and finals[-1].strip():
        return _located(text, offsets, finals[-1])
    chunks = [str(v["bytes"]) for k, v in pairs if k == "chunk" and isinstance(v, dict)
              and isinstance(v.get("bytes"), str)]
    if chunks and chunks[-1].strip():
        return _located(text, offsets, chunks[-1])
    return "", []


def _python_string(text: str, start: int) -> tuple[str, list[int]] | None:
    """The Python string literal at ``start`` and the offset of each of its characters (an
    escape's at its backslash), or None when it is not one."""
    quote = text[start]
    index = start + 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == quote:
            break
        if text[index] == "\n":
            return None
        index += 1
    else:
        return None
    raw = text[start:index + 1]
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return None
    if not isinstance(value, str):
        return None
    if "\\" not in raw:
        return value, list(range(start + 1, index))
    return value, [start] * len(value)


def _repr_answer(text: str, offsets: list[int]) -> _Read | None:
    """The answer field of a result object Python printed (None: there is none)."""
    found = _REPR_FIELD.search(text)
    if found is None:
        return None
    literal = _python_string(text, found.end())
    if literal is None:
        return None
    value, where = literal
    if not value.strip():
        return "", []
    read = value, [offsets[i] for i in where]
    return _finished(*read) if _REPR_CUT_OFF.search(text) else read


def record_answer(text: str, offsets: list[int], submitted: _Read | None = None
                  ) -> _Read | None:
    """The answer a serialized result object holds, or None when ``text`` is none.

    Args:
        text: the answer as read so far.
        offsets: the offset in the answer as given of each of ``text``'s characters.
        submitted: what the run submitted through a tool call, when it did (read by
            :mod:`agility.metrics._agent_log`, which knows the submission's forms).

    Returns:
        The answer's text and offsets; ``("", [])`` when the run answered nothing.
    """
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        try:
            document = json.loads(stripped)
        except (ValueError, RecursionError):
            document = None
        if document is not None:
            traced = _trace_answer(text, offsets, document)
            if traced is not None:
                return traced
            return _messages_answer(text, offsets, document, submitted)
    if "Prediction(" in text or "GeneratedAnswer(" in text or "replies" in text:
        return _repr_answer(text, offsets)
    return None
