"""Score intervals for pass/fail verdicts: one proportion (Wilson) and paired differences.

The percentile bootstrap of a difference in *paired* proportions only ever sees the discordant
pairs it resamples: with none it collapses to a zero-width interval, and with a handful it is
too narrow (it under-covers). Newcombe's hybrid score interval for paired data (Newcombe 1998,
"Improved confidence intervals for the difference between binomial proportions based on paired
data", Statistics in Medicine 17:2635-2650, method 10) combines the two Wilson score intervals
of the marginal proportions with their estimated correlation ("square and add"), and keeps its
coverage close to nominal down to a few discordant pairs. The formulas follow Fagerland,
Lydersen & Laake, *Statistical Analysis of Contingency Tables* (2017), section 8.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

__all__ = ["PairedProportionInterval", "newcombe_paired", "wilson_interval"]


@dataclass(frozen=True)
class PairedProportionInterval:
    """Newcombe's interval of ``p_target - p_source`` for paired pass/fail verdicts.

    ``rel_low``/``rel_high`` divide the absolute bounds by the source pass rate (``None`` when
    it is 0). ``source_only``/``target_only`` are the discordant pairs.
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
        rel_low, rel_high = low / p2, high / p2
    return PairedProportionInterval(low, high, rel_low, rel_high, source_only, target_only)
