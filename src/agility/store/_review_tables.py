"""SME review queues, their items, assignments, verdicts and flags: rows only, no policy.

The policy (sampling, who may see what, validation) lives in :mod:`agility.review`. Each write
that a person makes (a verdict, a flag resolution, an assignment) is one transaction together
with its audit event, so nothing is ever half-written.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agility.errors import InvalidArgument, NameTaken, UnknownName
from agility.store._records import NewEvent, NewReview, ReviewRecord
from agility.store._rows import dump_json, insert_event, utc_now

__all__ = [
    "FlagRecord",
    "NewQueueItem",
    "QueueItemRecord",
    "QueueRecord",
    "ReviewTables",
    "insert_review",
    "review_from_row",
]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewQueueItem(_Row):
    """One answer to review: the example, why it was sampled, how many reviewers it needs."""

    example_id: str
    repeat_index: int = 0
    reasons: list[str] = Field(default_factory=list)
    required_reviews: int = Field(1, ge=1)


class QueueItemRecord(NewQueueItem):
    """A stored queue item, with its position in the queue."""

    queue_id: int
    position: int


class QueueRecord(_Row):
    """A review queue drawn from the comparison of two runs."""

    id: int
    name: str
    source_run_id: int
    target_run_id: int
    settings: dict[str, Any] = Field(default_factory=dict)
    created_by: str | None = None
    created_at: str


class FlagRecord(_Row):
    """A flag a reviewer raised on an answer (hallucination, safety, PII, format)."""

    id: int
    review_id: int
    queue_id: int
    example_id: str
    side: str
    kind: str
    raised_by: str
    created_at: str
    resolved_by: str | None = None
    resolved_at: str | None = None
    resolution: str | None = None

    @property
    def resolved(self) -> bool:
        """True once a lead resolved it."""
        return self.resolved_at is not None


def insert_review(conn: sqlite3.Connection, review: NewReview) -> ReviewRecord:
    """Insert ``review`` inside the caller's transaction; returns it with its id."""
    d = NewReview.model_validate(review.model_dump()).model_dump()
    d["created_at"] = d["created_at"] or utc_now()
    row = dict(d)
    row["flags_json"] = dump_json(row.pop("flags"))
    row["adjudication"] = int(row["adjudication"])
    cur = conn.execute(f"INSERT INTO reviews ({', '.join(row)}) "
                       f"VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))
    assert cur.lastrowid is not None
    return ReviewRecord(**d, id=cur.lastrowid)


def review_from_row(row: sqlite3.Row) -> ReviewRecord:
    """A :class:`ReviewRecord` from a ``reviews`` row."""
    d = dict(row)
    d["flags"] = json.loads(d.pop("flags_json") or "[]")
    d["adjudication"] = bool(d["adjudication"])
    return ReviewRecord(**d)


def _queue(row: sqlite3.Row) -> QueueRecord:
    d = dict(row)
    d["settings"] = json.loads(d.pop("settings_json"))
    return QueueRecord(**d)


def _item(row: sqlite3.Row) -> QueueItemRecord:
    d = dict(row)
    d["reasons"] = json.loads(d.pop("reasons_json"))
    return QueueItemRecord(**d)


class ReviewTables:
    """Store methods over the review tables (a mixin of Store)."""

    # provided by Store
    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:  # pragma: no cover
        raise NotImplementedError

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:  # pragma: no cover
        raise NotImplementedError

    @property
    def _for_update(self) -> str:  # pragma: no cover
        raise NotImplementedError

    # -- queues ---------------------------------------------------------------------------

    def create_queue(self, name: str, source_run_id: int, target_run_id: int,
                     items: Sequence[NewQueueItem], *, settings: dict[str, Any] | None = None,
                     created_by: str | None = None,
                     event: NewEvent | None = None) -> QueueRecord:
        """Create a queue with its items (and ``event``) in one transaction.

        Raises:
            NameTaken: a queue of that name exists.
        """
        now = utc_now()
        try:
            with self.transaction() as conn:
                cur = conn.execute(
                    "INSERT INTO review_queues (name, source_run_id, target_run_id, "
                    "settings_json, created_by, created_at) VALUES (?,?,?,?,?,?)",
                    (name, source_run_id, target_run_id, dump_json(settings or {}), created_by,
                     now))
                queue_id = cur.lastrowid
                conn.executemany(
                    "INSERT INTO review_items VALUES (?,?,?,?,?,?)",
                    [(queue_id, i, it.example_id, it.repeat_index, dump_json(it.reasons),
                      it.required_reviews) for i, it in enumerate(items)])
                if event is not None:
                    insert_event(conn, event)
        except sqlite3.IntegrityError as exc:
            raise NameTaken("review queue", name) from exc
        assert queue_id is not None
        return QueueRecord(id=queue_id, name=name, source_run_id=source_run_id,
                           target_run_id=target_run_id, settings=settings or {},
                           created_by=created_by, created_at=now)

    def get_queue(self, name: str) -> QueueRecord | None:
        """The queue called ``name``, or None."""
        rows = self.query("SELECT * FROM review_queues WHERE name=?", (name,))
        return _queue(rows[0]) if rows else None

    def list_queues(self) -> list[QueueRecord]:
        """Every queue, oldest first."""
        return [_queue(r) for r in self.query("SELECT * FROM review_queues ORDER BY id")]

    def queues_of_runs(self, source_run_id: int, target_run_id: int) -> list[QueueRecord]:
        """The queues drawn from the comparison of these two runs."""
        return [_queue(r) for r in self.query(
            "SELECT * FROM review_queues WHERE source_run_id=? AND target_run_id=? ORDER BY id",
            (source_run_id, target_run_id))]

    def queue_items(self, queue_id: int) -> list[QueueItemRecord]:
        """The queue's items in queue order."""
        return [_item(r) for r in self.query(
            "SELECT * FROM review_items WHERE queue_id=? ORDER BY position", (queue_id,))]

    # -- assignments ----------------------------------------------------------------------

    def assign_reviewer(self, queue_id: int, account_id: int, *,
                        event: NewEvent | None = None) -> bool:
        """Give an account access to a queue; False when it had it already."""
        with self.transaction() as conn:
            cur = conn.execute("INSERT OR IGNORE INTO review_assignments VALUES (?,?,?)",
                               (queue_id, account_id, utc_now()))
            if cur.rowcount and event is not None:
                insert_event(conn, event)
        return bool(cur.rowcount)

    def queue_reviewers(self, queue_id: int) -> list[str]:
        """Names of the accounts assigned to a queue."""
        return [r["name"] for r in self.query(
            "SELECT a.name FROM review_assignments r JOIN accounts a ON a.id = r.account_id "
            "WHERE r.queue_id=? ORDER BY a.name", (queue_id,))]

    def assigned_queue_ids(self, account_id: int) -> set[int]:
        """Ids of the queues an account is assigned to."""
        return {r["queue_id"] for r in self.query(
            "SELECT queue_id FROM review_assignments WHERE account_id=?", (account_id,))}

    # -- verdicts and flags ---------------------------------------------------------------

    def add_queue_review(self, review: NewReview, *, event: NewEvent | None = None
                         ) -> tuple[ReviewRecord, list[FlagRecord]]:
        """Record a verdict given in a queue, a flag row per flag it raises, and ``event``,
        all in one transaction.

        Raises:
            UnknownName: the example is not an item of the queue (nothing is written).
        """
        if review.queue_id is None or review.side is None:
            raise InvalidArgument("review", review, "a queue review names its queue and side")
        with self.transaction() as conn:
            found = conn.execute("SELECT 1 FROM review_items WHERE queue_id=? AND example_id=?",
                                 (review.queue_id, review.example_id)).fetchone()
            if found is None:
                raise UnknownName("example in this queue", review.example_id, [],
                                  argument="example_id")
            record = insert_review(conn, review)
            flags = []
            for kind in record.flags:
                cur = conn.execute(
                    "INSERT INTO review_flags (review_id, queue_id, example_id, side, kind, "
                    "raised_by, created_at) VALUES (?,?,?,?,?,?,?)",
                    (record.id, review.queue_id, record.example_id, review.side, kind,
                     record.reviewer, record.created_at))
                assert cur.lastrowid is not None
                flags.append(FlagRecord(id=cur.lastrowid, review_id=record.id,
                                        queue_id=review.queue_id, example_id=record.example_id,
                                        side=review.side, kind=kind, raised_by=record.reviewer,
                                        created_at=record.created_at or ""))
            if event is not None:
                insert_event(conn, event.model_copy(update={"payload": {
                    **event.payload, "review_id": record.id,
                    "flag_ids": [f.id for f in flags]}}))
        return record, flags

    def queue_reviews(self, queue_id: int, example_id: str | None = None) -> list[ReviewRecord]:
        """Every verdict given in a queue (or on one of its examples), oldest first."""
        if example_id is not None:
            return [review_from_row(r) for r in self.query(
                "SELECT * FROM reviews WHERE queue_id=? AND example_id=? ORDER BY id",
                (queue_id, example_id))]
        return [review_from_row(r) for r in self.query(
            "SELECT * FROM reviews WHERE queue_id=? ORDER BY id", (queue_id,))]

    def queue_verdicts(self, queue_id: int, side: str = "target"
                       ) -> list[tuple[str, str, str | None, bool]]:
        """``(example_id, reviewer, verdict, adjudication)`` of each verdict on one side,
        oldest first: who judged what, without reading whole reviews (the app's hot path)."""
        return [(r[0], r[1], r[2], bool(r[3])) for r in self.query(
            "SELECT example_id, reviewer, verdict, adjudication FROM reviews "
            "WHERE queue_id=? AND side=? ORDER BY id", (queue_id, side))]

    def flags(self, queue_id: int | None = None, *, example_id: str | None = None,
              unresolved_only: bool = False) -> list[FlagRecord]:
        """Flags, of one queue (or one of its examples) or all, oldest first."""
        sql, params = "SELECT * FROM review_flags WHERE 1=1", list[int | str]()
        if queue_id is not None:
            sql += " AND queue_id=?"
            params.append(queue_id)
        if example_id is not None:
            sql += " AND example_id=?"
            params.append(example_id)
        if unresolved_only:
            sql += " AND resolved_at IS NULL"
        return [FlagRecord(**dict(r)) for r in self.query(sql + " ORDER BY id", params)]

    def get_flag(self, flag_id: int) -> FlagRecord | None:
        """The flag with this id, or None."""
        rows = self.query("SELECT * FROM review_flags WHERE id=?", (flag_id,))
        return FlagRecord(**dict(rows[0])) if rows else None

    def resolve_flag(self, flag_id: int, resolved_by: str, resolution: str, *,
                     event: NewEvent | None = None) -> FlagRecord:
        """Mark a flag resolved (and write ``event``) in one transaction.

        Raises:
            UnknownName: no such flag.
            InvalidArgument: it was resolved already (nothing is written).
        """
        now = utc_now()
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM review_flags WHERE id=?" + self._for_update,
                               (flag_id,)).fetchone()
            if row is None:
                raise UnknownName("flag", str(flag_id), [], argument="flag_id")
            if row["resolved_at"] is not None:
                raise InvalidArgument("flag_id", flag_id,
                                      f"must be unresolved; {row['resolved_by']} resolved it at "
                                      f"{row['resolved_at']}")
            conn.execute("UPDATE review_flags SET resolved_by=?, resolved_at=?, resolution=? "
                         "WHERE id=?", (resolved_by, now, resolution, flag_id))
            if event is not None:
                insert_event(conn, event)
        return FlagRecord(**{**dict(row), "resolved_by": resolved_by, "resolved_at": now,
                             "resolution": resolution})
