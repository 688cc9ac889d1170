"""Agreement of one queue: each automated metric against the SMEs, and SMEs among themselves."""

from __future__ import annotations

from agility.compare import SmeEvidence, SmeSummary, summarize_sme
from agility.store import QueueRecord, Store

__all__ = ["queue_agreement"]


def queue_agreement(store: Store, queue: QueueRecord, *, seed: int = 0) -> SmeSummary:
    """Per automated metric and side, agreement and Cohen's kappa with the settled SME
    verdicts (with intervals); Krippendorff's alpha over items several reviewers judged;
    coverage, disagreements and open flags.

    Args:
        store: the store.
        queue: the queue.
        seed: seed of kappa's bootstrap interval.
    """
    evidence = SmeEvidence(queues=[queue.name], items=store.queue_items(queue.id),
                           reviews=store.queue_reviews(queue.id), flags=store.flags(queue.id))
    scores = {}
    source_metrics = set(store.metrics_of(queue.source_run_id))
    for metric in sorted(source_metrics | set(store.metrics_of(queue.target_run_id))):
        scores[metric] = (store.scores(queue.source_run_id, metric)
                          if metric in source_metrics else [],
                          store.scores(queue.target_run_id, metric))
    return summarize_sme(evidence, scores, seed)
