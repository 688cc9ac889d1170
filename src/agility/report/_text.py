"""The comparison as terminal text: the verdict, each criterion, and for each one that did not
pass, why and what to do. ``agility compare`` and ``agility migrate`` print it."""

from __future__ import annotations

from agility.compare import Comparison, CostComparison, CriterionResult, format_usd

__all__ = ["criterion_lines", "days_text", "gate_scope", "payback_text", "recommendation_lines",
           "render_text", "roi_lines"]


def gate_scope(result: Comparison) -> str:
    """Which examples the gate read, in one sentence."""
    where = "the holdout split" if result.gate_split == "holdout" else "all paired examples"
    return f"Gate evaluated on {where}; {result.n_paired} paired examples."


def days_text(days: float | None) -> str:
    """A number of days, or "never" for None."""
    return "never" if days is None else f"{days:,.1f} days"


def _unmeasured(cost: CostComparison) -> str:
    """Which side's cost was not measured, and why, in a few words."""
    lacking = [side for side, s in (("the source", cost.source), ("the target", cost.target))
               if s.mean_per_query_usd is None]
    if lacking:
        return f"no cost was recorded for {' and '.join(lacking)}"
    roi = cost.roi
    for side, costs in (("the source", roi.source if roi else None),
                        ("the target", roi.target if roi else None)):
        for line in costs.lines if costs is not None else []:
            if not line.measured:
                return f"{side}'s '{line.name}' is {line.basis}"
    return "a side's cost was not measured"


def payback_text(cost: CostComparison) -> str:
    """The payback of the migration in words, with its interval when there is one; never a
    statement about an unmeasured cost."""
    status = cost.payback_status
    if status == "computed" and cost.payback_days is not None:
        text = days_text(cost.payback_days)
        interval = cost.roi.payback_interval if cost.roi is not None else None
        if interval is not None:
            low, high = interval
            text += f" (interval {days_text(low)} to {days_text(high)})"
        return text
    what = "per month" if cost.roi is not None and cost.roi.has_items else "per query"
    if status == "never":
        text = f"never (the target is not cheaper {what})"
        interval = cost.roi.payback_interval if cost.roi is not None else None
        if interval is not None and interval[0] is not None:
            text += f" (interval {days_text(interval[0])} to never)"
        return text
    return {
        "cost_not_measured": f"not measured ({_unmeasured(cost)})",
        "needs_traffic": "not computed (needs the monthly traffic: --traffic)",
        "not_requested": "not computed (needs --migration-cost and --traffic)",
    }.get(status, "not measured")


def roi_lines(result: Comparison) -> list[str]:
    """The cost of both sides all in and the ROI, in a few plain lines (empty without a cost
    model)."""
    roi = result.cost.roi
    if roi is None:
        return []
    src, tgt = roi.source, roi.target
    label = "cost all in" if roi.has_items else "cost"
    def per_query(value: float | None) -> str:
        return format_usd(value) + ("/query" if value is not None else "")

    lines = [f"{label}: source {per_query(src.per_query_usd)}, target "
             f"{per_query(tgt.per_query_usd)}"]
    if roi.traffic_per_month is not None:
        lines[0] += (f"; at {roi.traffic_per_month:,} queries/month: source "
                     f"{format_usd(src.monthly_usd)}, target {format_usd(tgt.monthly_usd)}")
    if roi.one_off_usd or roi.has_items:
        lines.append(f"one-off: {format_usd(roi.one_off_usd)}; payback: "
                     f"{payback_text(result.cost)}")
    if roi.net_at_horizon_usd is not None:
        lines.append(f"net after {roi.horizon_days:g} days: "
                     f"{format_usd(roi.net_at_horizon_usd, signed=True)}; {roi.traffic_for_horizon}")
    return lines


def recommendation_lines(result: Comparison) -> list[str]:
    """The recommendation and the figures that say so (empty when there is none)."""
    advice = result.recommendation
    if advice is None:
        return []
    return [f"recommendation: {advice.advice}", *(f"  - {reason}" for reason in advice.reasons)]


def criterion_lines(c: CriterionResult) -> list[str]:
    """One criterion: its status, name and evidence; then, unless it passed, why and what to do."""
    lines = [f"  {c.status:<13} {c.name}: {c.evidence}"]
    if c.status != "pass":
        if c.reason:
            lines.append(f"                why: {c.reason}")
        if c.advice:
            lines.append(f"                what to do: {c.advice}")
    return lines


def render_text(result: Comparison) -> str:
    """The comparison's verdict and criteria as plain text (no markup), one criterion a block.

    Args:
        result: the comparison.

    Returns:
        The text: the gate's scope, each criterion, the cost all in and the ROI, and the
        recommendation when there is one.
    """
    lines = [f"{result.source_run} -> {result.target_run}: {gate_scope(result)}"]
    for c in result.criteria_results:
        lines += criterion_lines(c)
    lines += roi_lines(result)
    lines += recommendation_lines(result)
    return "\n".join(lines)
