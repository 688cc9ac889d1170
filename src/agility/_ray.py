"""What the Ray executors of runs and scoring share: joining a cluster, cutting work into
shards, one actor per CPU, and counting model loads per process.

Neutral: :mod:`agility.runner` (``run --executor ray``) and :mod:`agility.metrics`
(``score --executor ray``) both use it, so neither imports the other for it. ``ray`` (the
``ray`` extra) is imported only when a function here is called.

Workers are Ray actors, one per CPU of the cluster, each an asyncio actor running one shard at
a time: what a worker builds once (a local model, the embedding model, a judge's client, a store
connection) is kept for all the shards it runs. An actor whose process dies is restarted (on
another node if its node is gone) and the shard it was running is sent to it again
(``max_restarts`` / ``max_task_retries``); a shard that runs again first reads what its earlier
attempt wrote, so finished work is not paid twice.
"""

from __future__ import annotations

import asyncio
import math
import os
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from agility.errors import UsageError

__all__ = ["SHARDS_PER_CPU", "SHARD_RETRIES", "check_reachable", "drive_workers", "import_ray", "model_loads",
           "note_model_load", "plan_shards", "ray_cluster", "shared_location", "start_workers",
           "stop_workers", "worker_identity"]

#: shards per CPU of the cluster: small enough that a killed worker loses little work, large
#: enough that a shard's start-up cost is paid rarely
SHARDS_PER_CPU = 4
#: how often Ray restarts a dead worker (and sends it the shard it was running)
SHARD_RETRIES = 3

T = TypeVar("T")
R = TypeVar("R")

_loads: dict[str, int] = {}
_loads_lock = threading.Lock()


def note_model_load(kind: str) -> None:
    """Count one model loaded into this process (``kind``: ``embedding``, ``llamacpp``...).

    Called by the model loaders when they actually load (not when they return a cached
    model), so a worker can report how many times it loaded each model.
    """
    with _loads_lock:
        _loads[kind] = _loads.get(kind, 0) + 1


def model_loads() -> dict[str, int]:
    """How many times each kind of model was loaded into this process."""
    with _loads_lock:
        return dict(_loads)


def import_ray() -> Any:
    """The ``ray`` module.

    Raises:
        UsageError: Ray is not installed (the ``ray`` extra).
    """
    try:
        import ray
    except ImportError as exc:
        raise UsageError("the Ray executor needs Ray: pip install 'agility[ray]'",
                         argument="executor") from exc
    return ray


def check_reachable(address: str) -> None:
    """Refuse a ``host:port`` (or ``ray://host:port``) nobody listens on, in one line.

    Ray itself retries an unreachable head for minutes, logging as it goes; ``auto`` and other
    forms are left to Ray.

    Raises:
        UsageError: nothing accepts a connection at the address.
    """
    target = address.removeprefix("ray://")
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
    except OSError as exc:
        raise UsageError(f"no Ray cluster answers at {address} ({exc.strerror or exc}); start "
                         "one with 'ray start --head' or give its address",
                         argument="ray_address") from exc


@asynccontextmanager
async def ray_cluster(address: str | None, cpus: int | None = None
                      ) -> AsyncIterator[tuple[Any, int]]:
    """Join the Ray cluster at ``address`` (None: start a local one, stopped on exit; a cluster
    this process joined already is used as it is). Yields ``(ray, CPUs of the cluster)``."""
    ray = import_ray()
    started_here = False
    if not ray.is_initialized():
        if address is not None:
            check_reachable(address)
        ray.init(address=address, num_cpus=cpus if address is None else None,
                 include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                 configure_logging=False)
        started_here = True
    try:
        yield ray, max(1, int(ray.cluster_resources().get("CPU", 1)))
    finally:
        if started_here:
            ray.shutdown()


def shared_location(store: Any) -> str:
    """How a worker in another process and folder opens ``store`` (a SQLite file by its full
    path; a ``postgresql://`` URL as it is)."""
    return str(store.path) if store.backend == "postgres" else str(Path(store.path).resolve())


def plan_shards(items: Sequence[T], cpus: int) -> list[list[T]]:
    """Cut ``items`` into at most ``SHARDS_PER_CPU * cpus`` contiguous shards of near-equal
    size (none empty)."""
    if not items:
        return []
    n = max(1, min(len(items), SHARDS_PER_CPU * max(1, cpus)))
    size = math.ceil(len(items) / n)
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def start_workers(ray: Any, worker_class: type, count: int, *args: Any) -> list[Any]:
    """``count`` actors of ``worker_class`` (one CPU each, restarted when their process dies,
    one shard at a time), each built with ``args``."""
    actor = ray.remote(num_cpus=1, max_restarts=SHARD_RETRIES,
                       max_task_retries=SHARD_RETRIES, max_concurrency=1)(worker_class)
    return [actor.remote(*args) for _ in range(count)]


async def stop_workers(ray: Any, workers: Sequence[Any], *,
                       graceful: bool = True) -> list[dict[str, Any]]:
    """Ask each worker to close what it holds and for its report (``close()``: what it ran,
    what it loaded), then end them; ``graceful=False`` (after a failure) ends them at once,
    with no reports. A worker that cannot answer is reported as ``{"lost": True}``."""
    reports: list[dict[str, Any]] = []
    for worker in workers if graceful else ():
        try:
            reports.append(await _awaited(worker.close.remote()))
        except Exception:  # noqa: BLE001 - a dead worker has nothing to close or report
            reports.append({"lost": True})
    for worker in workers:
        ray.kill(worker, no_restart=True)
    return reports


async def _awaited(ref: Any) -> Any:
    """The outcome of a Ray ref; a failure inside the worker is raised as itself (an
    agility error keeps its type and fields, not Ray's wrapper)."""
    try:
        return await asyncio.wrap_future(ref.future())
    except Exception as exc:
        cause = getattr(exc, "cause", None)
        if type(exc).__module__.startswith("ray.") and isinstance(cause, Exception):
            raise cause from None
        raise


async def drive_workers(workers: Sequence[Any], shards: Iterable[T],
                        call: Callable[[Any, T], Any],
                        on_done: Callable[[R], None] | None = None) -> list[R]:
    """Hand ``shards`` to ``workers``, each taking the next one when it finishes its last (so
    a slow worker does not hold others' work); ``call(worker, shard)`` returns the Ray ref of
    one shard's run. ``shards`` is read lazily: only one shard per worker is held at a time.

    Returns:
        every shard's outcome (in the order they finished); ``on_done`` is told each as it
        comes.

    Raises:
        the first shard's failure (the other workers stop taking shards).
    """
    queue = iter(shards)
    outcomes: list[R] = []
    failed = asyncio.Event()

    async def feed(worker: Any) -> None:
        for shard in queue:
            if failed.is_set():
                return
            try:
                outcome: R = await _awaited(call(worker, shard))
            except BaseException:
                failed.set()
                raise
            outcomes.append(outcome)
            if on_done is not None:
                on_done(outcome)

    tasks = [asyncio.ensure_future(feed(worker)) for worker in workers]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return outcomes


def worker_identity() -> dict[str, Any]:
    """Where this worker runs: its process id and, inside Ray, its node."""
    node = None
    try:
        import ray

        if ray.is_initialized():
            node = ray.get_runtime_context().get_node_id()
    except ImportError:
        pass
    return {"pid": os.getpid(), "node": node}
