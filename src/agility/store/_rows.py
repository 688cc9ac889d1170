"""Row helpers every table module of the store shares: the clock, JSON columns, events.

Kept apart from ``_db`` so that table modules (accounts, review queues) can write an audit
event in the same transaction as the rows it describes.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from agility.store._audit import current_actor
from agility.store._records import EventRecord, NewEvent

__all__ = ["EVENT_INSERT", "dump_json", "event_values", "insert_event", "utc_now"]

#: how an event is appended (the chain trigger fills its digest and links)
EVENT_INSERT = ("INSERT INTO events (kind, subject, actor, payload_json, created_at) "
                "VALUES (?,?,?,?,?)")


def utc_now() -> str:
    """The current time as an ISO 8601 UTC string (what the store records)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def dump_json(value: Any) -> str:
    """The JSON text the store keeps in a ``*_json`` column (sorted keys, UTF-8)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def event_values(event: NewEvent, now: str | None = None) -> tuple[Any, ...]:
    """The parameters of :data:`EVENT_INSERT` for ``event``: an event that names no actor is
    the process's (``--actor``, ``$AGILITY_ACTOR``, the OS user)."""
    return (event.kind, event.subject, event.actor or current_actor(),
            dump_json(event.payload), event.created_at or now or utc_now())


def insert_event(conn: sqlite3.Connection, event: NewEvent) -> EventRecord:
    """Append ``event`` inside the caller's open transaction; returns it with its id."""
    event = NewEvent.model_validate(event.model_dump(exclude={"id"}))
    values = event_values(event)
    cur = conn.execute(EVENT_INSERT, values)
    assert cur.lastrowid is not None  # an INSERT into a rowid table always yields one
    return EventRecord(**{**event.model_dump(), "actor": values[2], "created_at": values[4]},
                       id=cur.lastrowid)
