"""What a comparison reads from the store, and the explicit step that scores what is missing.

:func:`load_comparison` gathers both runs, their results and scores and the golden examples
into :class:`ComparisonInputs`; :func:`score_missing` is the one step that may call metrics
(and so a judge model) before a comparison. :func:`agility.compare.compare` is pure over the
inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agility.compare._sme import SmeEvidence, load_sme_evidence
from agility.dataset import GoldenExample, stored_examples
from agility.errors import UnknownName, UsageError
from agility.store import ResultRecord, ReviewRecord, RunRecord, ScoreRecord, Store

if TYPE_CHECKING:
    from agility.metrics import ScoreProgress

__all__ = ["ComparisonInputs", "load_comparison", "score_missing"]


@dataclass(frozen=True)
class ComparisonInputs:
    """Everything :func:`agility.compare.compare` needs, read from the store.

    ``scores`` holds, per metric, the source's and the target's judgments. ``not_scored``
    says, per metric, why it could not be scored (the criteria that need it are then "not
    evaluated"). ``source_reviews``/``target_reviews`` are the SME reviews of each run's
    answers (human labels shown beside the graders).
    """

    source: RunRecord
    target: RunRecord
    source_results: list[ResultRecord]
    target_results: list[ResultRecord]
    scores: dict[str, tuple[list[ScoreRecord], list[ScoreRecord]]]
    examples: dict[str, GoldenExample]
    not_scored: dict[str, str] = field(default_factory=dict)
    source_reviews: list[ReviewRecord] = field(default_factory=list)
    target_reviews: list[ReviewRecord] = field(default_factory=list)
    #: the SME review queues drawn from these runs (None: none)
    sme: SmeEvidence | None = None

    @property
    def dataset_hash(self) -> str | None:
        """The dataset both runs answered (the source's when they differ)."""
        return self.source.dataset_hash or self.target.dataset_hash


def load_comparison(store: Store, source_run: str, target_run: str,
                    metrics: Sequence[str] | None = None, *,
                    not_scored: Mapping[str, str] | None = None,
                    splits: Sequence[str] | None = None) -> ComparisonInputs:
    """Read two runs for a comparison.

    Args:
        store: the store holding both runs.
        source_run: the source run's name.
        target_run: the target run's name.
        metrics: the metrics to load (default: every metric scored on both runs).
        not_scored: why metrics could not be scored, from :func:`score_missing`.
        splits: only the answers to examples of these splits (None: every answer). A run may
            hold rows the comparison is not about (a port's run holds the dev rows it searched
            on beside the holdout); unfiltered, a row only one run answered counts as the
            other's missing answer. A row without a split is a dev row (as the runner reads it).

    Raises:
        RunNotFound: a run does not exist.
        UsageError: the two names are the same run.
    """
    if source_run == target_run:
        raise UsageError(f"source and target are the same run ('{source_run}'); "
                         f"compare two different runs")
    source, target = store.require_run(source_run), store.require_run(target_run)
    if metrics is None:
        metrics = sorted(set(store.metrics_of(source.id)) & set(store.metrics_of(target.id)))
    examples = stored_examples(store, source.dataset_hash or target.dataset_hash)
    scores = {name: (store.scores(source.id, name), store.scores(target.id, name))
              for name in dict.fromkeys(metrics)}
    source_results, target_results = store.results(source.id), store.results(target.id)
    if splits is not None:
        kept = {i for i, e in examples.items() if (e.split or "dev") in set(splits)}
        source_results = [r for r in source_results if r.example_id in kept]
        target_results = [r for r in target_results if r.example_id in kept]
        scores = {name: ([s for s in a if s.example_id in kept],
                         [s for s in b if s.example_id in kept])
                  for name, (a, b) in scores.items()}
    return ComparisonInputs(
        source=source, target=target, source_results=source_results,
        target_results=target_results, scores=scores, examples=examples,
        not_scored=dict(not_scored or {}), source_reviews=store.reviews(source.id),
        target_reviews=store.reviews(target.id),
        sme=load_sme_evidence(store, source.id, target.id))


def score_missing(store: Store, runs: Sequence[str], metrics: Sequence[str], *,
                  judge: str | None = None, judge_options: Mapping[str, Any] | None = None,
                  on_progress: ScoreProgress | None = None) -> dict[str, str]:
    """Score the ``metrics`` each run lacks (the explicit scoring step before a comparison).

    Args:
        store: the store holding the runs.
        runs: the runs' names.
        metrics: the metrics the comparison needs.
        judge: the judge model for judge metrics.
        judge_options: the judge's provider options.
        on_progress: told how the scoring advances (see ``agility.metrics.ScoreProgress``).

    Returns:
        Why a metric could not be scored (a judge metric without a judge, say), by metric.

    Raises:
        UnknownName: a metric name is not registered.
    """
    from agility.metrics import available_metrics, score_run

    known = set(available_metrics())
    failed: dict[str, str] = {}
    for run_name in runs:
        run = store.require_run(run_name)
        have = set(store.metrics_of(run.id))
        for name in metrics:
            if name in have or name in failed:
                continue
            if name not in known and f"{name.partition(':')[0]}:*" not in known:
                raise UnknownName("metric", name, sorted(known), argument="metrics")
            try:
                score_run(store, run_name, metrics=[name], judge=judge,
                          judge_options=dict(judge_options or {}) or None,
                          on_progress=on_progress)
            except UsageError as exc:  # shown as the evidence of the criteria that need it
                failed[name] = str(exc)
    return failed
