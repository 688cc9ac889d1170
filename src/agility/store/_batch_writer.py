"""Result batches written from an event loop without blocking it (the runner's group commit).

SQLite writes in a worker thread (its library releases the interpreter lock while it works).
PostgreSQL writes from the loop itself over an asynchronous connection of the writer's own: a
batch is one statement (:func:`agility.store._pg.batch_statement`), and its wait for the
server is the loop's, with no thread to hand the interpreter lock to and back (which left
both idle: ``benchmarks/README.md``, "Store write speed").
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from agility.store._pg import PgAsyncWriter
from agility.store._records import NewEvent, ResultRecord

if TYPE_CHECKING:
    from agility.store._db import Store

__all__ = ["BatchWriter"]


class BatchWriter:
    """Writes result batches of ``store`` from the running event loop; :meth:`aclose` it on
    that loop when done (a PostgreSQL store's connection)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pg = PgAsyncWriter(str(store.path)) if store.backend == "postgres" else None

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
            written = await self._pg.write(store._RESULT_INSERT, rows, event_rows)
        except sqlite3.Error as exc:
            raise store._write_failed(exc) from exc
        if not written:  # a figure without a JSON spelling (NaN): the store's own way
            await asyncio.to_thread(store.save_results, run_id, results, events)

    async def aclose(self) -> None:
        """Close the PostgreSQL connection, if any (a later write opens it again)."""
        if self._pg is not None:
            await self._pg.aclose()
