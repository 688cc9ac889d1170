"""Which target answers an SME should review: a share of the failures and a few passes.

The playbook samples 5-10% of the failures and 1-2% of the passes; we default to the upper
ends (10% and 2%), with at least one of each when there is one, seeded for reproducibility.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np

from agility.compare._models import ReviewItem
from agility.errors import InvalidArgument, UsageError
from agility.store import ScoreRecord, Store

__all__ = ["review_sample", "sample_for_review"]


def _take(items: list[ScoreRecord], share: float, minimum: int,
          rng: np.random.Generator) -> list[ScoreRecord]:
    if not items or share <= 0:
        return []
    count = min(len(items), max(minimum, math.ceil(share * len(items))))
    chosen = rng.choice(len(items), size=count, replace=False)
    return [items[i] for i in sorted(chosen)]


def sample_for_review(
    scores: Sequence[ScoreRecord],
    *,
    failure_share: float = 0.10,
    pass_share: float = 0.02,
    minimum: int = 1,
    seed: int = 0,
    strata: Mapping[str, str | None] | None = None,
) -> list[ReviewItem]:
    """Sample judged answers for expert review (the library core of :func:`review_sample`).

    Args:
        scores: one metric's judgments of the target run.
        failure_share: share of failures to sample (0.10 = 10%).
        pass_share: share of passes to sample.
        minimum: at least this many of each kind, when there are that many.
        seed: seed of the sampling.
        strata: example id -> stratum, to label the items.

    Returns:
        The failures first, then the passes, each in store order.
    """
    judged = [s for s in scores
              if s.error is None and (s.passed is not None or s.score is not None)]
    is_pass = [s.passed if s.passed is not None else (s.score or 0.0) >= 0.5 for s in judged]
    passed = [s for s, ok in zip(judged, is_pass, strict=True) if ok]
    failed = [s for s, ok in zip(judged, is_pass, strict=True) if not ok]
    rng = np.random.default_rng(seed)
    strata = strata or {}
    out = []
    picks: tuple[tuple[Literal["failure", "pass"], list[ScoreRecord]], ...] = (
        ("failure", _take(failed, failure_share, minimum, rng)),
        ("pass", _take(passed, pass_share, minimum, rng)))
    for reason, picked in picks:
        out += [ReviewItem(example_id=s.example_id, repeat_index=s.repeat_index,
                           sampled_because=reason, metric=s.metric,
                           stratum=strata.get(s.example_id)) for s in picked]
    return out


def review_sample(
    store: Store,
    target_run: str,
    metric: str = "correctness",
    *,
    failure_share: float = 0.10,
    pass_share: float = 0.02,
    seed: int = 0,
) -> list[ReviewItem]:
    """The target run's answers an SME should review: failures and a few passes of ``metric``.

    Args:
        store: the store.
        target_run: the run's name.
        metric: the metric whose verdicts define failure and pass.
        failure_share: share of failures to sample.
        pass_share: share of passes to sample.
        seed: seed of the sampling.

    Returns:
        The items to review.

    Raises:
        UsageError: no such run, a share outside [0, 1], or the metric was not scored.
    """
    for name, share in (("failure_share", failure_share), ("pass_share", pass_share)):
        if not 0 <= share <= 1:
            raise InvalidArgument(name, share, "must be between 0 and 1")
    from agility.dataset import stored_examples

    run = store.require_run(target_run)
    scores = store.scores(run.id, metric)
    if not scores:
        raise UsageError(f"run '{target_run}' has no '{metric}' scores to sample from: score "
                         f"it with '{metric}' first", argument="metrics")
    strata = {k: v.stratum for k, v in stored_examples(store, run.dataset_hash).items()}
    return sample_for_review(scores, failure_share=failure_share, pass_share=pass_share,
                             seed=seed, strata=strata)
