"""Prompt files as data: written back byte-for-byte equivalent, settings and nearest pairs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agility.chat import GenerationConfig
from agility.dataset import GoldenExample
from agility.errors import ConfigError
from agility.prompts import (
    FewShotSelect,
    MessageSpec,
    PromptSpec,
    dump_prompt,
    load_prompt_spec,
    load_template,
)
from agility.runner import run_model
from agility.store import Store

SPEC = PromptSpec(
    name="ported", version="3",
    few_shot=[{"question": "Context:\n[1] Revenue was $5.\n\nQuestion: Revenue?\nAnswer:",
               "answer": "$5", "key": "Revenue?"}],
    messages=[MessageSpec(role="user", content="Context:\n{{ context }}\n\nQuestion: "
                                               "{{ question }}\nAnswer:  ")],
    config=GenerationConfig(max_tokens=12, stop=["\n", "[INST]"]),
    lineage={"parent": {"hash": "abc"}, "seed": 7})


def test_a_written_prompt_loads_back_with_the_same_hash(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(dump_prompt(SPEC, header="Ported by a test.\nSecond line."))
    text = path.read_text()
    assert text.startswith("# Ported by a test.\n# Second line.\nname: ported\n")
    loaded = load_template(path)
    assert loaded.hash == SPEC.template().hash
    assert loaded.config == SPEC.config and loaded.lineage == SPEC.lineage
    assert load_prompt_spec(path) == SPEC


def test_settings_and_selection_are_part_of_the_hash_lineage_is_not() -> None:
    base = SPEC.template().hash
    assert SPEC.model_copy(update={"lineage": {"other": 1}}).template().hash == base
    assert SPEC.model_copy(update={"config": GenerationConfig(max_tokens=13)}).template().hash \
        != base
    assert SPEC.model_copy(update={"few_shot_select": FewShotSelect(k=1)}).template().hash \
        != base


def test_an_empty_pool_with_a_selection_is_an_error() -> None:
    with pytest.raises(ConfigError, match="the pool .few_shot. is empty"):
        SPEC.model_copy(update={"few_shot": [], "few_shot_select": FewShotSelect(k=1)}).template()


def test_the_template_settings_sit_between_the_rows_and_the_runs(tmp_path: Path) -> None:
    golden = tmp_path / "g.jsonl"
    golden.write_text('{"id": "a", "source_prompt": "one two three four five six", '
                      '"ground_truth": "x", "model_config": {"max_tokens": 5}}\n')
    prompt = tmp_path / "p.yaml"
    prompt.write_text(dump_prompt(PromptSpec(
        name="p", messages=[MessageSpec(role="user", content="{{ question }}")],
        config=GenerationConfig(max_tokens=3))))
    with Store(tmp_path / "s.db") as store:
        # mock/echo answers with the prompt, cut at max_tokens words
        run_model(golden, "mock/echo", name="t", store=store, template=prompt, progress=False)
        run_model(golden, "mock/echo", name="r", store=store, template=prompt, progress=False,
                  config=GenerationConfig(max_tokens=2))
        first = store.results(store.require_run("t").id)[0]
        second = store.results(store.require_run("r").id)[0]
    assert first.output == "one two three"  # the template's 3 over the row's 5
    assert second.output == "one two"        # the run's 2 over the template's 3


@pytest.mark.slow  # loads the local embedding model
def test_nearest_pairs_are_picked_per_question_and_never_the_question_itself() -> None:
    pool = [{"question": q, "answer": a} for q, a in (
        ("What was net revenue in 2024?", "$1,284.0 million"),
        ("What was the gross margin in 2024?", "42.2%"),
        ("How many employees did the company have?", "3,120"),
        ("What dividend per share was paid?", "$0.80"))]
    spec = PromptSpec(name="n", few_shot=pool, few_shot_select=FewShotSelect(k=2),
                      messages=[MessageSpec(role="user", content="{{ question }}")])
    template = spec.template()
    asked = GoldenExample(id="x", source_prompt="What was net revenue in 2023?",
                          ground_truth="$1,190.0 million")
    messages = template.render(asked)
    shown = [m.content for m in messages if m.role == "user"][:-1]
    assert len(shown) == 2 and shown[-1] == "What was net revenue in 2024?"  # nearest last
    same = GoldenExample(id="y", source_prompt="What was the gross margin in 2024?",
                         ground_truth="42.2%")
    users = [m.content for m in template.render(same) if m.role == "user"]
    assert users[-1] == "What was the gross margin in 2024?"
    assert "What was the gross margin in 2024?" not in users[:-1]  # its own answer never shown
