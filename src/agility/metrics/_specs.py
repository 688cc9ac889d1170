"""Metric specs: how a list of metrics (names or ``{name: ..., **options}``) plus the judge
settings of a scoring call become validated metrics.

The judge settings (``judge``, ``judge_options``, ``judge_repeats``) go to every metric whose
options accept a judge (:meth:`Metric.accepts_judge`): the built-in judges, the RAG metrics'
llm mode, the Ragas/DeepEval adapters and any registered or third-party metric whose
``Options`` derive from :class:`~agility.metrics.JudgeOptions`. A metric's own options win
over them. :func:`spec_problems` checks a list without building anything (a plan does this
when it loads).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agility.errors import JudgeRequired, OptionsError, UnknownName, UsageError
from agility.metrics._base import Metric, family_member, get_metric, metric_class
from agility.metrics._options import MetricOptions

__all__ = ["JudgeSettings", "MetricSpec", "SpecProblem", "build_metric", "spec_name",
           "spec_problems", "validate_spec"]

#: a metric name, or ``{"name": ..., **options}`` (for example a rubric's criteria)
MetricSpec = str | Mapping[str, Any]


@dataclass(frozen=True)
class JudgeSettings:
    """The judge a scoring call gives the metrics that accept one.

    Args:
        judge: the judge model, ``provider/model`` (None: none given).
        judge_options: the judge provider's options (``base_url``, ...).
        repeats: how many times each answer is judged (None: the metric's default).
    """

    judge: str | None = None
    judge_options: Mapping[str, Any] = field(default_factory=dict)
    repeats: int | None = None

    def defaults(self) -> dict[str, Any]:
        """The options these settings give a metric that accepts a judge."""
        out: dict[str, Any] = {}
        if self.judge:
            out["judge"] = self.judge
        if self.judge_options:
            out["judge_options"] = dict(self.judge_options)
        if self.repeats is not None:
            out["repeats"] = self.repeats
        return out


def spec_name(spec: MetricSpec) -> str:
    """The metric name of a spec.

    Raises:
        UsageError: a mapping without a ``name``, or an empty name.
    """
    name = spec.get("name") if isinstance(spec, Mapping) else spec
    if not isinstance(name, str) or not name.strip():
        raise UsageError(f"a metric needs a name; got {spec!r}", argument="metrics")
    return name.strip()


def _options(spec: MetricSpec, cls: type[Metric], settings: JudgeSettings) -> dict[str, Any]:
    own = {k: v for k, v in spec.items() if k != "name"} if isinstance(spec, Mapping) else {}
    return {**settings.defaults(), **own} if cls.accepts_judge() else own


def validate_spec(spec: MetricSpec, settings: JudgeSettings | None = None
                  ) -> tuple[str, type[Metric], MetricOptions]:
    """Check one spec without building the metric.

    Returns:
        The metric's name, its class and its validated options.

    Raises:
        UsageError: the spec has no name.
        UnknownName: no metric has this name.
        OptionsError: an unknown option or an invalid value.
        JudgeRequired: the metric calls a judge and none is given.
    """
    name = spec_name(spec)
    cls = metric_class(name)
    options = _options(spec, cls, settings or JudgeSettings())
    member = family_member(name)
    if member is not None:
        options["metric_name"] = member
    return name, cls, cls.parse(options)


def build_metric(spec: MetricSpec, settings: JudgeSettings | None = None
                 ) -> tuple[str, Metric]:
    """Build the metric a spec names, with its options and the judge settings.

    Raises:
        as :func:`validate_spec`.
    """
    name = spec_name(spec)
    return name, get_metric(name, _options(spec, metric_class(name), settings or JudgeSettings()))


@dataclass(frozen=True)
class SpecProblem:
    """One problem of one spec in a list: its index, the option at fault (None: the spec
    itself), what is wrong, and whether it is a missing judge model."""

    index: int
    option: str | None
    message: str
    judge_required: bool = False


def spec_problems(specs: Sequence[MetricSpec], settings: JudgeSettings | None = None
                  ) -> list[SpecProblem]:
    """Every problem of a list of specs (unknown names, bad options, a missing judge),
    without building any metric."""
    problems: list[SpecProblem] = []
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        try:
            name, _, _ = validate_spec(spec, settings)
        except OptionsError as exc:
            problems.extend(SpecProblem(index, p.option, str(p).partition(": ")[2])
                            for p in exc.problems)
            continue
        except JudgeRequired as exc:
            problems.append(SpecProblem(index, None, str(exc), judge_required=True))
            continue
        except (UnknownName, UsageError) as exc:
            problems.append(SpecProblem(index, None, str(exc)))
            continue
        if name in seen:
            problems.append(SpecProblem(index, None, f"metric '{name}' is listed twice"))
        seen.add(name)
    return problems
