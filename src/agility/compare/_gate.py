"""The sign-off gate: each criterion with its evidence, and the verdict.

A criterion is ``pass``, ``fail``, ``inconclusive`` (the data cannot tell: say, the interval
still straddles the margin) or ``not_evaluated`` (a figure it needs was not measured). The
verdict is FAIL if any criterion fails, INCOMPLETE if any is inconclusive or not evaluated (or
there is no criterion at all), and PASS only when every criterion passed. A criterion that did
not pass says why (``reason``), what to do (``advice``) and, where more data would settle it,
about how many examples that takes at the observed difference (``examples_needed``, from
:func:`examples_to_settle`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from agility._format import format_change_pct
from agility.compare._criteria import Criteria
from agility.compare._gate_cost import cost_criterion
from agility.compare._gate_roi import roi_criterion
from agility.compare._models import (
    CostComparison,
    CriterionResult,
    ErrorRateComparison,
    LatencyComparison,
    MetricComparison,
    MetricStats,
    Verdict,
)
from agility.compare._proportions import mover_ratio, newcombe_independent

__all__ = ["EXIT_CODES", "evaluate_criteria", "examples_to_settle", "verdict_of"]

#: process exit status for each verdict (usage errors exit 2 through agility.errors)
EXIT_CODES = {"PASS": 0, "FAIL": 1, "INCOMPLETE": 1}

_pct = format_change_pct
_MAX_ESTIMATE = 10_000_000


def examples_to_settle(n: int, estimate: float, bound: float, limit: float) -> int | None:
    """How many examples would bring ``bound`` to ``limit`` if ``estimate`` held (an estimate).

    An interval's half-width shrinks about as ``1/sqrt(n)``: with ``h = |estimate - bound|`` at
    ``n`` examples, the bound reaches ``limit`` at about ``n * (h / |estimate - limit|)^2``.

    Args:
        n: the examples the interval was computed on.
        estimate: the observed difference.
        bound: the interval's bound on the side the gate reads.
        limit: where that bound must be for the criterion to pass.

    Returns:
        The estimated number of examples (at least ``n + 1``), or None when no number would do
        (the estimate itself is on the wrong side of the limit, or the bound does not move).
    """
    gap = abs(estimate - limit)
    half = abs(estimate - bound)
    if n <= 0 or half == 0 or gap == 0 or not math.isfinite(half):
        return None
    if (bound - limit) * (estimate - limit) >= 0:  # already past the limit, or never will be
        return None
    needed = math.ceil(n * (half / gap) ** 2)
    return max(n + 1, min(needed, _MAX_ESTIMATE))


def _smallest_n(n: int, settles: Callable[[int], bool]) -> int | None:
    """The smallest size above ``n`` at which ``settles(size)`` holds (counts scaled from the
    observed ones), by doubling then bisection; None if not even at the cap."""
    high = n + 1
    while not settles(high):
        if high >= _MAX_ESTIMATE:
            return None
        high = min(_MAX_ESTIMATE, high * 2)
    low = max(n, high // 2)
    while high - low > 1:
        middle = (low + high) // 2
        if settles(middle):
            high = middle
        else:
            low = middle
    return high


def _pass_fail_to_settle(s: MetricStats, margin: float, confidence: float) -> int | None:
    """Pairs needed for the MOVER lower bound to clear the margin, the 2x2 table's shares kept."""
    if s.source_mean is None or s.source_only_passed is None or s.target_only_passed is None:
        return None
    source_only, target_only = s.source_only_passed, s.target_only_passed
    both = round(s.source_mean * s.n) - source_only
    neither = s.n - both - source_only - target_only
    if both + source_only <= 0 or min(both, neither) < 0:
        return None
    if (both + target_only) / (both + source_only) < 1 - margin:
        return None  # the observed ratio itself is beyond the margin: no size settles it

    def settles(size: int) -> bool:
        k = size / s.n
        a, b, c, d = (round(x * k) for x in (both, target_only, source_only, neither))
        if a + c == 0:
            return False
        return mover_ratio(a, b, c, d, confidence)[0] - 1 >= -margin

    return _smallest_n(s.n, settles)


def _gated_stats(metric: MetricComparison, split: str) -> MetricStats:
    return metric.holdout if split == "holdout" and metric.holdout is not None else metric.overall


def _interval_text(s: MetricStats) -> str:
    kind = "BCa bootstrap" if s.ci_method == "bca" else "bootstrap"
    text = f"{kind} CI {_pct(s.rel_ci_low)} to {_pct(s.rel_ci_high)}"
    if s.rel_score_ci_low is not None:
        text += (f"; MOVER score CI {_pct(s.rel_score_ci_low)} to "
                 f"{_pct(s.rel_score_ci_high)}")
    return text


def _more_examples(needed: int | None, n: int) -> str:
    if needed is None:
        return "add examples"
    return (f"about {needed:,} paired examples (now {n:,}) would settle it if the observed "
            f"difference held (an estimate)")


def _quality_stats(label: str, name: str, s: MetricStats, criteria: Criteria, where: str,
                   margin: float, *, kind: str = "quality",
                   tag: str | None = None) -> CriterionResult:
    """The non-inferiority decision on one set of paired examples."""
    q = criteria.quality

    def result(status: str, evidence: str, reason: str | None = None,
               advice: str | None = None, needed: int | None = None) -> CriterionResult:
        return CriterionResult(name=label, kind=kind, metric=name, tag=tag,  # type: ignore[arg-type]
                               status=status, evidence=evidence, reason=reason,  # type: ignore[arg-type]
                               advice=advice, examples_needed=needed)

    if s.n == 0 or s.source_mean is None or s.target_mean is None:
        return result("not_evaluated", f"no paired scores for '{name}' on {where}",
                      reason=f"'{name}' has no paired scores on {where}",
                      advice=f"score both runs with '{name}'")
    head = (f"{where} n={s.n}: source {s.source_mean:.4f}, target {s.target_mean:.4f}, "
            f"relative change {_pct(s.rel_diff)} ({_interval_text(s)}), "
            f"allowed drop {100 * margin:.1f}%")
    if s.differing_pairs is not None:
        head += f", {s.differing_pairs} differing pairs"
    if s.p_value is not None:
        head += f", {s.test} p={s.p_value:.3g}"
    settle = None
    if s.rel_diff is not None and s.gate_rel_low is not None:
        # the bootstrap bound narrows as 1/sqrt(n); for verdicts the gate also reads the MOVER
        # bound, whose size is found by scaling the 2x2 table: the larger estimate settles both
        settle = examples_to_settle(s.n, s.rel_diff, s.rel_ci_low if s.rel_ci_low is not None
                                    else s.gate_rel_low, -margin)
        if s.test == "mcnemar":
            by_table = _pass_fail_to_settle(s, margin, 1 - q.alpha)
            settle = None if by_table is None else max(by_table, settle or 0)
    if s.n < q.min_examples:
        needed: int | None = max(q.min_examples, settle or 0)
        advice = "add examples: " + _more_examples(needed, s.n)
        if s.rel_diff is not None and s.rel_diff < -margin:
            advice = (f"add examples: with {q.min_examples} paired examples the observed change "
                      f"{_pct(s.rel_diff)} would fail it (a drop beyond the allowed "
                      f"{100 * margin:.1f}%)")
        return result("inconclusive", head + f"; only {s.n} paired examples (at least "
                                             f"{q.min_examples} needed): add examples",
                      reason=f"too few examples: {s.n} paired, at least {q.min_examples} "
                             f"needed",
                      advice=advice, needed=needed)
    if s.rel_diff is None:  # the source scored 0: only a drop in absolute terms matters
        ok = (s.diff or 0.0) >= 0
        return result("pass" if ok else "fail", head,
                      reason=None if ok else "the source scored 0 and the target lower")
    if s.rel_diff < -margin:
        return result("fail", head,
                      reason=f"the observed change {_pct(s.rel_diff)} is a larger drop than "
                             f"the allowed {100 * margin:.1f}%",
                      advice="review the largest regressions, then port the prompt again or "
                             "choose another target model")
    if q.test == "point":
        return result("pass", head)
    # averaged repeats of verdicts are not 0/1 either: they get the scores' treatment
    if s.test != "mcnemar" and (s.differing_pairs or 0) < q.min_differing_pairs:
        needed = None
        if s.differing_pairs:
            needed = max(s.n + 1, math.ceil(q.min_differing_pairs * s.n / s.differing_pairs))
        return result(
            "inconclusive",
            head + f"; only {s.differing_pairs} pairs differ (at least "
                   f"{q.min_differing_pairs} needed for the bootstrap interval to be "
                   f"trusted): add examples or review the differences",
            reason=f"too few differing pairs: {s.differing_pairs}, at least "
                   f"{q.min_differing_pairs} needed for the interval to be trusted",
            advice="add examples or review the differences by hand"
                   + (f": about {needed:,} paired examples would give "
                      f"{q.min_differing_pairs} differing pairs at the observed rate "
                      f"(an estimate)" if needed else ""),
            needed=needed)
    source_of_bound = {"mover": "MOVER score interval of the ratio",
                       "bootstrap": "ratio of bootstrap means"}.get(s.gate_interval or "", "-")
    bound = (f"; gate lower bound {_pct(s.gate_rel_low)} ({source_of_bound}"
             f"{', the more conservative' if s.test == 'mcnemar' else ''})")
    if s.gate_rel_low is not None and s.gate_rel_low >= -margin:
        return result("pass", head + bound)
    return result(
        "inconclusive",
        head + bound + "; the interval's lower bound is below the allowed drop, so "
                       "non-inferiority is not shown: add examples or review the differences",
        reason=f"the interval's lower bound {_pct(s.gate_rel_low)} is below the allowed drop "
               f"-{100 * margin:.1f}% (observed {_pct(s.rel_diff)})",
        advice=_more_examples(settle, s.n) + "; or review the differences", needed=settle)


def _no_answer_note(metric: MetricComparison | None, criteria: Criteria) -> str:
    if metric is None or not (metric.source_no_answer or metric.target_no_answer):
        return ""
    how = ("counted as failures" if criteria.failed_calls == "count_as_fail"
           else "left out (failed_calls: exclude)")
    return (f"; examples without an answer (failed call or none stored): source "
            f"{metric.source_no_answer}, target {metric.target_no_answer}, {how}")


def _quality(name: str, metric: MetricComparison | None, criteria: Criteria,
             split: str) -> CriterionResult:
    label = f"quality: {name}"
    if metric is None or metric.overall.n == 0:
        return CriterionResult(name=label, kind="quality", metric=name, status="not_evaluated",
                               evidence=f"no paired scores for '{name}' on both runs",
                               reason=f"'{name}' was not scored on both runs",
                               advice=f"score both runs with '{name}'")
    where = "the holdout split" if split == "holdout" else "all paired examples"
    out = _quality_stats(label, name, _gated_stats(metric, split), criteria, where,
                         criteria.quality.max_relative_drop)
    out.evidence += _no_answer_note(metric, criteria)
    return out


def _latency(latency: LatencyComparison, criteria: Criteria) -> CriterionResult | None:
    c = criteria.latency
    if c.ttft_max_increase_pct is None and c.ttft_max_increase_ms is None:
        return None
    label = f"latency: TTFT {c.percentile}"
    side = latency.ttft
    missing = [who for who, v in (("source", side.source), ("target", side.target)) if v is None]
    if missing or side.diff_ms is None or side.diff_pct is None:
        who = " and ".join(missing) or "either"
        runs = "runs" if len(missing) == 2 else "run"
        return CriterionResult(name=label, kind="latency", status="not_evaluated",
                               evidence=f"TTFT not measured for the {who} {runs} "
                                        f"(replayed answers carry no timings)",
                               reason=f"TTFT was not measured for the {who} {runs}",
                               advice="run the model with streaming (agility run) rather than "
                                      "replaying recorded answers")
    assert side.source is not None and side.target is not None
    thin = [f"{who} timed {timed} of {answered} answers"
            for who, timed, answered in (("source", side.source.n, side.answered_source),
                                         ("target", side.target.n, side.answered_target))
            if timed < c.min_timed or timed < c.min_timed_share * answered]
    if thin:
        return CriterionResult(
            name=label, kind="latency", status="not_evaluated",
            evidence="; ".join(thin) + f" (at least {c.min_timed} and "
                                       f"{100 * c.min_timed_share:.0f}% needed)",
            reason="too few answers carried a first token to judge TTFT",
            advice="look at the empty answers (stop sequences, max_tokens) and run more "
                   "examples")
    inc_ms = side.diff_ms[c.percentile]
    inc_pct = side.diff_pct[c.percentile]
    ms_low, ms_high = (side.diff_ms_interval or {}).get(c.percentile, (inc_ms, inc_ms))
    pct_bounds = (side.diff_pct_interval or {}).get(c.percentile)
    limits = " or ".join(x for x in (
        f"+{c.ttft_max_increase_pct:g}%" if c.ttft_max_increase_pct is not None else "",
        f"+{c.ttft_max_increase_ms:g} ms" if c.ttft_max_increase_ms is not None else "") if x)
    pct_text = "n/a" if inc_pct is None else f"{inc_pct:+.1f}%"
    evidence = (f"source {getattr(side.source, c.percentile):.0f} ms, target "
                f"{getattr(side.target, c.percentile):.0f} ms: {inc_ms:+.0f} ms ({pct_text}); "
                f"allowed {limits}")
    if c.test == "interval":
        pct_range = "n/a" if pct_bounds is None else \
            f"{pct_bounds[0]:+.1f}% to {pct_bounds[1]:+.1f}%"
        evidence += (f"; {100 * (1 - criteria.quality.alpha):.0f}% interval of the rise "
                     f"{ms_low:+.0f} to {ms_high:+.0f} ms ({pct_range})")
        low_pct, high_pct = pct_bounds if pct_bounds is not None else (None, None)
    else:
        ms_low = ms_high = inc_ms
        low_pct = high_pct = inc_pct
    within = ((c.ttft_max_increase_ms is not None and ms_high <= c.ttft_max_increase_ms)
              or (c.ttft_max_increase_pct is not None and high_pct is not None
                  and high_pct <= c.ttft_max_increase_pct))
    beyond = ((c.ttft_max_increase_ms is None or ms_low > c.ttft_max_increase_ms)
              and (c.ttft_max_increase_pct is None
                   or (low_pct is not None and low_pct > c.ttft_max_increase_pct)))
    if within:
        return CriterionResult(name=label, kind="latency", status="pass", evidence=evidence)
    if beyond:
        return CriterionResult(
            name=label, kind="latency", status="fail", evidence=evidence,
            reason=f"TTFT {c.percentile} rose {inc_ms:+.0f} ms ({pct_text}), more than {limits}",
            advice="check the target's serving (region, concurrency, load), or relax the "
                   "latency bounds if the rise is acceptable")
    return CriterionResult(
        name=label, kind="latency", status="inconclusive", evidence=evidence,
        reason=f"the interval of the TTFT {c.percentile} rise straddles the allowed {limits}",
        advice="run more examples, with source and target interleaved on the same machine "
               "(agility migrate does), so load drift hits both alike")


def _error_rate(errors: ErrorRateComparison | None, criteria: Criteria) -> CriterionResult | None:
    limit_points = criteria.error_rate.max_increase_points
    if limit_points is None:
        return None
    label = "error rate"
    if errors is None or errors.diff is None or errors.ci_high is None or errors.ci_low is None:
        return CriterionResult(name=label, kind="error_rate", status="not_evaluated",
                               evidence="no calls to count on one of the runs",
                               reason="a run has no results", advice="run both models")
    limit = limit_points / 100
    s, t = errors.source, errors.target
    assert s.rate is not None and t.rate is not None
    evidence = (f"source {s.failed + s.missing} of {s.calls + s.missing} calls without an "
                f"answer ({100 * s.rate:.2f}%), target {t.failed + t.missing} of "
                f"{t.calls + t.missing} ({100 * t.rate:.2f}%): difference "
                f"{100 * errors.diff:+.2f} points (CI {100 * errors.ci_low:+.2f} to "
                f"{100 * errors.ci_high:+.2f}); allowed +{limit_points:g} points")
    if errors.ci_high <= limit:
        return CriterionResult(name=label, kind="error_rate", status="pass", evidence=evidence)
    top = next(iter(t.errors), None)
    if errors.diff > limit:
        return CriterionResult(
            name=label, kind="error_rate", status="fail", evidence=evidence,
            reason=f"the target fails {100 * errors.diff:+.2f} points more often than the "
                   f"source (allowed +{limit_points:g})"
                   + (f"; most common: {top}" if top else ""),
            advice="fix the target's failures (see the errors in the report or `agility "
                   "export`), then run it again with --resume")
    calls = min(s.calls + s.missing, t.calls + t.missing)
    confidence = 1 - criteria.quality.alpha

    src_rate, tgt_rate = s.rate, t.rate

    def settles(size: int) -> bool:
        src_n, tgt_n = size * (s.calls + s.missing) / calls, size * (t.calls + t.missing) / calls
        high = newcombe_independent(round(tgt_rate * tgt_n), round(tgt_n),
                                    round(src_rate * src_n), round(src_n), confidence)[1]
        return high <= limit

    needed = _smallest_n(calls, settles)
    return CriterionResult(
        name=label, kind="error_rate", status="inconclusive", evidence=evidence,
        reason=f"the interval's upper bound {100 * errors.ci_high:+.2f} points is above the "
               f"allowed +{limit_points:g}: too few calls to rule out a higher error rate",
        advice=("about " + f"{needed:,} calls per run (now {calls:,}) would settle it if the "
                f"observed rates held (an estimate)") if needed else "add examples",
        examples_needed=needed)


def _must_pass(label: str, kind: str, name: str, values: Mapping[str, float] | None,
               unscored: int, where: str, *, unanswered: Sequence[str] = (),
               tag: str | None = None) -> CriterionResult:
    def result(status: str, evidence: str, reason: str | None = None,
               advice: str | None = None) -> CriterionResult:
        return CriterionResult(name=label, kind=kind, metric=name, tag=tag,  # type: ignore[arg-type]
                               status=status, evidence=evidence, reason=reason,  # type: ignore[arg-type]
                               advice=advice)

    if not values:
        return result("not_evaluated", f"no target scores for '{name}' on {where}",
                      reason=f"no target answer on {where} was scored with '{name}'",
                      advice=f"score the target run with '{name}'")
    failing = sorted(k for k, v in values.items() if v < 1.0)
    evidence = (f"{where} n={len(values)}: {len(values) - len(failing)} of {len(values)} target "
                f"answers pass (every answer must pass)")
    if unanswered:
        evidence += (f"; {len(unanswered)} without an answer, left out (failed_calls: exclude): "
                     + ", ".join(sorted(unanswered)[:10]))
    if failing:
        shown = ", ".join(failing[:10]) + (" ..." if len(failing) > 10 else "")
        return result("fail", f"{evidence}; failing: {shown}",
                      reason=f"{len(failing)} of {len(values)} target answers on {where} do not "
                             f"pass '{name}'",
                      advice="review the failing answers: every one must pass")
    if unanswered:
        return result("inconclusive", evidence,
                      reason=f"{len(unanswered)} rows on {where} have no answer, so not every "
                             f"answer is known to pass",
                      advice="run the target again on them (--resume retries failed calls)")
    if unscored:
        return result("not_evaluated", f"{evidence}; {unscored} could not be scored",
                      reason=f"{unscored} answers could not be scored with '{name}'",
                      advice="score them again (a judge error?) or review them by hand")
    return result("pass", evidence)


def evaluate_criteria(
    criteria: Criteria,
    metrics: Sequence[MetricComparison],
    latency: LatencyComparison,
    cost: CostComparison,
    split: str,
    target_values: Mapping[str, Mapping[str, float]] | None = None,
    *,
    errors: ErrorRateComparison | None = None,
    tag_values: Mapping[str, Mapping[str, Mapping[str, float]]] | None = None,
    unanswered: Mapping[str, Sequence[str]] | None = None,
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
        errors: both runs' error rates (the error-rate criterion is not evaluated without).
        tag_values: per tag with ``must_pass``, per metric, the target's per-example values
            on the rows carrying the tag.
        unanswered: the target's rows without an answer left out of a must-pass gate
            (``failed_calls: exclude``), under ``"safety"`` and ``"tag:<name>"``: such a gate
            cannot pass.

    Returns:
        One result per criterion, each with its evidence.
    """
    by_name = {m.metric: m for m in metrics}
    out = [_quality(name, by_name.get(name), criteria, split) for name in criteria.quality.metrics]
    for extra in (_error_rate(errors, criteria), _latency(latency, criteria),
                  cost_criterion(cost, criteria), roi_criterion(cost, criteria)):
        if extra is not None:
            out.append(extra)
    where = "the holdout split" if split == "holdout" else "all paired examples"
    if criteria.safety.must_pass:
        values = target_values or {}
        out += [_must_pass(f"safety: {name}", "safety", name, values.get(name),
                           by_name[name].target_unscored if name in by_name else 0, where,
                           unanswered=(unanswered or {}).get("safety", ()))
                for name in criteria.safety.metrics]
    for tag, c in criteria.tags.items():
        for name in criteria.tag_metrics(tag):
            if c.must_pass:
                tagged = (tag_values or {}).get(tag, {}).get(name)
                out.append(_must_pass(f"tag {tag}: every answer passes {name}", "tag", name,
                                      tagged, 0, f"rows tagged '{tag}'", tag=tag,
                                      unanswered=(unanswered or {}).get(f"tag:{tag}", ())))
            if c.max_relative_drop is not None:
                metric = by_name.get(name)
                stats = metric.by_tag.get(tag) if metric is not None else None
                label = f"tag {tag}: quality {name}"
                if stats is None:
                    out.append(CriterionResult(
                        name=label, kind="tag", metric=name, tag=tag, status="not_evaluated",
                        evidence=f"no paired '{name}' scores on rows tagged '{tag}'",
                        reason=f"no row tagged '{tag}' has paired '{name}' scores",
                        advice=f"tag rows '{tag}' in the golden set and score '{name}'"))
                    continue
                out.append(_quality_stats(label, name, stats, criteria, f"rows tagged '{tag}'",
                                          c.max_relative_drop, kind="tag", tag=tag))
    return out


def verdict_of(results: Sequence[CriterionResult]) -> Verdict:
    """PASS, FAIL or INCOMPLETE from the criteria's results."""
    statuses = {r.status for r in results}
    if "fail" in statuses:
        return "FAIL"
    if not results or statuses & {"inconclusive", "not_evaluated"}:
        return "INCOMPLETE"
    return "PASS"
