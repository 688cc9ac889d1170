"""The comparison as terminal text: the verdict, each criterion, and for each one that did not
pass, why and what to do. ``agility compare`` and ``agility migrate`` print it."""

from __future__ import annotations

from agility.compare import Comparison, CostComparison, CriterionResult

__all__ = ["criterion_lines", "gate_scope", "payback_text", "render_text"]


def gate_scope(result: Comparison) -> str:
    """Which examples the gate read, in one sentence."""
    where = "the holdout split" if result.gate_split == "holdout" else "all paired examples"
    return f"Gate evaluated on {where}; {result.n_paired} paired examples."


def payback_text(cost: CostComparison) -> str:
    """The payback of the migration in words; never a statement about an unmeasured cost."""
    status = cost.payback_status
    if status == "computed" and cost.payback_days is not None:
        return f"{cost.payback_days:.1f} days"
    return {
        "never": "never (the target is not cheaper per query)",
        "cost_not_measured": "not measured (no cost was recorded for "
                             + " and ".join(side for side, s in (("the source", cost.source),
                                                                 ("the target", cost.target))
                                            if s.mean_per_query_usd is None) + ")",
        "needs_traffic": "not computed (needs the monthly traffic: --traffic)",
        "not_requested": "not computed (needs --migration-cost and --traffic)",
    }.get(status, "not measured")


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
        The text, ending with the verdict on its own line.
    """
    lines = [f"{result.source_run} -> {result.target_run}: {gate_scope(result)}"]
    for c in result.criteria_results:
        lines += criterion_lines(c)
    return "\n".join(lines)
