"""The plain-language recommendation: "not worth migrating now", and the figures that say so.

The playbook says not to migrate when the expected gains are marginal relative to the costs.
The recommendation is given exactly when all three hold:

1. **No quality gain beyond noise**: each gated quality metric (``criteria.quality.metrics``)
   was measured on both sides, and none shows a gain whose interval clears zero (the lower
   bound of the interval of target - source is not above 0, on the gate's split).
2. **No speed gain beyond noise**: neither TTFT p50 nor total latency p50 has an interval of
   the difference lying entirely below zero (a latency that was not measured shows no gain).
3. **No payback within the horizon**: with the monthly traffic given and both sides' cost
   measured, the move is not neutral or positive within the horizon (the ROI criterion's
   ``within_days``, else the playbook's 30): ``net_at_horizon_usd`` < 0. When a side's cost
   includes a per-hour item (spread over the throughput its run measured), the two runs must
   have been timed together and even the high end of the net's interval must be below 0: a
   net that load drift could explain is no reason to advise anything.

When quality or speed did improve beyond noise, or the ROI could not be computed, no advice is
given: the report's figures stand on their own.
"""

from __future__ import annotations

from collections.abc import Sequence

from agility._format import format_change_pct, format_usd
from agility.compare._models import LatencySide, MetricComparison, MetricStats
from agility.compare._roi_models import Recommendation, RoiAnalysis

__all__ = ["recommend"]


def _gain_interval(s: MetricStats) -> tuple[float, float] | None:
    """The interval of target - source the gate reads (score interval for verdicts)."""
    if s.score_ci_low is not None and s.score_ci_high is not None:
        return s.score_ci_low, s.score_ci_high
    if s.ci_low is not None and s.ci_high is not None:
        return s.ci_low, s.ci_high
    return None


def _quality(metrics: Sequence[MetricComparison], gated: Sequence[str], split: str
             ) -> list[str] | None:
    """Why each gated metric shows no gain beyond noise, or None when one does (or one was
    not measured)."""
    by_name = {m.metric: m for m in metrics}
    reasons = []
    for name in gated:
        metric = by_name.get(name)
        if metric is None:
            return None
        s = metric.holdout if split == "holdout" and metric.holdout is not None \
            else metric.overall
        interval = _gain_interval(s)
        if s.n == 0 or s.diff is None or interval is None:
            return None
        if interval[0] > 0:
            return None  # a real gain
        reasons.append(f"{name}: {s.source_mean:.3f} -> {s.target_mean:.3f} "
                       f"({format_change_pct(s.rel_diff)}), interval of the difference "
                       f"{interval[0]:+.3f} to {interval[1]:+.3f}: no gain beyond noise")
    return reasons


def _speed(label: str, side: LatencySide) -> str | None:
    """Why ``side`` shows no speed gain beyond noise, or None when it does."""
    interval = (side.diff_ms_interval or {}).get("p50")
    if side.diff_ms is None or interval is None:
        return f"{label} p50: not measured, so no gain shown"
    if interval[1] < 0:
        return None
    return (f"{label} p50: {side.diff_ms['p50']:+.0f} ms, interval {interval[0]:+.0f} to "
            f"{interval[1]:+.0f} ms: no gain beyond noise")


def _days(value: float | None) -> str:
    return "never" if value is None else f"{value:,.1f} days"


def recommend(metrics: Sequence[MetricComparison], gated: Sequence[str], split: str,
              ttft: LatencySide, total: LatencySide, roi: RoiAnalysis | None
              ) -> Recommendation | None:
    """"Not worth migrating now" with its figures, when (and only when) the conditions of the
    module docstring hold.

    Args:
        metrics: the compared metrics.
        gated: the gated quality metrics (``criteria.quality.metrics``).
        split: the split the gate read ("holdout" or "all").
        ttft: TTFT of both sides.
        total: total latency of both sides.
        roi: the cost model (None: not computed).

    Returns:
        The recommendation, or None.
    """
    if roi is None or roi.net_at_horizon_usd is None or roi.net_at_horizon_usd >= 0:
        return None
    if roi.throughput_sides and (roi.timing is None or not roi.timing.interleaved
                                 or roi.net_at_horizon_interval is None
                                 or roi.net_at_horizon_interval[1] >= 0):
        return None
    if not gated:
        return None
    quality = _quality(metrics, gated, split)
    if quality is None:
        return None
    speed = [_speed("TTFT", ttft), _speed("total latency", total)]
    if any(reason is None for reason in speed):
        return None
    horizon = f"{roi.horizon_days:g} days"
    costs = (f"monthly totals at {roi.traffic_per_month:,} queries/month: source "
             f"{format_usd(roi.source.monthly_usd)}, target {format_usd(roi.target.monthly_usd)} "
             f"(saving {format_usd(roi.monthly_savings_usd, signed=True)} a month); one-off "
             f"{format_usd(roi.one_off_usd)}")
    interval = ""
    if roi.payback_interval is not None and roi.payback_interval != (None, None):
        interval = (f" (interval {_days(roi.payback_interval[0])} to "
                    f"{_days(roi.payback_interval[1])})")
    net = f"net after {horizon}: {format_usd(roi.net_at_horizon_usd, signed=True)}"
    payback = net
    beyond = roi.payback_status == "never" or (roi.payback_days is not None
                                               and roi.payback_days > roi.horizon_days)
    if beyond:
        payback = (f"payback {_days(roi.payback_days)}{interval}, beyond the horizon of "
                   f"{horizon}; {net}")
    return Recommendation(reasons=[*quality, *(r for r in speed if r), costs, payback])
