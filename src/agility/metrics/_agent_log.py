"""An agent's log read as the answer it submits.

An agent under test may return its whole run: the tool calls it made, what the tools gave
back, its plans, and at the end the call that submits its answer ("> submit {"answer":
"Data Center"}", ``final_answer("...")``, ``Action 3: Finish[...]``, a ``<tool_call>``
naming ``submit``). What a tool gave back is what the agent read, not what it says: a
figure in an observation is no more the answer than a figure in a quoted source. So the
answer is the submission's argument; a run with no submission answers with the prose it
wrote outside its steps, and a run that halted before submitting ("[halt] max_steps
reached", LangChain's "Agent stopped due to iteration limit or time limit.") answers
nothing.

An answer the run reports as final after its submission or its last step (LangChain's "Final
Answer:", smolagents' "Out - Final answer:", CrewAI's "## Final Answer:") is the answer, as it
reports it. A printed conversation (AutoGen's "assistant (to user_proxy):" turns, LangGraph's
message banners, a chat template's turns) answers in the assistant's last turn; a traceback a
step printed is read past, and one the run ended in leaves no answer. A serialized result is
read by :mod:`agility.metrics._agent_records`.
"""

from __future__ import annotations

import json
import re

from agility.metrics._agent_records import ANSWER_ARGUMENTS, record_answer
from agility.metrics._structured import EMPTY_VALUE, json_string

__all__ = ["agent_answer", "is_agent_log", "is_run_output"]

# the names an agent submits its answer with
_SUBMIT_NAMES = r"(?:submit(?:_answer)?|final_answer|finish|give_answer|return_answer|answer_question)"
# what may open a step's line: a bullet or arrow, a step number ("3.", "[3]", "Step 3:")
_STEP_OPEN = r"[ \t]*(?:[>\-*#\u2192\u25b6]+[ \t]*)?(?:\[?(?:step[ \t]*)?\d{1,3}\]?[.):]?[ \t]+)?"
# a line that calls a tool: "> tool fin_search {...}", "Action 2: Search[...]", "Tool call:
# calc(...)", "Calling tool `calc` with {...}", LangChain's "Action: search" / "Action Input:",
# a tool call's tags
_CALL = re.compile(
    r"(?im)^" + _STEP_OPEN + r"(?:(?:tool(?:[ _]?call)?|call(?:ing)?(?:[ \t]+tool)?|invok(?:e|ing)|"
    r"action)[ \t]*\d*[ \t]*:?[ \t]*`?[A-Za-z_][\w.\-]*`?[ \t]*(?:with[ \t]*)?[({\[]|"
    r"action[ \t]*\d*[ \t]*:[ \t]*`?[A-Za-z_][\w.\-]*`?[ \t]*$|(?:action|tool)[ \t]+input[ \t]*\d*[ \t]*:|"
    r"using[ \t]+tool[ \t]*:|\*{3,}[ \t]*suggested tool call\b|</?tool_call>)")
# a submission at the start of a line (or as a tool call's step): its argument's bracket
_SUBMIT = re.compile(
    r"(?im)^" + _STEP_OPEN + r"(?:(?:tool(?:[ _]?call)?[ \t]*:?|action[ \t]*\d*[ \t]*:|call(?:ing)?"
    r"(?:[ \t]+tool)?[ \t]*:?)[ \t]*)?`?" + _SUBMIT_NAMES + r"`?[ \t]*(?:with[ \t]*)?([({\[])")
# a submission as a JSON tool call: {"name": "submit", "arguments": {...}}
_SUBMIT_JSON = re.compile(r'(?i)"(?:name|tool|function)"\s*:\s*"' + _SUBMIT_NAMES
                          + r'"\s*,\s*"(?:arguments|args|input|parameters)"\s*:\s*([{\["])')
# what a tool gave back: "  < p.47 ...", "Observation 2: ...", "Tool output: ...",
# "<tool_response>", "[tool: search]", smolagents' "Execution logs:" and "Out: ..."
_OBSERVATION = re.compile(r"(?im)^[ \t#]*(?:<(?![A-Za-z/!|])|\u2190|observation[ \t]*\d*[ \t]*:|"
                          r"\*{3,}[ \t]*response from calling tool\b|"
                          r"tool[ \t_]*(?:output|result|response)?[ \t]*:|</?tool_response>|"
                          r"\[tool\b[^\]\n]*\]|execution logs[ \t]*:|out[ \t]*:|"
                          r"last output from code snippet[ \t]*:)")
# the tool results that make a log a log without a call shown ("Observation: ...",
# "[tool: search]", "<tool_response>")
_RESULT = re.compile(r"(?im)^[ \t#]*(?:observation[ \t]*\d*[ \t]*:|\[tool\b[^\]\n]*\]|"
                     r"<tool_response>|execution logs[ \t]*:|tool output[ \t]*:|\*{3,}[ \t]*"
                     r"response from calling tool\b)")
# the agent's own working between steps: "Thought 2: ...", "> plan: ..."
_WORKING = re.compile(r"(?im)^" + _STEP_OPEN + r"(?:thought|plan|reasoning|reflection)[ \t]*\d*[ \t]*:")
# the runner's lines about the run: "[run] steps 3/12", "[halt] max_steps reached", "Agent
# stopped due to iteration limit or time limit."
# (and a framework's banners: LangChain's chain lines and parse errors, smolagents' boxes
# and step rules, inspect's "Sample terminated: message limit (12) exceeded.", the turn
# markers of a chat template, a role in brackets)
_META = re.compile(r"(?im)^[ \t]*(?:\[(?:run|halt|halted|step|stop|stopped|error|warn(?:ing)?|"
                   r"info|debug|trace|done|end|abort(?:ed)?|timeout)\b[^\]\n]*\]|(?:agent|run|"
                   r"episode|execution|the agent|sample)[ \t]+(?:stopped|halted|aborted|"
                   r"terminated|timed out|ended|failed|gave up)\b|>?[ \t]*(?:entering new "
                   r"[\w ]{1,40}chain|finished chain)\b|could not parse llm output|reached "
                   r"max(?:imum)? (?:steps|iterations)|output message of the llm|>{4,}[ \t]*"
                   r"(?:executing function|terminating run)\b|terminate[ \t]*$|[-*=]{5,}[ \t]*$|"
                   # (a marker alone on its line: a role in brackets, a chat template's turn,
                   # smolagents' end of code; a rule or a box's edge of drawing characters,
                   # a step's banner)
                   r"(?:\[(?:assistant|user|system)\]|<end_code>|<\|(?:im_start|im_end|eot_id|"
                   r"start_header_id|end_header_id)\|>\w*)[ \t]*$|[\u2500-\u257f]+[ \t]*(?:(?:step"
                   r"[ \t]*\d+|new run|executing parsed code:?)[ \t]*[\u2500-\u257f]*)?[ \t]*$)")
# a line that opens with a label of its own ("Answer: ...") ends a thought's run
_LABELLED = re.compile(r"[ \t#*]*[A-Za-z][\w ]{0,30}:")
# an answer the run reports as final: LangChain's "Final Answer:", smolagents' "Out - Final
# answer:", LlamaIndex's "Final Response:"
# (and LlamaIndex's ReAct agent's "Answer:" after its last thought)
_REPORTED = re.compile(r"(?im)^[ \t#]*(?:out[ \t]*-[ \t]*)?(?:\*\*)?(?:final[ \t]+)?(?:answer|"
                       r"response)[ \t]*(?:\*\*)?[ \t]*:[ \t]*")
# the last turn of the assistant in a chat template's markup
_ASSISTANT_TURN = re.compile(r"<\|im_start\|>[ \t]*assistant[ \t]*\n?|<\|start_header_id\|>"
                             r"assistant<\|end_header_id\|>\s*")
_TURN_END = re.compile(r"<\|(?:im_end|eot_id)\|>")
_BLOCK = re.compile(r"(?ism)<(tool_call|tool_response)>.*?</\1>|^[ \t]*(`{3,})[^\n]*\n.*?^[ \t]*\2|"
                    r"^\*{3,}[ \t]*(?:suggested tool call|response from calling tool)\b.*?^\*{5,}"
                    r"[ \t]*$")
# (what cannot be an agent's log: read no further)
_GATE_WORDS = ("tool", "action", "submit", "final_answer", "finish", "observation", "traceback",
               "prediction(", "generatedanswer", "replies", "message", "(to ", '"role"')
# a program's traceback: the run failed there, and what it printed after is its error
_TRACEBACK = re.compile(r"(?m)^[ \t]*Traceback \(most recent call last\):")
# the turns of a printed conversation: LangGraph's "===== Ai Message =====" banners,
# AutoGen's "assistant (to user_proxy):"; whose turn each is
_TURN_OPENERS = (
    (re.compile(r"(?m)^=+[ \t]*(\w+)[ \t]+Message[ \t]*=+[ \t]*$"), re.compile(r"(?i)ai")),
    (re.compile(r"(?m)^([\w.\-]+)[ \t]+\(to[ \t]+[\w.\-]+\):[ \t]*$"),
     re.compile(r"(?i)^(?!.*(?:user|proxy|human|executor)).*$")),
)
# a turn that calls a tool (its answer is still to come)
_CALLS_IN_TURN = re.compile(r"(?im)^[ \t]*(?:tool calls[ \t]*:|\*{3,}[ \t]*suggested tool call\b)")
# a submission's answer given by keyword: submit(answer="...")
_KEYWORD = re.compile(r"\s*(?:" + "|".join(ANSWER_ARGUMENTS) + r")\s*=\s*")


def _may_be_run(text: str) -> bool:
    # (substring tests: one pattern of alternatives tried at every position costs more)
    lowered = text.lower()
    return any(word in lowered for word in _GATE_WORDS)


def _closing(text: str, start: int) -> int | None:
    """The index after the bracket that closes the one at ``start`` (none inside a string
    counts), or None when it is never closed."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    stack: list[str] = []
    quote = None
    index = start
    while index < len(text):
        char = text[index]
        if quote is not None:
            if char == "\\":
                index += 2
                continue
            if char == quote:
                quote = None
        elif char == '"' or (char == "'" and text[:index].rstrip()[-1:] in ("(", "[", "{", ",", "=",
                                                                             ":")):
            quote = char
        elif char in pairs:
            stack.append(pairs[char])
        elif stack and char == stack[-1]:
            stack.pop()
            if not stack:
                return index + 1
        index += 1
    return None


def _submissions(text: str) -> list[tuple[int, int]]:
    """Where each submission's argument stands in ``text`` (its brackets included)."""
    found = []
    for pattern in (_SUBMIT, _SUBMIT_JSON):
        for match in pattern.finditer(text):
            start = match.start(1)
            # ("arguments": "<a JSON string>", as OpenAI's tool calls carry them)
            end = _string_end(text, start) if text[start] == '"' else _closing(text, start)
            if end is not None:
                found.append((start, end))
    return sorted(found)


def _string_end(text: str, start: int) -> int | None:
    decoded = json_string(text, start)
    return None if decoded is None else decoded[2]


def is_agent_log(text: str) -> bool:
    """Whether ``text`` is an agent's log: a tool called and what it gave back, two calls, or
    a submission."""
    if not _may_be_run(text):
        return False
    if _SUBMIT.search(text) or _SUBMIT_JSON.search(text):
        return True
    calls = len(_CALL.findall(text))
    return calls >= 2 or (calls == 1 and _OBSERVATION.search(text) is not None) or len(
        _RESULT.findall(text)) >= 2


def _argument(text: str, offsets: list[int], start: int, end: int) -> tuple[str, list[int]]:
    """A submission's argument as the answer: a JSON object as it is (its answer field empty:
    no answer), a quoted string's content, an ``answer=`` keyword's value, a bracket's
    content."""
    bracket = text[start]
    inner_start, inner_end = start + 1, end - 1
    if bracket == "{":
        try:
            parsed = json.loads(text[start:end])
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            for key in ANSWER_ARGUMENTS:
                if key in parsed:
                    value = parsed[key]
                    if value is None or (isinstance(value, str | list | dict) and not value):
                        return "", []
                    break
        return text[start:end], offsets[start:end]
    if bracket == '"':
        decoded = json_string(text, start)
        if decoded is not None and decoded[0].lstrip().startswith("{"):
            # (arguments given as a JSON string: the object it holds is the argument)
            value, where, _ = decoded
            opening = value.index("{")
            closing = _closing(value, opening)
            if closing is not None:
                return _argument(value, [offsets[i] for i in where], opening, closing)
        inner_start, inner_end = start + 1, end - 1
    keyword = _KEYWORD.match(text, inner_start, inner_end)
    if keyword is not None:
        inner_start = keyword.end()
    while inner_start < inner_end and text[inner_start] in " \t\n":
        inner_start += 1
    while inner_end > inner_start and text[inner_end - 1] in " \t\n,":
        inner_end -= 1
    if inner_end - inner_start >= 2 and text[inner_start] in "\"'" \
            and text[inner_end - 1] == text[inner_start]:
        inner_start, inner_end = inner_start + 1, inner_end - 1
    if EMPTY_VALUE.fullmatch(text, inner_start, inner_end):
        return "", []
    return text[inner_start:inner_end], offsets[inner_start:inner_end]


def _after_steps(text: str, offsets: list[int]) -> tuple[str, list[int]]:
    """What a log without a submission says after its last step: the prose the agent wrote
    to the reader once its tools had answered (a tool's result runs on to a blank line or
    the next step; the agent's thoughts and the runner's lines are no part of it)."""
    blocks = [(m.start(), m.end()) for m in _BLOCK.finditer(text)]
    kept: list[tuple[int, int]] = []
    # (the step whose lines run on: a tool's call or result, or a thought)
    running: str | None = None
    position = 0
    for line in text.splitlines(keepends=True):
        start, position = position, position + len(line)
        if any(a <= start < b for a, b in blocks):
            kept, running = [], None  # (a tagged call or result ends with its tag)
            continue
        if _CALL.match(line) or _OBSERVATION.match(line):
            kept, running = [], "tool"  # (a step: what came before it was no answer)
            continue
        if not line.strip():
            running = None  # (a blank line ends a result's or a thought's run)
            continue
        if _WORKING.match(line):
            running = "thought"
            continue
        if running == "thought" and _LABELLED.match(line):
            running = None  # (a thought's run ends where a label opens a line: "Answer:")
        if _META.match(line) or running is not None:
            continue
        kept.append((start, position))
    joined = "".join(text[a:b] for a, b in kept)
    mapped = [o for a, b in kept for o in offsets[a:b]]
    stripped = joined.rstrip()
    return stripped, mapped[:len(stripped)]


def _reported(text: str, offsets: list[int], label: re.Match[str]) -> tuple[str, list[int]]:
    """The answer a run reports as final, after its label, to the end (the runner's lines
    left out)."""
    kept = [(a, b) for a, b in _lines(text, label.end()) if not _META.match(text, a)
            and text[a:b].strip()]
    joined = "".join(text[a:b] for a, b in kept)
    mapped = [o for a, b in kept for o in offsets[a:b]]
    lead = len(joined) - len(joined.lstrip())
    stripped = joined.strip()
    return stripped, mapped[lead:lead + len(stripped)]


def _lines(text: str, start: int) -> list[tuple[int, int]]:
    spans = []
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        spans.append((start, end))
        start = end
    return spans


# a traceback's last line: the exception and its message ("langgraph.errors.GraphRecursionError:
# Recursion limit ...", "KeyError: 'x'"), not indented
_EXCEPTION_LINE = re.compile(r"(?m)^(?:[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|"
                             r"Timeout)\w*|[A-Za-z_][\w.]*\.[A-Z]\w*)(?::[^\n]*)?$")


def _traceback_end(text: str, start: int) -> int:
    """Where the traceback whose header ends at ``start`` ends: at the step, turn or answer
    the run went on to after its exception's line; else (the run ended in it, its message
    running on) at the end of ``text``."""
    found = _EXCEPTION_LINE.search(text, start)
    if found is None:
        return len(text)
    resumed = [m.start() for pattern in (_CALL, _OBSERVATION, _WORKING, _REPORTED, _SUBMIT)
               for m in [pattern.search(text, found.end())] if m is not None]
    resumed += [m.start() for opener, _ in _TURN_OPENERS
                for m in [opener.search(text, found.end())] if m is not None]
    return min(resumed, default=len(text))


def _conversation_answer(text: str, offsets: list[int]) -> tuple[str, list[int]] | None:
    """What a printed conversation's last turn answers: its text when the assistant's and
    calling no tool, else nothing (None: ``text`` is no such conversation)."""
    for opener, assistant in _TURN_OPENERS:
        turns = list(opener.finditer(text))
        if len(turns) < 2:
            continue
        last = turns[-1]
        body = text[last.end():]
        if not assistant.search(last.group(1)) or _CALLS_IN_TURN.search(body):
            return "", []
        kept = [(a, b) for a, b in _lines(text, last.end()) if text[a:b].strip()
                and not _META.match(text, a) and not re.match(r"[ \t]*Name:", text[a:b])]
        joined = "".join(text[a:b] for a, b in kept)
        mapped = [o for a, b in kept for o in offsets[a:b]]
        # (AutoGen's assistant ends its answer with the word that ends the chat)
        body = re.sub(r"\s*\bTERMINATE\s*$", "", joined)
        lead = len(body) - len(body.lstrip())
        return body.strip(), mapped[lead:lead + len(body.strip())]
    return None


def is_run_output(text: str) -> bool:
    """Whether ``text`` is what a run returned rather than an answer written to the reader:
    an agent's log, a serialized result object, a program's traceback."""
    return _may_be_run(text) and (
        is_agent_log(text) or _TRACEBACK.search(text) is not None
        or _conversation_answer(text, list(range(len(text)))) is not None
        or record_answer(text, list(range(len(text)))) is not None)


def agent_answer(text: str, offsets: list[int]) -> tuple[str, list[int]] | None:
    """The answer an agent's log or a pipeline's result gives, or None when ``text`` is
    neither.

    Returns:
        The answer the run reports as final, else the last submission's argument
        (:func:`_argument`), else what the log says after its last step (for a serialized
        result, :func:`agility.metrics._agent_records.record_answer`; for a printed
        conversation, its last turn); ``("", [])`` when the run answered nothing. Each
        character comes with its offset in the text as given (``offsets`` maps ``text``'s
        characters).
    """
    if not _may_be_run(text):
        return None
    # (a traceback is the error a step or the run ended in: read past it; a run that ends in
    # one failed, and answers with nothing after what it printed before)
    failed = None
    for failed in reversed(list(_TRACEBACK.finditer(text))):
        end = _traceback_end(text, failed.end())
        text, offsets = text[:failed.start()] + text[end:], offsets[:failed.start()] + offsets[end:]
    if failed is not None and not text.strip():
        return "", []
    submitted = _submissions(text)
    argument = _argument(text, offsets, *submitted[-1]) if submitted else None
    recorded = record_answer(text, offsets, argument)
    if recorded is not None:
        return recorded
    spoken = _conversation_answer(text, offsets)
    if spoken is not None:
        return spoken
    if not is_agent_log(text):
        if failed is not None:
            lead = len(text) - len(text.lstrip())
            return text.strip(), offsets[lead:lead + len(text.strip())]
        return None
    # a chat template's last assistant turn is the answer, read as a log in its turn
    turns = list(_ASSISTANT_TURN.finditer(text))
    if turns:
        start = turns[-1].end()
        closed = _TURN_END.search(text, start)
        end = closed.start() if closed else len(text)
        turn, mapped = text[start:end], offsets[start:end]
        if not is_agent_log(turn):
            lead = len(turn) - len(turn.lstrip())
            return turn.strip(), mapped[lead:lead + len(turn.strip())]
        text, offsets = turn, mapped
        submitted = _submissions(text)
        argument = _argument(text, offsets, *submitted[-1]) if submitted else None
    labels = list(_REPORTED.finditer(text))
    reported = labels[-1] if labels else None
    # (what the run reports after the submission is what it submitted: the value of
    # "final_answer(round(ratio, 2))")
    if reported is not None and (not submitted or reported.start() > submitted[-1][0]):
        return _reported(text, offsets, reported)
    if argument is not None:
        return argument
    return _after_steps(text, offsets)
