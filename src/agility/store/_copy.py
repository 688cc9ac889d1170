"""Copy one store into another (a pilot's SQLite file into the team's PostgreSQL store).

Every table is copied row for row, ids included (so runs, reviews and queues keep pointing at
each other), in an order that satisfies the foreign keys; rows already in the destination are
left alone, so a copy that stopped half-way, or a second copy of the same source, is safe to
run again. Then each table is verified on both sides: the row counts, and a digest of the rows
that does not depend on their order (the SHA-256 of the sorted SHA-256s of each row's values
as JSON; a NUL character, which PostgreSQL keeps as U+FFFD, counted as that). A destination
that holds other rows (another team's store) fails the check and says
which table differs. ``embedding_cache`` is not copied: a cache of vectors, rebuilt on use.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict

from agility.errors import StoreError
from agility.store._db import Store
from agility.store._pg import _without_nul

__all__ = ["COPY_ORDER", "StoreCopy", "TableCopy", "copy_store", "table_digest"]

#: every table of the store but the embedding cache, parents before children
COPY_ORDER: tuple[str, ...] = (
    "datasets", "dataset_rows", "runs", "results", "scores", "response_cache", "accounts",
    "auth_sessions", "auth_keys", "review_queues", "review_items", "review_assignments",
    "reviews", "review_flags", "migrations", "events", "canary_rollouts", "canary_counters",
)
_PAGE = 1000


class TableCopy(BaseModel):
    """What the copy did to one table, and how it was verified."""

    model_config = ConfigDict(extra="forbid")

    table: str
    source_rows: int
    copied: int
    already_there: int
    destination_rows: int
    digest: str
    matches: bool


class StoreCopy(BaseModel):
    """The outcome of :func:`copy_store`."""

    model_config = ConfigDict(extra="forbid")

    source: str
    destination: str
    tables: list[TableCopy]

    @property
    def verified(self) -> bool:
        """True when every table has the same rows on both sides."""
        return all(t.matches for t in self.tables)

    @property
    def copied(self) -> int:
        """Rows written by this copy (0 when it ran before)."""
        return sum(t.copied for t in self.tables)


def _columns(store: Store, table: str) -> list[str]:
    """The table's columns in the source's order, without PostgreSQL's ``rowid``."""
    if store.backend == "sqlite":
        names = [r["name"] for r in store.query(f"PRAGMA table_info({table})")]
    else:
        names = [r[0] for r in store.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name=? AND "
            "table_schema=current_schema() ORDER BY ordinal_position", (table,))]
    return [n for n in names if n != "rowid"]


def _pages(store: Store, table: str, columns: list[str]) -> Iterator[list[tuple[Any, ...]]]:
    """The table's rows, a page at a time, in the order they were written."""
    cols = ", ".join(columns)
    order = "rowid" if store.backend == "sqlite" or table in ("results", "scores") else None
    if order is None:  # a PostgreSQL table without a write order: by all columns
        order = cols
    offset = 0
    while True:
        rows = store.query(f"SELECT {cols} FROM {table} ORDER BY {order} LIMIT ? OFFSET ?",
                           (_PAGE, offset))
        if not rows:
            return
        offset += len(rows)
        yield [tuple(r) for r in rows]


def table_digest(store: Store, table: str, columns: list[str]) -> tuple[int, str]:
    """``(rows, digest)`` of a table: the digest does not depend on the rows' order."""
    hashes: list[str] = []
    for page in _pages(store, table, columns):
        for row in page:
            # PostgreSQL keeps a NUL character as U+FFFD (it cannot hold NUL): the same row
            text = json.dumps(_without_nul(row), ensure_ascii=False, separators=(",", ":"))
            hashes.append(hashlib.sha256(text.encode()).hexdigest())
    hashes.sort()
    return len(hashes), hashlib.sha256("".join(hashes).encode()).hexdigest()


def _count(store: Store, table: str) -> int:
    return int(store.query(f"SELECT COUNT(*) FROM {table}")[0][0])


def copy_store(source: Store | str, destination: Store | str, *,
               on_table: Callable[[TableCopy], None] | None = None) -> StoreCopy:
    """Copy every row of ``source`` into ``destination`` and verify the result.

    Args:
        source: the store to copy (a SQLite path, a ``postgresql://`` URL, or an open store);
            it is opened read-only.
        destination: the store to copy into (migrated to the current schema on opening).
        on_table: called with each table's outcome as it is verified.

    Returns:
        Per table: rows in the source, rows copied now, rows that were there already, and
        whether both sides hold the same rows. Check :attr:`StoreCopy.verified`.

    Raises:
        StoreError: a store cannot be opened, or the two are the same store.
    """
    src = source if isinstance(source, Store) else Store(source, read_only=True)
    dst = destination if isinstance(destination, Store) else Store(destination)
    try:
        if str(src.path) == str(dst.path):
            raise StoreError(f"the source and the destination are the same store "
                             f"({src.path}). Name another destination.", path=str(dst.path))
        tables: list[TableCopy] = []
        for table in COPY_ORDER:
            columns = _columns(src, table)
            before = _count(dst, table)
            sql = (f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) "
                   f"VALUES ({', '.join('?' for _ in columns)})")
            for page in _pages(src, table, columns):
                with dst.transaction() as conn:
                    conn.executemany(sql, page)
            dst.sync_id_sequence(table)
            after = _count(dst, table)
            src_rows, src_digest = table_digest(src, table, columns)
            dst_rows, dst_digest = table_digest(dst, table, columns)
            outcome = TableCopy(table=table, source_rows=src_rows, copied=after - before,
                                already_there=src_rows - (after - before),
                                destination_rows=dst_rows, digest=src_digest,
                                matches=src_rows == dst_rows and src_digest == dst_digest)
            tables.append(outcome)
            if on_table is not None:
                on_table(outcome)
        return StoreCopy(source=str(src.path), destination=str(dst.path), tables=tables)
    finally:
        if not isinstance(source, Store):
            src.close()
        if not isinstance(destination, Store):
            dst.close()
