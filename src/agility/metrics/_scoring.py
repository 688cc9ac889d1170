"""Score a stored run: build each answer's :class:`MetricInput`, run the metrics, save scores.

:func:`ascore_run` is the primary API; :func:`score_run` is its synchronous wrapper (it works
inside a running event loop too). The run is read a chunk of results at a time: the inputs
and results of one chunk are held, scored and written before the next is read, so memory
stays flat however large the run. Cheap metrics score a chunk in batches through
``score_many`` (in a worker thread, so the event loop stays free); metrics that call a model
go through ``ascore`` under bounded concurrency. Scores are written as they come, so an
interrupted scoring keeps what it finished and a second call skips it. Progress goes to a
callback (:class:`ScoreProgress`); the library prints nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from agility._sync import run_sync
from agility.embeddings import embedding_cache
from agility.errors import InvalidArgument, UnknownName, UsageError
from agility.metrics._base import (
    Metric,
    MetricInput,
    MetricResult,
    MetricSummary,
    metric_class,
    summarize,
)
from agility.metrics._specs import JudgeSettings, MetricSpec, build_metric, spec_name
from agility.store import NewEvent, ResultRecord, RunRecord, ScoreRecord, Store

if TYPE_CHECKING:
    from agility.dataset import GoldenExample

__all__ = ["ScoreProgress", "ascore_run", "build_inputs", "iter_inputs", "judge_spread",
           "metric_summary", "metric_versions", "score_run"]

#: results read, held and scored at a time
_CHUNK = 500
#: answers per ``score_many`` call and per store write of a cheap metric
_BATCH = 64


class ScoreProgress(Protocol):
    """Told how scoring advances: ``done`` of ``total`` answers of ``metric``.

    Called once per metric with ``done=0`` before any answer is scored, then as scores are
    written. A Rich progress bar (the CLI's), a web page or a log line can listen.
    """

    def __call__(self, metric: str, done: int, total: int) -> None: ...


_JUDGED_KINDS = ("judge", "adapter")


@dataclass(frozen=True)
class _Masks:
    """A privacy policy's masks of scoring: what judges see, what is stored."""

    judged: Callable[[str], str] | None = None
    stored: Callable[[str], str] | None = None


def _masked_input(item: MetricInput, mask: Callable[[str], str]) -> MetricInput:
    """``item`` with every text a judge would see masked."""
    def text(value: str | None) -> str | None:
        return None if value is None else mask(value)

    return item.model_copy(update={
        "question": text(item.question), "ground_truth": text(item.ground_truth),
        "output": text(item.output), "prompt": text(item.prompt),
        "contexts": [mask(c) for c in item.contexts]})


def _masked_value(value: Any, mask: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _masked_value(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_value(v, mask) for v in value]
    return value


def _masked_score(score: ScoreRecord, mask: Callable[[str], str]) -> ScoreRecord:
    return score.model_copy(update={
        "reason": None if score.reason is None else mask(score.reason),
        "error": None if score.error is None else mask(score.error),
        "raw": _masked_value(score.raw, mask)})


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
        tool_calls=result.tool_calls,
    )


def _inputs(store: Store, dataset_hash: str | None,
            results: Sequence[ResultRecord]) -> list[tuple[ResultRecord, MetricInput]]:
    from agility.dataset import stored_examples

    examples = stored_examples(store, dataset_hash, [r.example_id for r in results])
    return [(r, _input_for(r, examples.get(r.example_id))) for r in results]


def iter_inputs(store: Store, run_name: str, *, chunk_size: int = _CHUNK
                ) -> Iterator[list[tuple[ResultRecord, MetricInput]]]:
    """The successful results of a run with their metric inputs, a chunk at a time.

    Raises:
        RunNotFound: there is no run called ``run_name``.
    """
    run = store.require_run(run_name)
    for page in store.iter_results(run.id, ok=True, page=chunk_size):
        yield _inputs(store, run.dataset_hash, page)


def build_inputs(store: Store, run_name: str) -> tuple[list[tuple[ResultRecord, MetricInput]],
                                                       int]:
    """All successful results of a run with their metric inputs, and how many results
    failed. This holds the whole run: :func:`iter_inputs` reads it a chunk at a time.

    Raises:
        RunNotFound: there is no run called ``run_name``.
    """
    run = store.require_run(run_name)
    pairs = [pair for chunk in iter_inputs(store, run_name) for pair in chunk]
    return pairs, store.count_results(run.id, ok=False)


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


async def _all(awaitables: Sequence[Awaitable[None]]) -> None:
    """Await all; on the first failure cancel the rest (rejected judge credentials stop
    every judge call at once) and raise it."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


class _Job:
    """One metric over the run: what is left to score, and scoring it a chunk at a time."""

    def __init__(self, name: str, metric: Metric, store: Store, run_id: int, rescore: bool,
                 on_progress: ScoreProgress | None, masks: _Masks | None = None, *,
                 count: bool = True) -> None:
        self.name, self.metric, self.store, self.run_id = name, metric, store, run_id
        self.rescore, self.on_progress = rescore, on_progress
        masks = masks or _Masks()
        # only what a model judges leaves this host: metrics computed here see the stored text
        self.mask_input = masks.judged if metric.kind in _JUDGED_KINDS else None
        self.mask_stored = masks.stored
        self.version, self.judge = metric.stored_version, metric.judge_model
        # a Ray worker scoring one shard has no use for the whole run's count
        self.total = self.remaining() if count else 0
        self.done = 0

    def remaining(self) -> int:
        """How many answers this metric has still to score (all of them with ``rescore``)."""
        if self.rescore:
            return self.store.count_results(self.run_id, ok=True)
        return self.store.count_unscored(self.run_id, self.name, metric_version=self.version,
                                         judge_model=self.judge)

    def report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.name, self.done, self.total)

    def pending(self, results: Sequence[ResultRecord]) -> list[ResultRecord]:
        """The results of a chunk this metric has still to score."""
        if self.rescore:
            return list(results)
        done = self.store.scored_keys(self.run_id, self.name, [r.example_id for r in results],
                                      metric_version=self.version, judge_model=self.judge)
        return [r for r in results if (r.example_id, r.repeat_index) not in done]

    def save(self, pairs: Sequence[tuple[ResultRecord, MetricResult]]) -> None:
        records = [_record(r, self.name, self.version, o) for r, o in pairs]
        if self.mask_stored is not None:
            records = [_masked_score(score, self.mask_stored) for score in records]
        self.store.save_scores(self.run_id, records)
        self.done += len(pairs)
        self.report()

    def ready(self, pairs: Sequence[tuple[ResultRecord, MetricInput]]
              ) -> list[tuple[ResultRecord, MetricInput]]:
        """Record items lacking a required field as not scored; return the others."""
        ready, missing = [], []
        if self.mask_input is not None:
            mask = self.mask_input
            pairs = [(result, _masked_input(item, mask)) for result, item in pairs]
        for result, item in pairs:
            field = self.metric.missing(item)
            if field is None:
                ready.append((result, item))
            else:
                missing.append((result, MetricResult(
                    error=f"not scored: the example has no {field}")))
        if missing:
            self.save(missing)
        return ready

    async def score_batches(self, pairs: Sequence[tuple[ResultRecord, MetricInput]]) -> None:
        ready = self.ready(pairs)
        for start in range(0, len(ready), _BATCH):
            batch = ready[start:start + _BATCH]
            outcomes = await asyncio.to_thread(self.metric.score_many, [i for _, i in batch])
            self.save([(r, o) for (r, _), o in zip(batch, outcomes, strict=True)])

    async def score_each(self, pairs: Sequence[tuple[ResultRecord, MetricInput]],
                         limit: asyncio.Semaphore, stop: asyncio.Event) -> None:
        async def one(result: ResultRecord, item: MetricInput) -> None:
            async with limit:
                if stop.is_set():
                    return
                try:
                    outcome = await self.metric.ascore(item)
                except BaseException:
                    # set before the slot is released: no waiting call starts after a
                    # failure that stops the scoring (rejected judge credentials)
                    stop.set()
                    raise
            self.save([(result, outcome)])

        await _all([one(r, i) for r, i in self.ready(pairs)])


async def ascore_run(
    store: Store,
    run_name: str,
    metrics: Sequence[MetricSpec],
    *,
    judge: str | None = None,
    judge_options: Mapping[str, Any] | None = None,
    judge_repeats: int | None = None,
    concurrency: int = 4,
    rescore: bool = False,
    on_progress: ScoreProgress | None = None,
    executor: str = "local",
    ray_address: str | None = None,
    mask_judged: Callable[[str], str] | None = None,
    mask_stored: Callable[[str], str] | None = None,
) -> dict[str, MetricSummary]:
    """Score every successful answer of a stored run with ``metrics`` and store the scores.

    Args:
        store: the store holding the run.
        run_name: the run's name.
        metrics: metric names (``"semantic_similarity"``) or ``{"name": ..., **options}``.
        judge: the judge model (``provider/model``) of the metrics that accept one.
        judge_options: the judge provider's options (``base_url``, ...).
        judge_repeats: ask the judge this many times per answer and keep the spread (None:
            each metric's own ``repeats``, 1 by default).
        concurrency: judge calls in flight at once.
        rescore: score again pairs already scored with the same metric version and judge.
        on_progress: told how each metric advances (see :class:`ScoreProgress`).
        executor: ``local`` (this process) or ``ray`` (the answers spread over one worker
            per CPU of a Ray cluster, each writing its scores to the same store; see
            :func:`ascore_on_ray`).
        ray_address: the Ray cluster (``auto``, ``ray://host:10001``); None starts a local
            one for the scoring.
        mask_judged: applied to every text a judge or adapter metric is given (a privacy
            policy's masking of judges); metrics computed here see the text as stored.
        mask_stored: applied to the reasons and raw replies written to the store.

    Returns:
        One summary per metric over the run's successful answers (failed results are not
        scored; judgments that failed are counted in ``n_failed``, never as 0).

    Raises:
        RunNotFound: no run of that name.
        UnknownName: a metric name is not registered.
        OptionsError: a metric's options (or the judge provider's) are invalid.
        JudgeRequired: a metric judged by a model, and no ``judge``.
        InvalidArgument: no metrics, a metric listed twice, ``concurrency`` below 1 or an
            unknown executor.
        ProviderAuthError: the judge rejected the credentials (scoring stops at once).
    """
    if executor == "ray":
        if mask_judged is not None or mask_stored is not None:
            raise InvalidArgument("executor", executor,
                                  "scoring under a privacy policy that masks judges or the "
                                  "store runs on the local executor only (Ray workers do not "
                                  "carry the masking)")
        from agility.metrics._ray_scoring import ascore_on_ray

        on_ray = await ascore_on_ray(
            store, run_name, metrics, judge=judge, judge_options=judge_options,
            judge_repeats=judge_repeats, concurrency=concurrency, rescore=rescore,
            on_progress=on_progress, address=ray_address)
        # a change to the store is an event (the workers' counts are not gathered: the
        # summaries say what the run's scores are now)
        store.log_event(NewEvent(kind="score.run", subject=run_name, payload={
            "metrics": {name: {"mean": summary.mean, "n_failed": summary.n_failed}
                        for name, summary in on_ray.summaries.items()},
            "executor": "ray"}))
        return on_ray.summaries
    if executor != "local":
        raise InvalidArgument("executor", executor, "must be local or ray")
    run, built = prepare_scoring(store, run_name, metrics, judge=judge,
                                 judge_options=judge_options, judge_repeats=judge_repeats,
                                 concurrency=concurrency)
    names = [name for name, _ in built]
    try:
        masks = _Masks(judged=mask_judged, stored=mask_stored)
        jobs = [_Job(name, metric, store, run.id, rescore, on_progress, masks)
                for name, metric in built]
        for job in jobs:
            job.report()
        if any(job.total for job in jobs):
            # a text embedded once is read back by the next metric or run (ground truths
            # repeat in every run of a dataset): the store keeps vectors by text hash
            with embedding_cache(store):
                await _score_jobs(store, run.id, run.dataset_hash, jobs, concurrency)
    finally:
        for _, metric in built:
            await metric.aclose()
    summaries = {name: metric_summary(store, run.id, name) for name in names}
    scored = sum(job.done for job in jobs)
    if scored:  # a change to the store is an event; nothing new scored, nothing to record
        store.log_event(NewEvent(kind="score.run", subject=run_name, payload={
            "metrics": {job.name: {"version": job.version, "judge": job.judge,
                                   "mean": summaries[job.name].mean,
                                   "n_failed": summaries[job.name].n_failed} for job in jobs},
            "scored": scored}))
    return summaries


async def _score_jobs(store: Store, run_id: int, dataset_hash: str | None, jobs: list[_Job],
                      concurrency: int) -> None:
    limit, stop = asyncio.Semaphore(concurrency), asyncio.Event()
    for page in store.iter_results(run_id, ok=True, page=_CHUNK):
        await score_page(store, dataset_hash, jobs, page, limit, stop)


def _pending(jobs: Sequence[_Job], page: Sequence[ResultRecord]
             ) -> tuple[list[list[ResultRecord]], list[ResultRecord]]:
    """What each job has still to score in ``page``, and the results some job needs."""
    pending = [job.pending(page) for job in jobs]
    wanted = {(r.example_id, r.repeat_index) for results in pending for r in results}
    return pending, [r for r in page if (r.example_id, r.repeat_index) in wanted]


async def score_page(store: Store, dataset_hash: str | None, jobs: Sequence[_Job],
                     page: Sequence[ResultRecord], limit: asyncio.Semaphore,
                     stop: asyncio.Event) -> None:
    """Score what ``jobs`` have still to score among ``page``'s results and save it (what
    scored it already is skipped, so a page scored twice costs nothing the second time)."""
    pending, wanted = _pending(jobs, page)
    if not wanted:
        return
    # inputs only for the answers some metric still has to score
    pairs = _inputs(store, dataset_hash, wanted)
    by_key = {(r.example_id, r.repeat_index): (r, i) for r, i in pairs}
    work = [(job, [by_key[(r.example_id, r.repeat_index)] for r in results])
            for job, results in zip(jobs, pending, strict=True)]
    for job, todo in work:
        if not job.metric.is_async:
            await job.score_batches(todo)
    await _all([job.score_each(todo, limit, stop) for job, todo in work
                if job.metric.is_async])


def prepare_scoring(store: Store, run_name: str, metrics: Sequence[MetricSpec], *,
                    judge: str | None, judge_options: Mapping[str, Any] | None,
                    judge_repeats: int | None, concurrency: int
                    ) -> tuple[RunRecord, list[tuple[str, Metric]]]:
    """Check a scoring's arguments (as :func:`ascore_run` documents them) and build its
    metrics; returns the run and ``(name, metric)`` pairs (close the metrics after use)."""
    if not metrics:
        raise InvalidArgument("metrics", list(metrics), "must name at least one metric")
    if concurrency < 1:
        raise InvalidArgument("concurrency", concurrency, "must be at least 1")
    if judge_repeats is not None and judge_repeats < 1:
        raise InvalidArgument("judge_repeats", judge_repeats, "must be at least 1")
    run = store.require_run(run_name)
    names = [spec_name(spec) for spec in metrics]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidArgument("metrics", twice, "must name each metric once")
    return run, build_metrics(metrics, judge=judge, judge_options=judge_options,
                              judge_repeats=judge_repeats)


def build_metrics(metrics: Sequence[MetricSpec], *, judge: str | None,
                  judge_options: Mapping[str, Any] | None,
                  judge_repeats: int | None) -> list[tuple[str, Metric]]:
    """The ``(name, metric)`` pairs a scoring with these settings uses."""
    settings = JudgeSettings(judge, dict(judge_options or {}), judge_repeats)
    return [build_metric(spec, settings) for spec in metrics]


def score_run(
    store: Store,
    run_name: str,
    metrics: Sequence[MetricSpec],
    *,
    judge: str | None = None,
    judge_options: Mapping[str, Any] | None = None,
    judge_repeats: int | None = None,
    concurrency: int = 4,
    rescore: bool = False,
    on_progress: ScoreProgress | None = None,
    executor: str = "local",
    ray_address: str | None = None,
    mask_judged: Callable[[str], str] | None = None,
    mask_stored: Callable[[str], str] | None = None,
) -> dict[str, MetricSummary]:
    """Synchronous :func:`ascore_run` (same arguments, same result). Works inside a running
    event loop too (a notebook, a web handler): the scoring then runs on a loop of its own in
    a worker thread."""
    return run_sync(ascore_run(store, run_name, metrics, judge=judge,
                               judge_options=judge_options, judge_repeats=judge_repeats,
                               concurrency=concurrency, rescore=rescore,
                               on_progress=on_progress, executor=executor,
                               ray_address=ray_address, mask_judged=mask_judged,
                               mask_stored=mask_stored))


def metric_summary(store: Store, run_id: int, metric: str) -> MetricSummary:
    """One metric's stored scores over a run's successful answers, read a page at a time."""
    return summarize(metric, (_to_result(s) for page in store.iter_scores(
        run_id, metric, of_ok_results=True) for s in page))


def metric_versions(metrics: Sequence[MetricSpec], *, judge: str | None = None,
                    judge_options: Mapping[str, Any] | None = None) -> dict[str, str | None]:
    """The version each metric's scores are stored with, as :func:`score_run` builds them.

    Args:
        metrics: metric names or ``{"name": ..., **options}`` mappings (as for ``score_run``).
        judge: the judge model judge metrics are built with.
        judge_options: the judge provider's options.

    Returns:
        ``{name: version}``; a metric that cannot be built with these options (a judge metric
        without a judge) gives its class's version, and an unknown one None.
    """
    settings = JudgeSettings(judge, dict(judge_options or {}))
    versions: dict[str, str | None] = {}
    for spec in metrics:
        name = spec_name(spec)
        try:
            cls = metric_class(name)
        except UnknownName:
            versions[name] = None
            continue
        try:
            versions[name] = build_metric(spec, settings)[1].stored_version
        except UsageError:
            versions[name] = cls.version
    return versions


def judge_spread(store: Store, run_name: str, metric: str) -> dict[str, float | int] | None:
    """How much repeated judgments of ``metric`` disagreed over a run.

    Returns:
        ``{"n": answers judged more than once, "mean_stdev": mean score stdev (when scores
        vary), "mean_agreement": mean share of judgments agreeing with the majority
        verdict}``, or None when no answer was judged more than once.
    """
    run = store.require_run(run_name)
    n = n_stdev = n_agreement = 0
    stdev_total = agreement_total = 0.0
    for page in store.iter_scores(run.id, metric):
        for score in page:
            spread = score.raw.get("spread") if isinstance(score.raw, dict) else None
            if score.error is not None or not isinstance(spread, dict):
                continue
            n += 1
            if spread.get("stdev") is not None:
                n_stdev += 1
                stdev_total += spread["stdev"]
            if spread.get("agreement") is not None:
                n_agreement += 1
                agreement_total += spread["agreement"]
    if not n:
        return None
    out: dict[str, float | int] = {"n": n}
    if n_stdev:
        out["mean_stdev"] = stdev_total / n_stdev
    if n_agreement:
        out["mean_agreement"] = agreement_total / n_agreement
    return out
