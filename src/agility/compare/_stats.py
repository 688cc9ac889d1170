"""Paired statistics for a side-by-side comparison.

Everything here works on NumPy arrays of per-example values (one value per example, the two
arrays aligned so that ``source[i]`` and ``target[i]`` are answers to the same example):

- :func:`paired_bootstrap`: percentile (or BCa) confidence intervals of the mean difference
  and of the relative difference, resampling *pairs* (one seeded index matrix shared by both
  sides, built in chunks so 10,000 x 2,000 stays small in memory; or, for pass/fail verdicts,
  multinomial counts of the few distinct pairs, which is the same resampling at a fraction of
  the cost).
- :func:`mcnemar`: the paired test for pass/fail verdicts (exact binomial when the discordant
  pairs are few, chi-square with continuity correction otherwise).
- :func:`wilcoxon`: Wilcoxon signed-rank for continuous scores (via SciPy).
- :func:`quantile_interval`: the exact bootstrap distribution of a sample quantile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats as sps

from agility._quantile import nearest_rank_index

__all__ = [
    "MCNEMAR_EXACT_BELOW",
    "BootstrapInterval",
    "McNemarResult",
    "bootstrap_means",
    "mcnemar",
    "paired_bootstrap",
    "quantile",
    "quantile_draws",
    "quantile_interval",
    "wilcoxon",
]

#: below this many discordant pairs McNemar uses the exact binomial test
MCNEMAR_EXACT_BELOW = 25
_CHUNK_CELLS = 4_000_000  # index cells generated per chunk (32 MB of int64)
_MULTINOMIAL_MAX_DISTINCT = 64  # distinct (source, target) pairs below which counts are drawn


@dataclass(frozen=True)
class BootstrapInterval:
    """Bootstrap intervals of ``mean(target) - mean(source)``, absolute and relative.

    ``rel_low``/``rel_high`` are ``None`` when the source mean is 0 (no relative change).
    """

    low: float
    high: float
    rel_low: float | None
    rel_high: float | None


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's test: ``source_only`` = pairs only the source passed, ``target_only`` the
    converse; ``method`` is ``"exact"`` or ``"chi2"``."""

    source_only: int
    target_only: int
    p_value: float
    method: str


def paired_bootstrap(
    source: np.ndarray,
    target: np.ndarray,
    *,
    n_resamples: int = 10_000,
    seed: int | np.random.SeedSequence = 0,
    confidence: float = 0.95,
    method: Literal["percentile", "bca"] = "percentile",
) -> BootstrapInterval:
    """Percentile or BCa bootstrap CI of the paired mean difference (target - source).

    BCa (bias-corrected and accelerated; Efron 1987, "Better bootstrap confidence intervals",
    JASA 82:171-185) shifts the percentiles by the bootstrap's median bias ``z0`` and the
    jackknife acceleration ``a``, which corrects the percentile interval's under-coverage on
    skewed differences. It falls back to the percentiles when ``z0`` is infinite (every
    resample on one side of the estimate).

    Args:
        source: per-example values of the source model.
        target: per-example values of the target model, aligned with ``source``.
        n_resamples: number of bootstrap resamples.
        seed: seed of the ``np.random.default_rng`` drawing the resamples.
        confidence: the interval's coverage (0.95 for a 95% interval).
        method: ``"percentile"`` or ``"bca"``.

    Returns:
        The absolute and relative intervals.

    Raises:
        ValueError: the arrays differ in length or are empty.
    """
    source = np.asarray(source, dtype=float)
    target = np.asarray(target, dtype=float)
    if source.shape != target.shape or source.ndim != 1 or source.size == 0:
        raise ValueError("paired_bootstrap needs two non-empty 1-d arrays of the same length")
    rng = np.random.default_rng(seed)
    src_means, tgt_means = _resampled_means(source, target, n_resamples, rng)
    tail = (1.0 - confidence) / 2
    diffs = tgt_means - src_means
    s_jack, t_jack = _jackknife_means(source), _jackknife_means(target)
    levels = (_bca_levels(diffs, target.mean() - source.mean(), t_jack - s_jack, tail)
              if method == "bca" else (tail, 1 - tail))
    low, high = np.percentile(diffs, [100 * v for v in levels])
    rel_low = rel_high = None
    if source.mean() != 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = diffs / src_means
            rel_jack = (t_jack - s_jack) / s_jack
        rel = rel[np.isfinite(rel)]
        if rel.size:
            estimate = (target.mean() - source.mean()) / source.mean()
            levels = (_bca_levels(rel, estimate, rel_jack, tail) if method == "bca"
                      else (tail, 1 - tail))
            rel_low, rel_high = (float(v) for v in np.percentile(rel, [100 * v for v in levels]))
    return BootstrapInterval(float(low), float(high), rel_low, rel_high)


def _jackknife_means(values: np.ndarray) -> np.ndarray:
    """The n leave-one-out means, in O(n)."""
    n = values.size
    if n == 1:
        return values.copy()
    means: np.ndarray = (values.sum() - values) / (n - 1)
    return means


def _bca_levels(replicates: np.ndarray, estimate: float, jackknife: np.ndarray,
                tail: float) -> tuple[float, float]:
    """The BCa-adjusted percentile levels (as fractions) for a two-sided interval."""
    # ties count half: verdict-like data put many replicates exactly on the estimate
    below = (np.sum(replicates < estimate) + 0.5 * np.sum(replicates == estimate))
    z0 = float(sps.norm.ppf(below / replicates.size))
    if not np.isfinite(z0):
        return tail, 1 - tail
    jackknife = jackknife[np.isfinite(jackknife)]
    dev = jackknife.mean() - jackknife if jackknife.size else np.zeros(1)
    spread = float(np.sum(dev**2))
    accel = float(np.sum(dev**3)) / (6 * spread**1.5) if spread > 0 else 0.0
    out = []
    for q in (tail, 1 - tail):
        z = z0 + float(sps.norm.ppf(q))
        out.append(float(sps.norm.cdf(z0 + z / (1 - accel * z))))
    return out[0], out[1]


def _resampled_means(source: np.ndarray, target: np.ndarray, n_resamples: int,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Both sides' means over ``n_resamples`` paired resamples.

    When the pairs take few distinct values (pass/fail verdicts: at most 4), drawing n pairs
    with replacement is the same as drawing multinomial counts of the distinct pairs, which
    costs O(resamples x distinct) instead of O(resamples x n). Otherwise an index matrix is
    drawn in chunks.
    """
    n = source.size
    pairs, inverse = np.unique(np.stack([source, target], axis=1), axis=0, return_inverse=True)
    if len(pairs) <= _MULTINOMIAL_MAX_DISTINCT:
        counts = rng.multinomial(n, np.bincount(inverse.ravel()) / n, size=n_resamples)
        return counts @ pairs[:, 0] / n, counts @ pairs[:, 1] / n
    src_means = np.empty(n_resamples)
    tgt_means = np.empty(n_resamples)
    rows = max(1, _CHUNK_CELLS // n)
    for start in range(0, n_resamples, rows):
        stop = min(n_resamples, start + rows)
        idx = rng.integers(0, n, size=(stop - start, n), dtype=np.int32)
        src_means[start:stop] = source[idx].mean(axis=1)
        tgt_means[start:stop] = target[idx].mean(axis=1)
    return src_means, tgt_means


def bootstrap_means(values: np.ndarray, n_resamples: int, rng: np.random.Generator
                    ) -> np.ndarray:
    """The means of ``n_resamples`` resamples (with replacement) of ``values``.

    The index matrix is drawn in chunks, so a large sample never needs
    ``n_resamples x n`` indices at once.

    Args:
        values: the sample (at least one value).
        n_resamples: how many resamples.
        rng: the random generator (seeded by the caller).

    Returns:
        One mean per resample.
    """
    n = values.size
    means = np.empty(n_resamples)
    rows = max(1, _CHUNK_CELLS // n)
    for start in range(0, n_resamples, rows):
        stop = min(n_resamples, start + rows)
        idx = rng.integers(0, n, size=(stop - start, n), dtype=np.int32)
        means[start:stop] = values[idx].mean(axis=1)
    return means


def mcnemar(source_passed: np.ndarray, target_passed: np.ndarray) -> McNemarResult:
    """McNemar's paired test of two pass/fail vectors (two-sided).

    Args:
        source_passed: booleans (or 0/1), one per example, for the source model.
        target_passed: the same for the target model, aligned with ``source_passed``.

    Returns:
        The discordant counts, the p-value and the method used.
    """
    s = np.asarray(source_passed, dtype=bool)
    t = np.asarray(target_passed, dtype=bool)
    b = int(np.sum(s & ~t))
    c = int(np.sum(~s & t))
    if b + c == 0:
        return McNemarResult(b, c, 1.0, "exact")
    if b + c < MCNEMAR_EXACT_BELOW:
        p = sps.binomtest(min(b, c), b + c, 0.5).pvalue
        return McNemarResult(b, c, float(min(1.0, p)), "exact")
    statistic = (abs(b - c) - 1) ** 2 / (b + c)
    return McNemarResult(b, c, float(sps.chi2.sf(statistic, 1)), "chi2")


def wilcoxon(source: np.ndarray, target: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value of ``target - source``.

    Zero differences are dropped (the classic "wilcox" treatment); when every difference is
    zero there is no evidence of a difference and the p-value is 1.0.
    """
    diffs = np.asarray(target, dtype=float) - np.asarray(source, dtype=float)
    if not np.any(diffs != 0):
        return 1.0
    if np.count_nonzero(diffs) == 1:
        return 1.0  # a single non-zero pair cannot be significant at any usual level
    return float(sps.wilcoxon(diffs, zero_method="wilcox").pvalue)


def quantile(values: np.ndarray, q: float) -> float:
    """The nearest-rank ``q`` quantile (``q`` in [0, 1]) of ``values`` (non-empty).

    The one percentile definition of agility (:mod:`agility._quantile`): ``runs show``, the
    comparison and the reports agree on every figure.
    """
    ordered = np.sort(np.asarray(values, dtype=float))
    return float(ordered[nearest_rank_index(q, ordered.size)])


def quantile_draws(values: np.ndarray, q: float, draws: int,
                   rng: np.random.Generator) -> np.ndarray:
    """``draws`` values of the bootstrap distribution of the nearest-rank ``q`` quantile.

    Sampled by inverting the exact distribution :func:`quantile_interval` describes, so no
    resample is drawn: the cost is O(n + draws log n).
    """
    ordered = np.sort(np.asarray(values, dtype=float))
    n = ordered.size
    k = nearest_rank_index(q, n) + 1
    cdf = sps.binom.sf(k - 1, n, np.arange(1, n + 1) / n)
    index = np.searchsorted(cdf, rng.random(draws), side="left")
    drawn: np.ndarray = ordered[np.minimum(index, n - 1)]
    return drawn


def quantile_interval(values: np.ndarray, q: float,
                      confidence: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the nearest-rank ``q`` quantile, computed exactly.

    A resample's k-th order statistic is at most ``x(j)`` exactly when at least k of the n draws
    fall at or below ``x(j)``, which happens with probability ``P(Binomial(n, j/n) >= k)``. That
    gives the whole bootstrap distribution without drawing a resample, so the interval is what
    infinitely many resamples would give, and it costs O(n).

    Args:
        values: the measurements (non-empty).
        q: the quantile in [0, 1] (0.95 for p95).
        confidence: the interval's coverage.

    Returns:
        ``(low, high)``.
    """
    ordered = np.sort(np.asarray(values, dtype=float))
    n = ordered.size
    k = nearest_rank_index(q, n) + 1
    j = np.arange(1, n + 1)
    cdf = sps.binom.sf(k - 1, n, j / n)  # P(resampled k-th order statistic <= x(j))
    tail = (1.0 - confidence) / 2
    low_idx = int(np.searchsorted(cdf, tail, side="left"))
    high_idx = int(np.searchsorted(cdf, 1.0 - tail, side="left"))
    return float(ordered[min(low_idx, n - 1)]), float(ordered[min(high_idx, n - 1)])
