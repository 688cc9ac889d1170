"""Score intervals for pass/fail verdicts: one proportion (Wilson), paired differences and
ratios, and the difference of two independent proportions.

The percentile bootstrap of a difference in *paired* proportions only ever sees the discordant
pairs it resamples: with none it collapses to a zero-width interval, and with a handful it is
too narrow (it under-covers). Newcombe's hybrid score interval for paired data (Newcombe 1998,
"Improved confidence intervals for the difference between binomial proportions based on paired
data", Statistics in Medicine 17:2635-2650, method 10) combines the two Wilson score intervals
of the marginal proportions with their estimated correlation ("square and add"), and keeps its
coverage close to nominal down to a few discordant pairs. The formulas follow Fagerland,
Lydersen & Laake, *Statistical Analysis of Contingency Tables* (2017), section 8.5.

A relative change (``p_target / p_source - 1``) is a ratio, not a difference divided by a
fixed number: dividing Newcombe's bounds by the observed source rate can give "-108%", which
no pair of pass rates can reach. :func:`mover_ratio` is the MOVER interval of the ratio of
paired proportions, built from the same Wilson limits and the same corrected correlation as
Newcombe's difference interval, so the two agree, and its bounds are never below 0 (-100%).
(The Bonett-Price hybrid interval was tried and rejected: with a handful of discordant pairs,
all against the target, its lower bound sat above the true ratio 11% of the time at 100 pairs,
where a 95% interval allows 2.5%.)

:func:`newcombe_independent` is Newcombe's hybrid score interval for the difference of two
independent proportions (Newcombe 1998, Statistics in Medicine 17:873-890, method 10), used
for two runs' error rates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

__all__ = [
    "PairedProportionInterval",
    "mover_ratio",
    "newcombe_independent",
    "newcombe_paired",
    "wilson_interval",
]


@dataclass(frozen=True)
class PairedProportionInterval:
    """Newcombe's interval of ``p_target - p_source`` for paired pass/fail verdicts.

    ``rel_low``/``rel_high`` are the MOVER interval of ``p_target / p_source`` minus 1
    (:func:`mover_ratio`; ``None`` when the source never passed; ``rel_high`` may be inf). ``source_only``/``target_only`` are the
    discordant pairs.
    """

    low: float
    high: float
    rel_low: float | None
    rel_high: float | None
    source_only: int
    target_only: int


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (Wilson 1927).

    Args:
        successes: number of successes, ``0 <= successes <= n``.
        n: number of trials (positive).
        confidence: the interval's coverage.

    Returns:
        ``(low, high)`` within [0, 1].

    Raises:
        ValueError: ``n`` is not positive or ``successes`` is out of range.
    """
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"wilson_interval needs 0 <= successes <= n and n > 0, got {successes}/{n}")
    z = float(sps.norm.ppf(0.5 + confidence / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # at 0 or n successes the closed form lands on the boundary up to rounding: pin it there
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def _phi(both: int, target_only: int, source_only: int, neither: int) -> float:
    """Newcombe's continuity-corrected estimate of the correlation of the two proportions."""
    n = both + target_only + source_only + neither
    margins = ((both + target_only) * (source_only + neither)
               * (both + source_only) * (target_only + neither))
    if margins == 0:
        return 0.0
    a = both * neither - target_only * source_only
    if a > n / 2:
        return (a - n / 2) / math.sqrt(margins)
    if a >= 0:
        return 0.0
    return a / math.sqrt(margins)


def newcombe_paired(source_passed: np.ndarray, target_passed: np.ndarray,
                    confidence: float = 0.95) -> PairedProportionInterval:
    """Newcombe's hybrid score interval of the paired difference ``p_target - p_source``.

    With ``p1`` the target's pass rate, ``p2`` the source's, ``(l1, u1)`` and ``(l2, u2)`` their
    Wilson intervals and ``phi`` the (continuity-corrected) correlation estimate::

        L = (p1 - p2) - sqrt((p1 - l1)^2 - 2 phi (p1 - l1)(u2 - p2) + (u2 - p2)^2)
        U = (p1 - p2) + sqrt((p2 - l2)^2 - 2 phi (p2 - l2)(u1 - p1) + (u1 - p1)^2)

    Args:
        source_passed: booleans (or 0/1), one per example, for the source model.
        target_passed: the same for the target model, aligned with ``source_passed``.
        confidence: the interval's coverage.

    Returns:
        The absolute and relative interval and the discordant counts.

    Raises:
        ValueError: the arrays differ in length or are empty.
    """
    s = np.asarray(source_passed, dtype=bool)
    t = np.asarray(target_passed, dtype=bool)
    if s.shape != t.shape or s.ndim != 1 or s.size == 0:
        raise ValueError("newcombe_paired needs two non-empty 1-d arrays of the same length")
    n = int(s.size)
    both, neither = int(np.sum(s & t)), int(np.sum(~s & ~t))
    target_only, source_only = int(np.sum(t & ~s)), int(np.sum(s & ~t))
    p1, p2 = (both + target_only) / n, (both + source_only) / n
    l1, u1 = wilson_interval(both + target_only, n, confidence)
    l2, u2 = wilson_interval(both + source_only, n, confidence)
    phi = _phi(both, target_only, source_only, neither)
    d1, e1, d2, e2 = p1 - l1, u1 - p1, p2 - l2, u2 - p2
    diff = p1 - p2
    low = max(-1.0, diff - math.sqrt(max(0.0, d1 * d1 - 2 * phi * d1 * e2 + e2 * e2)))
    high = min(1.0, diff + math.sqrt(max(0.0, d2 * d2 - 2 * phi * d2 * e1 + e1 * e1)))
    rel_low = rel_high = None
    if p2 > 0:
        ratio_low, ratio_high = mover_ratio(both, target_only, source_only, neither, confidence)
        rel_low, rel_high = ratio_low - 1.0, ratio_high - 1.0
    return PairedProportionInterval(low, high, rel_low, rel_high, source_only, target_only)


def mover_ratio(both: int, target_only: int, source_only: int, neither: int,
                confidence: float = 0.95, *, corrected: bool = True) -> tuple[float, float]:
    """MOVER interval of ``p_target / p_source`` for paired pass/fail verdicts.

    The method of variance estimates recovery for a ratio (Donner & Zou 2012, "Closed-form
    confidence intervals for functions of the normal mean and standard deviation", Statistical
    Methods in Medical Research 21:347-359; for paired proportions Fagerland et al. 2017,
    section 8.7) built from the same ingredients as Newcombe's difference interval: each
    pass rate's Wilson limits ``(l1, u1)`` (target) and ``(l2, u2)`` (source) and their
    correlation ``r``. With ``A = r (p1 - l1)(u2 - p2)``, ``B = r (u1 - p1)(p2 - l2)``::

        L = (A - p1 p2 + sqrt((A - p1 p2)^2 - l1 (2 p1 - l1) u2 (2 p2 - u2))) / (u2 (u2 - 2 p2))
        U = (B - p1 p2 - sqrt((B - p1 p2)^2 - u1 (2 p1 - u1) l2 (2 p2 - l2))) / (l2 (l2 - 2 p2))

    ``corrected`` uses Newcombe's continuity-corrected correlation (as :func:`newcombe_paired`
    does), which keeps the lower bound honest when few pairs differ; ``False`` gives the plain
    correlation of the published method.

    Args:
        both: pairs both models passed.
        target_only: pairs only the target passed.
        source_only: pairs only the source passed.
        neither: pairs neither passed.
        confidence: the interval's coverage.
        corrected: use the continuity-corrected correlation.

    Returns:
        ``(low, high)`` of the ratio: ``low >= 0`` (never below -100% as a relative change),
        ``high`` is ``inf`` when the data put no upper limit on it.

    Raises:
        ValueError: a count is negative, or the source never passed (no ratio).
    """
    if min(both, target_only, source_only, neither) < 0:
        raise ValueError("mover_ratio needs non-negative counts")
    n = both + target_only + source_only + neither
    if both + source_only == 0:
        raise ValueError("mover_ratio needs a source that passed at least once")
    p1, p2 = (both + target_only) / n, (both + source_only) / n
    l1, u1 = wilson_interval(both + target_only, n, confidence)
    l2, u2 = wilson_interval(both + source_only, n, confidence)
    if corrected:
        r = _phi(both, target_only, source_only, neither)
    else:
        margins = ((both + target_only) * (source_only + neither) * (both + source_only)
                   * (target_only + neither))
        r = (both * neither - target_only * source_only) / math.sqrt(margins) if margins else 0.0
    a = r * (p1 - l1) * (u2 - p2)
    b = r * (u1 - p1) * (p2 - l2)
    low_den = u2 * (u2 - 2 * p2)
    low_root = max(0.0, (a - p1 * p2) ** 2 - l1 * (2 * p1 - l1) * u2 * (2 * p2 - u2))
    low = (a - p1 * p2 + math.sqrt(low_root)) / low_den if low_den else 0.0
    high_den = l2 * (l2 - 2 * p2)
    high_root = (b - p1 * p2) ** 2 - u1 * (2 * p1 - u1) * l2 * (2 * p2 - l2)
    high = math.inf
    if high_den and high_root >= 0:
        high = (b - p1 * p2 - math.sqrt(high_root)) / high_den
        if high < 0 or not math.isfinite(high):
            high = math.inf
    # the ratio's own estimate lies inside; rounding must not push a bound across it
    estimate = p1 / p2
    return max(0.0, min(low, estimate)), max(high, estimate)


def newcombe_independent(successes_1: int, n_1: int, successes_2: int, n_2: int,
                         confidence: float = 0.95) -> tuple[float, float]:
    """Newcombe's hybrid score interval of ``p1 - p2`` for two independent proportions.

    ``L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)``, ``U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)``
    with ``(l, u)`` each proportion's Wilson interval.

    Args:
        successes_1: successes of the first proportion (the target's failed calls, say).
        n_1: its trials (positive).
        successes_2: successes of the second proportion.
        n_2: its trials (positive).
        confidence: the interval's coverage.

    Returns:
        ``(low, high)`` within [-1, 1].

    Raises:
        ValueError: a count is out of range.
    """
    p1, p2 = successes_1 / n_1 if n_1 else 0.0, successes_2 / n_2 if n_2 else 0.0
    l1, u1 = wilson_interval(successes_1, n_1, confidence)
    l2, u2 = wilson_interval(successes_2, n_2, confidence)
    diff = p1 - p2
    low = diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return max(-1.0, low), min(1.0, high)
