"""How far automated verdicts agree with SME verdicts, and SMEs with each other.

:func:`agreement_stats` gives the share of agreement with its Wilson score interval and
Cohen's kappa with a percentile bootstrap interval (resampling items). :func:`krippendorff_alpha`
measures agreement between reviewers on items several of them judged (nominal data, any number
of reviewers per item; Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from agility.compare._proportions import wilson_interval
from agility.metrics import normalize_label
from agility.store import ScoreRecord

__all__ = ["AgreementStats", "agreement_stats", "krippendorff_alpha", "metric_label",
           "sme_label_for"]

_CLASSES = ("correct", "incorrect", "refusal")


class AgreementStats(BaseModel):
    """Agreement of one automated metric with the SME verdicts on ``n`` items.

    ``labels`` is ``three_class`` (the metric's verdicts are correct/incorrect/refusal, compared
    as they are) or ``pass_fail`` (SME ``correct`` counts as a pass, ``incorrect`` and
    ``refusal`` as a fail). ``kappa`` is None when chance agreement is 1 (one class only).
    """

    model_config = ConfigDict(extra="forbid")

    n: int
    labels: str
    agreement: float | None
    agreement_low: float | None = None
    agreement_high: float | None = None
    kappa: float | None = None
    kappa_low: float | None = None
    kappa_high: float | None = None


def metric_label(score: ScoreRecord) -> str | None:
    """An automated judgment as a label: its verdict when it is one of correct/incorrect/
    refusal, else ``pass``/``fail`` from ``passed`` (None when it failed or has neither)."""
    if score.error is not None:
        return None
    if score.verdict is not None and normalize_label(score.verdict) in _CLASSES:
        return normalize_label(score.verdict)
    if score.passed is not None:
        return "pass" if score.passed else "fail"
    return None


def sme_label_for(sme_verdict: str, automated: str) -> str:
    """The SME verdict in the automated label's vocabulary (pass/fail or three classes)."""
    if automated in ("pass", "fail"):
        return "pass" if sme_verdict == "correct" else "fail"
    return sme_verdict


def _kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    chance = sum(first[k] * second[k] for k in first) / (n * n)
    return None if chance >= 1 else (observed - chance) / (1 - chance)


def agreement_stats(pairs: Sequence[tuple[str, str]], *, labels: str = "three_class",
                    confidence: float = 0.95, n_resamples: int = 2000,
                    seed: int = 0) -> AgreementStats:
    """Agreement and Cohen's kappa of (SME label, automated label) pairs, with intervals.

    Args:
        pairs: (SME, automated) labels, already in one vocabulary.
        labels: ``three_class`` or ``pass_fail`` (recorded in the result).
        confidence: level of both intervals.
        n_resamples: bootstrap resamples for kappa's interval.
        seed: seed of the bootstrap.

    Returns:
        The statistics; every figure is None when there are no pairs.
    """
    n = len(pairs)
    if n == 0:
        return AgreementStats(n=0, labels=labels, agreement=None)
    hits = sum(a == b for a, b in pairs)
    low, high = wilson_interval(hits, n, confidence)
    kappa = _kappa(pairs)
    kappa_low = kappa_high = None
    if kappa is not None and n >= 2:
        rng = np.random.default_rng(seed)
        draws = [_kappa([pairs[i] for i in rng.integers(0, n, n)]) for _ in range(n_resamples)]
        values = np.array([d for d in draws if d is not None])
        if values.size:
            tail = (1 - confidence) / 2
            kappa_low, kappa_high = (float(np.quantile(values, tail)),
                                     float(np.quantile(values, 1 - tail)))
    return AgreementStats(n=n, labels=labels, agreement=hits / n, agreement_low=low,
                          agreement_high=high, kappa=kappa, kappa_low=kappa_low,
                          kappa_high=kappa_high)


def krippendorff_alpha(units: Sequence[Sequence[str]]) -> float | None:
    """Krippendorff's alpha for nominal labels.

    Args:
        units: per item, the labels its reviewers gave (items with fewer than two are
            ignored, as the coefficient requires).

    Returns:
        Alpha (1 = perfect agreement, 0 = chance), or None when fewer than two labelled
        values are pairable or every value is the same class (expected disagreement 0).
    """
    coincidence: defaultdict[tuple[str, str], float] = defaultdict(float)
    for values in units:
        m = len(values)
        if m < 2:
            continue
        counts = Counter(values)
        for c, nc in counts.items():
            for k, nk in counts.items():
                pairs = nc * (nk - 1) if c == k else nc * nk
                if pairs:
                    coincidence[(c, k)] += pairs / (m - 1)
    total = sum(coincidence.values())
    if total < 2:
        return None
    marginal: defaultdict[str, float] = defaultdict(float)
    for (c, _), value in coincidence.items():
        marginal[c] += value
    observed = sum(v for (c, k), v in coincidence.items() if c != k)
    expected = sum(marginal[c] * marginal[k] for c in marginal for k in marginal if c != k)
    if expected == 0:
        return None
    return 1 - (total - 1) * observed / expected
