"""The typed result of a comparison (pydantic, so ``--json`` writes it as is).

Figures that were not measured are ``None``, never 0.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Comparison",
    "CostComparison",
    "CostSide",
    "CriterionResult",
    "ExampleDiff",
    "GateSplit",
    "Histogram",
    "LatencyComparison",
    "LatencySide",
    "MetricComparison",
    "MetricStats",
    "Percentiles",
    "ReviewItem",
    "Verdict",
]

Verdict = Literal["PASS", "FAIL", "INCOMPLETE"]
CriterionStatus = Literal["pass", "fail", "inconclusive", "not_evaluated"]
GateSplit = Literal["holdout", "all"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class MetricStats(_Model):
    """One metric on one set of paired examples (all, a stratum, or the holdout)."""

    n: int
    source_mean: float | None
    target_mean: float | None
    diff: float | None = None  # target - source
    rel_diff: float | None = None  # (target - source) / source
    ci_low: float | None = None  # the paired bootstrap interval (see ci_method)
    ci_high: float | None = None
    rel_ci_low: float | None = None
    rel_ci_high: float | None = None
    ci_method: Literal["percentile", "bca"] | None = None
    test: Literal["mcnemar", "wilcoxon"] | None = None
    test_method: str | None = None
    p_value: float | None = None
    significant: bool | None = None
    source_only_passed: int | None = None  # McNemar discordant pairs
    target_only_passed: int | None = None
    margin: float
    non_inferior: bool | None = None
    # pairs whose values differ (the discordant pairs, for pass/fail verdicts)
    differing_pairs: int | None = None
    # Newcombe's hybrid score interval of the difference (pass/fail verdicts only)
    score_ci_low: float | None = None
    score_ci_high: float | None = None
    rel_score_ci_low: float | None = None
    rel_score_ci_high: float | None = None
    # the relative lower bound the non-inferiority decision uses, and where it comes from:
    # "newcombe" or "bootstrap" (pass/fail: the lower of the two), "bootstrap" for scores
    gate_rel_low: float | None = None
    gate_interval: Literal["newcombe", "bootstrap"] | None = None


class Histogram(_Model):
    """Counts over shared bin edges, one list of counts per side."""

    edges: list[float]
    source: list[int]
    target: list[int]


class MetricComparison(_Model):
    """A metric compared overall, by stratum and on the holdout."""

    metric: str
    kind: Literal["pass_fail", "score"]
    overall: MetricStats
    by_stratum: dict[str, MetricStats] = Field(default_factory=dict)
    holdout: MetricStats | None = None
    source_unscored: int = 0  # examples the metric could not score (error): never counted as 0
    target_unscored: int = 0
    histogram: Histogram | None = None


class Percentiles(_Model):
    """p50/p90/p95/p99 in ms, each with its 95% bootstrap interval ``[low, high]``."""

    n: int
    p50: float
    p90: float
    p95: float
    p99: float
    intervals: dict[str, tuple[float, float]]


class LatencySide(_Model):
    """One latency measure (TTFT or total) of both models; ``None`` = not measured."""

    source: Percentiles | None
    target: Percentiles | None
    diff_ms: dict[str, float] | None = None  # per percentile, target - source
    diff_pct: dict[str, float | None] | None = None
    histogram: Histogram | None = None
    excluded_source: int = 0  # cached or failed calls left out
    excluded_target: int = 0


class LatencyComparison(_Model):
    """Time to first token and total latency."""

    ttft: LatencySide
    total: LatencySide


class CostSide(_Model):
    """One model's cost figures; ``None`` where no cost was recorded."""

    n: int
    mean_per_query_usd: float | None
    per_1000_usd: float | None
    monthly_usd: float | None
    retrieval_share: float | None = None  # part of the cost from retrieval/extras


class CostComparison(_Model):
    """Cost per query of both models, the monthly projection and the payback of the move."""

    source: CostSide
    target: CostSide
    traffic_per_month: int | None
    diff_per_query_usd: float | None = None
    diff_pct: float | None = None
    monthly_savings_usd: float | None = None
    migration_cost_usd: float | None = None
    payback_days: float | None = None  # None: not computable or never paid back


CriterionKind = Literal["quality", "latency", "cost", "safety", "error_rate", "other"]


class CriterionResult(_Model):
    """One sign-off criterion, with the evidence behind its status.

    ``kind`` is the criterion's family and ``metric`` the metric it gates (quality and safety
    criteria), so callers never parse ``name``, which is for people.
    """

    name: str
    status: CriterionStatus
    evidence: str
    kind: CriterionKind = "other"
    metric: str | None = None


class ExampleDiff(_Model):
    """One example where the models differ most on the primary metric."""

    example_id: str
    stratum: str | None
    split: str | None
    question: str | None
    ground_truth: str | None
    source_output: str | None
    target_output: str | None
    source_value: float
    target_value: float
    delta: float


class ReviewItem(_Model):
    """One target answer an SME should review, and why it was sampled."""

    example_id: str
    repeat_index: int = 0
    sampled_because: Literal["failure", "pass"]
    metric: str
    stratum: str | None = None


class Comparison(_Model):
    """The whole side-by-side comparison of two runs."""

    source_run: str
    target_run: str
    source_model: str
    target_model: str
    dataset_hash: str | None
    seed: int
    n_resamples: int
    confidence: float
    n_paired: int
    only_in_source: list[str] = Field(default_factory=list)
    only_in_target: list[str] = Field(default_factory=list)
    gate_split: GateSplit
    metrics: list[MetricComparison] = Field(default_factory=list)
    latency: LatencyComparison
    cost: CostComparison
    criteria: dict[str, Any] = Field(default_factory=dict)
    criteria_results: list[CriterionResult] = Field(default_factory=list)
    verdict: Verdict
    regressions: list[ExampleDiff] = Field(default_factory=list)
    improvements: list[ExampleDiff] = Field(default_factory=list)
    review: list[ReviewItem] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
