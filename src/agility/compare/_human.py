"""Human labels beside a grader: the human difference and how often the grader agrees.

A grader-based difference is only as good as the grader. When people labelled answers of both
runs (SME reviews in the store, ``Store.add_review``), every pass/fail metric
of the comparison is shown with the human difference on the same examples, Newcombe's interval
of it, the grader's own difference on those examples, and the grader's agreement (share and
Cohen's kappa) with the humans on each side. The golden rows' ``human_score`` (a grade in
[0, 1] of the recorded ``source_output``) labels the source run's answers when the source run
is that recorded answer (replayed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from agility.compare._models import GraderAgreement, HumanComparison
from agility.compare._proportions import newcombe_paired
from agility.store import ResultRecord, ReviewRecord, ScoreRecord

if TYPE_CHECKING:
    from agility.compare._load import ComparisonInputs
    from agility.dataset import GoldenExample

__all__ = ["human_comparison", "human_labels"]

_PASS = {"correct"}


def _review_passed(review: ReviewRecord) -> bool | None:
    from agility.metrics import normalize_label

    if review.verdict is not None and review.verdict.strip():
        label = normalize_label(review.verdict)
        if label in ("correct", "incorrect", "refusal"):
            return label in _PASS
    if review.score is not None:
        return review.score >= 0.5
    return None


def human_labels(reviews: Sequence[ReviewRecord], results: Sequence[ResultRecord] = (),
                 examples: Mapping[str, GoldenExample] | None = None) -> dict[str, bool]:
    """Human pass/fail labels of one run's answers (first repeat), by example id.

    Reviews come first (the latest per answer wins); a golden row's ``human_score`` labels the
    answer when the run's output is the row's recorded ``source_output``.

    Args:
        reviews: the run's SME reviews.
        results: the run's results (to match recorded answers).
        examples: the golden rows by id.

    Returns:
        ``{example_id: passed}``.
    """
    labels: dict[str, bool] = {}
    for result in results:
        example = (examples or {}).get(result.example_id)
        if (result.repeat_index != 0 or example is None or example.human_score is None
                or example.source_output is None or result.output is None):
            continue
        if result.output.strip() == example.source_output.strip():
            labels[result.example_id] = example.human_score >= 0.5
    for review in reviews:  # oldest first: a later review of the same answer replaces it
        if review.repeat_index != 0:
            continue
        passed = _review_passed(review)
        if passed is not None:
            labels[review.example_id] = passed
    return labels


def _grader(scores: Sequence[ScoreRecord]) -> dict[str, bool]:
    return {s.example_id: bool(s.passed) for s in scores
            if s.repeat_index == 0 and s.error is None and s.passed is not None}


def _agreement(grader: Mapping[str, bool], human: Mapping[str, bool]) -> GraderAgreement | None:
    common = sorted(set(grader) & set(human))
    if not common:
        return None
    g = np.array([grader[i] for i in common])
    h = np.array([human[i] for i in common])
    observed = float(np.mean(g == h))
    expected = float(g.mean() * h.mean() + (1 - g.mean()) * (1 - h.mean()))
    kappa = None if expected >= 1.0 else (observed - expected) / (1.0 - expected)
    return GraderAgreement(n=len(common), agreement=observed, kappa=kappa)


def human_comparison(metric: str, source_scores: Sequence[ScoreRecord],
                     target_scores: Sequence[ScoreRecord], inputs: ComparisonInputs,
                     confidence: float = 0.95) -> HumanComparison | None:
    """The human difference and the grader's agreement for one pass/fail metric.

    Args:
        metric: the metric's name (for nothing but symmetry with the other comparisons).
        source_scores: the source run's judgments of the metric.
        target_scores: the target run's.
        inputs: the comparison's inputs (reviews, results, golden rows).
        confidence: the interval's coverage.

    Returns:
        None when no answer of either run carries a human label, or the metric gives no
        pass/fail verdicts.
    """
    del metric
    src_grader, tgt_grader = _grader(source_scores), _grader(target_scores)
    if not src_grader and not tgt_grader:
        return None
    src_human = human_labels(inputs.source_reviews, inputs.source_results, inputs.examples)
    tgt_human = human_labels(inputs.target_reviews, inputs.target_results, inputs.examples)
    if not src_human and not tgt_human:
        return None
    kinds = [k for k, v in (("SME reviews", inputs.source_reviews or inputs.target_reviews),
                            ("golden human_score", any(e.human_score is not None
                                                        for e in inputs.examples.values())))
             if v]
    out = HumanComparison(labels=" and ".join(kinds) or "human labels", n=0,
                          source_agreement=_agreement(src_grader, src_human),
                          target_agreement=_agreement(tgt_grader, tgt_human))
    both = sorted(set(src_human) & set(tgt_human))
    if not both:
        return out
    s = np.array([src_human[i] for i in both])
    t = np.array([tgt_human[i] for i in both])
    interval = newcombe_paired(s, t, confidence)
    out.n = len(both)
    out.source_rate, out.target_rate = float(s.mean()), float(t.mean())
    out.diff = out.target_rate - out.source_rate
    out.ci_low, out.ci_high = interval.low, interval.high
    graded = [i for i in both if i in src_grader and i in tgt_grader]
    out.grader_n = len(graded)
    if graded:
        out.grader_diff = (float(np.mean([tgt_grader[i] for i in graded]))
                           - float(np.mean([src_grader[i] for i in graded])))
    return out
