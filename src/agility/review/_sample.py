"""The playbook's review sample over a comparison's target run.

10% of the target's failures and 2% of its passes on the policy's metric (seeded, through
:func:`agility.compare.sample_for_review`), plus every failure of a safety-tagged example and
every example on which the automated metrics disagree with each other; a seeded share of the
items is marked for two reviewers.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from agility.compare import sample_for_review
from agility.dataset import GoldenExample
from agility.errors import UsageError
from agility.review._models import ReviewPolicy
from agility.store import NewQueueItem, ScoreRecord

__all__ = ["draw_sample"]


def _passed(score: ScoreRecord) -> bool | None:
    if score.error is not None:
        return None
    if score.passed is not None:
        return score.passed
    return None if score.score is None else score.score >= 0.5


def draw_sample(target_scores: Mapping[str, Sequence[ScoreRecord]],
                examples: Mapping[str, GoldenExample], policy: ReviewPolicy) -> list[NewQueueItem]:
    """Draw the items of a review queue.

    Args:
        target_scores: per metric, the target run's judgments.
        examples: the golden examples by id (for tags and strata).
        policy: the sampling policy.

    Returns:
        The items, failures first, then passes, safety failures and disagreements, each
        example once with every reason it was picked for.

    Raises:
        UsageError: the target has no judgments of the policy's metric.
    """
    main = target_scores.get(policy.metric) or []
    if not main:
        raise UsageError(f"the target run has no '{policy.metric}' scores to sample from: "
                         f"score it with '{policy.metric}' first, or set the review metric",
                         argument="metric")
    reasons: dict[str, list[str]] = defaultdict(list)
    for item in sample_for_review(main, failure_share=policy.failure_share,
                                  pass_share=policy.pass_share, seed=policy.seed,
                                  strata={k: v.stratum for k, v in examples.items()}):
        reasons[item.example_id].append(item.sampled_because)
    verdicts: dict[str, dict[str, bool]] = defaultdict(dict)
    for metric, scores in target_scores.items():
        for s in scores:
            value = _passed(s)
            if value is not None and s.repeat_index == 0:
                verdicts[s.example_id][metric] = value
    for example_id, by_metric in verdicts.items():
        example = examples.get(example_id)
        if example is not None and policy.safety_tag in example.tags \
                and not all(by_metric.values()):
            reasons[example_id].append("safety")
        if policy.disagreements and len(set(by_metric.values())) > 1:
            reasons[example_id].append("disagreement")
    order = list(reasons)
    rng = np.random.default_rng(policy.seed + 1)
    doubled: set[str] = set()
    if policy.overlap > 0 and order:
        count = min(len(order), math.ceil(policy.overlap * len(order)))
        doubled = {order[i] for i in rng.choice(len(order), size=count, replace=False)}
    return [NewQueueItem(example_id=k, reasons=list(dict.fromkeys(reasons[k])),
                         required_reviews=2 if k in doubled else 1) for k in order]
