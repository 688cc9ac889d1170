"""Known cases for the paired statistics: planted differences are found, null ones are not."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agility.compare import mcnemar, paired_bootstrap, quantile, quantile_interval, wilcoxon


def test_bootstrap_finds_a_planted_drop_and_its_interval_covers_it() -> None:
    rng = np.random.default_rng(7)
    n = 1500
    source = (rng.random(n) < 0.85).astype(float)
    # the target fails a planted 10% of the examples the source got right
    target = source.copy()
    flip = (source == 1) & (rng.random(n) < 0.10)
    target[flip] = 0.0
    true_diff = target.mean() - source.mean()
    ci = paired_bootstrap(source, target, n_resamples=4000, seed=1)
    assert ci.high < 0 and ci.low <= true_diff <= ci.high
    assert ci.rel_low is not None and ci.rel_high is not None and ci.rel_high < 0
    assert mcnemar(source, target).p_value < 0.001


def test_bootstrap_is_reproducible_for_a_seed_and_varies_across_seeds() -> None:
    rng = np.random.default_rng(3)
    source, target = rng.random(300), rng.random(300)
    a = paired_bootstrap(source, target, n_resamples=1000, seed=5)
    b = paired_bootstrap(source, target, n_resamples=1000, seed=5)
    c = paired_bootstrap(source, target, n_resamples=1000, seed=6)
    assert a == b
    assert a != c


def test_paired_interval_is_narrower_than_the_difference_of_unpaired_spreads() -> None:
    # the same hard examples trouble both models: pairing must remove that shared variance
    rng = np.random.default_rng(11)
    difficulty = rng.random(400)
    source = np.clip(difficulty + rng.normal(0, 0.02, 400), 0, 1)
    target = np.clip(difficulty + rng.normal(0, 0.02, 400), 0, 1)
    ci = paired_bootstrap(source, target, n_resamples=2000, seed=0)
    unpaired_se = math.sqrt(source.var() / 400 + target.var() / 400)
    assert (ci.high - ci.low) < 2 * 1.96 * unpaired_se / 5


def test_relative_interval_is_none_when_the_source_mean_is_zero() -> None:
    ci = paired_bootstrap(np.zeros(50), np.ones(50), n_resamples=200, seed=0)
    assert ci.rel_low is None and ci.rel_high is None and ci.low == ci.high == 1.0


@pytest.mark.parametrize("kind", ["pass_fail", "score"])
def test_no_difference_is_not_significant_more_often_than_the_level(kind: str) -> None:
    rng = np.random.default_rng(2024)
    rejections_test = rejections_ci = 0
    trials = 200
    for seed in range(trials):
        if kind == "pass_fail":
            source = (rng.random(200) < 0.7).astype(float)
            target = (rng.random(200) < 0.7).astype(float)
            p = mcnemar(source, target).p_value
        else:
            base = rng.random(200)
            source = np.clip(base + rng.normal(0, 0.1, 200), 0, 1)
            target = np.clip(base + rng.normal(0, 0.1, 200), 0, 1)
            p = wilcoxon(source, target)
        rejections_test += p < 0.05
        ci = paired_bootstrap(source, target, n_resamples=500, seed=seed)
        rejections_ci += ci.low > 0 or ci.high < 0
    # the level is 5%; allow sampling noise of about three standard errors over 200 trials
    limit = 0.05 + 3 * math.sqrt(0.05 * 0.95 / trials)
    assert rejections_test / trials <= limit
    assert rejections_ci / trials <= limit


def test_mcnemar_exact_for_few_discordant_pairs_matches_the_binomial() -> None:
    # 0 of 10 discordant pairs favour the source: two-sided p = 2 * 0.5**10
    source = np.array([0] * 10 + [1] * 20, dtype=bool)
    target = np.array([1] * 10 + [1] * 20, dtype=bool)
    result = mcnemar(source, target)
    assert (result.source_only, result.target_only, result.method) == (0, 10, "exact")
    assert result.p_value == pytest.approx(2 * 0.5**10)


def test_mcnemar_uses_chi_square_with_continuity_for_many_discordant_pairs() -> None:
    source = np.array([1] * 10 + [0] * 30 + [1] * 50, dtype=bool)
    target = np.array([0] * 10 + [1] * 30 + [1] * 50, dtype=bool)
    result = mcnemar(source, target)
    assert result.method == "chi2"
    statistic = (abs(10 - 30) - 1) ** 2 / 40
    # chi-square with 1 df: P(X > x) = erfc(sqrt(x / 2))
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(statistic / 2)))


def test_mcnemar_without_discordant_pairs_gives_p_one() -> None:
    same = np.array([1, 0, 1, 1], dtype=bool)
    assert mcnemar(same, same).p_value == 1.0


def test_wilcoxon_handles_all_zero_differences_and_finds_a_shift() -> None:
    values = np.linspace(0, 1, 40)
    assert wilcoxon(values, values) == 1.0
    rng = np.random.default_rng(0)
    shifted = np.clip(values - 0.1 + rng.normal(0, 0.02, 40), 0, 1)
    assert wilcoxon(values, shifted) < 0.001


def test_quantile_is_nearest_rank() -> None:
    values = np.arange(1, 101, dtype=float)
    assert quantile(values, 0.5) == 50.0
    assert quantile(values, 0.99) == 99.0
    assert quantile(np.array([3.0]), 0.95) == 3.0


def test_exact_quantile_interval_matches_monte_carlo_bootstrap() -> None:
    rng = np.random.default_rng(5)
    values = rng.lognormal(6, 0.6, 300)
    low, high = quantile_interval(values, 0.9)
    draws = np.sort(values[rng.integers(0, 300, size=(20000, 300))], axis=1)[:, 269]
    mc_low, mc_high = np.percentile(draws, [2.5, 97.5])
    ordered = np.sort(values)
    # equal up to one order statistic (Monte Carlo noise on a discrete distribution)
    rank = {v: i for i, v in enumerate(ordered)}
    assert abs(rank[low] - np.searchsorted(ordered, mc_low)) <= 1
    assert abs(rank[high] - np.searchsorted(ordered, mc_high)) <= 1
    assert low <= quantile(values, 0.9) <= high


def test_pass_fail_shortcut_matches_index_resampling() -> None:
    # verdicts take the multinomial-counts path; a negligible jitter forces the index path
    rng = np.random.default_rng(9)
    source = (rng.random(800) < 0.8).astype(float)
    target = np.where(rng.random(800) < 0.1, 1 - source, source)
    jitter = rng.normal(0, 1e-9, 800)
    fast = paired_bootstrap(source, target, n_resamples=20000, seed=0)
    slow = paired_bootstrap(source + jitter, target + jitter, n_resamples=20000, seed=0)
    assert fast.low == pytest.approx(slow.low, abs=0.004)
    assert fast.high == pytest.approx(slow.high, abs=0.004)
    assert fast.rel_low == pytest.approx(slow.rel_low, abs=0.005)


def test_bca_interval_matches_scipys_paired_bca_on_skewed_differences() -> None:
    # an independent implementation: scipy.stats.bootstrap(paired=True, method="BCa")
    from scipy import stats as sps

    rng = np.random.default_rng(3)
    source = rng.beta(5, 2, 60)
    target = np.clip(source - rng.exponential(0.05, 60) + 0.03, 0, 1)  # long left tail

    def diff(s: np.ndarray, t: np.ndarray, axis: int = -1) -> np.ndarray:
        return t.mean(axis=axis) - s.mean(axis=axis)

    def rel(s: np.ndarray, t: np.ndarray, axis: int = -1) -> np.ndarray:
        return diff(s, t, axis) / s.mean(axis=axis)

    ours = paired_bootstrap(source, target, n_resamples=20000, seed=1, method="bca")
    plain = paired_bootstrap(source, target, n_resamples=20000, seed=1)
    for stat, low, high in ((diff, ours.low, ours.high), (rel, ours.rel_low, ours.rel_high)):
        ref = sps.bootstrap((source, target), stat, paired=True, vectorized=True,
                            n_resamples=20000, method="BCa", random_state=1).confidence_interval
        assert low == pytest.approx(ref.low, abs=0.0015)
        assert high == pytest.approx(ref.high, abs=0.0015)
    # the left tail pulls BCa's interval below the percentile one
    assert ours.low < plain.low and ours.high < plain.high
