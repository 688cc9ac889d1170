"""Newcombe's paired score interval: literature values, an independent Wilson, and coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize
from scipy import stats as sps

from agility.compare import mover_ratio, newcombe_paired, paired_bootstrap, wilson_interval

# cells of a paired 2x2 table as (source passed, target passed)
_CELLS = np.array([[1, 1], [1, 0], [0, 1], [0, 0]], dtype=bool)


def _table(both: int, source_only: int, target_only: int, neither: int
           ) -> tuple[np.ndarray, np.ndarray]:
    counts = np.repeat(np.arange(4), [both, source_only, target_only, neither])
    return _CELLS[counts, 0], _CELLS[counts, 1]


def test_newcombe_matches_the_published_cavo_example() -> None:
    # Cavo et al. 2012 as worked in Fagerland, Lydersen & Laake, "Statistical Analysis of
    # Contingency Tables" (2017), ch. 8: complete response before (rows) and after (columns)
    # consolidation, table [[59, 6], [16, 80]]; Newcombe square-and-add 95% CI of
    # p1+ - p+1 = -0.0621 is (-0.1186, -0.0046). Rows = target, columns = source here.
    source, target = _table(both=59, source_only=16, target_only=6, neither=80)
    ci = newcombe_paired(source, target)
    assert target.mean() - source.mean() == pytest.approx(-0.0621, abs=5e-5)
    assert ci.low == pytest.approx(-0.1186, abs=5e-5)
    assert ci.high == pytest.approx(-0.0046, abs=5e-5)
    assert (ci.source_only, ci.target_only) == (16, 6)
    # the relative interval is a ratio interval (MOVER, same Wilson limits and correlation)
    # and stays between the ratio's possible values: 65/75 - 1 = -13.3% inside it
    assert ci.rel_low is not None and ci.rel_high is not None
    assert -1 < ci.rel_low < 65 / 75 - 1 < ci.rel_high


def test_mover_ratio_matches_the_published_cavo_example() -> None:
    # Fagerland et al. (2017) ch. 8, MOVER Wilson score CI of the ratio on Cavo et al.:
    # estimate 0.8667, 95% CI 0.7592 to 0.9866 (plain correlation, as published)
    low, high = mover_ratio(59, 6, 16, 80, corrected=False)
    assert low == pytest.approx(0.7592, abs=5e-5) and high == pytest.approx(0.9866, abs=5e-5)
    # Newcombe's corrected correlation (what the gate uses) is a little more conservative
    assert mover_ratio(59, 6, 16, 80)[0] < low


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (38, 45), (45, 45), (1, 161)])
def test_wilson_matches_scipy_and_the_score_equation(k: int, n: int) -> None:
    low, high = wilson_interval(k, n)
    expected = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert (low, high) == pytest.approx((expected.low, expected.high), abs=1e-12)
    # brute force: the limits are the p where the score statistic equals z
    z, p_hat = sps.norm.ppf(0.975), k / n

    def score(p: float) -> float:
        return abs(p_hat - p) - z * math.sqrt(p * (1 - p) / n)

    # the score is negative just beside p_hat and positive far from it: one root each side
    if k > 0:
        assert low == pytest.approx(optimize.brentq(score, 1e-12, p_hat - 1e-12), abs=1e-9)
    if k < n:
        assert high == pytest.approx(optimize.brentq(score, p_hat + 1e-12, 1 - 1e-12), abs=1e-9)


def test_swapping_the_models_mirrors_the_interval() -> None:
    source, target = _table(both=30, source_only=1, target_only=4, neither=10)
    forward, backward = newcombe_paired(source, target), newcombe_paired(target, source)
    assert forward.low == pytest.approx(-backward.high)
    assert forward.high == pytest.approx(-backward.low)
    assert forward.low < (4 - 1) / 45 < forward.high


def test_no_discordant_pair_still_gives_an_interval_of_real_width() -> None:
    # the bootstrap collapses to [0, 0] here; 100 concordant pairs cannot rule out a 3% drop
    source, target = _table(both=80, source_only=0, target_only=0, neither=20)
    boot = paired_bootstrap(source.astype(float), target.astype(float), n_resamples=2000)
    assert boot.low == boot.high == 0.0
    ci = newcombe_paired(source, target)
    assert ci.low < -0.02 and ci.high > 0.02 and ci.low == pytest.approx(-ci.high)
    assert ci.rel_low is not None and ci.rel_low < -0.03
    # ...300 such pairs can show it (about -1.3%)...
    three_hundred = newcombe_paired(*_table(both=240, source_only=0, target_only=0, neither=60))
    assert three_hundred.rel_low is not None and -0.03 < three_hundred.rel_low < -0.01
    # ...and more pairs narrow it, as evidence should
    bigger = newcombe_paired(*_table(both=800, source_only=0, target_only=0, neither=200))
    assert ci.low < bigger.low < 0


def test_empty_or_misaligned_input_is_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        newcombe_paired(np.array([True]), np.array([True, False]))
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(3, 2)


def _coverage(cell_probs: list[float], trials: int = 2000, n: int = 45
              ) -> dict[str, tuple[float, float]]:
    """Per method: (two-sided coverage of the true difference, share of lower bounds above it)."""
    rng = np.random.default_rng(12345)
    true = cell_probs[2] - cell_probs[1]  # target only - source only
    hits = {"newcombe": [0, 0], "bootstrap": [0, 0]}
    for k in range(trials):
        source, target = _table(*rng.multinomial(n, cell_probs))
        for name, ci in (("newcombe", newcombe_paired(source, target)),
                         ("bootstrap", paired_bootstrap(source.astype(float), target.astype(float),
                                                        n_resamples=1000, seed=k))):
            hits[name][0] += ci.low <= true <= ci.high
            hits[name][1] += ci.low > true
    return {name: (c / trials, m / trials) for name, (c, m) in hits.items()}


@pytest.mark.slow
def test_newcombe_keeps_its_coverage_with_few_discordant_pairs_where_the_bootstrap_does_not(
) -> None:
    # n=45 pairs, about 3 discordant ones on average, the FinanceBench holdout's regime.
    # 2,000 simulated datasets: a coverage estimate has a standard error of about 0.5 points.
    null = _coverage([0.76, 0.04, 0.04, 0.16])  # no true difference
    assert null["newcombe"][0] >= 0.93
    assert null["bootstrap"][0] < null["newcombe"][0]
    # a true drop of 3 points (5% of pairs lost, 2% gained): the case a gate must not wave on
    drop = _coverage([0.75, 0.05, 0.02, 0.18])
    assert drop["newcombe"][0] >= 0.93
    assert drop["bootstrap"][0] <= 0.91
    # the gate reads the lower bound: it should sit above the truth at most ~2.5% of the time
    assert drop["newcombe"][1] <= 0.025 + 3 * math.sqrt(0.025 * 0.975 / 2000)
    assert drop["bootstrap"][1] >= 0.06
