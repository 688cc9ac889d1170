"""Conversations turn by turn: a multi-turn golden row as one row per assistant turn.

A row whose ``source_prompt`` is a conversation (``user``, ``assistant``, ``user``, ...) is
evaluated today on its last turn only. :func:`conversation_turns` makes one row per assistant
turn instead: turn *k*'s prompt is the conversation up to the *k*-th assistant message, its
reference that message (the last turn's reference is the row's ``ground_truth``). Each turn is
then generated, scored and reported like any row: ids ``ID#t1``, ``ID#t2``..., tags
``turn:1``, ``turn:2``... and ``turn:last``, ``metadata.conversation_id``/``turn``/``turns``.

A turn is an assistant message with text and no tool calls that follows a user message
somewhere before it; an agent's intermediate steps (an assistant message that called tools,
the ``tool`` results) stay in the history of the turns after them. Rows that are not a
conversation (one user message, ``{system, user}``, or a list with no earlier assistant turn)
are kept as they are. What the source recorded (``source_output``, latency, tokens, earlier
scores, ``expected_tool_calls``) belongs to the last turn only; earlier turns have none.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agility.chat import Message
from agility.dataset._schema import GoldenExample
from agility.errors import DatasetError

__all__ = ["TURN_MARK", "conversation_turns", "expand_turns", "turn_positions"]

#: between a conversation's id and its turn number in a turn row's id (``ex-007#t2``)
TURN_MARK = "#t"

#: fields that describe what the source did on the recorded (last) turn
_LAST_TURN_ONLY = ("source_output", "latency_ms", "input_tokens", "output_tokens",
                   "automated_score", "human_score", "notes")


def turn_positions(messages: list[Message]) -> list[int]:
    """Where the assistant turns of a conversation are (indices into ``messages``)."""
    seen_user = False
    positions: list[int] = []
    for i, message in enumerate(messages):
        if message.role == "user":
            seen_user = True
        elif (message.role == "assistant" and seen_user and not message.tool_calls
              and message.content.strip()):
            positions.append(i)
    return positions


def conversation_turns(example: GoldenExample) -> list[GoldenExample]:
    """One row per assistant turn of ``example`` (``[example]`` when it is not a
    conversation; see the module's docstring for the rows made)."""
    prompt = example.source_prompt
    if not isinstance(prompt, list):
        return [example]
    positions = [p for p in turn_positions(prompt)
                 if any(m.role == "user" for m in prompt[p + 1:])]  # a user turn follows
    if not positions:
        return [example]
    n = len(positions) + 1
    base = example.model_dump(by_alias=True)
    turns: list[GoldenExample] = []
    for k in range(1, n + 1):
        last = k == n
        row: dict[str, Any] = {**base, "id": f"{example.id}{TURN_MARK}{k}",
                               "tags": [*example.tags, f"turn:{k}",
                                        *(["turn:last"] if last else [])],
                               "metadata": {**example.metadata, "conversation_id": example.id,
                                            "turn": k, "turns": n}}
        if not last:
            row["source_prompt"] = prompt[:positions[k - 1]]
            row["ground_truth"] = prompt[positions[k - 1]].content
            row["metadata"].pop("expected_tool_calls", None)
            for field in _LAST_TURN_ONLY:
                row[field] = None
        turns.append(GoldenExample.model_validate(row))
    return turns


def expand_turns(examples: Iterable[GoldenExample]) -> list[GoldenExample]:
    """Every example turn by turn (:func:`conversation_turns`), in order.

    Raises:
        DatasetError: a turn row's id is already the id of another row.
    """
    original = list(examples)
    ids = {ex.id for ex in original}
    out: list[GoldenExample] = []
    for example in original:
        turns = conversation_turns(example)
        if len(turns) > 1:
            taken = [t.id for t in turns if t.id in ids]
            if taken:
                raise DatasetError(f"turn by turn, conversation {example.id!r} makes row "
                                   f"{taken[0]!r}, which is already the id of another row; "
                                   f"rename that row")
        out.extend(turns)
    return out
