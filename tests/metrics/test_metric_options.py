"""Typed, strict metric options and declared requirements: a typo is an error naming the
allowed options, a judge's provider options are checked against that provider, and a custom
registered judge metric gets the judge model like the built-ins."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel
from run_builder import store_run

from agility.errors import JudgeRequired, OptionsError, UnknownName
from agility.metrics import (
    JudgeMetric,
    JudgeOptions,
    JudgePrompt,
    Metric,
    MetricInput,
    MetricOptions,
    get_metric,
    metric_class,
    register_metric,
    score_run,
    spec_problems,
)
from agility.store import Store
from agility.testing import FakeOpenAIServer


def test_a_typo_in_an_option_is_refused_with_the_allowed_names() -> None:
    with pytest.raises(OptionsError) as caught:
        get_metric("token_f1", treshold=0.9)
    error = caught.value
    assert error.owner == "metric token_f1"
    assert [(p.option, p.allowed) for p in error.problems] == [("treshold", ("threshold",))]
    assert "treshold: unknown option (allowed: threshold)" in str(error)
    assert get_metric("token_f1", threshold=0.9).options.threshold == 0.9


def test_an_invalid_value_is_refused_too() -> None:
    with pytest.raises(OptionsError, match="threshold: Input should be less than or equal to 1"):
        get_metric("semantic_similarity", threshold=3)
    with pytest.raises(OptionsError, match="max_words"):
        get_metric("length", max_words="many")


def test_options_may_be_given_as_a_mapping_or_the_typed_model() -> None:
    typed = metric_class("contains").Options(text="revenue", case_sensitive=True)
    assert get_metric("contains", typed).options is typed
    assert get_metric("contains", {"text": "x"}, case_sensitive=True).options.case_sensitive


def test_judge_provider_options_are_checked_against_the_judge_provider() -> None:
    with pytest.raises(OptionsError) as caught:
        get_metric("safety", judge="openai/j", judge_options={"base_ulr": "http://x"})
    (problem,) = caught.value.problems
    assert problem.option == "judge_options"
    assert "base_ulr: unknown option" in problem.message and "base_url" in problem.message
    with pytest.raises(OptionsError, match="unknown provider 'nosuch'"):
        get_metric("safety", judge="nosuch/model")
    with pytest.raises(OptionsError, match="repeats: Input should be greater than or equal"):
        get_metric("safety", judge="openai/j", repeats=0)


def test_unknown_metric_is_unknown_name_with_the_known_ones() -> None:
    with pytest.raises(UnknownName) as caught:
        get_metric("simlarity")
    assert caught.value.kind == "metric" and caught.value.name == "simlarity"
    assert "semantic_similarity" in caught.value.known and caught.value.argument == "metrics"


def test_requirements_are_declared_on_the_classes() -> None:
    llm, faithful = metric_class("llm_correctness"), metric_class("faithfulness")
    assert llm.requires_judge and llm.requires_ground_truth and not llm.requires_contexts
    assert faithful.requires_judge and faithful.requires_contexts
    similarity = metric_class("semantic_similarity")
    assert similarity.requires_embeddings and not similarity.requires_judge
    exact = metric_class("exact_match")
    assert exact.requires_ground_truth and not (exact.requires_judge or exact.accepts_judge())
    # the RAG metrics judge with a model only in llm mode
    precision = metric_class("context_precision")
    assert precision.accepts_judge() and not precision.requires_judge
    assert precision.needs_judge(precision.Options(mode="llm"))
    assert not precision.needs_judge(precision.Options())
    with pytest.raises(JudgeRequired):
        get_metric("context_precision", mode="llm")


def test_a_metric_that_requires_a_judge_must_take_judge_options() -> None:
    with pytest.raises(TypeError, match="JudgeOptions"):
        class Broken(Metric):
            requires_judge = True


def test_spec_problems_lists_every_bad_spec_without_building() -> None:
    problems = spec_problems(["exact_match", {"name": "token_f1", "treshold": 1}, "faithfulness",
                              "nosuch", {"threshold": 1}, "exact_match"])
    found = [(p.index, p.option, p.judge_required) for p in problems]
    assert found == [(1, "treshold", False), (2, None, True), (3, None, False),
                     (4, None, False), (5, None, False)]
    assert "listed twice" in problems[-1].message


class _VerdictJudgment(BaseModel):
    reason: str
    verdict: str


@register_metric("polite_tone")
class PoliteTone(JudgeMetric):
    """A custom judge metric, defined the way a third party would."""

    version = "7"
    prompt: ClassVar[JudgePrompt] = JudgePrompt(  # type: ignore[misc]
        key="polite_tone", version="polite-v1", task="Is the ANSWER polite?",
        answer_format='{"reason": "<why>", "verdict": "polite" | "rude"}')
    judgment = _VerdictJudgment

    def blocks(self, item: MetricInput) -> list[tuple[str, str]]:
        return [("answer", item.output or "")]

    def interpret(self, judgment: Any, item: MetricInput) -> tuple[float | None, str | None,
                                                                   bool | None]:
        polite = judgment.verdict == "polite"
        return (1.0 if polite else 0.0), judgment.verdict, polite


def test_a_custom_registered_judge_metric_gets_the_judge_like_the_builtins(
        tmp_store: Store) -> None:
    store_run(tmp_store, {"a": "Thank you kindly.", "b": "Go away."})

    def responder(body: dict[str, Any]) -> str:
        rude = "Go away" in body["messages"][1]["content"]
        return json.dumps({"reason": "tone", "verdict": "rude" if rude else "polite"})

    with FakeOpenAIServer(responder=responder) as server:
        out = score_run(tmp_store, "run", ["polite_tone"], judge="openai/tone-judge",
                        judge_options={"base_url": server.base_url})
    assert out["polite_tone"].pass_rate == 0.5
    scores = {s.example_id: s for s in tmp_store.scores(1, "polite_tone")}
    assert scores["a"].passed is True and scores["b"].passed is False
    assert {s.judge_model for s in scores.values()} == {"openai/tone-judge"}
    assert {s.metric_version for s in scores.values()} == {"7"}
    assert {s.judge_prompt_version for s in scores.values()} == {"polite-v1"}


def test_a_custom_metric_with_its_own_options_validates_them() -> None:
    class StrictOptions(MetricOptions):
        minimum: int = 3

    @register_metric("min_words")
    class MinWords(Metric):
        Options = StrictOptions

    assert get_metric("min_words", minimum=5).options.minimum == 5  # type: ignore[attr-defined]
    with pytest.raises(OptionsError, match="minimun: unknown option"):
        get_metric("min_words", minimun=5)
    assert not MinWords.accepts_judge() and issubclass(JudgeOptions, MetricOptions)
