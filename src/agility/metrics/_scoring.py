"""Score a stored run: build each answer's :class:`MetricInput`, run the metrics, save scores.

Cheap metrics run in batches through ``score_many``; judge and adapter metrics run through
``ascore`` under bounded concurrency. Scores are written to the store as they come, so an
interrupted scoring keeps what it finished and a second call skips it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from agility.errors import AgilityError, UsageError
from agility.metrics._base import (
    Metric,
    MetricInput,
    MetricResult,
    MetricSummary,
    get_metric,
    metric_class,
    summarize,
)
from agility.store import ResultRecord, ScoreRecord, Store

if TYPE_CHECKING:
    from agility.dataset import GoldenExample

__all__ = ["MetricSpec", "build_inputs", "judge_spread", "metric_versions", "score_run"]

#: a metric name, or ``{"name": ..., **options}`` (for example a rubric's criteria)
MetricSpec = str | dict[str, Any]
_BATCH = 64
_JUDGED_KINDS = ("judge", "adapter")


def _input_for(result: ResultRecord, example: GoldenExample | None) -> MetricInput:
    # a retrieval step's documents are what the model was shown: RAG metrics judge those,
    # not the golden row's recorded context
    contexts = result.contexts if result.contexts is not None \
        else (example.contexts if example is not None else [])
    metadata = dict(example.metadata) if example is not None else {}
    retrieval = {"retrieval_latency_ms": result.retrieval_ms,
                 "retrieval_cost_usd": result.extra_cost_usd}
    metadata.update({k: v for k, v in retrieval.items() if v is not None})
    return MetricInput(
        example_id=result.example_id,
        question=None if example is None else example.question,
        ground_truth=None if example is None else example.ground_truth,
        output=result.output,
        contexts=[c for c in contexts if c.strip()],
        prompt=result.prompt_text,
        retrieved_ids=[str(d["id"]) for d in result.retrieved if d.get("id") is not None]
        if result.contexts is not None else None,
        stratum=None if example is None else example.stratum,
        metadata=metadata,
    )


def build_inputs(store: Store, run_name: str) -> tuple[list[tuple[ResultRecord, MetricInput]],
                                                       int]:
    """The successful results of a run with their metric inputs, and how many results failed.

    Raises:
        RunNotFound: there is no run called ``run_name``.
    """
    from agility.dataset import stored_examples

    run = store.require_run(run_name)
    examples = stored_examples(store, run.dataset_hash)
    pairs, errored = [], 0
    for result in store.results(run.id):
        if result.error is not None:
            errored += 1
            continue
        pairs.append((result, _input_for(result, examples.get(result.example_id))))
    return pairs, errored


def _build_metric(spec: MetricSpec, judge_kwargs: dict[str, Any]) -> tuple[str, Metric]:
    if isinstance(spec, dict):
        options = dict(spec)
        name = options.pop("name", None)
        if not isinstance(name, str):
            raise UsageError(f"a metric given as a mapping needs a 'name': {spec!r}")
    else:
        name, options = spec.strip(), {}
    if not name:
        raise UsageError("empty metric name in --metrics; give names separated by commas")
    wants_judge = name.startswith(("ragas:", "deepeval:")) or options.get("mode") == "llm" \
        or name in ("llm_correctness", "faithfulness", "answer_relevancy", "rubric", "safety")
    if wants_judge:
        options = {**judge_kwargs, **options}
    return name, get_metric(name, **options)


def _version_of(metric: Metric) -> str:
    return str(getattr(metric, "metric_version", None) or metric.version)


def metric_versions(metrics: Sequence[MetricSpec], *, judge: str | None = None,
                    judge_options: dict[str, Any] | None = None) -> dict[str, str | None]:
    """The version each metric's scores are stored with, as :func:`score_run` builds them.

    Args:
        metrics: metric names or ``{"name": ..., **options}`` mappings (as for ``score_run``).
        judge: the judge model judge metrics are built with.
        judge_options: provider options for the judge.

    Returns:
        ``{name: version}``; a metric that cannot be built with these options falls back to
        its class's version, and an unknown one to None.
    """
    judge_kwargs: dict[str, Any] = {**(judge_options or {})}
    if judge:
        judge_kwargs["judge"] = judge
    versions: dict[str, str | None] = {}
    for spec in metrics:
        name = spec if isinstance(spec, str) else str(spec.get("name"))
        try:
            versions[name] = _version_of(_build_metric(spec, judge_kwargs)[1])
        except AgilityError:
            try:
                versions[name] = metric_class(name).version
            except AgilityError:
                versions[name] = None
    return versions


def _record(result: ResultRecord, metric_name: str, version: str,
            outcome: MetricResult) -> ScoreRecord:
    return ScoreRecord(
        example_id=result.example_id, repeat_index=result.repeat_index, metric=metric_name,
        metric_version=version, score=outcome.score, verdict=outcome.verdict,
        passed=outcome.passed, reason=outcome.reason, judge_model=outcome.judge_model,
        judge_prompt_version=outcome.judge_prompt_version, raw=outcome.raw, error=outcome.error,
    )


def _to_result(score: ScoreRecord) -> MetricResult:
    return MetricResult(score=score.score, verdict=score.verdict, passed=score.passed,
                        reason=score.reason or "", error=score.error)


class _Job:
    """One metric over the run's pending answers."""

    def __init__(self, name: str, metric: Metric, pending: list[tuple[ResultRecord, MetricInput]],
                 store: Store, run_id: int, advance: Callable[[int], None]) -> None:
        self.name, self.metric, self.pending = name, metric, pending
        self.store, self.run_id, self.advance = store, run_id, advance
        self.version = _version_of(metric)

    def save(self, pairs: Sequence[tuple[ResultRecord, MetricResult]]) -> None:
        self.store.save_scores(self.run_id, [_record(r, self.name, self.version, o)
                                             for r, o in pairs])
        self.advance(len(pairs))

    def split_missing(self) -> list[tuple[ResultRecord, MetricInput]]:
        """Record items lacking a required field as not scored; return the others."""
        ready, missing = [], []
        for result, item in self.pending:
            field = self.metric.missing(item)
            if field is None:
                ready.append((result, item))
            else:
                missing.append((result, MetricResult(
                    error=f"not scored: the example has no {field}")))
        if missing:
            self.save(missing)
        return ready

    def run_sync(self) -> None:
        ready = self.split_missing()
        for start in range(0, len(ready), _BATCH):
            batch = ready[start:start + _BATCH]
            outcomes = self.metric.score_many([item for _, item in batch])
            self.save([(r, o) for (r, _), o in zip(batch, outcomes)])

    async def run_async(self, limit: asyncio.Semaphore) -> None:
        ready = self.split_missing()

        async def one(result: ResultRecord, item: MetricInput) -> None:
            async with limit:
                outcome = await self.metric.ascore(item)
            self.save([(result, outcome)])

        try:
            await asyncio.gather(*(one(r, i) for r, i in ready))
        finally:
            close = getattr(self.metric, "aclose", None)
            if close is not None:
                await close()


def _is_async(metric: Metric) -> bool:
    return bool(getattr(metric, "is_async", metric.kind in _JUDGED_KINDS))


def score_run(
    store: Store,
    run_name: str,
    metrics: Sequence[MetricSpec],
    *,
    judge: str | None = None,
    judge_options: dict[str, Any] | None = None,
    judge_repeats: int = 1,
    concurrency: int = 4,
    rescore: bool = False,
    progress: bool = True,
) -> dict[str, MetricSummary]:
    """Score every successful answer of a stored run with ``metrics`` and store the scores.

    Args:
        store: the store holding the run.
        run_name: the run's name.
        metrics: metric names (``"semantic_similarity"``) or ``{"name": ..., **options}``.
        judge: the judge model (``provider/model``) for judge metrics.
        judge_options: provider options for the judge (``base_url``, ``timeout_s``, ...).
        judge_repeats: ask the judge this many times per answer and keep the spread.
        concurrency: judge calls in flight at once.
        rescore: score again pairs already scored with the same metric version and judge.
        progress: show a progress bar on stderr.

    Returns:
        One summary per metric over the run's successful answers (failed results are not
        scored; judgments that failed are counted in ``n_failed``, never as 0).

    Raises:
        UsageError: unknown run or metric, bad options, a judge metric without ``judge``.
    """
    if not metrics:
        raise UsageError("no metrics given: pass --metrics name1,name2")
    if concurrency < 1:
        raise UsageError(f"concurrency must be at least 1, not {concurrency}")
    run = store.require_run(run_name)
    pairs, _errored = build_inputs(store, run_name)
    judge_kwargs: dict[str, Any] = {**(judge_options or {}), "repeats": judge_repeats}
    if judge:
        judge_kwargs["judge"] = judge
    built = [_build_metric(spec, judge_kwargs) for spec in metrics]

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=Console(stderr=True), disable=not progress)
    jobs: list[_Job] = []
    with bar:
        for name, metric in built:
            pending = pairs if rescore else _unscored(store, run.id, name, metric, pairs)
            task = bar.add_task(f"{name}", total=len(pending))
            jobs.append(_Job(name, metric, pending, store, run.id, _advancer(bar, task)))
        for job in jobs:
            if not _is_async(job.metric):
                job.run_sync()
        async_jobs = [job for job in jobs if _is_async(job.metric)]
        if async_jobs:
            asyncio.run(_run_async(async_jobs, concurrency))
    return {name: _summary(store, run.id, name, pairs) for name, _ in built}


def _advancer(bar: Progress, task: TaskID) -> Callable[[int], None]:
    return lambda n: bar.advance(task, n)


async def _run_async(jobs: list[_Job], concurrency: int) -> None:
    limit = asyncio.Semaphore(concurrency)
    await asyncio.gather(*(job.run_async(limit) for job in jobs))


def _unscored(store: Store, run_id: int, name: str, metric: Metric,
              pairs: list[tuple[ResultRecord, MetricInput]]
              ) -> list[tuple[ResultRecord, MetricInput]]:
    version = _version_of(metric)
    judge = getattr(metric, "judge_spec", None)
    done = {(s.example_id, s.repeat_index) for s in store.scores(run_id, name)
            if s.error is None and s.metric_version == version and s.judge_model == judge}
    return [(r, i) for r, i in pairs if (r.example_id, r.repeat_index) not in done]


def _summary(store: Store, run_id: int, name: str,
             pairs: list[tuple[ResultRecord, MetricInput]]) -> MetricSummary:
    wanted = {(r.example_id, r.repeat_index) for r, _ in pairs}
    scores = [s for s in store.scores(run_id, name) if (s.example_id, s.repeat_index) in wanted]
    return summarize(name, [_to_result(s) for s in scores])


def judge_spread(store: Store, run_name: str, metric: str) -> dict[str, float | int] | None:
    """How much repeated judgments of ``metric`` disagreed over a run.

    Returns:
        ``{"n": answers judged more than once, "mean_stdev": mean score stdev (when scores
        vary), "mean_agreement": mean share of judgments agreeing with the majority
        verdict}``, or None when no answer was judged more than once.
    """
    run = store.require_run(run_name)
    spreads = [s.raw["spread"] for s in store.scores(run.id, metric)
               if s.error is None and isinstance(s.raw, dict) and "spread" in s.raw]
    if not spreads:
        return None
    stdevs = [x["stdev"] for x in spreads if x.get("stdev") is not None]
    agreements = [x["agreement"] for x in spreads if x.get("agreement") is not None]
    out: dict[str, float | int] = {"n": len(spreads)}
    if stdevs:
        out["mean_stdev"] = sum(stdevs) / len(stdevs)
    if agreements:
        out["mean_agreement"] = sum(agreements) / len(agreements)
    return out
