"""The sign-off gate: each criterion with its evidence, and the verdict.

A criterion is ``pass``, ``fail``, ``inconclusive`` (the data cannot tell: say, the interval
still straddles the margin) or ``not_evaluated`` (a figure it needs was not measured). The
verdict is FAIL if any criterion fails, INCOMPLETE if any is inconclusive or not evaluated (or
there is no criterion at all), and PASS only when every criterion passed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from agility.compare._criteria import Criteria
from agility.compare._models import (
    CostComparison,
    CriterionResult,
    LatencyComparison,
    MetricComparison,
    MetricStats,
    Verdict,
)

__all__ = ["EXIT_CODES", "evaluate_criteria", "verdict_of"]

#: process exit status for each verdict (usage errors exit 2 through agility.errors)
EXIT_CODES = {"PASS": 0, "FAIL": 1, "INCOMPLETE": 1}


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:+.2f}%"


def _gated_stats(metric: MetricComparison, split: str) -> MetricStats:
    return metric.holdout if split == "holdout" and metric.holdout is not None else metric.overall


def _interval_text(s: MetricStats) -> str:
    kind = "BCa bootstrap" if s.ci_method == "bca" else "bootstrap"
    text = f"{kind} CI {_pct(s.rel_ci_low)} to {_pct(s.rel_ci_high)}"
    if s.rel_score_ci_low is not None:
        text += f"; Newcombe score CI {_pct(s.rel_score_ci_low)} to {_pct(s.rel_score_ci_high)}"
    return text


def _quality(name: str, metric: MetricComparison | None, criteria: Criteria,
             split: str) -> CriterionResult:
    label = f"quality: {name}"
    if metric is None or metric.overall.n == 0:
        return CriterionResult(name=label, kind="quality", metric=name, status="not_evaluated",
                               evidence=f"no paired scores for '{name}' on both runs")
    s = _gated_stats(metric, split)
    q = criteria.quality
    margin = q.max_relative_drop
    if s.n == 0 or s.source_mean is None or s.target_mean is None:
        return CriterionResult(name=label, kind="quality", metric=name, status="not_evaluated",
                               evidence=f"no paired scores for '{name}' on the {split} split")
    head = (f"{split} n={s.n}: source {s.source_mean:.4f}, target {s.target_mean:.4f}, "
            f"relative change {_pct(s.rel_diff)} ({_interval_text(s)}), "
            f"allowed drop {100 * margin:.1f}%")
    if s.differing_pairs is not None:
        head += f", {s.differing_pairs} differing pairs"
    if s.p_value is not None:
        head += f", {s.test} p={s.p_value:.3g}"
    if s.n < q.min_examples:
        return CriterionResult(
            name=label, kind="quality", metric=name, status="inconclusive",
            evidence=head + f"; only {s.n} paired examples (at least "
                            f"{q.min_examples} needed): add examples")
    if s.rel_diff is None:  # the source scored 0: only a drop in absolute terms matters
        ok = (s.diff or 0.0) >= 0
        return CriterionResult(name=label, kind="quality", metric=name, status="pass" if ok else "fail", evidence=head)
    if s.rel_diff < -margin:
        return CriterionResult(name=label, kind="quality", metric=name, status="fail", evidence=head)
    if q.test == "point":
        return CriterionResult(name=label, kind="quality", metric=name, status="pass", evidence=head)
    # averaged repeats of verdicts are not 0/1 either: they get the scores' treatment
    if s.test != "mcnemar" and (s.differing_pairs or 0) < q.min_differing_pairs:
        return CriterionResult(
            name=label, kind="quality", metric=name, status="inconclusive",
            evidence=head + f"; only {s.differing_pairs} pairs differ (at least "
                            f"{q.min_differing_pairs} needed for the bootstrap interval to be "
                            f"trusted): add examples or review the differences")
    bound = (f"; gate lower bound {_pct(s.gate_rel_low)} (absolute bound / source mean; "
             f"{s.gate_interval}{', the more conservative' if s.test == 'mcnemar' else ''})")
    if s.gate_rel_low is not None and s.gate_rel_low >= -margin:
        return CriterionResult(name=label, kind="quality", metric=name, status="pass", evidence=head + bound)
    return CriterionResult(
        name=label, kind="quality", metric=name, status="inconclusive",
        evidence=head + bound + "; the interval's lower bound is below the allowed drop, so "
                                "non-inferiority is not shown: add examples or review the "
                                "differences")


def _latency(latency: LatencyComparison, criteria: Criteria) -> CriterionResult | None:
    c = criteria.latency
    if c.ttft_max_increase_pct is None and c.ttft_max_increase_ms is None:
        return None
    label = f"latency: TTFT {c.percentile}"
    side = latency.ttft
    missing = [who for who, v in (("source", side.source), ("target", side.target)) if v is None]
    if missing or side.diff_ms is None or side.diff_pct is None:
        return CriterionResult(name=label, kind="latency", status="not_evaluated",
                               evidence=f"TTFT not measured for the {' and '.join(missing)} run "
                                        f"(replayed answers carry no timings)")
    inc_ms = side.diff_ms[c.percentile]
    inc_pct = side.diff_pct[c.percentile]
    ok_pct = c.ttft_max_increase_pct is not None and inc_pct is not None \
        and inc_pct <= c.ttft_max_increase_pct
    ok_ms = c.ttft_max_increase_ms is not None and inc_ms <= c.ttft_max_increase_ms
    limits = " or ".join(x for x in (
        f"+{c.ttft_max_increase_pct:g}%" if c.ttft_max_increase_pct is not None else "",
        f"+{c.ttft_max_increase_ms:g} ms" if c.ttft_max_increase_ms is not None else "") if x)
    pct_text = "n/a" if inc_pct is None else f"{inc_pct:+.1f}%"
    evidence = (f"source {getattr(side.source, c.percentile):.0f} ms, target "
                f"{getattr(side.target, c.percentile):.0f} ms: {inc_ms:+.0f} ms ({pct_text}); "
                f"allowed {limits}")
    return CriterionResult(name=label, kind="latency", status="pass" if ok_pct or ok_ms else "fail",
                           evidence=evidence)


def _cost(cost: CostComparison, criteria: Criteria) -> CriterionResult | None:
    c = criteria.cost
    if c.max_increase_pct is None and c.payback_days is None:
        return None
    label = "cost"
    src, tgt = cost.source.mean_per_query_usd, cost.target.mean_per_query_usd
    if src is None or tgt is None or cost.diff_per_query_usd is None:
        which = " and ".join(w for w, v in (("source", src), ("target", tgt)) if v is None)
        return CriterionResult(name=label, kind="cost", status="not_evaluated",
                               evidence=f"no cost recorded for the {which} run")
    evidence = f"source ${src:.6f}/query, target ${tgt:.6f}/query"
    if cost.diff_pct is not None:
        evidence += f" ({cost.diff_pct:+.1f}%)"
    if c.payback_days is not None:
        if cost.traffic_per_month is None or cost.migration_cost_usd is None:
            return CriterionResult(name=label, kind="cost", status="not_evaluated", evidence=evidence +
                                   "; payback needs the monthly traffic and the migration cost")
        if cost.payback_days is None:
            return CriterionResult(name=label, kind="cost", status="fail",
                                   evidence=evidence + "; the target is not cheaper, so the "
                                                       "migration is never paid back")
        ok = cost.payback_days <= c.payback_days
        return CriterionResult(name=label, kind="cost", status="pass" if ok else "fail", evidence=evidence +
                               f"; paid back in {cost.payback_days:.1f} days "
                               f"(allowed {c.payback_days:g})")
    limit = c.max_increase_pct or 0.0
    ok = (cost.diff_pct <= limit) if cost.diff_pct is not None else cost.diff_per_query_usd <= 0
    return CriterionResult(name=label, kind="cost", status="pass" if ok else "fail",
                           evidence=evidence + f"; allowed increase {limit:g}%")


def _safety(name: str, values: Mapping[str, float] | None, unscored: int,
            split: str) -> CriterionResult:
    label = f"safety: {name}"
    if not values:
        return CriterionResult(name=label, kind="safety", metric=name, status="not_evaluated",
                               evidence=f"no target scores for safety metric '{name}' on the "
                                        f"{split} split")
    failing = sorted(k for k, v in values.items() if v < 1.0)
    evidence = (f"{split} n={len(values)}: {len(values) - len(failing)} of {len(values)} target "
                f"answers pass (every answer must pass)")
    if failing:
        shown = ", ".join(failing[:10]) + (" ..." if len(failing) > 10 else "")
        return CriterionResult(name=label, kind="safety", metric=name, status="fail", evidence=f"{evidence}; failing: {shown}")
    if unscored:
        return CriterionResult(name=label, kind="safety", metric=name, status="not_evaluated",
                               evidence=f"{evidence}; {unscored} could not be scored")
    return CriterionResult(name=label, kind="safety", metric=name, status="pass", evidence=evidence)


def evaluate_criteria(
    criteria: Criteria,
    metrics: Sequence[MetricComparison],
    latency: LatencyComparison,
    cost: CostComparison,
    split: str,
    target_values: Mapping[str, Mapping[str, float]] | None = None,
) -> list[CriterionResult]:
    """Evaluate every sign-off criterion.

    Args:
        criteria: the criteria.
        metrics: the metric comparisons (gated metrics among them when they were scored).
        latency: the latency comparison.
        cost: the cost comparison.
        split: "holdout" or "all": which paired examples the quality and safety gates use.
        target_values: per safety metric, the target's per-example values on that split
            (safety needs no source: every target answer must pass).

    Returns:
        One result per criterion, each with its evidence.
    """
    by_name = {m.metric: m for m in metrics}
    out = [_quality(name, by_name.get(name), criteria, split) for name in criteria.quality.metrics]
    for extra in (_latency(latency, criteria), _cost(cost, criteria)):
        if extra is not None:
            out.append(extra)
    if criteria.safety.must_pass:
        values = target_values or {}
        out += [_safety(name, values.get(name), by_name[name].target_unscored
                        if name in by_name else 0, split) for name in criteria.safety.metrics]
    return out


def verdict_of(results: Sequence[CriterionResult]) -> Verdict:
    """PASS, FAIL or INCOMPLETE from the criteria's results."""
    statuses = {r.status for r in results}
    if "fail" in statuses:
        return "FAIL"
    if not results or statuses & {"inconclusive", "not_evaluated"}:
        return "INCOMPLETE"
    return "PASS"
