"""Prompt templates: rendering, strict undefined variables, and no leak of the answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from agility.dataset import GoldenExample
from agility.errors import ConfigError
from agility.prompts import PromptTemplate, load_template

EXAMPLE = GoldenExample(id="fb-1", source_prompt="What was 3M's FY2018 capex?",
                        input_context=["Capex was $1,577M.", "Revenue grew 3%."],
                        ground_truth="$1,577 million", source_output="$1.6B",
                        metadata={"company": "3M"})


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_template_renders_system_few_shot_context_and_question(tmp_path):
    path = _write(tmp_path, "rag.yaml", """\
name: rag
version: 2
system: "Answer from the context about {{ metadata.company }}."
few_shot:
  - {question: "Revenue in 2017?", answer: "$31.7B"}
messages:
  - role: user
    content: "Context:\\n{{ context }}\\n\\nQuestion: {{ question }} ({{ contexts | length }} docs)"
""")
    messages = load_template(path).render(EXAMPLE)
    assert [m.role for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[0].content == "Answer from the context about 3M."
    assert messages[1:3][1].content == "$31.7B"
    assert messages[3].content == ("Context:\n[1] Capex was $1,577M.\n\n[2] Revenue grew 3%.\n\n"
                                   "Question: What was 3M's FY2018 capex? (2 docs)")


def test_retrieved_contexts_replace_the_examples_own(tmp_path):
    template = PromptTemplate("t", [("user", "{{ context }}")])
    [message] = template.render(EXAMPLE, contexts=["retrieved chunk"])
    assert message.content == "[1] retrieved chunk"


def test_plain_text_file_is_one_user_message(tmp_path):
    template = load_template(_write(tmp_path, "p.j2", "Q: {{ question }}"))
    assert [(m.role, m.content) for m in template.render(EXAMPLE)] == [
        ("user", "Q: What was 3M's FY2018 capex?")]


def test_undefined_variable_names_the_file_and_the_variable(tmp_path):
    path = _write(tmp_path, "typo.j2", "{{ questoin }}")
    with pytest.raises(ConfigError) as info:
        load_template(path).render(EXAMPLE)
    assert str(path) in str(info.value) and "questoin" in str(info.value)


@pytest.mark.parametrize("expr", ["ground_truth", "example.ground_truth", "example.source_output",
                                  "example['ground_truth']"])
def test_template_cannot_read_the_answer(tmp_path, expr):
    template = PromptTemplate("leak", [("user", "{{ " + expr + " }}")])
    with pytest.raises(ConfigError, match="hidden from templates"):
        template.render(EXAMPLE)


def test_example_fields_other_than_the_answer_are_available():
    template = PromptTemplate("ok", [("user", "{{ example.id }} {{ example.metadata.company }}")])
    assert template.render(EXAMPLE)[0].content == "fb-1 3M"


def test_jinja_syntax_error_names_file_and_line(tmp_path):
    path = _write(tmp_path, "bad.yaml", "name: b\nmessages:\n  - {role: user, content: '{{ x '}\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: messages\[0\]\.content: line 1"):
        load_template(path)


def test_invalid_template_file_names_the_field(tmp_path):
    path = _write(tmp_path, "bad.yaml", "name: b\nmessages:\n  - {role: robot, content: hi}\n")
    with pytest.raises(ConfigError, match=r"messages\.0\.role"):
        load_template(path)


def test_template_hash_changes_with_its_text():
    a = PromptTemplate("t", [("user", "{{ question }}")])
    b = PromptTemplate("t", [("user", "{{ question }}!")])
    assert a.hash == PromptTemplate("t", [("user", "{{ question }}")]).hash
    assert a.hash != b.hash


def test_sandbox_blocks_python_internals():
    template = PromptTemplate("evil", [("user", "{{ question.__class__.__mro__ }}")])
    with pytest.raises(ConfigError):
        template.render(EXAMPLE)


def test_every_template_problem_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: t\nmessages:\n  - role: robot\n    content: hi\n  - role: user\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_template(path)
    text = str(info.value)
    assert f"{path}:3: messages.0.role: Input should be 'system', 'user' or 'assistant'" in text
    assert f"{path}:5: messages.1.content: required field is missing" in text
