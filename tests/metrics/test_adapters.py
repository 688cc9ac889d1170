"""Ragas / DeepEval adapters. Both libraries are optional extras: without them the adapters
must fail with the extra to install; with them, their metrics run through our provider layer
against a local OpenAI-compatible server."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from agility.errors import JudgeRequired, MissingExtraError, UsageError
from agility.metrics import MetricInput, get_metric
from agility.testing import FakeOpenAIServer

HAS = {name: importlib.util.find_spec(name) is not None for name in ("ragas", "deepeval")}
ITEM = MetricInput(example_id="x", question="What is the capital of France?",
                   output="Paris is the capital of France. I like cheese.",
                   contexts=["Paris is the capital and largest city of France."])


@pytest.mark.parametrize("family", ["ragas", "deepeval"])
def test_missing_library_names_the_extra_to_install(family: str) -> None:
    if HAS[family]:
        pytest.skip(f"{family} is installed here; the missing-extra path cannot be seen")
    with pytest.raises(MissingExtraError, match=rf"pip install 'agility\[{family}\]'"):
        get_metric(f"{family}:faithfulness", judge="openai/j")


@pytest.mark.parametrize("family", ["ragas", "deepeval"])
def test_adapter_needs_a_metric_name_and_a_judge(family: str) -> None:
    with pytest.raises(UsageError, match=f"{family}:faithfulness"):
        get_metric(f"{family}:", judge="openai/j")
    with pytest.raises(JudgeRequired, match=f"'{family}:faithfulness' needs a judge model"):
        get_metric(f"{family}:faithfulness")


def ragas_responder(supported: int) -> Any:
    """Statements first, then NLI verdicts: ``supported`` of the two statements hold."""

    def respond(body: dict[str, Any]) -> str:
        prompt = body["messages"][-1]["content"]
        statements = ["Paris is the capital of France.", "The speaker likes cheese."]
        if "StatementGeneratorOutput" in prompt:
            return json.dumps({"statements": statements})
        return json.dumps({"statements": [
            {"statement": s, "reason": "checked", "verdict": int(i < supported)}
            for i, s in enumerate(statements)]})

    return respond


@pytest.mark.skipif(not HAS["ragas"], reason="needs the ragas extra (pip install 'agility[ragas]')")
@pytest.mark.parametrize(("supported", "expected"), [(2, 1.0), (1, 0.5)])
def test_ragas_faithfulness_runs_through_our_provider(supported: int, expected: float) -> None:
    with FakeOpenAIServer(responder=ragas_responder(supported)) as server:
        result = get_metric("ragas:faithfulness", judge="openai/j",
                            judge_options={"base_url": server.base_url}).score(ITEM)
        assert len(server.requests) == 2
    assert result.score == pytest.approx(expected) and result.error is None
    assert result.judge_model == "openai/j"
    assert (result.judge_prompt_version or "").startswith("ragas:faithfulness@")


def deepeval_responder(body: dict[str, Any]) -> str:
    prompt = body["messages"][-1]["content"]
    if '"statements" key' in prompt:
        return json.dumps({"statements": ["Paris is the capital of France.", "I like cheese."]})
    if '"verdicts"' in prompt:
        return json.dumps({"verdicts": [{"verdict": "yes"},
                                        {"verdict": "no", "reason": "off topic"}]})
    return json.dumps({"reason": "half of the statements answer the question"})


@pytest.mark.skipif(not HAS["deepeval"],
                    reason="needs the deepeval extra (pip install 'agility[deepeval]')")
def test_deepeval_answer_relevancy_runs_through_our_provider(tmp_path: Path,
                                                             monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)  # deepeval writes a .deepeval folder in the working directory
    with FakeOpenAIServer(responder=deepeval_responder) as server:
        result = get_metric("deepeval:answer_relevancy", judge="openai/j",
                            judge_options={"base_url": server.base_url}).score(ITEM)
    assert result.score == pytest.approx(0.5) and result.passed is True
    assert result.reason == "half of the statements answer the question"


@pytest.mark.parametrize("family", ["ragas", "deepeval"])
def test_unparsable_judge_output_is_an_error_not_a_zero(family: str, tmp_path: Path,
                                                        monkeypatch: Any) -> None:
    if not HAS[family]:
        pytest.skip(f"needs the {family} extra (pip install 'agility[{family}]')")
    monkeypatch.chdir(tmp_path)
    name = "faithfulness" if family == "ragas" else "answer_relevancy"
    with FakeOpenAIServer(responder=lambda body: "I refuse to answer in JSON.") as server:
        result = get_metric(f"{family}:{name}", judge="openai/j",
                            judge_options={"base_url": server.base_url}).score(ITEM)
    assert result.score is None and result.error
