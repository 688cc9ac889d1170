"""The metric interface, its registry and aggregation.

A metric looks at one answer (:class:`MetricInput`) and returns a :class:`MetricResult`: a
score in [0, 1] and/or a verdict, with a short reason. A metric that could not judge an
answer returns ``error`` and no score; aggregates count those apart instead of averaging a 0.

A metric class declares what it needs (``requires_judge``, ``requires_contexts``,
``requires_embeddings``, ``requires_ground_truth``) and its options (``Options``, a strict
model). Metrics are found by name: agility's built-ins, classes registered with
:func:`register_metric`, and third-party classes published under the ``agility.metrics``
entry-point group (``my_metric = my_package.module:MyMetric``).
"""

from __future__ import annotations

import abc
import asyncio
import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from agility._options import parse_options
from agility._sync import run_sync
from agility.errors import JudgeRequired, UnknownName, UsageError
from agility.metrics._options import JudgeOptions, MetricOptions

__all__ = [
    "ENTRY_POINT_GROUP",
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
    #: the tool calls the answer made, in order (None: not recorded)
    tool_calls: list[dict[str, Any]] | None = None


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


class _NeedsField:
    """A class-level flag read from ``requires``: ``requires_contexts`` is true when the
    metric cannot score an answer without contexts. A subclass may set a plain bool instead."""

    def __init__(self, field: str) -> None:
        self.field = field

    def __get__(self, instance: object, owner: type[Metric]) -> bool:
        return self.field in owner.requires


class Metric(abc.ABC):
    """Base class of metrics.

    Subclasses set ``version`` (bump it when scores change meaning), ``kind``, what they need
    and their ``Options`` model, and implement :meth:`score` (synchronous, cheap) or
    :meth:`ascore` (a model call). They are built with their options, validated::

        TokenF1Metric(threshold=0.9)            # or get_metric("token_f1", threshold=0.9)
    """

    #: the registered name (set by :func:`register_metric` or the entry point's name)
    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    #: "deterministic", "embedding", "judge" or "adapter" (shown by ``agility metrics list``)
    kind: ClassVar[str] = "deterministic"
    #: the metric that replaced this one, for a former name kept so its stored scores stay
    #: readable (such a metric cannot be built; ``agility metrics list`` says what to use)
    renamed_to: ClassVar[str | None] = None
    #: the option model; options not in it are an error
    Options: ClassVar[type[MetricOptions]] = MetricOptions
    #: the fields of MetricInput the metric needs; items lacking one are reported, not scored
    requires: ClassVar[tuple[str, ...]] = ("output",)
    #: scored by a model: building the metric needs a judge model (``judge``)
    requires_judge: ClassVar[bool] = False
    #: scored with the local embedding model (the ``embeddings`` extra)
    requires_embeddings: ClassVar[bool] = False
    #: needs the example's contexts / ground truth (from ``requires``)
    requires_contexts: ClassVar[bool] = _NeedsField("contexts")  # type: ignore[assignment]
    requires_ground_truth: ClassVar[bool] = _NeedsField("ground_truth")  # type: ignore[assignment]

    options: MetricOptions

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.requires_judge and not issubclass(cls.Options, JudgeOptions):
            raise TypeError(f"{cls.__name__} requires a judge, so its Options must derive from "
                            f"JudgeOptions (which carries the judge model)")

    def __init__(self, options: MetricOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        """Build the metric with ``options`` (and ``more``), validated against ``Options``.

        Raises:
            OptionsError: an unknown option or an invalid value.
            JudgeRequired: the metric is judged by a model and no ``judge`` was given.
        """
        self.options = type(self).parse(options, **more)

    @classmethod
    def label(cls) -> str:
        """The metric's name for messages (the class name when it was never registered)."""
        return cls.name or cls.__name__

    @classmethod
    def parse(cls, options: MetricOptions | Mapping[str, Any] | None = None,
              **more: Any) -> MetricOptions:
        """Validate options for this metric without building it (plans check them this way).

        Raises:
            OptionsError: an unknown option or an invalid value.
            JudgeRequired: the options make the metric call a judge and name none.
        """
        parsed = parse_options(cls.Options, f"metric {cls.label()}", options, **more)
        if cls.needs_judge(parsed) and not (isinstance(parsed, JudgeOptions) and parsed.judge):
            raise JudgeRequired(cls.label())
        return parsed

    @classmethod
    def accepts_judge(cls) -> bool:
        """Whether the metric takes a judge model (always, or in some mode)."""
        return issubclass(cls.Options, JudgeOptions)

    @classmethod
    def needs_judge(cls, options: MetricOptions) -> bool:
        """Whether the metric, with ``options``, is judged by a model (default:
        ``requires_judge``; a metric with an optional model-judged mode overrides this)."""
        return cls.requires_judge

    @classmethod
    def needs_embeddings(cls, options: MetricOptions) -> bool:
        """Whether the metric, with ``options``, uses the local embedding model (default:
        ``requires_embeddings``; a metric with an embedding mode overrides this)."""
        return cls.requires_embeddings

    @property
    def judge_model(self) -> str | None:
        """The judge model this metric calls (``provider/model``), or None when it calls none.

        Stored with each score: a score made by another judge is another measurement.
        """
        if isinstance(self.options, JudgeOptions) and self.needs_judge(self.options):
            return self.options.judge
        return None

    @property
    def stored_version(self) -> str:
        """The version stored with each score (a mode that changes what the score means
        makes its own version, so scores of different modes never mix)."""
        return self.version

    @property
    def is_async(self) -> bool:
        """Whether scoring calls :meth:`ascore` per answer under bounded concurrency (a model
        call) rather than :meth:`score_many` in batches."""
        return self.judge_model is not None or type(self).score is Metric.score

    def score(self, item: MetricInput) -> MetricResult:
        """Judge one answer.

        A metric that implements only :meth:`ascore` (an LLM judge) runs it on an event loop
        of its own (in a worker thread when this thread already runs one) and closes its
        provider after.
        """
        if type(self).ascore is Metric.ascore:
            raise NotImplementedError(f"{type(self).__name__} implements neither score nor ascore")

        async def run() -> MetricResult:
            try:
                return await self.ascore(item)
            finally:
                await self.aclose()

        return run_sync(run())

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


#: the entry-point group third-party packages publish metrics under (name = metric name)
ENTRY_POINT_GROUP = "agility.metrics"
_REGISTRY: dict[str, type[Metric] | str] = {}
_BUILTINS_LOADED = False


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
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        importlib.import_module("agility.metrics._builtin")
        _BUILTINS_LOADED = True


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _load_entry_point(name: str, ep: EntryPoint) -> type[Metric]:
    dist = ep.dist.name if ep.dist is not None else "an installed package"
    try:
        target = ep.load()
    except Exception as exc:
        raise UsageError(f"metric '{name}' comes from {dist} ({ep.value}), which cannot be "
                         f"loaded: {type(exc).__name__}: {exc}") from exc
    if not (isinstance(target, type) and issubclass(target, Metric)):
        raise UsageError(f"metric '{name}' from {dist} ({ep.value}) is not a Metric class")
    if not target.name:
        target.name = name
    return target


def _family_key(name: str) -> str | None:
    """``ragas:*`` for ``ragas:faithfulness`` (third-party adapter families), else None."""
    return f"{name.partition(':')[0]}:*" if ":" in name else None


def metric_class(name: str) -> type[Metric]:
    """The class registered under ``name``, without building it.

    Looks in the built-ins and :func:`register_metric` registrations first, then in the
    ``agility.metrics`` entry points; a ``family:member`` name resolves to its family.

    Raises:
        UnknownName: no metric has this name.
        UsageError: a third-party entry point for this name cannot be loaded.
    """
    _load_builtins()
    key = name
    if key not in _REGISTRY:
        family = _family_key(name)
        if family is not None and family in _REGISTRY:
            key = family
    target = _REGISTRY.get(key)
    if target is None:
        ep = _entry_points().get(name)
        if ep is None:
            raise UnknownName("metric", name, available_metrics(), argument="metrics")
        target = _load_entry_point(name, ep)
    elif isinstance(target, str):
        module_name, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module_name), attr)
        if not target.name:
            target.name = key
    _REGISTRY[key] = target
    return target


def get_metric(name: str, options: MetricOptions | Mapping[str, Any] | None = None,
               **more: Any) -> Metric:
    """The metric registered under ``name``, built with ``options`` (and ``more``).

    Args:
        name: a registered name (``token_f1``), an entry point's name, or ``family:member``
            (``ragas:faithfulness``).
        options: the metric's options, as a mapping or its ``Options`` model.
        **more: further options, merged over ``options``.

    Raises:
        UnknownName: no metric has this name.
        OptionsError: an unknown option or an invalid value (the error names the allowed ones).
        JudgeRequired: the metric is judged by a model and no ``judge`` was given.
    """
    cls = metric_class(name)
    member = family_member(name)
    if member is not None:
        more = {**more, "metric_name": member}
    return cls(options, **more)


def family_member(name: str) -> str | None:
    """``faithfulness`` for ``ragas:faithfulness`` when ``ragas:*`` is a registered family
    (the member is an option of the family's class), else None.

    Raises:
        UsageError: the member is empty (``ragas:``).
    """
    _load_builtins()
    if name in _REGISTRY or _family_key(name) not in _REGISTRY:
        return None
    member = name.partition(":")[2]
    if not member:
        raise UsageError(f"give the metric's name after '{name}', as in {name}faithfulness",
                         argument="metrics")
    return member


def available_metrics() -> list[str]:
    """Names of all metrics: built-in, registered and published as entry points."""
    _load_builtins()
    return sorted(set(_REGISTRY) | set(_entry_points()))


def registered_source(name: str) -> str:
    """Where a metric name comes from: ``built-in``, ``registered`` (in this process) or
    the distribution publishing its entry point."""
    _load_builtins()
    target = _REGISTRY.get(name)
    if target is None:
        ep = _entry_points().get(name)
        return f"entry point of {ep.dist.name}" if ep is not None and ep.dist is not None \
            else "entry point"
    module = target if isinstance(target, str) else target.__module__
    return "built-in" if module.startswith("agility.") else "registered"


def summarize(metric: str, results: Iterable[MetricResult]) -> MetricSummary:
    """Aggregate one metric's results; failed judgments are counted apart, never averaged.

    ``results`` is read once, so a generator over a large run keeps memory flat.
    """
    n = n_scored = n_failed = n_verdicts = n_passed = 0
    total = 0.0
    for result in results:
        n += 1
        if result.error is not None:
            n_failed += 1
            continue
        if result.score is not None:
            n_scored += 1
            total += result.score
        if result.passed is not None:
            n_verdicts += 1
            n_passed += result.passed
    return MetricSummary(
        metric=metric, n=n, n_scored=n_scored, n_failed=n_failed,
        mean=total / n_scored if n_scored else None,
        pass_rate=n_passed / n_verdicts if n_verdicts else None,
    )
