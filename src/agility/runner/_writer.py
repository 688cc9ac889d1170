"""Group commit of a run's results: each result is written as soon as the writer is free.

The runner's workers used to write each result with a blocking call on the event loop: every
write stalled every call in flight, and on PostgreSQL each write is a round trip to another
process (several milliseconds when the machine is busy). :class:`ResultWriter` writes without
blocking the loop instead (:class:`agility.store.BatchWriter`: SQLite in a worker thread,
PostgreSQL from the loop over a connection of its own), and the results that complete while
a write is in flight go together in the next one (one transaction). A worker's ``save`` returns only once its result is
committed, so the promise stays the same as one write per result: a crash or ``kill -9``
loses at most the calls in flight (here: in flight or waiting for the write in progress), and
nothing counted as done is missing from the store. A batch the store refuses (a full disk) is
written again one result at a time, so every result that still fits is kept.
"""

from __future__ import annotations

import asyncio
import logging
import time

from agility.errors import StoreError
from agility.store import NewEvent, ResultRecord, Store

__all__ = ["ResultWriter"]

log = logging.getLogger(__name__)


class ResultWriter:
    """Writes one run's results to ``store``, batching those that arrive during a write.

    Args:
        store: the store (thread-safe: it serialises its connection with a lock).
        run_id: the run the results belong to.
        max_batch: most results in one transaction.
        outage_s: how long a batch waits for an unreachable PostgreSQL server (a restart, a
            failover) before its workers are told (:class:`StoreError`, ``unreachable``).
    """

    def __init__(self, store: Store, run_id: int, *, max_batch: int = 64,
                 outage_s: float = 60.0) -> None:
        self._store = store
        self._run_id = run_id
        self._max_batch = max_batch
        self._pending: list[tuple[ResultRecord, NewEvent | None, asyncio.Future[None]]] = []
        #: results handed to the writer, and of them those stored
        self._received = self._stored = 0
        self._flushing = False
        self._task: asyncio.Task[None] | None = None
        self._sink = store.batch_writer(outage_s=outage_s)

    async def save(self, result: ResultRecord, event: NewEvent | None = None) -> None:
        """Return once ``result`` (and its audit ``event``: the call's prompt and answer, in
        the same transaction) is committed (raises what the store raised)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((result, event, done))
        self._received += 1
        if not self._flushing:
            self._flushing = True
            self._task = asyncio.get_running_loop().create_task(self._flush())
        await done

    async def _write_alone(self, record: ResultRecord, event: NewEvent | None,
                           done: asyncio.Future[None]) -> None:
        try:
            await self._sink.save_results(self._run_id, [record],
                                          [] if event is None else [event])
        except Exception as exc:  # noqa: BLE001 - handed to the waiting worker
            if not done.done():
                done.set_exception(exc)
        else:
            self._stored += 1
            if not done.done():
                done.set_result(None)

    async def drain(self) -> None:
        """Wait for the write in progress and those queued (call before closing the store:
        a worker cancelled while waiting leaves its result to be written all the same).

        Interrupted while the store's server cannot be reached, it says how long it still
        waits for the results already paid for, and that interrupting again stops now; cut
        short, it says how many of them are not stored (``--resume`` calls them again).
        """
        task = asyncio.current_task()
        until = self._sink.waiting_until
        if (task is not None and task.cancelling() and until is not None
                and self._task is not None and not self._task.done()):
            log.warning("interrupted while the store's server cannot be reached: waiting up to "
                        "%.0f s more to store the %d results already paid for; interrupt "
                        "again to stop now (--resume then calls them again)",
                        max(0.0, until - time.monotonic()), self.unsaved)
        try:
            while self._task is not None and not self._task.done():
                await asyncio.shield(self._task)
        finally:
            if self.unsaved:
                log.warning("%d results already paid for are not stored (the store could not "
                            "take them); --resume calls them again", self.unsaved)
        await self._sink.aclose()

    @property
    def unsaved(self) -> int:
        """Results handed to the writer and not stored (queued, being written, or refused)."""
        return self._received - self._stored

    async def _flush(self) -> None:
        unreachable: StoreError | None = None
        try:
            while self._pending:
                batch = self._pending[:self._max_batch]
                del self._pending[:self._max_batch]
                if unreachable is not None:
                    # the server stayed away for a whole wait: the batches behind it fail
                    # now, not after a wait each
                    for _, _, done in batch:
                        if not done.done():
                            done.set_exception(unreachable)
                    continue
                try:
                    await self._sink.save_results(self._run_id, [r for r, _, _ in batch],
                                                  [e for _, e, _ in batch if e is not None])
                except Exception as exc:  # noqa: BLE001 - retried one by one, then handed on
                    if isinstance(exc, StoreError) and exc.unreachable:
                        # the server stayed away for the writer's whole wait: single rows
                        # would each wait as long again
                        unreachable = exc
                        for _, _, done in batch:
                            if not done.done():
                                done.set_exception(exc)
                        continue
                    # keep every paid result that still fits (a full disk takes a batch's
                    # transaction but may take single rows): each worker gets its own outcome
                    for record, event, done in batch:
                        await self._write_alone(record, event, done)
                except BaseException as exc:
                    for _, _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    raise
                else:
                    self._stored += len(batch)
                    for _, _, done in batch:
                        if not done.done():
                            done.set_result(None)
        finally:
            self._flushing = False
