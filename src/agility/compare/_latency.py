"""Latency of both models: TTFT and total, p50/p90/p95/p99 with bootstrap intervals.

Cached and failed calls are left out (a cache hit says nothing about the model's speed, a
failure has no meaningful time); warm-up calls are never stored. A side with no timing at all
(answers replayed without timings) is ``None``: not measured, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agility.compare._models import Histogram, LatencyComparison, LatencySide, Percentiles
from agility.compare._stats import quantile, quantile_draws, quantile_interval
from agility.store import ResultRecord

__all__ = ["PERCENTILES", "compare_latency", "latency_side", "latency_values"]

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


#: draws of each side's bootstrap distribution for the intervals of the differences
_DRAWS = 20_000


def _diff_intervals(src: np.ndarray, tgt: np.ndarray, confidence: float, seed: int
                    ) -> tuple[dict[str, tuple[float, float]],
                               dict[str, tuple[float, float] | None]]:
    """Intervals of target - source (ms) and of the relative change (%) of each percentile.

    The two runs' calls are not paired, so each side's percentile is resampled on its own
    (its exact bootstrap distribution, see :func:`quantile_draws`) and the draws combined.
    """
    rng = np.random.default_rng(seed)
    tail = 100.0 * (1.0 - confidence) / 2
    in_ms: dict[str, tuple[float, float]] = {}
    in_pct: dict[str, tuple[float, float] | None] = {}
    for name, q in PERCENTILES.items():
        s_draws = quantile_draws(src, q, _DRAWS, rng)
        t_draws = quantile_draws(tgt, q, _DRAWS, rng)
        diff = t_draws - s_draws
        in_ms[name] = (float(np.percentile(diff, tail)), float(np.percentile(diff, 100 - tail)))
        if np.all(s_draws > 0):
            rel = 100.0 * diff / s_draws
            in_pct[name] = (float(np.percentile(rel, tail)),
                            float(np.percentile(rel, 100 - tail)))
        else:
            in_pct[name] = None
    return in_ms, in_pct


def _answered(results: Sequence[ResultRecord]) -> int:
    return sum(1 for r in results if r.error is None and not r.cached)


def _side(source: Sequence[ResultRecord], target: Sequence[ResultRecord], field: str,
          confidence: float, seed: int) -> LatencySide:
    src_values, src_excluded = latency_values(source, field)
    tgt_values, tgt_excluded = latency_values(target, field)
    return latency_side(src_values, tgt_values, confidence, seed,
                        excluded=(src_excluded, tgt_excluded),
                        answered=(_answered(source), _answered(target)))


def latency_side(src_values: np.ndarray, tgt_values: np.ndarray, confidence: float, seed: int,
                 *, excluded: tuple[int, int] = (0, 0), answered: tuple[int, int] = (0, 0),
                 histogram: bool = True) -> LatencySide:
    """Both sides' percentiles of one timing, the differences and their intervals.

    Args:
        src_values, tgt_values: the timings (ms) of each side.
        confidence: coverage of the intervals.
        seed: seed of the intervals of the differences.
        excluded: cached or failed calls left out, per side.
        answered: answers that could have carried the timing, per side.
        histogram: also bin both sides for a plot.
    """
    src = _percentiles(src_values, confidence)
    tgt = _percentiles(tgt_values, confidence)
    diff_ms = diff_pct = None
    ms_interval: dict[str, tuple[float, float]] | None = None
    pct_interval: dict[str, tuple[float, float] | None] | None = None
    if src is not None and tgt is not None:
        diff_ms = {k: getattr(tgt, k) - getattr(src, k) for k in PERCENTILES}
        diff_pct = {k: (100.0 * diff_ms[k] / getattr(src, k) if getattr(src, k) else None)
                    for k in PERCENTILES}
        ms_interval, pct_interval = _diff_intervals(src_values, tgt_values, confidence, seed)
    return LatencySide(source=src, target=tgt, diff_ms=diff_ms, diff_pct=diff_pct,
                       diff_ms_interval=ms_interval, diff_pct_interval=pct_interval,
                       histogram=_histogram(src_values, tgt_values) if histogram else None,
                       excluded_source=excluded[0], excluded_target=excluded[1],
                       answered_source=answered[0], answered_target=answered[1])


def compare_latency(
    source: Sequence[ResultRecord],
    target: Sequence[ResultRecord],
    confidence: float = 0.95,
    seed: int = 0,
) -> LatencyComparison:
    """TTFT and total latency of both runs, side by side, with intervals of the differences.

    Args:
        source: the source run's results (every repeat).
        target: the target run's results.
        confidence: coverage of the percentiles' intervals.
        seed: seed of the intervals of the differences.

    Returns:
        The comparison; a side without timings is ``None`` (not measured).
    """
    return LatencyComparison(
        ttft=_side(source, target, "ttft_ms", confidence, seed),
        total=_side(source, target, "latency_ms", confidence, seed + 1),
    )
