"""Cost of both models: per query, per 1,000 queries, per month, and the payback of the move.

``cost_usd`` of a result already includes its extras (retrieval, embeddings); we report the
extras' share apart. Cached and failed calls are left out: they do not tell what a query
costs. A run that recorded no cost is ``None`` (not measured), never 0.

The cost model all in (the plan's cost items, throughput, ROI, sensitivity) is
:mod:`agility.compare._roi`; :func:`compare_cost` holds both.

Money is added up in exact decimal arithmetic and each side's mean cost per query is rounded to
:data:`MONEY_PRECISION_USD` (a millionth of a cent per million queries) before the two are
compared: two runs with the same prices and the same tokens cost the same, not "+0.0%" more
because floating-point sums differ in their last bits.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from agility.compare._cost_items import CostItems
from agility.compare._models import CostComparison, CostSide
from agility.compare._money import DAYS_PER_MONTH, MONEY_PRECISION_USD
from agility.compare._money import money as _money
from agility.compare._roi import ReviewCount, analyse_roi
from agility.compare._roi_models import TimingConditions
from agility.store import ResultRecord

__all__ = ["DAYS_PER_MONTH", "MONEY_PRECISION_USD", "compare_cost", "cost_side"]


def _mean_per_query(results: Sequence[ResultRecord]) -> tuple[Decimal | None, int]:
    priced = [r for r in results if not r.cached and r.error is None and r.cost_usd is not None]
    if not priced:
        return None, 0
    total = sum((_money(r.cost_usd or 0.0) for r in priced), Decimal(0))
    return (total / len(priced)).quantize(MONEY_PRECISION_USD), len(priced)


def cost_side(results: Sequence[ResultRecord], traffic_per_month: int | None) -> CostSide:
    """One run's cost figures.

    Args:
        results: the run's results.
        traffic_per_month: queries per month for the projection, or None.

    Returns:
        The figures; ``None`` where nothing was recorded. ``retrieval_share`` is None when no
        result recorded an extra (retrieval) cost: not measured, not 0%.
    """
    mean, n = _mean_per_query(results)
    answered = [r for r in results if not r.cached and r.error is None]
    unpriced = sum(1 for r in answered if r.cost_usd is None)
    if mean is None:
        return CostSide(n=0, unpriced=unpriced, mean_per_query_usd=None, per_1000_usd=None,
                        monthly_usd=None)
    priced = [r for r in answered if r.cost_usd is not None]
    with_extras = [r for r in priced if r.extra_cost_usd is not None]
    total = sum((_money(r.cost_usd or 0.0) for r in priced), Decimal(0))
    share = None
    if with_extras and total > 0:
        extras = sum((_money(r.extra_cost_usd or 0.0) for r in with_extras), Decimal(0))
        share = float(extras / total)
    return CostSide(
        n=n,
        unpriced=unpriced,
        mean_per_query_usd=float(mean),
        per_1000_usd=float(mean * 1000),
        monthly_usd=None if traffic_per_month is None else float(mean * traffic_per_month),
        retrieval_share=share,
    )


def compare_cost(
    source: Sequence[ResultRecord],
    target: Sequence[ResultRecord],
    *,
    traffic_per_month: int | None = None,
    migration_cost_usd: float | None = None,
    costs: CostItems | None = None,
    parallel_calls: tuple[int | None, int | None] = (None, None),
    reviews: ReviewCount | None = None,
    horizon_days: float = 30.0,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
    timing: TimingConditions | None = None,
) -> CostComparison:
    """Cost of both runs side by side, the cost model all in, and the payback of the move.

    Args:
        source: the source run's results.
        target: the target run's results.
        traffic_per_month: queries per month (for the monthly figures and the payback).
        migration_cost_usd: one-off cost of migrating (engineering, evaluation).
        costs: the plan's cost items (per query, per month, per hour, one-off).
        parallel_calls: each run's calls in flight, for the throughput of per-hour items.
        reviews: the SME reviews an SME review item prices, and where the count comes from.
        horizon_days: the ROI horizon ("neutral or positive within N days").
        confidence: the intervals' coverage.
        n_resamples: bootstrap resamples of each side's mean cost per query.
        seed: the bootstrap's seed.
        timing: how both runs were timed (:func:`agility.compare.timing_conditions`): a
            per-hour item's cost per query compares the models only when they were timed
            together.

    Returns:
        The comparison; ``roi`` holds the cost model (see :func:`analyse_roi`).
        ``payback_status`` says whether ``payback_days`` was computed, why not (a side's cost
        not measured, no traffic, nothing to pay back), or that it never pays back.
    """
    src = cost_side(source, traffic_per_month)
    tgt = cost_side(target, traffic_per_month)
    out = CostComparison(source=src, target=tgt, traffic_per_month=traffic_per_month,
                         migration_cost_usd=migration_cost_usd,
                         money_precision_usd=float(MONEY_PRECISION_USD))
    out.roi = analyse_roi(source, target, items=costs, traffic_per_month=traffic_per_month,
                          migration_cost_usd=migration_cost_usd, parallel_calls=parallel_calls,
                          reviews=reviews, horizon_days=horizon_days, confidence=confidence,
                          n_resamples=n_resamples, seed=seed)
    out.roi.timing = timing
    # the payback counts every cost: the measured calls, and the plan's items when given
    out.payback_status = out.roi.payback_status
    out.payback_days = out.roi.payback_days
    src_mean, _ = _mean_per_query(source)
    tgt_mean, _ = _mean_per_query(target)
    if src_mean is None or tgt_mean is None:
        return out
    diff = tgt_mean - src_mean  # exact: both means are multiples of MONEY_PRECISION_USD
    out.diff_per_query_usd = float(diff)
    out.diff_pct = float(100 * diff / src_mean) if src_mean else None
    if traffic_per_month is not None:
        out.monthly_savings_usd = float(-diff * traffic_per_month)
    return out
