"""Latency criteria on end-to-end time and on single spans (tail latency by call).

``latency.end_to_end`` and ``latency.span.<name>`` set, per percentile, how far the target may
rise in milliseconds and/or percent (either satisfies, as for TTFT). With ``test: interval`` a
limit passes when the upper bound of the interval of the rise is within it, fails when the
lower bound is beyond every limit, and is inconclusive between; ``point`` compares the point
estimates. A side that timed fewer than ``min_timed`` calls leaves the criterion not evaluated.
"""

from __future__ import annotations

from agility.compare._criteria import Criteria, LatencyLimits
from agility.compare._models import CriterionResult, LatencyComparison, LatencySide

__all__ = ["latency_limit_criteria"]


def _limits_text(max_ms: float | None, max_pct: float | None) -> str:
    return " or ".join(x for x in (f"+{max_pct:g}%" if max_pct is not None else "",
                                   f"+{max_ms:g} ms" if max_ms is not None else "") if x)


def _judge(label: str, what: str, side: LatencySide, percentile: str, limits: LatencyLimits,
           max_ms: float | None, max_pct: float | None, confidence: float) -> CriterionResult:
    def result(status: str, evidence: str, reason: str | None = None,
               advice: str | None = None) -> CriterionResult:
        return CriterionResult(name=label, kind="latency", status=status,  # type: ignore[arg-type]
                               evidence=evidence, reason=reason, advice=advice)

    missing = [who for who, p in (("source", side.source), ("target", side.target)) if p is None]
    if missing or side.diff_ms is None or side.diff_pct is None:
        who = " and ".join(missing) or "either"
        return result("not_evaluated", f"{what} was not measured on the {who} run",
                      reason=f"no {what} timing on the {who} run",
                      advice="run both candidates so that this step is recorded (a system's "
                             "spans, or a retriever for retrieval)")
    assert side.source is not None and side.target is not None
    thin = [f"{who} timed {p.n}" for who, p in (("source", side.source),
                                                ("target", side.target))
            if p.n < limits.min_timed]
    if thin:
        return result("not_evaluated", f"{what}: " + "; ".join(thin)
                      + f" (at least {limits.min_timed} needed)",
                      reason=f"too few timed {what} to judge its {percentile}",
                      advice="run more examples")
    rise_ms = side.diff_ms[percentile]
    rise_pct = side.diff_pct[percentile]
    pct_text = "n/a" if rise_pct is None else f"{rise_pct:+.1f}%"
    allowed = _limits_text(max_ms, max_pct)
    evidence = (f"{what} {percentile}: source {getattr(side.source, percentile):.0f} ms, target "
                f"{getattr(side.target, percentile):.0f} ms: {rise_ms:+.0f} ms ({pct_text}); "
                f"allowed {allowed}")
    if limits.test == "interval":
        ms_low, ms_high = (side.diff_ms_interval or {}).get(percentile, (rise_ms, rise_ms))
        bounds = (side.diff_pct_interval or {}).get(percentile)
        low_pct, high_pct = bounds if bounds is not None else (None, None)
        pct_range = "n/a" if bounds is None else f"{bounds[0]:+.1f}% to {bounds[1]:+.1f}%"
        evidence += (f"; {100 * confidence:.0f}% interval of the rise {ms_low:+.0f} to "
                     f"{ms_high:+.0f} ms ({pct_range})")
    else:
        ms_low = ms_high = rise_ms
        low_pct = high_pct = rise_pct
    within = ((max_ms is not None and ms_high <= max_ms)
              or (max_pct is not None and high_pct is not None and high_pct <= max_pct))
    beyond = ((max_ms is None or ms_low > max_ms)
              and (max_pct is None or (low_pct is not None and low_pct > max_pct)))
    if within:
        return result("pass", evidence)
    if beyond:
        return result("fail", evidence,
                      reason=f"{what} {percentile} rose {rise_ms:+.0f} ms ({pct_text}), more "
                             f"than {allowed}",
                      advice=f"look at the target's {what} (its model, its serving, its load) "
                             f"or relax the limit if the rise is acceptable")
    return result("inconclusive", evidence,
                  reason=f"the interval of the {what} {percentile} rise straddles the allowed "
                         f"{allowed}",
                  advice="run more examples, source and target interleaved on one machine")


def latency_limit_criteria(criteria: Criteria, latency: LatencyComparison,
                           confidence: float) -> list[CriterionResult]:
    """The end-to-end and per-span latency criteria (none when none is set)."""
    c = criteria.latency
    out: list[CriterionResult] = []
    if c.end_to_end is not None:
        side = latency.end_to_end if latency.end_to_end is not None else latency.total
        for percentile, (max_ms, max_pct) in c.end_to_end.limits().items():
            out.append(_judge(f"latency: end-to-end {percentile}", "end-to-end latency", side,
                              percentile, c.end_to_end, max_ms, max_pct, confidence))
    by_name = {s.name: s for s in latency.spans}
    for name, limits in c.span.items():
        span = by_name.get(name)
        for percentile, (max_ms, max_pct) in limits.limits().items():
            label = f"latency: span {name} {percentile}"
            if span is None:
                out.append(CriterionResult(
                    name=label, kind="latency", status="not_evaluated",
                    evidence=f"no span named '{name}' on either run",
                    reason=f"neither run recorded a '{name}' span",
                    advice=f"mark the step with agility.trace.span('{name}') or name the call "
                           f"so (settings.generate(..., name='{name}'))"))
                continue
            out.append(_judge(label, f"span '{name}'", span.latency, percentile, limits,
                              max_ms, max_pct, confidence))
    return out
