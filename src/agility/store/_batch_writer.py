"""Result batches written from an event loop without blocking it (the runner's group commit).

SQLite writes in a worker thread (its library releases the interpreter lock while it works).
PostgreSQL writes from the loop itself over an asynchronous connection of the writer's own: a
batch is one statement (:func:`agility.store._pg.batch_statement`), and its wait for the
server is the loop's, with no thread to hand the interpreter lock to and back (which left
both idle: ``benchmarks/README.md``, "Store write speed").
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from agility.store._pg import PgAsyncWriter, PgUnreachable
from agility.store._records import NewEvent, ResultRecord

if TYPE_CHECKING:
    from agility.store._db import Store

__all__ = ["BatchWriter"]

log = logging.getLogger(__name__)


def _key_of(columns: Sequence[str], row: tuple[Any, ...]) -> dict[str, Any]:
    """The columns that tell one written result row from any other: its key and its time."""
    values = dict(zip(columns, row, strict=True))
    return {c: values[c] for c in ("run_id", "example_id", "repeat_index", "created_at")}


class BatchWriter:
    """Writes result batches of ``store`` from the running event loop; :meth:`aclose` it on
    that loop when done (a PostgreSQL store's connection).

    A PostgreSQL server that cannot be reached (a restart, a failover) is waited for, up to
    ``outage_s``, trying again with growing pauses: the results are already paid for, and a
    run that failed on them would pay for them again when resumed. A batch whose answer was
    lost with the connection is looked up before it is sent again (it is one statement: all
    of it was written or none), so no call event is written twice.

    Args:
        store: the store.
        outage_s: how long to wait for an unreachable PostgreSQL server before the write fails
            (:class:`StoreError` with ``unreachable`` set).
    """

    def __init__(self, store: Store, *, outage_s: float = 60.0) -> None:
        self._store = store
        self._pg = PgAsyncWriter(str(store.path)) if store.backend == "postgres" else None
        self.outage_s = outage_s
        #: while a batch waits for an unreachable server: when the wait gives up (monotonic)
        self.waiting_until: float | None = None

    async def save_results(self, run_id: int, results: Sequence[ResultRecord],
                           events: Sequence[NewEvent] = ()) -> None:
        """:meth:`Store.save_results` (one transaction), awaited.

        Raises:
            StoreError: the store is read-only, or refused the write (nothing of it kept).
            sqlite3.IntegrityError: a constraint was violated (a run that does not exist).
        """
        store = self._store
        if self._pg is None:
            await asyncio.to_thread(store.save_results, run_id, results, events)
            return
        store._refuse_if_read_only()
        rows, event_rows = store._result_rows(run_id, results, events)
        try:
            written = await self._write_waiting(rows, event_rows)
        except sqlite3.Error as exc:
            raise store._write_failed(exc) from exc
        finally:
            self.waiting_until = None
        if written is None:
            return  # the batch was written before its answer was lost
        if not written:  # a figure without a JSON spelling (NaN): the store's own way
            await asyncio.to_thread(store.save_results, run_id, results, events)

    async def _write_waiting(self, rows: list[tuple[Any, ...]],
                             event_rows: list[tuple[Any, ...]]) -> bool | None:
        """The PostgreSQL write, waiting out an unreachable server up to ``outage_s``;
        None when a batch sent before the connection was lost turns out written."""
        assert self._pg is not None
        store = self._store
        deadline = time.monotonic() + self.outage_s
        pause, sent = 0.1, False
        while True:
            try:
                if sent and rows and await self._pg.holds(
                        "results", _key_of(store._RESULT_COLS, rows[-1])):
                    return None
                return await self._pg.write(store._RESULT_INSERT, rows, event_rows)
            except PgUnreachable as exc:
                sent = True
                if time.monotonic() + pause > deadline:
                    raise
                if self.waiting_until is None:
                    self.waiting_until = deadline
                    log.warning("the store's server cannot be reached (%s); holding %d "
                                "results and trying again for up to %.0f s", exc, len(rows),
                                self.outage_s)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)

    async def aclose(self) -> None:
        """Close the PostgreSQL connection, if any (a later write opens it again)."""
        if self._pg is not None:
            await self._pg.aclose()
