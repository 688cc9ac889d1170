"""Quality: one metric of two runs, paired by example, overall, by stratum, by tag and on the
holdout.

Repeats are averaged per example before pairing. A score that could not be computed (the
metric's ``error``) is left out and counted, never averaged in as 0. A call that failed, or an
example a run never answered, is a failure of the model, not of the metric: with
``failed_calls: count_as_fail`` (the default) it counts as 0 on that side; with ``exclude`` it
is left out, and counted.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from agility.compare._models import Histogram, MetricComparison, MetricStats
from agility.compare._proportions import newcombe_paired
from agility.compare._stats import mcnemar, paired_bootstrap, wilcoxon
from agility.dataset import GoldenExample
from agility.store import ScoreRecord

__all__ = [
    "MIN_DIFFERING_PAIRS",
    "NoAnswers",
    "PerExample",
    "compare_metric",
    "metric_stats",
    "per_example_values",
]

#: fewest non-zero paired differences for which a bootstrap of scores is trusted
MIN_DIFFERING_PAIRS = 10


@dataclass
class PerExample:
    """One run's values of one metric: example id -> mean over repeats."""

    values: dict[str, float]
    binary: bool  # every value is a pass/fail verdict (a 0/1 score with `passed` set)
    unscored: int  # answered examples the metric could not score (every judgment failed)
    no_answer: set[str] = field(default_factory=set)  # failed or never answered examples


@dataclass(frozen=True)
class NoAnswers:
    """One run's answers that never came: failed calls per example, and examples it lacks."""

    failed: Mapping[str, int]  # example id -> calls (repeats) that failed
    missing: Collection[str]  # examples the other run has and this run has no result for
    answered: Collection[str] = ()  # examples with at least one successful call

    def examples(self) -> set[str]:
        """Every example with at least one unanswered call."""
        return set(self.failed) | set(self.missing)


def per_example_values(scores: Sequence[ScoreRecord], *, prefer_verdict: bool = False,
                       no_answers: NoAnswers | None = None,
                       count_as_fail: bool = True) -> PerExample:
    """Average one metric's judgments per example (repeats), skipping failed judgments.

    The score is the value compared when there is one (a similarity of 0.72 with a `passed`
    threshold compares as 0.72); ``prefer_verdict`` takes `passed` first instead, for gates that
    ask whether every answer passed (safety).

    Args:
        scores: one run's judgments of one metric.
        prefer_verdict: compare `passed` rather than the score.
        no_answers: the run's failed calls and missing examples (None: not known).
        count_as_fail: each failed call, and each missing example, adds a 0 (a failure) to
            its example's values; when False they are left out (and listed in ``no_answer``).
    """
    collected: dict[str, list[float]] = defaultdict(list)
    seen: set[str] = set(no_answers.answered) if no_answers is not None else set()
    binary = True
    no_answer: set[str] = set()
    if no_answers is not None:
        no_answer = no_answers.examples()
        if count_as_fail:
            for example_id, calls in no_answers.failed.items():
                collected[example_id].extend([0.0] * calls)
            for example_id in no_answers.missing:
                collected[example_id].append(0.0)
    for s in scores:
        seen.add(s.example_id)
        if s.error is not None:
            continue
        if prefer_verdict and s.passed is not None:
            value = 1.0 if s.passed else 0.0
        elif s.score is not None:
            value = float(s.score)
            if s.passed is None or value not in (0.0, 1.0):
                binary = False
        elif s.passed is not None:
            value = 1.0 if s.passed else 0.0
        else:
            continue
        collected[s.example_id].append(value)
    values = {k: sum(v) / len(v) for k, v in collected.items() if v}
    return PerExample(values=values, binary=binary and bool(values),
                      unscored=len(seen - set(values) - no_answer), no_answer=no_answer)


def _seed(seed: int, key: str) -> np.random.SeedSequence:
    # one independent, reproducible stream per (metric, subset), whatever the order of work
    return np.random.SeedSequence([seed, zlib.crc32(key.encode("utf-8"))])


def metric_stats(source: np.ndarray, target: np.ndarray, *, pass_fail: bool, margin: float,
                 confidence: float, n_resamples: int, seed: np.random.SeedSequence | int,
                 min_differing_pairs: int = MIN_DIFFERING_PAIRS) -> MetricStats:
    """Paired statistics of one metric on aligned per-example values.

    Non-inferiority (lower bound of the relative interval >= -margin) uses, for pass/fail
    verdicts, the lower of the percentile bootstrap's and the MOVER score interval's
    relative bounds; for scores, the BCa bootstrap bound, and is ``None`` (undecided) when
    fewer than ``min_differing_pairs`` pairs differ. Every relative bound is a ratio of
    attainable means minus 1, so never below -100% for a non-negative metric.

    Args:
        source: per-example values of the source model.
        target: aligned values of the target model.
        pass_fail: the values are 0/1 verdicts (McNemar) rather than scores (Wilcoxon).
        margin: the non-inferiority margin, relative to the source mean (0.03 = 3%).
        confidence: coverage of the bootstrap intervals; the test's level is ``1 - confidence``.
        n_resamples: bootstrap resamples.
        seed: the bootstrap's seed.
        min_differing_pairs: for scores, the fewest non-zero paired differences for which the
            bootstrap interval is trusted.

    Returns:
        The statistics; with no pairs every figure is None.
    """
    n = int(source.size)
    if n == 0:
        return MetricStats(n=0, source_mean=None, target_mean=None, margin=margin)
    s_mean, t_mean = float(source.mean()), float(target.mean())
    binary = pass_fail and bool(np.all(np.isin(source, (0.0, 1.0)))) \
        and bool(np.all(np.isin(target, (0.0, 1.0))))
    # scores get BCa (skewed differences); verdicts keep the percentiles beside Newcombe's
    ci = paired_bootstrap(source, target, n_resamples=n_resamples, seed=seed,
                          confidence=confidence, method="percentile" if binary else "bca")
    stats = MetricStats(
        n=n, source_mean=s_mean, target_mean=t_mean, diff=t_mean - s_mean,
        rel_diff=(t_mean - s_mean) / s_mean if s_mean else None,
        ci_low=ci.low, ci_high=ci.high, rel_ci_low=ci.rel_low, rel_ci_high=ci.rel_high,
        margin=margin, differing_pairs=int(np.count_nonzero(target != source)),
        gate_rel_low=ci.rel_low, gate_interval=None if ci.rel_low is None else "bootstrap",
        ci_method="percentile" if binary else "bca",
    )
    if binary:
        _add_score_interval(stats, source.astype(bool), target.astype(bool), confidence)
        test = mcnemar(source.astype(bool), target.astype(bool))
        stats.test, stats.test_method, stats.p_value = "mcnemar", test.method, test.p_value
        stats.source_only_passed, stats.target_only_passed = test.source_only, test.target_only
    else:
        stats.test, stats.test_method, stats.p_value = "wilcoxon", "signed-rank", wilcoxon(
            source, target)
    stats.significant = stats.p_value < (1.0 - confidence)
    too_few = not binary and (stats.differing_pairs or 0) < min_differing_pairs
    stats.non_inferior = None if stats.gate_rel_low is None or too_few \
        else stats.gate_rel_low >= -margin
    return stats


def _add_score_interval(stats: MetricStats, source: np.ndarray, target: np.ndarray,
                        confidence: float) -> None:
    """Newcombe's (absolute) and MOVER's (relative) score intervals beside the
    bootstrap's; the gate keeps the lower relative bound."""
    score = newcombe_paired(source, target, confidence)
    stats.score_ci_low, stats.score_ci_high = score.low, score.high
    stats.rel_score_ci_low, stats.rel_score_ci_high = score.rel_low, score.rel_high
    if score.rel_low is not None and (stats.gate_rel_low is None
                                      or score.rel_low <= stats.gate_rel_low):
        stats.gate_rel_low, stats.gate_interval = score.rel_low, "mover"


def _histogram(source: np.ndarray, target: np.ndarray, pass_fail: bool) -> Histogram:
    edges = np.array([0.0, 0.5, 1.0]) if pass_fail else np.linspace(0.0, 1.0, 11)
    counts = [np.histogram(v, bins=edges)[0] for v in (source, target)]
    return Histogram(edges=[float(e) for e in edges], source=[int(c) for c in counts[0]],
                     target=[int(c) for c in counts[1]])


def compare_metric(
    metric: str,
    source: PerExample,
    target: PerExample,
    examples: Mapping[str, GoldenExample],
    *,
    margin: float,
    confidence: float,
    n_resamples: int,
    seed: int,
    min_differing_pairs: int = MIN_DIFFERING_PAIRS,
) -> MetricComparison:
    """Compare one metric of two runs overall, per stratum, per tag and on the holdout.

    Args:
        metric: the metric's name.
        source: the source run's per-example values.
        target: the target run's per-example values.
        examples: golden examples by id (for ``stratum`` and ``split``); may be empty.
        margin: non-inferiority margin (relative).
        confidence: interval coverage.
        n_resamples: bootstrap resamples.
        seed: base seed.
        min_differing_pairs: see :func:`metric_stats`.

    Returns:
        The metric's comparison.
    """
    ids = sorted(set(source.values) & set(target.values))
    pass_fail = source.binary and target.binary
    src = np.array([source.values[i] for i in ids], dtype=float)
    tgt = np.array([target.values[i] for i in ids], dtype=float)
    position = {example_id: k for k, example_id in enumerate(ids)}

    def subset(key: str, chosen: list[str]) -> MetricStats:
        idx = np.array([position[i] for i in chosen], dtype=int)
        return metric_stats(src[idx], tgt[idx], pass_fail=pass_fail, margin=margin,
                            confidence=confidence, n_resamples=n_resamples,
                            seed=_seed(seed, f"{metric}/{key}"),
                            min_differing_pairs=min_differing_pairs)

    strata: dict[str, list[str]] = defaultdict(list)
    tags: dict[str, list[str]] = defaultdict(list)
    holdout: list[str] = []
    for i in ids:
        example = examples.get(i)
        if example is None:
            continue
        if example.stratum is not None:
            strata[example.stratum].append(i)
        for tag in dict.fromkeys(example.tags):
            tags[tag].append(i)
        if example.split == "holdout":
            holdout.append(i)
    return MetricComparison(
        metric=metric,
        kind="pass_fail" if pass_fail else "score",
        overall=subset("all", ids),
        by_stratum={name: subset(f"stratum:{name}", members)
                    for name, members in sorted(strata.items())},
        by_tag={name: subset(f"tag:{name}", members) for name, members in sorted(tags.items())},
        holdout=subset("holdout", holdout) if holdout else None,
        source_unscored=source.unscored,
        target_unscored=target.unscored,
        source_no_answer=len(source.no_answer),
        target_no_answer=len(target.no_answer),
        histogram=_histogram(src, tgt, pass_fail) if ids else None,
    )
