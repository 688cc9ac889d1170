"""The one percentile definition every command and report uses: nearest rank.

The ``q`` quantile of ``n`` sorted values is the value at rank ``ceil(q * n)`` (1-based, at least
1): always a measured value, never an interpolation between two. ``agility runs show``,
``agility compare``, the reports and the run summary all call :func:`nearest_rank`, so the same
run gives the same TTFT p95 everywhere (see docs/compare.md, "Percentiles").
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["nearest_rank", "nearest_rank_index"]


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q`` quantile (``q`` in [0, 1]) of ``values``; None when empty.

    Args:
        values: the measurements, in any order.
        q: the quantile, 0.95 for p95.

    Returns:
        The value at rank ``max(1, ceil(q * n))`` of the sorted values, or None for no values.

    Raises:
        ValueError: ``q`` is outside [0, 1].
    """
    if len(values) == 0:
        nearest_rank_index(q, 1)  # still refuses a q outside [0, 1]
        return None
    ordered = sorted(float(v) for v in values)
    return ordered[nearest_rank_index(q, len(ordered))]


def nearest_rank_index(q: float, n: int) -> int:
    """The 0-based index of the nearest-rank ``q`` quantile among ``n`` sorted values.

    Raises:
        ValueError: ``q`` is outside [0, 1] or ``n`` is not positive.
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be within [0, 1], got {q}")
    if n < 1:
        raise ValueError(f"a quantile needs at least one value, got {n}")
    # round first so that a product such as q * n that should be whole is not pushed up a rank
    return max(1, math.ceil(round(q * n, 9))) - 1
