"""Calls that gave no answer: each run's failed calls and missing examples, and error rates.

A comparison never gets silently smaller because a model failed: every example either run has
is accounted for on both sides, as answered, failed (every call for it ended in an error) or
missing (no result at all). :func:`no_answers` feeds the quality metrics (failed calls count
as failures by default); :func:`compare_error_rates` gives each side's error rate with its
Wilson interval and the interval of the difference, which the error-rate criterion reads.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence

from agility.compare._models import ErrorRateComparison, ErrorRateSide
from agility.compare._proportions import newcombe_independent, wilson_interval
from agility.compare._quality import NoAnswers
from agility.store import ResultRecord

__all__ = ["compare_error_rates", "no_answers"]

_TOP_ERRORS = 5
_ERROR_TEXT = 160  # characters of an error message kept in the comparison


def no_answers(results: Sequence[ResultRecord], universe: Collection[str]) -> NoAnswers:
    """One run's failed calls per example and the examples of ``universe`` it has no result for.

    A call (example, repeat) that has a successful record is answered even if an earlier
    attempt failed.

    Args:
        results: the run's results.
        universe: every example either run has.

    Returns:
        The failed calls, the missing examples and the answered ones.
    """
    ok: dict[str, set[int]] = defaultdict(set)
    failed: dict[str, set[int]] = defaultdict(set)
    for r in results:
        (ok if r.error is None else failed)[r.example_id].add(r.repeat_index)
    failed_calls = {example_id: len(repeats - ok.get(example_id, set()))
                    for example_id, repeats in failed.items()}
    have = set(ok) | set(failed)
    return NoAnswers(failed={k: v for k, v in failed_calls.items() if v},
                     missing=sorted(set(universe) - have), answered=sorted(ok))


def _side(results: Sequence[ResultRecord], gaps: NoAnswers, confidence: float) -> ErrorRateSide:
    keys = {(r.example_id, r.repeat_index) for r in results}
    calls = len(keys)
    failed = sum(gaps.failed.values())
    missing = len(gaps.missing)
    asked = calls + missing
    messages = Counter(" ".join((r.error or "").split())[:_ERROR_TEXT]
                       for r in results if r.error is not None)
    if asked == 0:
        return ErrorRateSide(calls=0, failed=0, missing=0, rate=None)
    low, high = wilson_interval(failed + missing, asked, confidence)
    if missing:
        messages["no result stored (the run never answered these examples)"] += missing
    return ErrorRateSide(calls=calls, failed=failed, missing=missing,
                         rate=(failed + missing) / asked, ci_low=low, ci_high=high,
                         errors=dict(messages.most_common(_TOP_ERRORS)))


def compare_error_rates(source: Sequence[ResultRecord], target: Sequence[ResultRecord],
                        source_gaps: NoAnswers, target_gaps: NoAnswers,
                        confidence: float = 0.95) -> ErrorRateComparison:
    """Each run's error rate (failed calls and missing examples) and their difference.

    Args:
        source: the source run's results.
        target: the target run's results.
        source_gaps: the source's failed calls and missing examples (:func:`no_answers`).
        target_gaps: the target's.
        confidence: the intervals' coverage.

    Returns:
        Both sides with Wilson intervals, and Newcombe's interval of target - source.
    """
    src = _side(source, source_gaps, confidence)
    tgt = _side(target, target_gaps, confidence)
    out = ErrorRateComparison(source=src, target=tgt)
    if src.rate is None or tgt.rate is None:
        return out
    out.diff = tgt.rate - src.rate
    out.ci_low, out.ci_high = newcombe_independent(
        tgt.failed + tgt.missing, tgt.calls + tgt.missing,
        src.failed + src.missing, src.calls + src.missing, confidence)
    return out
