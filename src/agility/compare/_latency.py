"""Latency of both models: TTFT and total, p50/p90/p95/p99 with bootstrap intervals.

Cached and failed calls are left out (a cache hit says nothing about the model's speed, a
failure has no meaningful time); warm-up calls are never stored. A side with no timing at all
(answers replayed without timings) is ``None``: not measured, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agility.compare._models import Histogram, LatencyComparison, LatencySide, Percentiles
from agility.compare._stats import quantile, quantile_interval
from agility.store import ResultRecord

__all__ = ["PERCENTILES", "compare_latency", "latency_values"]

PERCENTILES: dict[str, float] = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99}


def latency_values(results: Sequence[ResultRecord], field: str) -> tuple[np.ndarray, int]:
    """The usable timings of ``field`` ("ttft_ms" or "latency_ms") and how many calls were left
    out as cached or failed."""
    kept: list[float] = []
    excluded = 0
    for result in results:
        value = getattr(result, field)
        if result.cached or result.error is not None:
            excluded += 1
        elif value is not None:
            kept.append(float(value))
    return np.asarray(kept, dtype=float), excluded


def _percentiles(values: np.ndarray, confidence: float) -> Percentiles | None:
    if values.size == 0:
        return None
    points = {name: quantile(values, q) for name, q in PERCENTILES.items()}
    intervals = {name: quantile_interval(values, q, confidence) for name, q in PERCENTILES.items()}
    return Percentiles(n=int(values.size), intervals=intervals, **points)


def _histogram(source: np.ndarray, target: np.ndarray, bins: int = 20) -> Histogram | None:
    both = np.concatenate([source, target])
    if both.size == 0:
        return None
    # clip at the p99 of both so one outlier does not squash the plot into one bar
    high = float(np.quantile(both, 0.99)) if both.size > 1 else float(both[0])
    low = float(both.min())
    if high <= low:
        high = low + 1.0
    edges = np.linspace(low, high, bins + 1)
    counts = [np.histogram(np.clip(v, low, high), bins=edges)[0] for v in (source, target)]
    return Histogram(edges=[float(e) for e in edges], source=[int(c) for c in counts[0]],
                     target=[int(c) for c in counts[1]])


def _side(source: Sequence[ResultRecord], target: Sequence[ResultRecord], field: str,
          confidence: float) -> LatencySide:
    src_values, src_excluded = latency_values(source, field)
    tgt_values, tgt_excluded = latency_values(target, field)
    src = _percentiles(src_values, confidence)
    tgt = _percentiles(tgt_values, confidence)
    diff_ms = diff_pct = None
    if src is not None and tgt is not None:
        diff_ms = {k: getattr(tgt, k) - getattr(src, k) for k in PERCENTILES}
        diff_pct = {k: (100.0 * diff_ms[k] / getattr(src, k) if getattr(src, k) else None)
                    for k in PERCENTILES}
    return LatencySide(source=src, target=tgt, diff_ms=diff_ms, diff_pct=diff_pct,
                       histogram=_histogram(src_values, tgt_values),
                       excluded_source=src_excluded, excluded_target=tgt_excluded)


def compare_latency(
    source: Sequence[ResultRecord],
    target: Sequence[ResultRecord],
    confidence: float = 0.95,
) -> LatencyComparison:
    """TTFT and total latency of both runs, side by side.

    Args:
        source: the source run's results (every repeat).
        target: the target run's results.
        confidence: coverage of the percentiles' intervals.

    Returns:
        The comparison; a side without timings is ``None`` (not measured).
    """
    return LatencyComparison(
        ttft=_side(source, target, "ttft_ms", confidence),
        total=_side(source, target, "latency_ms", confidence),
    )
