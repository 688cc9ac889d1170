"""``score --executor ray``: a stored run's answers scored by one worker per CPU of a Ray
cluster.

The driver (the ``agility score`` process) checks the metrics as a local scoring does, reads
the run a page at a time, keeps the answers some metric has still to score and cuts them into
shards (about :data:`~agility._ray.SHARDS_PER_CPU` per CPU). Each worker is a Ray actor
(:class:`ScoreWorker`) that opens the same store and builds the metrics once, so the embedding
model, a local judge or a judge's connection pool is loaded once per worker, not per shard;
it scores a shard with the same code as a local scoring (:func:`score_page`) and writes the
scores as they come.

Faults: a worker whose process dies is restarted and given its shard again; the shard first
reads which of its answers are scored already and scores only the others, so a killed
worker's answers are scored elsewhere without paying twice for what it had finished (except
with ``rescore``, which scores every answer again by definition). Resume works across
executors: both skip what is scored with the same metric version and judge.

Limits: ``concurrency`` (judge calls in flight) is the whole scoring's and is divided between
the workers.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agility._ray import (
    SHARDS_PER_CPU,
    drive_workers,
    model_loads,
    ray_cluster,
    shared_location,
    start_workers,
    stop_workers,
    worker_identity,
)
from agility._sync import LoopThread
from agility.metrics._base import Metric, MetricSummary
from agility.metrics._scoring import (
    _CHUNK,
    ScoreProgress,
    _Job,
    _pending,
    build_metrics,
    metric_summary,
    prepare_scoring,
    score_page,
)
from agility.metrics._specs import MetricSpec
from agility.store import ResultRecord, Store

__all__ = ["RayScoring", "ScoreWorker", "ascore_on_ray"]


@dataclass(frozen=True)
class _ScoreSpec:
    """What every worker of one scoring needs (sent to each actor once)."""

    store: str
    run_id: int
    dataset_hash: str | None
    metrics: list[MetricSpec]
    judge: str | None
    judge_options: dict[str, Any]
    judge_repeats: int | None
    concurrency: int
    rescore: bool


@dataclass(frozen=True)
class RayScoring:
    """What :func:`ascore_on_ray` did: the summaries (as :func:`ascore_run` returns them) and
    the executor's record: cluster CPUs, shards, the judge calls each worker may have in
    flight, and each worker's report (``pid``, ``node``, ``shards`` it ran, ``model_loads``:
    models loaded into its process by kind)."""

    summaries: dict[str, MetricSummary]
    executor: dict[str, Any] = field(default_factory=dict)


class ScoreWorker:
    """A Ray actor scoring shards of one run: opens the store and builds the metrics on its
    first shard and keeps them for the next ones (closed by :meth:`close`). Each shard runs
    on the worker's own event loop, kept from shard to shard (a judge's client lives on it):
    uvloop's when installed, as a local scoring's (see ``runner._ray.RunWorker``)."""

    def __init__(self, spec: _ScoreSpec) -> None:
        self.spec = spec
        self.store: Store | None = None
        self.built: list[tuple[str, Metric]] = []
        self.jobs: list[_Job] = []
        self.shards = 0
        self._loop = LoopThread()

    def score(self, results: list[ResultRecord]) -> dict[str, int]:
        """Score what is left to score of ``results``; returns the scores saved per metric."""
        return self._loop.run(self._score(results))

    async def _score(self, results: list[ResultRecord]) -> dict[str, int]:
        spec = self.spec
        if self.store is None:
            self.store = Store(spec.store)
            self.built = build_metrics(spec.metrics, judge=spec.judge,
                                       judge_options=spec.judge_options,
                                       judge_repeats=spec.judge_repeats)
            self.jobs = [_Job(name, metric, self.store, spec.run_id, spec.rescore, None,
                              count=False) for name, metric in self.built]
        before = [job.done for job in self.jobs]
        await score_page(self.store, spec.dataset_hash, self.jobs, results,
                         asyncio.Semaphore(spec.concurrency), asyncio.Event())
        self.shards += 1
        return {job.name: job.done - n for job, n in zip(self.jobs, before, strict=True)}

    def close(self) -> dict[str, Any]:
        """Close the metrics, the store and the loop; returns this worker's report."""
        try:
            self._loop.run(self._close_metrics())
        finally:
            self._loop.close()
            if self.store is not None:
                self.store.close()
        return {**worker_identity(), "shards": self.shards, "model_loads": model_loads()}

    async def _close_metrics(self) -> None:
        for _, metric in self.built:
            await metric.aclose()


async def ascore_on_ray(
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
    address: str | None = None,
    cpus: int | None = None,
) -> RayScoring:
    """Score a stored run on a Ray cluster (the arguments of :func:`ascore_run`).

    Args:
        address: the cluster (``auto``, ``ray://host:10001``, ``host:6379``); None starts a
            local cluster for this scoring and stops it afterwards (a cluster this process
            joined already is used as it is).
        cpus: CPUs of a local cluster started here (default: all).

    Returns:
        the summaries and what to know of the executor (see :class:`RayScoring`).

    Raises:
        as :func:`ascore_run`; UsageError: Ray is not installed.
    """
    run, built = prepare_scoring(store, run_name, metrics, judge=judge,
                                 judge_options=judge_options, judge_repeats=judge_repeats,
                                 concurrency=concurrency)
    names = [name for name, _ in built]
    record: dict[str, Any] = {"kind": "ray", "address": address or "local"}
    try:
        jobs = [_Job(name, metric, store, run.id, rescore, on_progress)
                for name, metric in built]
        for job in jobs:
            job.report()
        most = max(job.total for job in jobs)
        if most:
            record.update(await _score_on_cluster(
                store, run.id, jobs, most, _ScoreSpec(
                    store=shared_location(store), run_id=run.id,
                    dataset_hash=run.dataset_hash, metrics=list(metrics), judge=judge,
                    judge_options=dict(judge_options or {}), judge_repeats=judge_repeats,
                    concurrency=concurrency, rescore=rescore),
                address=address, cpus=cpus))
            for job in jobs:
                # the shards' counts miss what a killed worker saved before it died
                job.done = job.total if job.rescore else job.total - job.remaining()
                job.report()
    finally:
        for _, metric in built:
            await metric.aclose()
    return RayScoring({name: metric_summary(store, run.id, name) for name in names}, record)


async def _score_on_cluster(store: Store, run_id: int, jobs: list[_Job], most: int,
                            spec: _ScoreSpec, *,
                            address: str | None, cpus: int | None) -> dict[str, Any]:
    async with ray_cluster(address, cpus) as (ray, parallel):
        share = _ScoreSpec(**{**spec.__dict__,
                              "concurrency": max(1, math.ceil(spec.concurrency / parallel))})
        size = max(1, min(_CHUNK, math.ceil(most / (SHARDS_PER_CPU * parallel))))
        by_name = {job.name: job for job in jobs}
        shards = _shards(store, run_id, jobs, size)
        counted = [0]

        def done(saved: dict[str, int]) -> None:
            counted[0] += 1
            for name, n in saved.items():
                job = by_name[name]
                job.done += n
                job.report()

        workers = start_workers(ray, ScoreWorker, parallel, share)
        try:
            await drive_workers(workers, shards,
                                lambda worker, shard: worker.score.remote(shard), done)
        except BaseException:
            await stop_workers(ray, workers, graceful=False)
            raise
        reports = await stop_workers(ray, workers)
    return {"cpus": parallel, "shards": counted[0], "concurrency_per_worker": share.concurrency,
            "workers": reports}


def _shards(store: Store, run_id: int, jobs: list[_Job], size: int
            ) -> Iterator[list[ResultRecord]]:
    """The answers some metric has still to score, ``size`` at a time, read a page at a time
    (only the shards handed out are held)."""
    for page in store.iter_results(run_id, ok=True, page=_CHUNK):
        _, wanted = _pending(jobs, page)
        for start in range(0, len(wanted), size):
            yield wanted[start:start + size]
