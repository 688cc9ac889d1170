"""The cost criterion: the target no more expensive per query than allowed, or paid back in time.

Token-priced costs are exact: each side's mean cost per query is an exact decimal at the stated
precision, so equal prices and tokens compare equal and the criterion passes or fails on the
point figures.

A **per-hour item** (a self-hosted endpoint) is different: its share of a query is spread over
the throughput the run measured (Little's law), and a throughput is as much a measurement of
the machine's load at the time as of the model. So when a side's cost per query includes one:

- the two sides must have been **timed together** (their calls started in turn, A B B A, as
  ``agility migrate``, ``agility demo`` and the port's holdout scoring run them): runs timed
  one after the other measured the load of two different windows, and the criterion is
  inconclusive, unless no throughput could change the outcome (only one side has a per-hour
  item and the other parts already decide);
- timed together, the criterion reads the interval the throughputs allow
  (:attr:`~agility.compare.RoiAnalysis.diff_per_query_pct_interval`): it passes when even the
  high end is within the allowance, fails when even the low end is beyond it, and is
  inconclusive when the interval straddles it.
"""

from __future__ import annotations

import math
from decimal import Decimal

from agility._format import format_usd
from agility.compare._criteria import Criteria
from agility.compare._models import CostComparison, CriterionResult
from agility.compare._money import money
from agility.compare._roi_models import RoiAnalysis

__all__ = ["cost_criterion", "drift_reason", "throughput_based", "unmeasured_item"]

_ADVICE_TOGETHER = ("run source and target interleaved on one machine (agility migrate and "
                    "agility demo do: their calls start in turn, so load drift hits both "
                    "alike), or price the endpoint per query")


def unmeasured_item(roi: RoiAnalysis) -> str:
    """The first cost line that could not be measured, and why, in words."""
    for side, costs in (("source", roi.source), ("target", roi.target)):
        for line in costs.lines:
            if not line.measured:
                return f"the {side}'s '{line.name}' is {line.basis}"
    return "a side's cost per query was not measured"


def throughput_based(cost: CostComparison) -> RoiAnalysis | None:
    """The ROI analysis when a side's cost per query rests on a measured throughput."""
    roi = cost.roi
    if roi is None or not roi.has_items or not roi.throughput_sides:
        return None
    return roi


def drift_reason(roi: RoiAnalysis) -> str | None:
    """Why the throughputs of the two sides cannot be compared (None: they were timed
    together)."""
    if roi.timing is not None and roi.timing.interleaved:
        return None
    sides = " and ".join(roi.throughput_sides)
    where = roi.timing.text if roi.timing is not None else "how the runs were timed is not known"
    return (f"the {sides}'s cost per query includes a per-hour item spread over the "
            f"throughput its run measured, and the two runs were {where}: load drift between "
            f"the two windows changes each throughput, so the difference may not be the "
            f"models'")


def _drift_proof(roi: RoiAnalysis, limit_pct: float) -> str | None:
    """``pass``/``fail`` when no throughput of the per-hour side could change the outcome."""
    src, tgt = roi.source, roi.target
    if src.per_query_usd is None or tgt.per_query_usd is None:
        return None
    allowed = Decimal(1) + money(limit_pct) / 100
    src_rest = money(src.per_query_usd) - money(src.hourly_per_query_usd or 0.0)
    tgt_rest = money(tgt.per_query_usd) - money(tgt.hourly_per_query_usd or 0.0)
    # an hourly share is positive and unbounded: only the side without one is fixed
    if "target" not in roi.throughput_sides and money(tgt.per_query_usd) <= src_rest * allowed:
        return "pass"
    if "source" not in roi.throughput_sides and tgt_rest > money(src.per_query_usd) * allowed:
        return "fail"
    return None


def _pct(value: float) -> str:
    return f"{value:+.1f}%"


def _throughput_cost(roi: RoiAnalysis, evidence: str, limit: float, label: str
                     ) -> CriterionResult:
    """The max-increase criterion when a side's cost rests on its measured throughput."""
    why = drift_reason(roi)
    if why is not None:
        settled = _drift_proof(roi, limit)
        timing = roi.timing.text if roi.timing is not None else "timing not recorded"
        if settled == "pass":
            return CriterionResult(
                name=label, kind="cost", status="pass",
                evidence=f"{evidence}; allowed increase {limit:g}%: the target costs no more "
                         f"than allowed even if the source's endpoint served any number of "
                         f"queries an hour ({timing})")
        if settled == "fail":
            return CriterionResult(
                name=label, kind="cost", status="fail",
                evidence=f"{evidence}; allowed increase {limit:g}%: the target's cost without "
                         f"its endpoint's hours already exceeds it ({timing})",
                reason="the target costs more per query than allowed, whatever its endpoint's "
                       "throughput",
                advice="choose a cheaper target, shorten prompts, or raise "
                       "cost.max_increase_pct")
        return CriterionResult(
            name=label, kind="cost", status="inconclusive",
            evidence=f"{evidence}; allowed increase {limit:g}%; {timing}",
            reason=why, advice=_ADVICE_TOGETHER)
    interval = roi.diff_per_query_pct_interval
    if interval is None:
        return CriterionResult(name=label, kind="cost", status="not_evaluated",
                               evidence=f"{evidence}; no relative interval (the source costs "
                                        f"nothing per query)",
                               reason="the relative difference is undefined at a zero source "
                                      "cost",
                               advice="compare the monthly totals (the ROI criterion)")
    low, high = interval
    conf = f"{100 * roi.confidence:g}%"
    text = (f"{evidence}; {conf} interval of the difference from the measured throughputs "
            f"{_pct(low)} to {_pct(high)}; allowed increase {limit:g}%; "
            f"{roi.timing.text if roi.timing is not None else ''}")
    if high <= limit:
        return CriterionResult(name=label, kind="cost", status="pass", evidence=text)
    if low > limit:
        return CriterionResult(
            name=label, kind="cost", status="fail", evidence=text,
            reason=f"the target costs {_pct(low)} to {_pct(high)} more per query all in, "
                   f"beyond the allowed {limit:g}% at either end of the interval",
            advice="choose a cheaper target or a faster endpoint, or raise "
                   "cost.max_increase_pct")
    return CriterionResult(
        name=label, kind="cost", status="inconclusive", evidence=text,
        reason=f"the interval of the difference ({_pct(low)} to {_pct(high)}) straddles the "
               f"allowed {limit:g}%: the measured throughputs cannot tell whether the target "
               f"costs more than allowed",
        advice="run more examples (a longer run narrows each throughput's interval), "
               "interleaved as now")


def _payback(cost: CostComparison, evidence: str, limit_days: float, label: str
             ) -> CriterionResult | None:
    """The payback criterion when a side's cost rests on its measured throughput (None: the
    payback was not computed; the caller says why)."""
    roi = throughput_based(cost)
    if roi is None or cost.payback_status not in ("computed", "never"):
        return None
    why = drift_reason(roi)
    if why is not None:
        return CriterionResult(name=label, kind="cost", status="inconclusive",
                               evidence=f"{evidence}; allowed payback {limit_days:g} days",
                               reason=why, advice=_ADVICE_TOGETHER)
    fast, slow = roi.payback_interval or (None, None)

    def days(value: float | None) -> str:
        return "never" if value is None else f"{value:.1f} days"

    text = (f"{evidence}; payback {days(cost.payback_days)} (interval {days(fast)} to "
            f"{days(slow)}; allowed {limit_days:g} days)")
    if slow is not None and slow <= limit_days:
        return CriterionResult(name=label, kind="cost", status="pass", evidence=text)
    if fast is None or fast > limit_days:
        return CriterionResult(name=label, kind="cost", status="fail", evidence=text,
                               reason=f"not paid back within {limit_days:g} days even at the "
                                      f"fast end of the interval ({days(fast)})",
                               advice="the move does not pay for itself in money in time")
    return CriterionResult(name=label, kind="cost", status="inconclusive", evidence=text,
                           reason=f"the payback's interval ({days(fast)} to {days(slow)}) "
                                  f"straddles the allowed {limit_days:g} days",
                           advice="run more examples, interleaved as now")


def cost_criterion(cost: CostComparison, criteria: Criteria) -> CriterionResult | None:
    """The cost criterion's result, or None when ``criteria.cost`` sets no bound.

    Args:
        cost: the cost comparison (with the cost model all in when the plan gave items).
        criteria: the criteria.
    """
    c = criteria.cost
    if c.max_increase_pct is None and c.payback_days is None:
        return None
    label = "cost"
    src, tgt = cost.source.mean_per_query_usd, cost.target.mean_per_query_usd
    diff, diff_pct, per = cost.diff_per_query_usd, cost.diff_pct, "/query"
    if cost.roi is not None and cost.roi.has_items:
        # with the plan's cost items, a query costs what every item adds up to
        src, tgt = cost.roi.source.per_query_usd, cost.roi.target.per_query_usd
        diff, diff_pct, per = cost.roi.diff_per_query_usd, cost.roi.diff_per_query_pct, \
            "/query all in"
    if src is None or tgt is None or diff is None:
        lacking = [w for w, v in (("source", src), ("target", tgt)) if v is None]
        which = " and ".join(lacking) + (" runs" if len(lacking) == 2 else " run")
        if cost.roi is not None and cost.roi.has_items and (
                cost.source.mean_per_query_usd is not None
                and cost.target.mean_per_query_usd is not None):
            # the calls were priced: a cost item is what could not be measured
            why = unmeasured_item(cost.roi)
            return CriterionResult(name=label, kind="cost", status="not_evaluated",
                                   evidence=f"cost all in not measured: {why}",
                                   reason=f"the cost all in is not known for the {which}: {why}",
                                   advice="time both runs and record the spans the plan's cost "
                                          "items count, or give the item's figure in the plan")
        return CriterionResult(name=label, kind="cost", status="not_evaluated",
                               evidence=f"no cost recorded for the {which}",
                               reason=f"cost was not measured for the {which}",
                               advice="give the model's price (a price table entry or the "
                                      "plan's price) so each call's cost is recorded")
    evidence = f"source {format_usd(src)}{per}, target {format_usd(tgt)}{per}"
    if diff_pct is not None:
        evidence += f" ({diff_pct:+.1f}%)"
    if c.payback_days is not None:
        measured = _payback(cost, evidence, c.payback_days, label)
        if measured is not None:
            return measured
        if cost.payback_status == "never":
            what = "per month" if cost.roi is not None and cost.roi.has_items else "per query"
            return CriterionResult(name=label, kind="cost", status="fail",
                                   evidence=evidence + f"; the target is not cheaper {what}, so "
                                                       f"the migration is never paid back",
                                   reason=f"the target is not cheaper {what}",
                                   advice="the move does not pay for itself in money")
        if cost.payback_status != "computed" or cost.payback_days is None:
            return CriterionResult(name=label, kind="cost", status="not_evaluated",
                                   evidence=evidence + "; payback needs the monthly traffic and "
                                                       "the migration cost",
                                   reason="payback not computed: the monthly traffic or the "
                                          "migration cost is not given",
                                   advice="pass --traffic and --migration-cost")
        ok = cost.payback_days <= c.payback_days
        text = evidence + (f"; paid back in {cost.payback_days:.1f} days "
                           f"(allowed {c.payback_days:g})")
        return CriterionResult(name=label, kind="cost", status="pass" if ok else "fail",
                               evidence=text,
                               reason=None if ok else f"paid back in {cost.payback_days:.1f} "
                                                      f"days, more than {c.payback_days:g}")
    limit = c.max_increase_pct or 0.0
    roi = throughput_based(cost)
    if roi is not None:
        return _throughput_cost(roi, evidence, limit, label)
    # both means are exact decimals at the stated precision: equal prices and tokens give 0
    ok = (diff_pct <= limit) if diff_pct is not None else diff <= 0
    places = max(0, round(-math.log10(cost.money_precision_usd)))
    text = evidence + f"; allowed increase {limit:g}% (compared to {places} decimals of a dollar)"
    return CriterionResult(name=label, kind="cost", status="pass" if ok else "fail",
                           evidence=text,
                           reason=None if ok else f"the target costs "
                                                  f"{format_usd(diff, signed=True)}"
                                                  f" per query more than allowed",
                           advice=None if ok else "choose a cheaper target, shorten prompts, or "
                                                  "raise cost.max_increase_pct")
