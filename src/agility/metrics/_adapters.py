"""Ragas and DeepEval metrics run through agility's provider layer (optional extras).

``ragas:<name>`` and ``deepeval:<name>`` build the named metric of that library with an LLM
object that forwards every call to ``agility.providers.get_provider(judge)``, so a team that
already trusts those metrics keeps them while choosing any judge model agility supports.
Neither library is imported until such a metric is built; a missing one raises
:class:`~agility.errors.MissingExtraError` naming the extra to install.

Names: ``ragas:faithfulness``, ``ragas:answer_relevancy``, ``ragas:context_precision``,
``ragas:context_recall``, ``ragas:factual_correctness``, ... (or a Ragas class name);
``deepeval:faithfulness``, ``deepeval:answer_relevancy``, ``deepeval:contextual_precision``,
... (snake case of the class name without ``Metric``).
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from agility.chat import ChatRequest, GenerationConfig, Message
from agility.errors import (
    AgilityError,
    JudgeRequired,
    MissingExtraError,
    UsageError,
    scrub_secrets,
)
from agility.metrics._base import Metric, MetricInput, MetricResult, register_lazy
from agility.metrics._options import JudgeOptions, MetricOptions

__all__ = ["AdapterOptions", "DeepEvalMetric", "ProviderLLM", "RagasMetric"]

_RAGAS_NAMES = {
    "faithfulness": "Faithfulness",
    "answer_relevancy": "ResponseRelevancy",
    "response_relevancy": "ResponseRelevancy",
    "context_precision": "LLMContextPrecisionWithReference",
    "context_recall": "LLMContextRecall",
    "factual_correctness": "FactualCorrectness",
    "answer_correctness": "AnswerCorrectness",
    "noise_sensitivity": "NoiseSensitivity",
}


class AdapterOptions(JudgeOptions):
    """Options of ``ragas:<metric>`` and ``deepeval:<metric>``."""

    #: the library's metric (the part after ``ragas:``; set from the name)
    metric_name: str = Field(min_length=1)
    #: score at or above which ``passed`` is true
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    #: keyword arguments of the library's metric class
    metric_options: dict[str, Any] = Field(default_factory=dict)


class ProviderLLM:
    """The one bridge both adapters use: a prompt string in, the judge model's text out,
    through :class:`agility.client.Client` (the runs' retry policy and rate limits)."""

    def __init__(self, metric: str, options: JudgeOptions) -> None:
        from agility.metrics._judge import judge_client

        self.judge = options.judge or ""
        self.client = judge_client(metric, options)

    async def acomplete(self, prompt: str, temperature: float | None = 0.0) -> str:
        """Send ``prompt`` as one user message; return the answer's text.

        Raises:
            ProviderError: the call failed after the retries.
        """
        request = ChatRequest(messages=[Message(role="user", content=prompt)],
                              config=GenerationConfig(temperature=temperature))
        outcome = await self.client.call(request)
        if outcome.error is not None:
            raise outcome.error
        return str(outcome.completion.text)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


class _AdapterMetric(Metric):
    kind = "adapter"
    requires = ("output",)
    requires_judge = True
    Options = AdapterOptions
    options: AdapterOptions
    family: str = ""

    def __init__(self, options: AdapterOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        super().__init__(options, **more)
        self.member = self.options.metric_name
        self.name = f"{self.family}:{self.member}"  # type: ignore[misc]
        if importlib.util.find_spec(self.family) is None:
            raise MissingExtraError(self.family, self.family, f"metric '{self.name}'")
        self._llm: ProviderLLM | None = None

    @classmethod
    def parse(cls, options: MetricOptions | Mapping[str, Any] | None = None,
              **more: Any) -> MetricOptions:
        """As :meth:`Metric.parse`; a missing judge is reported under the member's name."""
        try:
            return super().parse(options, **more)
        except JudgeRequired:
            given = {**(options.model_dump() if isinstance(options, MetricOptions)
                        else dict(options or {})), **more}
            raise JudgeRequired(f"{cls.family}:{given.get('metric_name', '*')}") from None

    def llm(self) -> ProviderLLM:
        """The provider bridge (made on first use)."""
        if self._llm is None:
            self._llm = ProviderLLM(self.name, self.options)
        return self._llm

    async def aclose(self) -> None:
        """Close the judge's client."""
        if self._llm is not None:
            llm, self._llm = self._llm, None
            await llm.client.aclose()

    def _outcome(self, value: Any, reason: str | None = None) -> MetricResult:
        judge_model, prompt_version = self.options.judge, f"{self.name}@{self.library_version()}"
        try:
            score = float(value)
        except (TypeError, ValueError):
            score = math.nan
        if math.isnan(score):
            return MetricResult(error=f"{self.name} returned no score", judge_model=judge_model,
                                judge_prompt_version=prompt_version)
        score = min(1.0, max(0.0, score))
        threshold = self.options.threshold
        return MetricResult(score=score, passed=score >= threshold, reason=reason or "",
                            raw={"library_score": value if isinstance(value, (int, float))
                                 else str(value)}, judge_model=judge_model,
                            judge_prompt_version=prompt_version)

    def library_version(self) -> str:
        """The adapted library's version (recorded with each score)."""
        raise NotImplementedError

    async def ascore(self, item: MetricInput) -> MetricResult:
        """Run the library's metric on one answer."""
        try:
            value, reason = await self._measure(item)
        except (UsageError, MissingExtraError):
            raise
        except AgilityError as exc:
            return MetricResult(error=f"judge call failed: {scrub_secrets(str(exc))}",
                                judge_model=self.options.judge)
        except Exception as exc:  # noqa: BLE001 - the library's own failures: not a score of 0
            return MetricResult(error=f"{self.name} failed: {type(exc).__name__}: "
                                      f"{scrub_secrets(str(exc))[:300]}",
                                judge_model=self.options.judge)
        return self._outcome(value, reason)

    async def _measure(self, item: MetricInput) -> tuple[Any, str | None]:
        raise NotImplementedError



class RagasMetric(_AdapterMetric):
    """A Ragas metric (``ragas>=0.2`` single-turn API) judged through our provider layer."""

    family = "ragas"

    def library_version(self) -> str:
        import ragas  # type: ignore[import-not-found, unused-ignore]

        return str(ragas.__version__)

    def _build(self) -> Any:
        try:
            import ragas.metrics as ragas_metrics  # type: ignore[import-not-found, unused-ignore]
            from ragas.llms import BaseRagasLLM  # type: ignore[import-not-found, unused-ignore]
        except ImportError as exc:
            raise MissingExtraError("ragas", "ragas", f"metric '{self.name}'") from exc
        class_name = _RAGAS_NAMES.get(self.member, self.member)
        cls = getattr(ragas_metrics, class_name, None) or getattr(
            ragas_metrics, _camel(self.member), None)
        if cls is None:
            raise UsageError(f"ragas has no metric '{self.member}'. Try one of: "
                             f"{', '.join(sorted(_RAGAS_NAMES))}")
        metric = cls(**self.options.metric_options)
        metric.llm = _ragas_llm(BaseRagasLLM, self.llm())
        if hasattr(metric, "embeddings"):
            metric.embeddings = _ragas_embeddings()
        return metric

    async def _measure(self, item: MetricInput) -> tuple[Any, str | None]:
        from ragas.dataset_schema import SingleTurnSample  # type: ignore[import-not-found, unused-ignore]

        metric = self._build()
        sample = SingleTurnSample(user_input=item.question, response=item.output,
                                  retrieved_contexts=item.contexts or None,
                                  reference=item.ground_truth)
        return await metric.single_turn_ascore(sample), None


def _ragas_llm(base: type, bridge: ProviderLLM) -> Any:
    from langchain_core.outputs import Generation, LLMResult  # type: ignore[import-not-found, unused-ignore]

    class AgilityRagasLLM(base):  # type: ignore[misc, valid-type, unused-ignore]
        def generate_text(self, prompt: Any, n: int = 1, temperature: float = 0.01,
                          stop: Any = None, callbacks: Any = None) -> Any:
            raise UsageError("agility runs Ragas metrics asynchronously only")

        async def agenerate_text(self, prompt: Any, n: int = 1, temperature: Any = 0.01,
                                 stop: Any = None, callbacks: Any = None) -> Any:
            texts = [await bridge.acomplete(prompt.to_string(), temperature) for _ in range(n)]
            return LLMResult(generations=[[Generation(text=t) for t in texts]])

        def is_finished(self, response: Any) -> bool:
            return True

    return AgilityRagasLLM()


def _ragas_embeddings() -> Any:
    from ragas.embeddings import BaseRagasEmbeddings  # type: ignore[import-not-found, unused-ignore]

    from agility.embeddings import embed

    class MiniLMEmbeddings(BaseRagasEmbeddings):  # type: ignore[misc, unused-ignore]
        def embed_query(self, text: str) -> list[float]:
            return list(map(float, embed([text])[0]))

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [list(map(float, row)) for row in embed(texts)]

        async def aembed_query(self, text: str) -> list[float]:
            return self.embed_query(text)

        async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.embed_documents(texts)

    return MiniLMEmbeddings()


class DeepEvalMetric(_AdapterMetric):
    """A DeepEval metric judged through our provider layer (``DeepEvalBaseLLM``)."""

    family = "deepeval"

    def library_version(self) -> str:
        from importlib.metadata import version

        return version("deepeval")

    async def _measure(self, item: MetricInput) -> tuple[Any, str | None]:
        # deepeval phones home unless told not to; we never send data anywhere
        os.environ.setdefault("DEEPEVAL_TELEMETRY_OPT_OUT", "YES")
        try:
            import deepeval.metrics as deepeval_metrics  # type: ignore[import-not-found, unused-ignore]
            from deepeval.models import DeepEvalBaseLLM  # type: ignore[import-not-found, unused-ignore]
            from deepeval.test_case import LLMTestCase  # type: ignore[import-not-found, unused-ignore]
        except ImportError as exc:
            raise MissingExtraError("deepeval", "deepeval", f"metric '{self.name}'") from exc
        cls = getattr(deepeval_metrics, f"{_camel(self.member)}Metric", None)
        if cls is None:
            known = sorted(_snake(n[:-6]) for n in dir(deepeval_metrics) if n.endswith("Metric")
                           and n != "BaseMetric")
            raise UsageError(f"deepeval has no metric '{self.member}'. Known: "
                             f"{', '.join(known[:30])}")
        model = _deepeval_llm(DeepEvalBaseLLM, self.llm())
        metric = cls(model=model, async_mode=True,
                     threshold=self.options.threshold, **self.options.metric_options)
        contexts: Any = list(item.contexts) or None
        case = LLMTestCase(input=item.question or "", actual_output=item.output or "",
                           expected_output=item.ground_truth, retrieval_context=contexts,
                           context=contexts)
        await metric.a_measure(case, _show_indicator=False)
        return metric.score, getattr(metric, "reason", None)


def _deepeval_llm(base: type, bridge: ProviderLLM) -> Any:
    from agility.metrics._judge import InvalidJudgment, extract_json_object

    class AgilityDeepEvalLLM(base):  # type: ignore[misc, valid-type, unused-ignore]
        def load_model(self, *args: Any, **kwargs: Any) -> Any:
            return bridge

        def generate(self, prompt: str, schema: Any = None) -> Any:
            raise UsageError("agility runs DeepEval metrics asynchronously only")

        async def a_generate(self, prompt: str, schema: Any = None) -> Any:
            text = await bridge.acomplete(prompt)
            if schema is None:
                return text
            try:
                return schema.model_validate(extract_json_object(text))
            except (InvalidJudgment, ValueError):
                return text  # deepeval parses (and reports) it itself

        def get_model_name(self, *args: Any, **kwargs: Any) -> str:
            return bridge.judge

    return AgilityDeepEvalLLM(bridge.judge)


register_lazy("ragas:*", "agility.metrics._adapters:RagasMetric")
register_lazy("deepeval:*", "agility.metrics._adapters:DeepEvalMetric")
