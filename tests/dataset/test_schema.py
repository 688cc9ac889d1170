"""The golden example schema and the views other parts of agility rely on."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agility.chat import Message
from agility.dataset import GoldenExample, canonical_json, row_hash


def example(**fields: object) -> GoldenExample:
    base: dict[str, object] = {"id": "q1", "source_prompt": "What was revenue?",
                               "ground_truth": "$10M"}
    return GoldenExample.model_validate({**base, **fields})


def test_string_prompt_becomes_one_user_message() -> None:
    ex = example()
    assert ex.prompt_messages() == [Message(role="user", content="What was revenue?")]
    assert ex.question == "What was revenue?"


def test_system_user_prompt_gives_system_then_user() -> None:
    ex = example(source_prompt={"system": "Be brief.", "user": "Revenue?"})
    assert [(m.role, m.content) for m in ex.prompt_messages()] == [
        ("system", "Be brief."), ("user", "Revenue?")]


def test_documents_are_numbered_under_context_heading_before_the_question() -> None:
    ex = example(source_prompt={"system": "Use the context.", "user": "Revenue in 2022?"},
                 input_context=["Revenue was $10M.", "Costs were $4M."])
    user = ex.prompt_messages()[-1]
    assert user.content == ("Context:\n[1] Revenue was $10M.\n\n[2] Costs were $4M.\n\n"
                            "Revenue in 2022?")
    assert ex.contexts == ["Revenue was $10M.", "Costs were $4M."]
    assert ex.question == "Revenue in 2022?"


def test_context_already_in_the_prompt_is_not_added_twice() -> None:
    ex = example(source_prompt="Context: Revenue was $10M.\nQuestion: revenue?",
                 input_context="Revenue was $10M.")
    assert ex.prompt_messages()[0].content == "Context: Revenue was $10M.\nQuestion: revenue?"


def test_conversation_history_goes_before_the_last_user_message() -> None:
    history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    ex = example(source_prompt=[{"role": "system", "content": "S"},
                                {"role": "user", "content": "And revenue?"}],
                 input_context=history)
    assert [m.content for m in ex.prompt_messages()] == ["S", "Hi", "Hello", "And revenue?"]
    assert ex.contexts == []
    assert [m.role for m in ex.history] == ["user", "assistant"]


def test_model_config_alias_keeps_unknown_keys_in_extra_and_round_trips() -> None:
    ex = example(model_config={"temperature": 0.2, "max_tokens": 64, "stop": "\n",
                               "openai_seed": 7})
    assert ex.generation_config.temperature == 0.2
    assert ex.generation_config.stop == ["\n"]
    assert ex.generation_config.extra == {"openai_seed": 7}
    row = ex.to_row()
    assert row["model_config"] == {"temperature": 0.2, "max_tokens": 64, "stop": ["\n"],
                                   "openai_seed": 7}
    assert GoldenExample.model_validate(row) == ex


def test_canonical_row_drops_unset_fields_and_hash_tracks_content() -> None:
    ex = example(notes=None, tags=[])
    assert canonical_json(ex) == ('{"ground_truth":"$10M","id":"q1",'
                                  '"source_prompt":"What was revenue?"}')
    assert row_hash(ex) == row_hash(example())
    assert row_hash(example(ground_truth="$11M")) != row_hash(ex)


@pytest.mark.parametrize("bad", [
    {"source_prompt": {"user": "q", "assistant": "x"}},
    {"source_prompt": [{"role": "assistant", "content": "only"}]},
    {"input_context": ["doc", {"role": "user", "content": "mix"}]},
    {"ground_truth": "   "},
    {"split": "test"},
])
def test_malformed_fields_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        example(**bad)


def test_document_objects_get_a_hint_to_map_their_text(tmp_path, write_jsonl) -> None:
    from agility.dataset import validate_file

    path = write_jsonl(tmp_path / "g.jsonl", [{"id": "a", "source_prompt": "q",
                                               "ground_truth": "x",
                                               "input_context": [{"text": "doc"}]}])
    errors = [str(p) for p in validate_file(path)[1] if p.severity == "error"]
    assert errors == [f"{path}:1: input_context: [0] is an object without 'role': documents "
                      f"must be strings (when importing, map their text, e.g. "
                      f"--map input_context=docs.text)"]
