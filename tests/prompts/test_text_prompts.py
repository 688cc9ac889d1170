"""``format: text`` prompts: one raw text for a completions API (system text, few-shot pairs as
question-then-answer blocks, then the user message), refused where it cannot be sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from agility.dataset import GoldenExample
from agility.errors import ConfigError, UsageError
from agility.prompts import (
    MessageSpec,
    PromptSpec,
    dump_prompt,
    load_prompt_spec,
    load_template,
)
from agility.runner import run_model
from agility.store import Store
from agility.testing import FakeOpenAIServer

TEXT = PromptSpec(
    name="completion", format="text", system="Answers from a 10-K.",
    few_shot=[{"question": "Context:\nCash was $5.0 million.\nQuestion: Cash?\nAnswer:",
               "answer": "$5.0 million"}],
    messages=[MessageSpec(role="user",
                          content="Context:\n{{ context }}\nQuestion: {{ question }}\nAnswer:")])
EXAMPLE = GoldenExample(id="q1", source_prompt="Revenue in 2024?", ground_truth="$7",
                        input_context=["Revenue was $7 million in 2024."])


def test_a_text_prompt_renders_one_raw_text_in_blocks() -> None:
    messages = TEXT.template().render(EXAMPLE)
    assert [m.role for m in messages] == ["user"]
    assert messages[0].content == (
        "Answers from a 10-K.\n\n"
        "Context:\nCash was $5.0 million.\nQuestion: Cash?\nAnswer: $5.0 million\n\n"
        "Context:\n[1] Revenue was $7 million in 2024.\nQuestion: Revenue in 2024?\nAnswer:")


def test_the_format_is_written_loaded_back_and_part_of_the_hash(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(dump_prompt(TEXT), encoding="utf-8")
    assert "format: text" in path.read_text()
    assert load_prompt_spec(path).format == "text"
    assert load_template(path).hash == TEXT.template().hash
    chat = TEXT.model_copy(update={"format": "chat"})
    assert chat.template().hash != TEXT.template().hash
    assert "format" not in dump_prompt(chat)  # a chat prompt's file (and hash) as before


def test_a_bad_format_or_message_shape_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nformat: completion\nmessages:\n  - {role: user, content: hi}\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"p\.yaml:2: format"):
        load_template(path)
    path.write_text("name: p\nformat: text\nmessages:\n  - {role: user, content: hi}\n"
                    "  - {role: assistant, content: there}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="one user message"):
        load_template(path)


def _golden(tmp_path: Path, tools: bool = False) -> Path:
    path = tmp_path / "golden.jsonl"
    extra = ', "metadata": {"tools": [{"name": "f", "parameters": {"type": "object"}}]}' \
        if tools else ""
    path.write_text('{"id": "q1", "source_prompt": "Revenue?", "ground_truth": "$7", '
                    f'"input_context": ["Revenue was $7."]{extra}}}\n', encoding="utf-8")
    return path


def test_a_run_sends_a_text_prompt_to_the_completions_api(tmp_path: Path) -> None:
    prompt = tmp_path / "p.yaml"
    prompt.write_text(dump_prompt(TEXT), encoding="utf-8")
    with FakeOpenAIServer(responder=lambda body: " $7 million", ttft_ms=5) as server, \
            Store(tmp_path / "s.db") as store:
        summary = run_model(_golden(tmp_path), "openai/base-model", name="r", store=store,
                            template=prompt, provider_options={"base_url": server.base_url},
                            progress=False)
        result = store.results(store.require_run("r").id)[0]
        sent = server.requests
    assert summary.n_errors == 0 and result.output == " $7 million"
    assert "messages" not in sent[0] and sent[0]["prompt"].endswith("Question: Revenue?\nAnswer:")
    assert sent[0]["stream"] is True
    assert result.input_tokens == len(sent[0]["prompt"].split())  # the server's usage
    assert result.ttft_ms is not None and result.ttft_ms >= 4


def test_a_provider_without_a_completions_api_is_refused_before_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    prompt = tmp_path / "p.yaml"
    prompt.write_text(dump_prompt(TEXT), encoding="utf-8")
    with Store(tmp_path / "s.db") as store:
        with pytest.raises(UsageError, match="completions API"):
            run_model(_golden(tmp_path), "anthropic/claude-x", name="r", store=store,
                      template=prompt, provider_options={"base_url": "http://127.0.0.1:9"},
                      progress=False)
        assert store.list_runs() == []


def test_a_text_prompt_cannot_offer_a_rows_tools(tmp_path: Path) -> None:
    prompt = tmp_path / "p.yaml"
    prompt.write_text(dump_prompt(TEXT), encoding="utf-8")
    with Store(tmp_path / "s.db") as store:
        with pytest.raises(ConfigError, match="row q1 .*takes no tools"):
            run_model(_golden(tmp_path, tools=True), "mock/echo", name="r", store=store,
                      template=prompt, progress=False)
        assert store.list_runs() == []
