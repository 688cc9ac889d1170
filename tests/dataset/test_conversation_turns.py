"""A conversation row turn by turn: one row per assistant turn with the conversation so far as
its prompt and that turn's message as its reference; an agent's tool steps stay history; rows
that are not conversations are kept; what the source recorded belongs to the last turn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agility.dataset import GoldenExample, conversation_turns, expand_turns, load_dataset
from agility.errors import DatasetError

AGENT = {
    "id": "trip", "split": "holdout", "stratum": "agent", "tags": ["travel"],
    "source_prompt": [
        {"role": "system", "content": "You book trips."},
        {"role": "user", "content": "Find me a flight to Paris"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"name": "find_flight", "arguments": {"to": "Paris"}, "id": "call_1"}]},
        {"role": "tool", "content": "AF12 at 9:00", "tool_call_id": "call_1"},
        {"role": "assistant", "content": "AF12 leaves at 9:00. Book it?"},
        {"role": "user", "content": "Yes, two seats"}],
    "ground_truth": "Booked two seats on AF12.",
    "source_output": "Done: two seats on AF12.", "latency_ms": 812.0, "human_score": 1.0,
    "metadata": {"expected_tool_calls": [{"name": "book", "arguments": {"seats": 2}}],
                 "tools": [{"name": "book", "parameters": {"type": "object"}}]},
}


def test_one_row_per_assistant_turn_with_the_tool_steps_kept_as_history() -> None:
    first, last = conversation_turns(GoldenExample.model_validate(AGENT))
    assert (first.id, last.id) == ("trip#t1", "trip#t2")
    # turn 1: up to the assistant's answer, the tool call and its result included
    assert [m.role for m in first.prompt_messages()] == ["system", "user", "assistant", "tool"]
    assert first.ground_truth == "AF12 leaves at 9:00. Book it?"
    assert [m.role for m in last.prompt_messages()] == [
        "system", "user", "assistant", "tool", "assistant", "user"]
    assert last.ground_truth == AGENT["ground_truth"]
    # what the source recorded is the last turn's; the expected calls too; tools are offered
    assert first.source_output is None and first.latency_ms is None and first.human_score is None
    assert last.source_output == AGENT["source_output"] and last.latency_ms == 812.0
    assert "expected_tool_calls" not in first.metadata and last.metadata["expected_tool_calls"]
    assert [t.name for t in first.tools()] == [t.name for t in last.tools()] == ["book"]
    assert first.tags == ["travel", "turn:1"] and last.tags == ["travel", "turn:2", "turn:last"]
    assert first.metadata["conversation_id"] == "trip"
    assert (first.metadata["turn"], last.metadata["turn"], last.metadata["turns"]) == (1, 2, 2)
    assert first.split == last.split == "holdout" and first.stratum == "agent"


@pytest.mark.parametrize("row", [
    {"id": "a", "source_prompt": "one question", "ground_truth": "x"},
    {"id": "b", "source_prompt": {"system": "s", "user": "u"}, "ground_truth": "x"},
    # an assistant message before any user one, and one after the last user: not turns
    {"id": "c", "source_prompt": [{"role": "assistant", "content": "Hi, how can I help?"},
                                  {"role": "user", "content": "q"}], "ground_truth": "x"},
])
def test_rows_that_are_not_conversations_are_kept_as_they_are(row: dict[str, object]) -> None:
    example = GoldenExample.model_validate(row)
    assert conversation_turns(example) == [example]


def test_a_turn_id_that_is_taken_is_one_clear_error(tmp_path: Path) -> None:
    rows = [{"id": "c#t1", "source_prompt": "q", "ground_truth": "x"},
            {"id": "c", "source_prompt": [{"role": "user", "content": "q1"},
                                          {"role": "assistant", "content": "a1"},
                                          {"role": "user", "content": "q2"}],
             "ground_truth": "a2"}]
    path = tmp_path / "g.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    dataset = load_dataset(path)
    with pytest.raises(DatasetError, match="conversation 'c' makes row 'c#t1'"):
        dataset.by_turn()
    by_turn = load_dataset(path).examples[1:]
    assert [e.id for e in expand_turns(by_turn)] == ["c#t1", "c#t2"]


def test_the_dataset_by_turn_has_its_own_hash_and_the_rows_lines(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text(json.dumps(AGENT) + "\n" + json.dumps(
        {"id": "p", "source_prompt": "q", "ground_truth": "x"}) + "\n", encoding="utf-8")
    dataset = load_dataset(path)
    turns = dataset.by_turn()
    assert [e.id for e in turns.examples] == ["trip#t1", "trip#t2", "p"]
    assert turns.hash != dataset.hash and turns.lines == {"trip#t1": 1, "trip#t2": 1, "p": 2}


@pytest.mark.parametrize("message, words", [
    ({"role": "tool", "content": "AF12"}, "[1]: a tool message (and only a tool message) names"),
    ({"role": "user", "content": "q", "tool_calls": [{"name": "x"}]},
     "[1]: only an assistant message carries tool_calls"),
    ({"role": "assistant", "content": None, "tool_calls": {"name": "x"}},
     "[1].tool_calls must be a list"),
    ({"role": "assistant", "content": "", "tool_calls": [{"arguments": "{}"}]},
     "[1].tool_calls.0.name"),
    ({"role": "assistant", "content": "a", "id": 3}, "[1] has unknown key(s) id"),
])
def test_a_bad_message_of_an_agents_transcript_is_one_line_naming_it(
        tmp_path: Path, message: dict[str, object], words: str) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text(json.dumps({"id": "a", "ground_truth": "x", "source_prompt": [
        {"role": "user", "content": "q"}, message]}) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError) as raised:
        load_dataset(path)
    assert f"g.jsonl:1: source_prompt: {words}" in str(raised.value)
