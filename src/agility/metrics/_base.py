"""The metric interface, its registry and aggregation.

A metric looks at one answer (:class:`MetricInput`) and returns a :class:`MetricResult`: a
score in [0, 1] and/or a verdict, with a short reason. A metric that could not judge an
answer returns ``error`` and no score; aggregates count those apart instead of averaging a 0.
"""

from __future__ import annotations

import abc
import asyncio
import importlib
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from agility.errors import UsageError

__all__ = [
    "Metric",
    "MetricInput",
    "MetricResult",
    "MetricSummary",
    "available_metrics",
    "get_metric",
    "metric_class",
    "register_metric",
    "summarize",
]


class MetricInput(BaseModel):
    """What a metric sees of one example and one answer."""

    model_config = ConfigDict(extra="forbid")

    example_id: str
    question: str | None = None
    ground_truth: str | None = None
    output: str | None = None
    #: retrieved documents / conversation history the answer should rest on
    contexts: list[str] = Field(default_factory=list)
    #: the full prompt that was sent, rendered (for citation-required checks and judges)
    prompt: str | None = None
    #: the retriever's ids of the documents it found, best first (None: no retrieval step)
    retrieved_ids: list[str] | None = None
    stratum: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class MetricResult(BaseModel):
    """One metric's judgment of one answer."""

    model_config = ConfigDict(extra="forbid")

    score: float | None = Field(default=None, ge=0.0, le=1.0)
    verdict: str | None = None
    passed: bool | None = None
    reason: str = ""
    error: str | None = None
    raw: Any = None
    judge_model: str | None = None
    judge_prompt_version: str | None = None


class MetricSummary(BaseModel):
    """A metric aggregated over a run."""

    metric: str
    n: int
    n_scored: int
    n_failed: int  # could not be scored (judge error, unparsable judgment): never counted as 0
    mean: float | None
    pass_rate: float | None


class Metric(abc.ABC):
    """Base class of metrics. Subclasses set ``name`` and ``version`` and implement one of
    :meth:`score` (synchronous, cheap) or :meth:`ascore` (LLM judges)."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    #: "deterministic", "embedding", "judge" or "adapter"; used for docs and scheduling
    kind: ClassVar[str] = "deterministic"
    #: the fields of MetricInput the metric needs; items lacking one are reported, not scored
    requires: ClassVar[tuple[str, ...]] = ("output",)

    def __init__(self, **options: Any) -> None:
        self.options = options

    def score(self, item: MetricInput) -> MetricResult:
        """Judge one answer.

        A metric that implements only :meth:`ascore` (an LLM judge) runs it here in an event
        loop of its own and closes its provider after; don't call it from inside a running loop.
        """
        if type(self).ascore is Metric.ascore:
            raise NotImplementedError(f"{type(self).__name__} implements neither score nor ascore")

        async def run() -> MetricResult:
            try:
                return await self.ascore(item)
            finally:
                await self.aclose()

        return asyncio.run(run())

    async def ascore(self, item: MetricInput) -> MetricResult:
        """Judge one answer asynchronously (default: :meth:`score` in a worker thread)."""
        return await asyncio.to_thread(self.score, item)

    def score_many(self, items: Sequence[MetricInput]) -> list[MetricResult]:
        """Judge many answers; override to vectorise (embeddings)."""
        return [self.score(i) for i in items]

    async def aclose(self) -> None:
        """Release the providers or models the metric holds. Safe to call twice."""

    def missing(self, item: MetricInput) -> str | None:
        """The name of a required field ``item`` lacks, or None."""
        for field in self.requires:
            value = getattr(item, field)
            if value is None or value == [] or (value == "" and field != "output"):
                return field
        return None


_REGISTRY: dict[str, type[Metric] | str] = {}


def register_metric(name: str) -> Callable[[type[Metric]], type[Metric]]:
    """Class decorator registering a metric under ``name``."""

    def decorator(cls: type[Metric]) -> type[Metric]:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorator


def register_lazy(name: str, target: str) -> None:
    """Register ``module:Class`` under ``name`` without importing it yet."""
    _REGISTRY.setdefault(name, target)


def _load_builtins() -> None:
    # Importing the built-in modules runs their @register_metric decorators.
    for module in ("agility.metrics._builtin",):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def get_metric(name: str, **options: Any) -> Metric:
    """The metric registered under ``name``, built with ``options``."""
    _load_builtins()
    target = _REGISTRY.get(name)
    if target is None and ":" in name:
        # a family such as "ragas:<metric>" registered as "ragas:*" (third-party adapters)
        family, _, member = name.partition(":")
        target = _REGISTRY.get(f"{family}:*")
        if target is not None:
            options = {**options, "metric_name": member}
            name = f"{family}:*"
    if target is None:
        known = ", ".join(available_metrics())
        raise UsageError(f"unknown metric '{name}'. Known metrics: {known}")
    if isinstance(target, str):
        module_name, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module_name), attr)
        _REGISTRY[name] = target
    return target(**options)


def metric_class(name: str) -> type[Metric]:
    """The class registered under ``name`` (a ``family:member`` name resolves to its family),
    without building it: class attributes such as ``version`` need no options (no judge).

    Raises:
        UsageError: no metric is registered under ``name``.
    """
    _load_builtins()
    key = name if name in _REGISTRY or ":" not in name else f"{name.partition(':')[0]}:*"
    target = _REGISTRY.get(key)
    if target is None:
        raise UsageError(f"unknown metric '{name}'. Known metrics: {', '.join(available_metrics())}")
    if isinstance(target, str):
        module_name, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module_name), attr)
        _REGISTRY[key] = target
    return target


def available_metrics() -> list[str]:
    """Names of all registered metrics."""
    _load_builtins()
    return sorted(_REGISTRY)


def summarize(metric: str, results: Sequence[MetricResult]) -> MetricSummary:
    """Aggregate one metric's results; failed judgments are counted apart, never averaged."""
    scored = [r.score for r in results if r.error is None and r.score is not None]
    verdicts = [r.passed for r in results if r.error is None and r.passed is not None]
    return MetricSummary(
        metric=metric,
        n=len(results),
        n_scored=len(scored),
        n_failed=sum(1 for r in results if r.error is not None),
        mean=sum(scored) / len(scored) if scored else None,
        pass_rate=sum(verdicts) / len(verdicts) if verdicts else None,
    )
