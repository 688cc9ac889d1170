"""The generators alone: families and markup echoes, scaffolding rules, few-shot pool, replies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agility.chat import GenerationConfig
from agility.dataset import GoldenExample
from agility.port import (
    BadReply,
    Candidate,
    answer_shape,
    compact_context,
    detect_family,
    find_format_echoes,
    fit_config,
    parse_reply,
    rules_candidates,
    select_pool,
)
from agility.prompts import MessageSpec, PromptSpec

SOURCE = PromptSpec(
    name="legacy", system="You are FinAssist. Explain your reasoning at length. Never give "
                          "investment advice. If the documents do not contain it, say so.",
    messages=[MessageSpec(role="user", content="Documents:\n{{ context }}\n\nQ: {{ question }}")])
GOLDS = ["$1,284.0 million", "42.2%", "$138.5 million", "The filing does not say."]
PROBE = GoldenExample(id="d1", source_prompt="What was revenue?", ground_truth="$5",
                      input_context=["Revenue was $5."])


def _source(config: dict[str, Any] | None = None) -> Candidate:
    return Candidate("source", "source", SOURCE, GenerationConfig(**(config or {"max_tokens": 64})))


@pytest.mark.parametrize(("spec", "family", "small"), [
    ("llamacpp/gemma3-270m", "gemma", True),
    ("openai/gemma-3-27b-it", "gemma", False),
    ("anthropic/claude-3-5-haiku-latest", "anthropic", False),
    ("bedrock/anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic", False),
    ("openai/gpt-4o-mini", "openai", False),
    ("openai/o3-mini", "openai", False),
    ("openai/meta-llama-3.1-8b-instruct", "llama", False),
    ("openai/Qwen2.5-0.5B-Instruct", "qwen", True),
    ("openai/some-model", "generic", False),
])
def test_the_family_comes_from_the_model_name(spec: str, family: str, small: bool) -> None:
    found = detect_family(spec)
    assert (found.name, found.small) == (family, small)


def test_markup_of_another_family_in_answers_is_found_and_called_foreign() -> None:
    gemma = detect_family("llamacpp/gemma3-270m")
    echo = find_format_echoes([("a", "[INST] <</SYS>> hello [/INST]"), ("b", "$4.2 million"),
                               ("c", "ok <start_of_turn>model"), ("d", None)], gemma)
    assert echo.answers == 2 and echo.of_answers == 3 and echo.examples == ["a", "c"]
    assert echo.markers == {"<</SYS>>": 1, "<start_of_turn>": 1, "[/INST]": 1, "[INST]": 1}
    assert echo.foreign and "llama" in echo.families
    own = find_format_echoes([("c", "ok <start_of_turn>model")], gemma)
    assert own.found and not own.foreign  # Gemma's own markup: found, but not foreign
    assert not find_format_echoes([("x", "$5")], gemma).found


def test_settings_are_fitted_to_the_dev_golds() -> None:
    gemma = detect_family("llamacpp/gemma3-270m")
    echo = find_format_echoes([("a", "[INST] hi")], gemma)
    config, note = fit_config(GenerationConfig(max_tokens=64, temperature=0),
                              answer_shape(GOLDS), gemma, echo)
    assert config.max_tokens == 16  # 24 characters at 2.5 a token, + 6
    assert config.stop == ["\n", "<end_of_turn>", "[INST]"] and config.temperature == 0
    assert "max_tokens 64 -> 16" in note
    # never more room than the target's own setting
    assert fit_config(GenerationConfig(max_tokens=8), answer_shape(GOLDS), gemma,
                      None)[0].max_tokens == 8


def test_a_small_model_gets_plain_layouts_first_and_no_prose_instructions() -> None:
    gemma = detect_family("llamacpp/gemma3-270m")
    made = rules_candidates(_source(), gemma, answer_shape(GOLDS), None, has_context=True)
    assert [c.label for c in made] == ["rules-bare", "rules-plain", "rules-fit"]
    bare, plain = made[0].spec, made[1].spec
    # no prose, but the source's constraint, as a plain line before the documents
    assert bare.system is None and bare.messages[0].content == (
        "Never give investment advice.\n\nContext:\n{{ context }}\n\nQuestion: "
        "{{ question }}\nAnswer:")
    text = plain.messages[0].content
    assert text.startswith("Answer the question from the context. Reply with the figure with "
                           "its unit only, in at most 5 words.")
    assert text.count("say so") == 1 and "If the context does not contain the answer, say so." \
        in text
    assert "Never give investment advice." in text  # a constraint of the source, kept
    assert "Explain your reasoning" not in text
    # the derived prompts carry the settings they run with
    assert all(c.spec.config == c.config for c in made)


def test_a_target_with_a_completions_api_gets_a_raw_text_candidate_first() -> None:
    gemma = detect_family("llamacpp/gemma3-270m")
    made = rules_candidates(_source(), gemma, answer_shape(GOLDS), None, has_context=True,
                            text=True)
    assert [c.label for c in made] == ["rules-text", "rules-bare", "rules-plain", "rules-fit"]
    raw = made[0].spec
    assert raw.format == "text" and raw.system is None and raw.messages[0].content == (
        "Never give investment advice.\n\n{{ contexts | join('\\n\\n') }}\n\nQuestion: "
        "{{ question }}\nAnswer:")
    assert all(c.spec.format == "chat" for c in made[1:])
    assert made[0].id != made[1].id  # the same words sent another way: another candidate
    # a large model without markup echoes keeps its chat layouts only
    gpt = rules_candidates(_source(), detect_family("openai/gpt-4o"), answer_shape(GOLDS), None,
                           has_context=True, text=True)
    assert all(c.spec.format == "chat" for c in gpt)


def test_layouts_follow_the_family() -> None:
    shape = answer_shape(GOLDS)
    claude = rules_candidates(_source(), detect_family("anthropic/claude-3-5-haiku-latest"),
                              shape, None, True)
    assert [c.label for c in claude] == ["rules-fit", "rules-xml", "rules-compact",
                                         "rules-plain"]
    xml = claude[1].spec
    assert xml.system is not None and xml.system.startswith("<instructions>\nYou are FinAssist")
    assert xml.messages[0].content.startswith("<documents>\n{{ context }}\n</documents>")
    markdown = rules_candidates(_source(), detect_family("openai/gpt-4o"), shape, None, True)[1]
    assert markdown.label == "rules-markdown" and markdown.spec.system is not None
    assert markdown.spec.system.startswith("# Instructions")
    # Gemma has no system role (a server's Gemma format drops system messages): the
    # instructions open the user turn
    gemma = rules_candidates(_source(), detect_family("openai/gemma-3-27b-it"), shape, None,
                             True)[1]
    assert gemma.label == "rules-chat" and gemma.spec.system is None
    assert gemma.spec.messages[0].content.startswith("You are FinAssist")


def test_a_prompt_with_other_variables_is_only_refitted() -> None:
    spec = SOURCE.model_copy(update={"messages": [MessageSpec(
        role="user", content="{{ metadata.company }}: {{ question }}")]})
    source = Candidate("source", "source", spec, GenerationConfig(max_tokens=64))
    made = rules_candidates(source, detect_family("openai/gpt-4o"), answer_shape(GOLDS), None,
                            True)
    assert [c.label for c in made] == ["rules-fit"]


def test_rules_are_deterministic() -> None:
    family = detect_family("openai/gpt-4o")
    first = [c.id for c in rules_candidates(_source(), family, answer_shape(GOLDS), None, True)]
    again = [c.id for c in rules_candidates(_source(), family, answer_shape(GOLDS), None, True)]
    assert first == again and len(set(first)) == len(first)


def _rows(n: int, prefix: str = "d") -> list[GoldenExample]:
    return [GoldenExample(id=f"{prefix}{i:02d}", source_prompt=f"Question {i}?",
                          ground_truth=str(i), stratum=("x", "y", "z")[i % 3], split="dev")
            for i in range(n)]


def test_the_pool_is_stratified_and_seeded() -> None:
    rows = _rows(30)
    pool = select_pool(rows, 6, seed=3)
    assert [ex.stratum for ex in pool] == ["x", "y", "z", "x", "y", "z"]
    assert [ex.id for ex in select_pool(list(reversed(rows)), 6, seed=3)] == [
        ex.id for ex in pool]  # the order rows come in does not matter
    assert [ex.id for ex in select_pool(rows, 6, seed=4)] != [ex.id for ex in pool]


def test_a_pair_shows_the_sentence_that_holds_the_answer() -> None:
    docs = ["Kestrel Ridge makes instruments. Net revenue was $1,284.0 million in 2024, up 8%. "
            "The board met four times."]
    assert compact_context(docs, "What was net revenue in 2024?", "$1,284.0 million") == (
        "Net revenue was $1,284.0 million in 2024, up 8%.")


@pytest.mark.parametrize(("reply", "reason"), [
    ("", "empty"),
    ("Sure! Here is a better prompt: be concise.", "no JSON object"),
    ('{"system": "x", "user": ', "no JSON object"),
    ('{"system": "Be brief.", "prompt": "{{ question }}"}', "no 'user' template"),
    ('{"system": "Be brief.", "user": "   "}', "empty"),
    ('{"system": "Be brief.", "user": "Context: {{ context }}"}', "does not use question"),
    ('{"user": "{{ question }}"}', "does not use context"),
    ('{"user": "{{ context }} {{ question }} {{ answer }}"}', "do not exist: answer"),
    ('{"user": "{{ context }} {{ question }"}', "not valid Jinja2"),
    ('{"user": "{{ context }} {{ question }} {{ metadata.nope.deeper }}"}', "fails to render"),
    ('{"system": 3, "user": "{{ context }} {{ question }}"}', "neither a string nor null"),
])
def test_an_unusable_optimiser_reply_is_refused_with_its_reason(reply: str, reason: str) -> None:
    with pytest.raises(BadReply, match=reason):
        parse_reply(reply, SOURCE, {"question", "context"}, PROBE)


def test_a_usable_reply_becomes_a_prompt() -> None:
    reply = ('Here you go:\n```json\n{"system": null, "user": "Context:\\n{{ context }}\\n'
             'Question: {{ question }}\\nAnswer:"}\n```')
    spec = parse_reply(reply, SOURCE, {"question", "context"}, PROBE)
    assert spec.system is None and spec.messages[0].content.endswith("Answer:")
    assert spec.template().render(PROBE)[0].content == (
        "Context:\n[1] Revenue was $5.\nQuestion: What was revenue?\nAnswer:")
    with pytest.raises(BadReply, match="repeats the current prompt"):
        same = json.dumps({"system": SOURCE.system, "user": SOURCE.messages[0].content})
        parse_reply(same, SOURCE, {"question", "context"}, PROBE)
