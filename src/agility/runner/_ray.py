"""The Ray executor: a run's examples spread over the workers of a Ray cluster.

The driver prepares the run as the local executor does (dataset checks, the run record, its
lease, what a resume skips), then cuts the pending (example, repeat) pairs into shards, several
per CPU of the cluster. The workers are Ray actors, one per CPU (:class:`RunWorker`): each opens
the same store (a ``postgresql://`` URL for a cluster of several hosts; a SQLite file works for
a cluster on one machine) and builds the provider and its client on its first shard and keeps
them, so a local model (``llamacpp/``) is loaded once per worker, not once per shard, and a
hosted model's connection pool is reused. A worker runs a shard with the same per-call code as
a local run (:func:`call_example`) under bounded concurrency, writes each result as it
completes, and takes the next shard when it is done. The driver keeps the run's lease beating
while it waits, and adds the results up into the same :class:`RunSummary`.

Faults: a worker whose process dies is restarted (on another node if its node is gone) and
given its shard again (:mod:`agility._ray`); the shard first reads which of its pairs already
have a successful result and calls only the others, so a killed worker's examples are retried
without paying twice for the ones it had finished. Resume works across executors: both skip
what has a successful result.

Privacy: a run under a policy that masks what is sent or stored hands the workers its
masker's settings (:meth:`agility.governance.PiiMasker.settings`, the ``hash`` key included),
and each worker masks exactly as the driver would: the same tokens for the same values, in
the messages sent and in the results and call events written. A pseudonymizing masker is
refused (its numbering lives in the driver's memory).

Limits: the run's ``rate_limit`` is global: one Ray actor (:class:`TokenBuckets`) holds its
token buckets and every worker's client waits on it before each call (:class:`SharedLimiter`),
so the cluster as a whole stays within it and a worker that is idle leaves its share to the
others. ``concurrency`` (calls in flight) is divided between the workers. Both, and each
worker's report (shards run, models loaded), are recorded in the run's ``meta["executor"]``.

``ray`` (the ``ray`` extra) is imported only when this executor is used.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agility._ray import (
    SHARD_RETRIES,
    drive_workers,
    model_loads,
    plan_shards,
    ray_cluster,
    start_workers,
    stop_workers,
    worker_identity,
)
from agility._sync import LoopThread
from agility.chat import GenerationConfig
from agility.client import Client, RateLimit, RateLimiter, RetryPolicy
from agility.pricing import Price
from agility.prompts import PromptTemplate
from agility.runner._call import CallContext, call_event, call_example, mask_result
from agility.runner._tally import Tally
from agility.runner._writer import ResultWriter
from agility.store import Store

__all__ = ["RayShardSpec", "RunWorker", "SharedLimiter", "TokenBuckets", "plan_shards",
           "run_on_ray"]


@dataclass(frozen=True)
class RayShardSpec:
    """What every shard of one run needs (sent to each Ray task)."""

    store: str
    run_id: int
    model: str
    provider_options: dict[str, Any]
    template: PromptTemplate | None
    config: GenerationConfig | None
    price: Price | None
    rate_limit: RateLimit | None
    retry: RetryPolicy
    timeout_s: float
    concurrency: int
    extra_cost_usd: float
    cache: bool
    #: the run's name and who runs it: each call is an audit event (``model.call``) written
    #: by the task, in the name of the actor of the process that started the run
    run_name: str = ""
    actor: str | None = None
    #: a privacy policy's masker, as :meth:`agility.governance.PiiMasker.settings` gives it
    #: (its ``hash`` key included: the worker already holds the unmasked rows it is handed),
    #: rebuilt on each worker; what it masks: the messages sent, what is stored
    masking: dict[str, Any] | None = field(default=None, repr=False)
    mask_providers: bool = False
    mask_store: bool = False


@dataclass
class ShardOutcome:
    """What one shard did (returned by its Ray task)."""

    done: int = 0
    errors: int = 0
    cached: int = 0
    empty: int = 0
    cost_usd: float | None = None
    throttled: int = 0
    already_done: int = 0
    messages: dict[str, int] = field(default_factory=dict)


class TokenBuckets:
    """A Ray actor holding one run's rate limits for the whole cluster (a :class:`RateLimiter`:
    waiters are served in turn)."""

    def __init__(self, limit: RateLimit) -> None:
        self.limiter = RateLimiter(limit)

    async def acquire(self, estimated_tokens: int) -> None:
        """Return when one request of about ``estimated_tokens`` tokens may be sent."""
        await self.limiter.acquire(estimated_tokens)

    async def correct(self, estimated_tokens: int, actual_tokens: int | None) -> None:
        """Replace a call's estimate by the tokens the provider reported."""
        self.limiter.correct(estimated_tokens, actual_tokens)


class SharedLimiter(RateLimiter):
    """A client's rate limiter whose buckets are a :class:`TokenBuckets` actor shared by every
    worker of a run (each call waits for the actor's grant: one round trip within the
    cluster)."""

    def __init__(self, buckets: Any) -> None:
        super().__init__(None)
        self._buckets = buckets

    @property
    def active(self) -> bool:
        return True

    async def acquire(self, estimated_tokens: int) -> None:
        await asyncio.wrap_future(self._buckets.acquire.remote(estimated_tokens).future())

    def correct(self, estimated_tokens: int, actual_tokens: int | None) -> None:
        if actual_tokens is not None:  # sent, not awaited: the next acquire sees it in order
            self._buckets.correct.remote(estimated_tokens, actual_tokens)


class RunWorker:
    """A Ray actor running shards of one run: opens the store and builds the provider and its
    client on its first shard and keeps them for the next ones (closed by :meth:`close`).

    Its methods are synchronous and run each shard on the worker's own event loop, in a
    thread of its own and kept from shard to shard (the client's connections live on it):
    uvloop's when installed, as a local run's, where Ray's loop for an async actor is
    asyncio's own (more CPU per call).
    """

    def __init__(self, spec: RayShardSpec, buckets: Any = None) -> None:
        self.spec = spec
        self.buckets = buckets  # the run's TokenBuckets actor, when it has a rate limit
        self.store: Store | None = None
        self.ctx: CallContext | None = None
        self.client: Client | None = None
        self.shards = 0
        self._loop = LoopThread()

    def _context(self) -> CallContext:
        from agility.providers import get_provider

        spec = self.spec
        if self.ctx is None:
            self.store = Store(spec.store)
            provider = get_provider(spec.model, spec.provider_options)
            limit = SharedLimiter(self.buckets) if self.buckets is not None \
                else spec.rate_limit
            mask = None
            if spec.masking is not None:  # the driver's masker, rebuilt here
                from agility.governance import PiiMasker

                mask = PiiMasker(**spec.masking).mask
            self.client = Client(provider, price=spec.price, rate_limit=limit,
                                 retry=spec.retry, timeout_s=spec.timeout_s,
                                 concurrency=spec.concurrency,
                                 mask=mask if spec.mask_providers else None)
            self.ctx = CallContext(store=self.store, client=self.client,
                                   template=spec.template, config=spec.config, retriever=None,
                                   extra_cost_usd=spec.extra_cost_usd, cache=spec.cache,
                                   store_mask=mask if spec.mask_store else None)
        return self.ctx

    def run(self, items: Sequence[tuple[Any, int]]) -> ShardOutcome:
        """Run one shard's (example, repeat) pairs that have no successful result yet and
        write their results."""
        return self._loop.run(self._run(items))

    async def _run(self, items: Sequence[tuple[Any, int]]) -> ShardOutcome:
        ctx = self._context()
        assert self.store is not None and self.client is not None
        # a shard run again skips these
        done = self.store.finished_keys(self.spec.run_id, {ex.id for ex, _ in items})
        todo = iter([(ex, r) for ex, r in items if (ex.id, r) not in done])
        tally = Tally()
        writer = ResultWriter(self.store, self.spec.run_id)
        throttled = self.client.throttled

        async def worker() -> None:
            for example, repeat_index in todo:
                result = mask_result(await call_example(ctx, example, repeat_index),
                                     ctx.store_mask)
                event = call_event(self.spec.run_name, self.spec.model, result)
                await writer.save(result, event.model_copy(update={"actor": self.spec.actor}))
                tally.add(result)

        try:
            await asyncio.gather(*(worker() for _ in range(self.spec.concurrency)))
        finally:
            await writer.drain()
        self.shards += 1
        return ShardOutcome(done=tally.done, errors=tally.errors, cached=tally.cached,
                            empty=tally.empty, cost_usd=tally.cost_usd,
                            throttled=self.client.throttled - throttled,
                            already_done=len(items) - tally.done,
                            messages=dict(tally.messages))

    def close(self) -> dict[str, Any]:
        """Close the client, the store and the loop; returns this worker's report."""
        try:
            if self.client is not None:
                self._loop.run(self.client.aclose())
        finally:
            self._loop.close()
            if self.store is not None:
                self.store.close()
        return {**worker_identity(), "shards": self.shards, "model_loads": model_loads()}


async def run_on_ray(spec: RayShardSpec, items: Sequence[tuple[Any, int]], store: Store, *,
                     address: str | None, cpus: int | None = None
                     ) -> tuple[Tally, int, dict[str, Any]]:
    """Run ``items`` over a Ray cluster; returns the tally of their results (read back from
    the store, so a shard that ran twice is counted once), the throttled attempts and what to
    record of the executor.

    Args:
        spec: the run's shard settings; its ``concurrency`` is the whole run's and is divided
            here between the workers; its ``rate_limit`` is held for all by one actor.
        items: the pending (example, repeat) pairs.
        store: the driver's store (the shards open ``spec.store`` themselves).
        address: the cluster (``auto``, ``ray://host:10001``, ``host:6379``); None starts a
            local cluster for this run and stops it afterwards (a cluster this process joined
            already is used as it is).
        cpus: CPUs of a local cluster started here (default: all).
    """
    async with ray_cluster(address, cpus) as (ray, parallel):
        shards = plan_shards(items, parallel)
        share = RayShardSpec(**{**spec.__dict__,
                                "concurrency": max(1, math.ceil(spec.concurrency / parallel))})
        # no CPU of its own: it only counts tokens
        buckets = None if spec.rate_limit is None else ray.remote(
            num_cpus=0, max_restarts=SHARD_RETRIES, max_task_retries=SHARD_RETRIES)(
            TokenBuckets).remote(spec.rate_limit)
        workers = start_workers(ray, RunWorker, min(parallel, len(shards)), share, buckets)
        try:
            outcomes: list[ShardOutcome] = await drive_workers(
                workers, shards, lambda worker, shard: worker.run.remote(shard))
        except BaseException:
            await stop_workers(ray, workers, graceful=False)
            raise
        finally:
            if buckets is not None:
                ray.kill(buckets, no_restart=True)
        reports = await stop_workers(ray, workers)
    pending = {(ex.id, r) for ex, r in items}
    tally = Tally()
    for page in store.iter_results(spec.run_id):
        for result in page:
            if (result.example_id, result.repeat_index) in pending:
                tally.add(result)
    record = {"kind": "ray", "address": address or "local", "cpus": parallel,
              "shards": len(shards), "concurrency_per_shard": share.concurrency,
              "rate_limit": "shared by all workers" if spec.rate_limit else None,
              "workers": reports}
    return tally, sum(o.throttled for o in outcomes), record
