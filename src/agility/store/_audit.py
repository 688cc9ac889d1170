"""The audit chain: every event is hash-chained to the one before it, in the events table.

Each event row carries ``payload_sha256`` (the SHA-256 of its payload's JSON text),
``prev_hash`` (the previous event's ``entry_hash``; ``""`` for the first) and ``entry_hash``,
the SHA-256 of the canonical JSON of::

    ["agility-audit-v1", created_at, actor, kind (the action), subject (the object),
     payload_sha256, prev_hash]

The chain is made by a trigger on the events table, so *every* insert is chained, whichever
module writes it and in whichever transaction (an event written with the rows it describes is
chained too):

- SQLite (:data:`CHAIN_TRIGGER`): an ``AFTER INSERT`` trigger calling functions this module
  registers on every connection (:func:`register_functions`). SQLite has one writer at a time,
  so the event before is always the last committed one.
- PostgreSQL (:data:`PG_CHAIN`): a PL/pgSQL ``BEFORE INSERT`` trigger computing the same
  hashes with the server's ``sha256`` and JSON escaping (which match Python's ``json.dumps``
  with ``ensure_ascii=False``). PostgreSQL has many writers, so the chain is serialised by the
  events advisory lock: the id default itself takes the lock before drawing the next id, and
  the trigger reads the previous hash only then, so ids are handed out in chain order and two
  concurrent appenders never link to the same event. The lock is transaction-scoped: it is
  held until the inserting transaction commits or rolls back.

An event without an actor gets the process's actor (the store fills it before the insert):
:func:`set_actor` (``--actor``), else ``$AGILITY_ACTOR``, else the OS user. A row inserted with
raw SQL and no actor gets it from the trigger: on SQLite the same process actor, on
PostgreSQL the database login (``session_user``), which is who wrote it.

An event inserted with its ``entry_hash`` already set (``agility store migrate`` copying a
chain from another store, with its ids) keeps its link: the copy still verifies, and a forged
link is found by the verification like any other.

Because the link covers the payload's *digest*, not the payload, retention can purge a payload
(``payload_json`` emptied, ``payload_purged_at`` set) and the chain still verifies; a purge is
itself an event naming the events it emptied, so an emptied payload that no purge names is a
finding. Whole events deleted by retention leave a checkpoint (the last deleted event's hash)
in the purge event, which the first remaining event must link to.

The id is not part of the link: the order is the chain's, so an event moved to another place
(ids swapped) shows as *reordered*, an event taken out as *removed*, a field changed as
*edited*. What a chain cannot show alone: someone able to rewrite the whole table can recompute
every later link, and the newest events can be cut off. Keep the head hash outside the store
(``agility audit verify`` prints it; the SIEM export holds every hash) and check it with
``expect_head``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from agility._actor import current_actor, set_actor

__all__ = [
    "CHAIN_TRIGGER",
    "PG_CHAIN",
    "AuditFinding",
    "AuditReport",
    "chain_existing",
    "chain_setup",
    "current_actor",
    "entry_hash",
    "event_row",
    "id_ranges",
    "payload_digest",
    "register_functions",
    "set_actor",
    "verify_chain",
]

CHAIN_VERSION = "agility-audit-v1"
#: kind of the event a purge leaves behind (its payload names what was emptied or deleted)
PURGE_KIND = "store.purge"

def payload_digest(payload_json: str | None) -> str:
    """SHA-256 of a payload's stored JSON text."""
    return hashlib.sha256((payload_json or "").encode("utf-8")).hexdigest()


def entry_hash(created_at: str | None, actor: str | None, kind: str | None,
               subject: str | None, payload_sha256: str | None, prev_hash: str | None) -> str:
    """The link of one event (see the module docstring)."""
    canonical = json.dumps([CHAIN_VERSION, created_at, actor, kind, subject, payload_sha256,
                            prev_hash or ""], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def register_functions(conn: sqlite3.Connection) -> None:
    """Give a connection the functions the chain trigger calls."""
    conn.create_function("agility_actor", 0, current_actor)
    conn.create_function("agility_sha256", 1, payload_digest, deterministic=True)
    conn.create_function("agility_event_link", 6, entry_hash, deterministic=True)


#: the trigger that chains every inserted event (part of the schema: see ``_schema``)
CHAIN_TRIGGER = """
    CREATE TRIGGER events_chain AFTER INSERT ON events WHEN NEW.entry_hash IS NULL
    BEGIN
        UPDATE events SET
            actor = COALESCE(NEW.actor, agility_actor()),
            payload_sha256 = agility_sha256(NEW.payload_json),
            prev_hash = COALESCE((SELECT entry_hash FROM events WHERE id < NEW.id
                                  ORDER BY id DESC LIMIT 1), ''),
            entry_hash = agility_event_link(
                NEW.created_at, COALESCE(NEW.actor, agility_actor()), NEW.kind, NEW.subject,
                agility_sha256(NEW.payload_json),
                COALESCE((SELECT entry_hash FROM events WHERE id < NEW.id
                          ORDER BY id DESC LIMIT 1), ''))
        WHERE id = NEW.id;
    END
"""


#: the advisory lock that serialises appends to the events table on PostgreSQL (the store's
#: PostgreSQL connection uses the same key)
EVENTS_LOCK = 7_301_190_002

#: the PostgreSQL form of the chain: the id default that takes the events lock first, the
#: trigger function and the trigger (statements in order; part of the schema: see ``_schema``)
PG_CHAIN: tuple[str, ...] = (
    f"""
    CREATE OR REPLACE FUNCTION agility_next_event_id() RETURNS integer
    LANGUAGE plpgsql VOLATILE AS $fn$
    BEGIN
        -- the lock before the id: ids are drawn in the order events join the chain
        PERFORM pg_advisory_xact_lock({EVENTS_LOCK});
        RETURN nextval(pg_get_serial_sequence('events', 'id'));
    END
    $fn$
    """,
    "ALTER TABLE events ALTER COLUMN id SET DEFAULT agility_next_event_id()",
    f"""
    CREATE OR REPLACE FUNCTION agility_chain_event() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
    DECLARE
        prev text;
    BEGIN
        IF NEW.entry_hash IS NOT NULL THEN
            RETURN NEW;  -- copied from another store with its link (store migrate)
        END IF;
        PERFORM pg_advisory_xact_lock({EVENTS_LOCK});
        NEW.actor := COALESCE(NEW.actor, session_user::text);
        NEW.payload_sha256 := encode(sha256(convert_to(COALESCE(NEW.payload_json, ''),
                                                       'UTF8')), 'hex');
        SELECT e.entry_hash INTO prev FROM events e WHERE e.id < NEW.id
            ORDER BY e.id DESC LIMIT 1;
        NEW.prev_hash := COALESCE(prev, '');
        -- the canonical JSON of entry_hash(): no spaces, strings escaped as json.dumps does
        NEW.entry_hash := encode(sha256(convert_to(
            '["{CHAIN_VERSION}",'
            || COALESCE(to_json(NEW.created_at)::text, 'null') || ','
            || COALESCE(to_json(NEW.actor)::text, 'null') || ','
            || COALESCE(to_json(NEW.kind)::text, 'null') || ','
            || COALESCE(to_json(NEW.subject)::text, 'null') || ','
            || COALESCE(to_json(NEW.payload_sha256)::text, 'null') || ','
            || to_json(NEW.prev_hash)::text || ']', 'UTF8')), 'hex');
        RETURN NEW;
    END
    $fn$
    """,
    "DROP TRIGGER IF EXISTS events_chain ON events",
    "CREATE TRIGGER events_chain BEFORE INSERT ON events FOR EACH ROW "
    "EXECUTE FUNCTION agility_chain_event()",
)


def chain_setup(backend: str) -> tuple[str, ...]:
    """The statements that install the chain trigger on ``backend`` (``sqlite`` or
    ``postgres``)."""
    return PG_CHAIN if backend == "postgres" else (CHAIN_TRIGGER,)


def chain_existing(conn: Any) -> int:
    """Chain the events a store held before it had a chain (run once, at the upgrade).

    Returns:
        how many events were chained (each keeps its time; an event without an actor is
        marked ``unknown (before the audit chain)``).
    """
    prev = ""
    rows = conn.execute("SELECT id, created_at, actor, kind, subject, payload_json FROM events "
                        "ORDER BY id").fetchall()
    for row in rows:
        actor = row["actor"] or "unknown (before the audit chain)"
        digest = payload_digest(row["payload_json"])
        link = entry_hash(row["created_at"], actor, row["kind"], row["subject"], digest, prev)
        conn.execute("UPDATE events SET actor=?, payload_sha256=?, prev_hash=?, entry_hash=? "
                     "WHERE id=?", (actor, digest, prev, link, row["id"]))
        prev = link
    return len(rows)


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """Sorted ids as ``[first, last]`` ranges (how a purge event names what it emptied)."""
    out: list[list[int]] = []
    for i in sorted(set(ids)):
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def _in_ranges(ranges: Sequence[Sequence[int]], value: int) -> bool:
    return any(low <= value <= high for low, high in ranges)


Problem = Literal["edited", "payload edited", "removed", "reordered", "unchained",
                  "purged without a record", "head missing"]


@dataclass(frozen=True)
class AuditFinding:
    """One broken link of the chain.

    Attributes:
        event_id: the event where the chain breaks (None: the head given was not found).
        kind: what the event says it is (its action).
        problem: ``edited`` (its fields no longer match its hash), ``payload edited``,
            ``removed`` (the event before it is gone), ``reordered`` (it links to an event
            that now stands elsewhere), ``unchained`` (written around the chain),
            ``purged without a record`` (payload emptied by no purge), ``head missing``.
        detail: the same in a sentence.
    """

    event_id: int | None
    kind: str | None
    problem: Problem
    detail: str

    def __str__(self) -> str:
        where = f"event {self.event_id}" + (f" ({self.kind})" if self.kind else "") \
            if self.event_id is not None else "the chain"
        return f"{where}: {self.problem}: {self.detail}"


@dataclass(frozen=True)
class AuditReport:
    """What :func:`verify_chain` found: ``ok`` when every link holds.

    ``head`` is the last event's hash (keep it outside the store to detect a cut-off tail);
    ``findings`` lists every broken link, the first first.
    """

    events: int
    head: str | None
    findings: list[AuditFinding] = field(default_factory=list)
    purged_payloads: int = 0
    checkpoint: str | None = None

    @property
    def ok(self) -> bool:
        """True when the chain holds throughout."""
        return not self.findings

    @property
    def first_broken(self) -> AuditFinding | None:
        """The first broken link, or None."""
        return self.findings[0] if self.findings else None


def _purge_records(rows: Sequence[sqlite3.Row]) -> tuple[list[list[int]], dict[str, int]]:
    """Ranges of event ids whose payloads purges emptied, and checkpoints of deleted events
    (last deleted hash → last deleted id)."""
    emptied: list[list[int]] = []
    checkpoints: dict[str, int] = {}
    for row in rows:
        if row["kind"] != PURGE_KIND or row["payload_purged_at"] is not None:
            continue
        try:
            payload = json.loads(row["payload_json"] or "{}")
        except ValueError:
            continue
        if not isinstance(payload, dict):
            continue
        for pair in payload.get("payloads_emptied") or []:
            if isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, int) for x in pair):
                emptied.append(pair)
        deleted = payload.get("events_deleted")
        if isinstance(deleted, dict) and isinstance(deleted.get("last_hash"), str) \
                and isinstance(deleted.get("through_id"), int):
            checkpoints[deleted["last_hash"]] = deleted["through_id"]
    return emptied, checkpoints


def verify_chain(conn: Any, *, expect_head: str | None = None) -> AuditReport:
    """Recompute the chain of the events table and report every broken link.

    Args:
        conn: a connection to the store.
        expect_head: a head hash recorded earlier: it must still be in the chain (an event cut
            off the end is otherwise invisible).

    Returns:
        the report (``ok``, the head, the findings in chain order).
    """
    rows = conn.execute("SELECT id, kind, subject, actor, payload_json, created_at, "
                        "payload_sha256, prev_hash, entry_hash, payload_purged_at "
                        "FROM events ORDER BY id").fetchall()
    emptied, checkpoints = _purge_records(rows)
    hashes = {row["entry_hash"]: row["id"] for row in rows if row["entry_hash"]}
    findings: list[AuditFinding] = []
    expected_prev: str | None = None  # None: the first row, checked against checkpoints
    purged = 0
    checkpoint = None
    for row in rows:
        event_id, kind = row["id"], row["kind"]
        if not row["entry_hash"]:
            findings.append(AuditFinding(event_id, kind, "unchained",
                                         "it has no hash: it was written around the chain"))
            expected_prev = None
            continue
        link = entry_hash(row["created_at"], row["actor"], kind, row["subject"],
                          row["payload_sha256"], row["prev_hash"])
        if link != row["entry_hash"]:
            findings.append(AuditFinding(event_id, kind, "edited",
                                         "its time, actor, action, object or payload digest no "
                                         "longer match its hash"))
        stored_prev = row["prev_hash"] or ""
        if expected_prev is None:
            if stored_prev and stored_prev in checkpoints:
                checkpoint = stored_prev
            elif stored_prev:
                findings.append(AuditFinding(event_id, kind, "removed",
                                             "it is the first event but links to an earlier one "
                                             "that no purge deleted: events before it were "
                                             "removed"))
        elif stored_prev != expected_prev:
            elsewhere = hashes.get(stored_prev)
            if elsewhere is not None and elsewhere != event_id:
                findings.append(AuditFinding(event_id, kind, "reordered",
                                             f"it links to event {elsewhere}, which now stands "
                                             f"elsewhere in the chain: events were reordered"))
            else:
                findings.append(AuditFinding(event_id, kind, "removed",
                                             "the event it links to is gone: an event before "
                                             "it was removed"))
        if row["payload_purged_at"] is not None:
            purged += 1
            if not _in_ranges(emptied, event_id):
                findings.append(AuditFinding(event_id, kind, "purged without a record",
                                             "its payload was emptied but no purge event "
                                             "names it"))
        elif payload_digest(row["payload_json"]) != row["payload_sha256"]:
            findings.append(AuditFinding(event_id, kind, "payload edited",
                                         "its payload no longer matches the digest in its "
                                         "link"))
        expected_prev = row["entry_hash"]
    head = rows[-1]["entry_hash"] if rows else None
    if expect_head and expect_head not in hashes and expect_head not in checkpoints:
        findings.append(AuditFinding(None, None, "head missing",
                                     f"the head {expect_head[:16]}… recorded earlier is not in "
                                     f"the chain: events were cut off its end (or the whole "
                                     f"chain was rewritten)"))
    return AuditReport(events=len(rows), head=head, findings=findings, purged_payloads=purged,
                       checkpoint=checkpoint)


def event_row(row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    """An event row as the audit export writes it (a SIEM's fields)."""
    d = dict(row)
    purged = d.get("payload_purged_at")
    return {
        "id": d["id"], "time": d["created_at"], "actor": d["actor"], "action": d["kind"],
        "object": d["subject"],
        "payload": None if purged else json.loads(d.get("payload_json") or "{}"),
        "payload_purged_at": purged, "payload_sha256": d.get("payload_sha256"),
        "prev_hash": d.get("prev_hash"), "hash": d.get("entry_hash"),
    }
