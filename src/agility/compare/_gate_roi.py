"""The ROI criterion: "neutral or positive within N days" (the playbook's sign-off on cost).

The move's net after ``N`` days is ``monthly savings x N / 30 - one-off costs``, every cost in
(tokens, the pipeline's extras, the plan's per-query, per-hour, per-month and one-off items).
It passes when the net is at least 0 even at the low end of the interval of the savings, fails
when the point estimate is below 0, and is inconclusive in between (the per-query costs vary
from query to query, and so could the savings).

When a side's cost includes a per-hour item (spread over the throughput its run measured), the
net moves with the load the calls were timed under: the criterion is inconclusive unless both
sides were timed together (see :mod:`agility.compare._gate_cost`), and then fails only when
even the high end of the interval is below 0.
"""

from __future__ import annotations

from agility._format import format_usd
from agility.compare._criteria import Criteria
from agility.compare._gate_cost import drift_reason, throughput_based, unmeasured_item
from agility.compare._models import CostComparison, CriterionResult
from agility.compare._roi_models import RoiAnalysis

__all__ = ["roi_criterion"]


def _days(value: float | None) -> str:
    return "never" if value is None else f"{value:,.1f} days"


def _evidence(roi: RoiAnalysis) -> str:
    assert roi.net_at_horizon_interval is not None and roi.monthly_savings_interval is not None
    net_low, net_high = roi.net_at_horizon_interval
    save_low, save_high = roi.monthly_savings_interval
    days = f"{roi.horizon_days:g} days"
    text = (f"at {roi.traffic_per_month:,} queries/month: source "
            f"{format_usd(roi.source.monthly_usd)}/month, target "
            f"{format_usd(roi.target.monthly_usd)}/month; saving "
            f"{format_usd(roi.monthly_savings_usd, signed=True)}/month (interval "
            f"{format_usd(save_low, signed=True)} to {format_usd(save_high, signed=True)}); "
            f"one-off {format_usd(roi.one_off_usd)}; net after {days} "
            f"{format_usd(roi.net_at_horizon_usd, signed=True)} (interval "
            f"{format_usd(net_low, signed=True)} to {format_usd(net_high, signed=True)})")
    if roi.payback_status in ("computed", "never"):
        text += f"; payback {_days(roi.payback_days)}"
        if roi.payback_interval is not None and roi.payback_interval != (None, None):
            low, high = roi.payback_interval
            text += f" (interval {_days(low)} to {_days(high)})"
    return text


def roi_criterion(cost: CostComparison, criteria: Criteria) -> CriterionResult | None:
    """The ROI criterion's result, or None when ``criteria.roi`` is not set.

    Args:
        cost: the cost comparison (its ``roi`` holds the analysis).
        criteria: the criteria.
    """
    if criteria.roi is None:
        return None
    days = f"{criteria.roi.within_days:g} days"
    label = f"ROI: neutral or positive within {days}"
    roi = cost.roi

    def result(status: str, evidence: str, reason: str | None = None,
               advice: str | None = None, needed: int | None = None) -> CriterionResult:
        return CriterionResult(name=label, kind="cost", status=status,  # type: ignore[arg-type]
                               evidence=evidence, reason=reason, advice=advice,
                               examples_needed=needed)

    if roi is None or roi.traffic_per_month is None:
        return result("not_evaluated", "no monthly traffic given",
                      reason="the ROI needs the monthly traffic",
                      advice="give traffic_per_month in the plan (or --traffic)")
    if roi.net_at_horizon_usd is None or roi.net_at_horizon_interval is None:
        why = unmeasured_item(roi)
        return result("not_evaluated", f"cost not measured: {why}",
                      reason=f"the cost of a query is not known on both sides: {why}",
                      advice="price both models (price table, a plan candidate's price or a "
                             "price file) and time both runs")
    evidence = _evidence(roi)
    net_low, net_high = roi.net_at_horizon_interval
    hourly = throughput_based(cost)
    drift = drift_reason(hourly) if hourly is not None else None
    if drift is not None:
        timing = roi.timing.text if roi.timing is not None else "timing not recorded"
        return result("inconclusive", f"{evidence}; {timing}", reason=drift,
                      advice="run source and target interleaved on one machine (agility "
                             "migrate and agility demo do), or price the endpoint per query")
    if net_low >= 0:
        return result("pass", evidence)
    # a per-hour item's share moves with the measured throughput: fail only when even the
    # high end of the interval is negative (token prices are exact: the point decides)
    failing = net_high < 0 if hourly is not None else roi.net_at_horizon_usd < 0
    if failing:
        return result("fail", evidence,
                      reason=f"the move is not neutral or positive within {days}: net "
                             f"{format_usd(roi.net_at_horizon_usd, signed=True)} "
                             f"(payback {_days(roi.payback_days)})",
                      advice=f"{roi.traffic_for_horizon}; lower the one-off costs, or migrate "
                             f"later")
    from agility.compare._gate import examples_to_settle  # _gate imports this module

    n = min(roi.source.n, roi.target.n)
    net = roi.net_at_horizon_usd
    if net < 0:  # a per-hour item: the point is negative, the interval's high end is not
        needed = examples_to_settle(n, net, net_high, 0.0)
        reason = (f"the net after {days} is {format_usd(net, signed=True)}, but the high end "
                  f"of its interval ({format_usd(net_high, signed=True)}) is not negative: "
                  f"the throughputs measured over {n} calls cannot tell")
    else:
        needed = examples_to_settle(n, net, net_low, 0.0)
        reason = (f"the net after {days} is positive, but the low end of its interval "
                  f"({format_usd(net_low, signed=True)}) is not: the per-query costs vary too "
                  f"much over {n} calls to be sure")
    return result("inconclusive", evidence, reason=reason,
                  advice=(f"about {needed:,} calls per run would settle it if the observed "
                          f"costs held (an estimate)") if needed else "add examples",
                  needed=needed)
