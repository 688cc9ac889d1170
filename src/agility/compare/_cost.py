"""Cost of both models: per query, per 1,000 queries, per month, and the payback of the move.

``cost_usd`` of a result already includes its extras (retrieval, embeddings); we report the
extras' share apart. Cached and failed calls are left out: they do not tell what a query
costs. A run that recorded no cost is ``None`` (not measured), never 0.
"""

from __future__ import annotations

from collections.abc import Sequence

from agility.compare._models import CostComparison, CostSide
from agility.store import ResultRecord

__all__ = ["DAYS_PER_MONTH", "compare_cost", "cost_side"]

DAYS_PER_MONTH = 30.0


def cost_side(results: Sequence[ResultRecord], traffic_per_month: int | None) -> CostSide:
    """One run's cost figures.

    Args:
        results: the run's results.
        traffic_per_month: queries per month for the projection, or None.

    Returns:
        The figures; ``None`` where nothing was recorded.
    """
    priced = [r for r in results if not r.cached and r.error is None and r.cost_usd is not None]
    if not priced:
        return CostSide(n=0, mean_per_query_usd=None, per_1000_usd=None, monthly_usd=None)
    total = sum(float(r.cost_usd or 0.0) for r in priced)
    extras = sum(float(r.extra_cost_usd or 0.0) for r in priced)
    mean = total / len(priced)
    return CostSide(
        n=len(priced),
        mean_per_query_usd=mean,
        per_1000_usd=mean * 1000,
        monthly_usd=None if traffic_per_month is None else mean * traffic_per_month,
        retrieval_share=extras / total if total > 0 else None,
    )


def compare_cost(
    source: Sequence[ResultRecord],
    target: Sequence[ResultRecord],
    *,
    traffic_per_month: int | None = None,
    migration_cost_usd: float | None = None,
) -> CostComparison:
    """Cost of both runs side by side, and the days until the migration pays for itself.

    Args:
        source: the source run's results.
        target: the target run's results.
        traffic_per_month: queries per month (for the monthly figures and the payback).
        migration_cost_usd: one-off cost of migrating (engineering, evaluation).

    Returns:
        The comparison. ``payback_days`` is None when it cannot be computed (no traffic, no
        migration cost, a side without cost) or when the target is not cheaper (never paid back).
    """
    src = cost_side(source, traffic_per_month)
    tgt = cost_side(target, traffic_per_month)
    out = CostComparison(source=src, target=tgt, traffic_per_month=traffic_per_month,
                         migration_cost_usd=migration_cost_usd)
    if src.mean_per_query_usd is None or tgt.mean_per_query_usd is None:
        return out
    diff = tgt.mean_per_query_usd - src.mean_per_query_usd
    out.diff_per_query_usd = diff
    out.diff_pct = 100.0 * diff / src.mean_per_query_usd if src.mean_per_query_usd else None
    if traffic_per_month is not None:
        out.monthly_savings_usd = -diff * traffic_per_month
        daily_savings = out.monthly_savings_usd / DAYS_PER_MONTH
        if migration_cost_usd is not None and daily_savings > 0:
            out.payback_days = migration_cost_usd / daily_savings
    return out
