"""The Ray executor: a run's examples spread over the tasks of a Ray cluster.

The driver prepares the run as the local executor does (dataset checks, the run record, its
lease, what a resume skips), then cuts the pending (example, repeat) pairs into shards, several
per CPU of the cluster. Each shard is one Ray task that opens the same store (a
``postgresql://`` URL for a cluster of several hosts; a SQLite file works for a cluster on one
machine), runs the same per-call code as a local run (:func:`call_example`) with bounded
concurrency, and writes each result as it completes. The driver keeps the run's lease beating
while it waits, and adds the shards' counts up into the same :class:`RunSummary`.

Faults: Ray runs a task again when its worker process dies (``max_retries``); a shard that
runs again first reads which of its pairs already have a successful result and calls only the
others, so a killed worker's examples are retried elsewhere without paying twice for the ones
it had finished. Resume works across executors: both skip what has a successful result.

Limits: the run's ``concurrency`` and ``rate_limit`` are divided between the shards that run
at once (one per CPU of the cluster), so the whole cluster stays within them; the division is
recorded in the run's ``meta["executor"]``.

``ray`` (the ``ray`` extra) is imported only when this executor is used.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agility._ray import SHARD_RETRIES, plan_shards, ray_cluster
from agility.chat import GenerationConfig
from agility.client import Client, RateLimit, RetryPolicy
from agility.pricing import Price
from agility.prompts import PromptTemplate
from agility.runner._call import CallContext, call_example
from agility.runner._tally import Tally
from agility.runner._writer import ResultWriter
from agility.store import Store

__all__ = ["RayShardSpec", "plan_shards", "run_on_ray", "run_shard"]


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


def run_shard(spec: RayShardSpec, items: Sequence[tuple[Any, int]]) -> ShardOutcome:
    """Run one shard's (example, repeat) pairs and write their results (a Ray task's body;
    also callable in-process)."""
    return asyncio.run(_arun_shard(spec, items))


async def _arun_shard(spec: RayShardSpec, items: Sequence[tuple[Any, int]]) -> ShardOutcome:
    from agility.providers import get_provider

    store = Store(spec.store)
    try:
        done = store.finished_keys(spec.run_id)  # a shard that runs again skips its results
        todo = iter([(ex, r) for ex, r in items if (ex.id, r) not in done])
        provider = get_provider(spec.model, spec.provider_options)
        client = Client(provider, price=spec.price, rate_limit=spec.rate_limit,
                        retry=spec.retry, timeout_s=spec.timeout_s,
                        concurrency=spec.concurrency)
        ctx = CallContext(store=store, client=client, template=spec.template,
                          config=spec.config, retriever=None,
                          extra_cost_usd=spec.extra_cost_usd, cache=spec.cache)
        tally = Tally()
        writer = ResultWriter(store, spec.run_id)

        async def worker() -> None:
            for example, repeat_index in todo:
                result = await call_example(ctx, example, repeat_index)
                await writer.save(result)
                tally.add(result)

        try:
            await asyncio.gather(*(worker() for _ in range(spec.concurrency)))
        finally:
            await writer.drain()
            await client.aclose()
        return ShardOutcome(done=tally.done, errors=tally.errors, cached=tally.cached,
                            empty=tally.empty, cost_usd=tally.cost_usd,
                            throttled=client.throttled,
                            already_done=len(items) - tally.done,
                            messages=dict(tally.messages))
    finally:
        store.close()


def _divided(limit: RateLimit | None, parts: int) -> RateLimit | None:
    if limit is None:
        return None
    return RateLimit(rpm=limit.rpm / parts if limit.rpm else None,
                     tpm=limit.tpm / parts if limit.tpm else None)


async def run_on_ray(spec: RayShardSpec, items: Sequence[tuple[Any, int]], store: Store, *,
                     address: str | None, cpus: int | None = None
                     ) -> tuple[Tally, int, dict[str, Any]]:
    """Run ``items`` over a Ray cluster; returns the tally of their results (read back from
    the store, so a shard that ran twice is counted once), the throttled attempts and what to
    record of the executor.

    Args:
        spec: the run's shard settings; its ``concurrency`` and ``rate_limit`` are the whole
            run's and are divided here between the shards that run at once.
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
                                "concurrency": max(1, math.ceil(spec.concurrency / parallel)),
                                "rate_limit": _divided(spec.rate_limit, parallel)})
        task = ray.remote(max_retries=SHARD_RETRIES, num_cpus=1)(run_shard)
        refs = [task.remote(share, shard) for shard in shards]
        outcomes: list[ShardOutcome] = await asyncio.gather(
            *(asyncio.wrap_future(ref.future()) for ref in refs))
    pending = {(ex.id, r) for ex, r in items}
    tally = Tally()
    for page in store.iter_results(spec.run_id):
        for result in page:
            if (result.example_id, result.repeat_index) in pending:
                tally.add(result)
    record = {"kind": "ray", "address": address or "local", "cpus": parallel,
              "shards": len(shards), "concurrency_per_shard": share.concurrency,
              "rate_limit_divided_by": parallel if spec.rate_limit else None}
    return tally, sum(o.throttled for o in outcomes), record
