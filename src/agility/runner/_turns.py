"""Conversations replayed turn by turn with the model's own answers as their history.

With ``turns="each"`` a conversation row is one row per assistant turn
(:func:`agility.dataset.conversation_turns`). ``history="transcript"`` sends each turn with
the transcript's earlier assistant messages, so every turn is judged on the same history
whichever model answers. ``history="own"`` replaces them with the answers the model under test
gave to the earlier turns in this run, as a user talking to it would see: the turns of one
conversation (and repeat) then run in order, one after the other, while different
conversations run concurrently. A turn whose earlier turn failed is not sent (its history
does not exist): it is recorded as an error naming that turn, and counts as one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from agility.dataset import TURN_MARK, turn_positions
from agility.store import ResultRecord

__all__ = ["Conversation", "History", "Turns", "conversations", "turn_of", "with_own_answers"]

Turns = Literal["last", "each"]
History = Literal["transcript", "own"]


def turn_of(example: Any) -> tuple[str, int] | None:
    """``(conversation id, turn number)`` of a turn row, None for any other row."""
    meta = getattr(example, "metadata", None) or {}
    conversation, turn = meta.get("conversation_id"), meta.get("turn")
    if isinstance(conversation, str) and isinstance(turn, int) \
            and example.id == f"{conversation}{TURN_MARK}{turn}":
        return conversation, turn
    return None


def with_own_answers(example: Any, answers: Sequence[str]) -> Any:
    """``example`` with its earlier assistant turns replaced by ``answers``, in order."""
    prompt = list(example.source_prompt)
    positions = turn_positions(prompt)
    if len(positions) != len(answers):  # a turn row holds exactly its earlier turns
        raise ValueError(f"{example.id}: {len(positions)} earlier turns, {len(answers)} answers")
    for position, answer in zip(positions, answers, strict=True):
        prompt[position] = prompt[position].model_copy(update={"content": answer})
    return example.model_copy(update={"source_prompt": prompt})


@dataclass
class Conversation:
    """The pending turns of one conversation and repeat, in turn order, and the answers its
    earlier turns got (from this run, or stored by the run being resumed)."""

    items: list[tuple[Any, int]]
    #: turn number -> the answer it got (None: it failed)
    answers: dict[int, str | None] = field(default_factory=dict)

    def prepare(self, example: Any) -> tuple[Any, str | None]:
        """The example to send for this turn, or None and why it cannot be sent."""
        where = turn_of(example)
        if where is None:
            return example, None
        conversation, turn = where
        earlier = [self.answers.get(k) for k in range(1, turn)]
        for k, answer in enumerate(earlier, start=1):
            if answer is None:
                return None, (f"TurnNotSent: turn {k} of conversation {conversation} has no "
                              f"answer, and the model's own answers are this turn's history")
        return with_own_answers(example, [a for a in earlier if a is not None]), None

    def record(self, example: Any, result: ResultRecord) -> None:
        """Keep the answer ``example``'s turn got, for the turns after it."""
        where = turn_of(example)
        if where is not None:
            self.answers[where[1]] = None if result.error is not None else (result.output or "")


def conversations(items: Iterable[tuple[Any, int]],
                  stored: dict[tuple[str, int], ResultRecord]) -> list[Conversation]:
    """The run's pending items as conversations, each run in turn order (a row that is not
    a turn is a conversation of its own); ``stored`` holds the results a resumed run already
    has, whose answers are the history of the pending turns after them."""
    groups: dict[tuple[str, int], Conversation] = {}
    for example, repeat in items:
        where = turn_of(example)
        key = (where[0] if where is not None else f"row:{example.id}", repeat)
        groups.setdefault(key, Conversation(items=[])).items.append((example, repeat))
    for conversation in groups.values():
        conversation.items.sort(key=lambda item: (turn_of(item[0]) or ("", 0))[1])
    for (example_id, repeat), result in stored.items():
        name, mark, turn = example_id.rpartition(TURN_MARK)
        group = groups.get((name, repeat)) if mark and turn.isdigit() else None
        if group is not None and result.error is None:
            group.answers[int(turn)] = result.output or ""
    return list(groups.values())
