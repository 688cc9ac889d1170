"""The typed result of a comparison (pydantic, so ``--json`` writes it as is).

Figures that were not measured are ``None``, never 0.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agility.compare._roi_models import Recommendation, RoiAnalysis
from agility.compare._sme_models import SmeSummary

__all__ = [
    "Comparison",
    "CostComparison",
    "CostSide",
    "CriterionResult",
    "ErrorRateComparison",
    "ErrorRateSide",
    "ExampleDiff",
    "FailedCalls",
    "GateSplit",
    "GraderAgreement",
    "Histogram",
    "HumanComparison",
    "LatencyComparison",
    "LatencySide",
    "MetricComparison",
    "MetricStats",
    "PaybackStatus",
    "Percentiles",
    "ReviewItem",
    "SpanLatency",
    "Verdict",
]

Verdict = Literal["PASS", "FAIL", "INCOMPLETE"]
CriterionStatus = Literal["pass", "fail", "inconclusive", "not_evaluated"]
GateSplit = Literal["holdout", "all"]
#: how an example whose call failed (or that a run never answered) counts in quality metrics
FailedCalls = Literal["count_as_fail", "exclude"]
PaybackStatus = Literal["computed", "never", "cost_not_measured", "needs_traffic",
                        "not_requested"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class MetricStats(_Model):
    """One metric on one set of paired examples (all, a stratum, a tag, or the holdout).

    Absolute intervals (``ci_*``, ``score_ci_*``) are of ``target mean - source mean``.
    Relative intervals are of ``target mean / source mean - 1`` and computed as ratios, so
    they stay within what is possible (never below -100% for a metric that cannot be
    negative): ``rel_ci_*`` from the ratio of the resampled means (bootstrap),
    ``rel_score_ci_*`` (pass/fail verdicts) from the MOVER score interval of the ratio of
    paired proportions (Wilson limits, Newcombe's correlation).
    """

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
    # the MOVER score interval of the ratio of pass rates, minus 1 (pass/fail verdicts only)
    rel_score_ci_low: float | None = None
    rel_score_ci_high: float | None = None
    # the relative lower bound the non-inferiority decision uses, and where it comes from:
    # "mover" or "bootstrap" (pass/fail: the lower of the two), "bootstrap" for scores
    gate_rel_low: float | None = None
    gate_interval: Literal["mover", "bootstrap"] | None = None


class Histogram(_Model):
    """Counts over shared bin edges, one list of counts per side."""

    edges: list[float]
    source: list[int]
    target: list[int]


class GraderAgreement(_Model):
    """How often a grader's pass/fail verdicts match the human labels of the same answers."""

    n: int
    agreement: float | None  # share of answers on which grader and human agree
    kappa: float | None = None  # Cohen's kappa (None when undefined: one class only)


class HumanComparison(_Model):
    """The human-label difference beside a grader's, on the examples humans labelled.

    ``labels`` says where the labels come from (SME reviews in the store, or the golden rows'
    ``human_score`` of the recorded source answers). ``n`` counts the examples labelled on
    both sides; the differences are ``target - source`` pass rates on those examples, the
    interval Newcombe's paired score interval.
    """

    labels: str
    n: int
    source_rate: float | None = None
    target_rate: float | None = None
    diff: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    grader_diff: float | None = None  # the grader's difference on the grader_n of them
    grader_n: int = 0  # of the n, those the grader judged on both sides
    source_agreement: GraderAgreement | None = None
    target_agreement: GraderAgreement | None = None


class MetricComparison(_Model):
    """A metric compared overall, by stratum, by tag and on the holdout.

    ``source_no_answer``/``target_no_answer`` count the examples whose call failed or that the
    run never answered; with ``failed_calls: count_as_fail`` (the default) each counts as a
    failure (0) of the metric on that side, with ``exclude`` it is left out (and counted here).
    """

    metric: str
    kind: Literal["pass_fail", "score"]
    overall: MetricStats
    by_stratum: dict[str, MetricStats] = Field(default_factory=dict)
    by_tag: dict[str, MetricStats] = Field(default_factory=dict)
    holdout: MetricStats | None = None
    source_unscored: int = 0  # answers the metric could not score (error): never counted as 0
    target_unscored: int = 0
    source_no_answer: int = 0
    target_no_answer: int = 0
    histogram: Histogram | None = None
    human: HumanComparison | None = None


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
    # bootstrap intervals of those differences (each side resampled on its own)
    diff_ms_interval: dict[str, tuple[float, float]] | None = None
    diff_pct_interval: dict[str, tuple[float, float] | None] | None = None
    histogram: Histogram | None = None
    excluded_source: int = 0  # cached or failed calls left out
    excluded_target: int = 0
    # successful, not cached answers, and how many of them carried this timing
    answered_source: int = 0
    answered_target: int = 0


class SpanLatency(_Model):
    """One span name (a step or a model call) of both runs: tail latency by call.

    ``latency`` holds the percentiles of each call's duration (failed spans left out) and
    their differences. Per side (``"source"``, ``"target"``): ``calls`` counts the spans,
    ``errors`` those that failed, ``share`` is the part of end-to-end time spent in them
    (summed over the queries that have both), ``tail_share`` the same part within the slowest
    queries (end-to-end at or above the side's p95), ``cost_per_query_usd`` the mean cost the
    spans declared per query (None: no cost recorded). Spans may nest (an ``agent`` span holding
    ``generate`` calls): shares of nested names overlap.
    """

    name: str
    kind: str
    latency: LatencySide
    calls: dict[str, int] = Field(default_factory=dict)
    errors: dict[str, int] = Field(default_factory=dict)
    share: dict[str, float | None] = Field(default_factory=dict)
    tail_share: dict[str, float | None] = Field(default_factory=dict)
    cost_per_query_usd: dict[str, float | None] = Field(default_factory=dict)


class LatencyComparison(_Model):
    """Time to first token and total latency; end to end and by call when spans were recorded.

    ``end_to_end`` times each query whole (retrieval and every model call; a system's wall
    time), None when no run recorded more than the model call. ``spans`` breaks it down by span
    name; ``tail_driver`` names, per side, the innermost span that takes the largest part of
    the slowest queries (``tail_examples`` of them: end-to-end at or above that side's p95).
    """

    ttft: LatencySide
    total: LatencySide
    end_to_end: LatencySide | None = None
    spans: list[SpanLatency] = Field(default_factory=list)
    tail_driver: dict[str, str | None] = Field(default_factory=dict)
    tail_examples: dict[str, int] = Field(default_factory=dict)


class CostSide(_Model):
    """One model's cost figures; ``None`` where no cost was recorded.

    ``n`` counts the answered, non-cached calls whose cost was recorded; ``unpriced`` those
    whose cost was not (left out of the mean).
    """

    n: int
    unpriced: int = 0
    mean_per_query_usd: float | None
    per_1000_usd: float | None
    monthly_usd: float | None
    retrieval_share: float | None = None  # part of the cost from retrieval/extras (0-1)


class CostComparison(_Model):
    """Cost per query of both models, the monthly projection and the payback of the move.

    ``source``/``target`` and the differences are what the calls cost as measured (tokens and
    the pipeline's extras); ``roi`` adds the plan's cost items (per query, per hour, per
    month, one-off) and holds the ROI, its intervals and its sensitivity. The payback counts
    every cost. Means per query are exact decimals rounded to ``money_precision_usd`` before
    they are compared. ``payback_status`` says whether ``payback_days`` was computed or why
    not.
    """

    source: CostSide
    target: CostSide
    traffic_per_month: int | None
    diff_per_query_usd: float | None = None
    diff_pct: float | None = None
    monthly_savings_usd: float | None = None
    migration_cost_usd: float | None = None
    payback_days: float | None = None  # set only when payback_status is "computed"
    payback_status: PaybackStatus = "not_requested"
    money_precision_usd: float = 1e-12
    roi: RoiAnalysis | None = None


class ErrorRateSide(_Model):
    """One run's calls that gave no answer, with the Wilson interval of the rate.

    ``calls`` counts the stored calls (every repeat); ``failed`` those that ended in an error;
    ``missing`` the examples the other run has and this one has no result for at all.
    ``rate = (failed + missing) / (calls + missing)``; ``errors`` the most common messages.
    """

    calls: int
    failed: int
    missing: int
    rate: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    errors: dict[str, int] = Field(default_factory=dict)


class ErrorRateComparison(_Model):
    """Both runs' error rates and the interval of their difference (target - source).

    The interval is Newcombe's hybrid score interval for two independent proportions
    (``method``), in proportions (0.01 = 1 percentage point).
    """

    source: ErrorRateSide
    target: ErrorRateSide
    diff: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    method: Literal["newcombe_independent"] = "newcombe_independent"


CriterionKind = Literal["quality", "latency", "cost", "safety", "error_rate", "tag", "other"]


class CriterionResult(_Model):
    """One sign-off criterion, with the evidence behind its status.

    ``kind`` is the criterion's family and ``metric`` the metric it gates (quality, safety and
    tag criteria; ``tag`` the tag), so callers never parse ``name``, which is for people.
    A criterion that did not pass says ``reason`` (why, in a few words) and ``advice`` (what to
    do); ``examples_needed`` estimates how many paired examples (or calls per run) would settle
    it if the observed difference held (an estimate, not a promise).
    """

    name: str
    status: CriterionStatus
    evidence: str
    kind: CriterionKind = "other"
    metric: str | None = None
    tag: str | None = None
    reason: str | None = None
    advice: str | None = None
    examples_needed: int | None = None


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
    failed_calls: FailedCalls = "count_as_fail"
    metrics: list[MetricComparison] = Field(default_factory=list)
    latency: LatencyComparison
    cost: CostComparison
    errors: ErrorRateComparison
    tags: dict[str, int] = Field(default_factory=dict)  # examples per tag (either run)
    criteria: dict[str, Any] = Field(default_factory=dict)
    criteria_results: list[CriterionResult] = Field(default_factory=list)
    verdict: Verdict
    regressions: list[ExampleDiff] = Field(default_factory=list)
    improvements: list[ExampleDiff] = Field(default_factory=list)
    review: list[ReviewItem] = Field(default_factory=list)
    #: what the SMEs said (None: no review queue for these runs)
    sme: SmeSummary | None = None
    #: "not worth migrating now" with its figures, when the gains are within noise and the
    #: move does not pay for itself within the horizon (None: no such advice)
    recommendation: Recommendation | None = None
    warnings: list[str] = Field(default_factory=list)
    #: how the two runs were scheduled (interleaved, one after the other), when known
    scheduling: str | None = None
    #: answers with no text, by side ("source", "target")
    empty_answers: dict[str, int] = Field(default_factory=dict)
