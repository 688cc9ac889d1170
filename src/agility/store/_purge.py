"""Deleting what is past retention, or one run on request, leaving a tombstone event.

Rows only, no policy: :mod:`agility.governance` turns a plan's ``retention:`` into the cut-off
times given here. What each kind removes:

- ``raw_outputs``: answers (``results.output``) and judges' raw replies, and the payloads of
  the ``model.call`` events that hold them;
- ``prompts``: the rendered prompts, retrieved contexts and documents of results, and the
  payloads of ``model.call`` events;
- ``reviews``: review rows (their flags go with them);
- ``audit``: the oldest events themselves, through the last one older than the cut-off.

An emptied payload keeps its digest, so the audit chain still verifies; the tombstone
(``store.purge``) names the events it emptied and, when events were deleted, the last deleted
event's hash: the first remaining event links to it (see :mod:`._audit`).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from agility.store._audit import PURGE_KIND, current_actor, id_ranges
from agility.store._rows import EVENT_INSERT

__all__ = ["PurgeReport", "purge_rows"]

_PROMPT_DETAILS = ("prompt", "contexts", "retrieved")


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed (counts per kind) and the tombstone event's id."""

    outputs: int = 0
    prompts: int = 0
    reviews: int = 0
    events_deleted: int = 0
    payloads_emptied: int = 0
    runs_deleted: list[str] = field(default_factory=list)
    tombstone_id: int | None = None

    @property
    def nothing(self) -> bool:
        """True when nothing was removed."""
        return not (self.outputs or self.prompts or self.reviews or self.events_deleted
                    or self.payloads_emptied or self.runs_deleted)


def _empty_payloads(conn: sqlite3.Connection, where: str, params: tuple[Any, ...],
                    now: str) -> list[int]:
    ids = [r[0] for r in conn.execute(
        f"SELECT id FROM events WHERE payload_purged_at IS NULL AND ({where})", params)]
    conn.executemany("UPDATE events SET payload_json='{}', payload_purged_at=? WHERE id=?",
                     [(now, i) for i in ids])
    return ids


def _strip_prompts(conn: sqlite3.Connection, cutoff: str) -> int:
    rows = conn.execute("SELECT rowid, extra_json FROM results WHERE created_at < ?",
                        (cutoff,)).fetchall()
    changed = 0
    for rowid, extra in rows:
        details = json.loads(extra or "{}")
        if any(k in details for k in _PROMPT_DETAILS):
            for key in _PROMPT_DETAILS:
                details.pop(key, None)
            conn.execute("UPDATE results SET extra_json=? WHERE rowid=?",
                         (json.dumps(details, sort_keys=True), rowid))
            changed += 1
    return changed


def purge_rows(conn: sqlite3.Connection, *, now: str, cutoffs: dict[str, str],
               run: str | None = None, retention: dict[str, Any] | None = None,
               actor: str | None = None) -> PurgeReport:
    """Purge inside the caller's transaction and write the tombstone event.

    Args:
        conn: a connection inside a write transaction.
        now: the time of the purge (ISO 8601).
        cutoffs: kind (``raw_outputs``, ``prompts``, ``reviews``, ``audit``) → ISO time;
            what was created before it goes.
        run: also delete this run (results, scores, reviews) and empty its calls' payloads.
        retention: the policy, recorded in the tombstone.
        actor: who purged (None: the process's actor).
    """
    emptied: list[int] = []
    outputs = prompts = reviews = 0
    runs_deleted: list[str] = []
    if run is not None:
        row = conn.execute("SELECT id FROM runs WHERE name=?", (run,)).fetchone()
        if row is not None:
            conn.execute("DELETE FROM runs WHERE id=?", (row[0],))
            runs_deleted.append(run)
        emptied += _empty_payloads(conn, "subject=? AND kind='model.call'", (run,), now)
    cutoff = cutoffs.get("raw_outputs")
    if cutoff:
        outputs = conn.execute("UPDATE results SET output=NULL WHERE created_at < ? AND "
                               "output IS NOT NULL", (cutoff,)).rowcount
        conn.execute("UPDATE scores SET raw_json=NULL WHERE created_at < ?", (cutoff,))
        emptied += _empty_payloads(conn, "kind='model.call' AND created_at < ?", (cutoff,), now)
    cutoff = cutoffs.get("prompts")
    if cutoff:
        prompts = _strip_prompts(conn, cutoff)
        emptied += _empty_payloads(conn, "kind='model.call' AND created_at < ?", (cutoff,), now)
    cutoff = cutoffs.get("reviews")
    if cutoff:
        reviews = conn.execute("DELETE FROM reviews WHERE created_at < ?", (cutoff,)).rowcount
    deleted: dict[str, Any] | None = None
    cutoff = cutoffs.get("audit")
    if cutoff:
        last = conn.execute("SELECT id, entry_hash FROM events WHERE created_at < ? "
                            "ORDER BY id DESC LIMIT 1", (cutoff,)).fetchone()
        if last is not None:
            count = conn.execute("DELETE FROM events WHERE id <= ?", (last[0],)).rowcount
            deleted = {"through_id": last[0], "last_hash": last[1], "count": count}
            emptied = [i for i in emptied if i > last[0]]
    report = PurgeReport(outputs=outputs, prompts=prompts, reviews=reviews,
                         events_deleted=0 if deleted is None else deleted["count"],
                         payloads_emptied=len(set(emptied)), runs_deleted=runs_deleted)
    payload = {"retention_days": retention, "cutoffs": cutoffs, "run": run,
               "outputs_removed": outputs, "prompts_removed": prompts,
               "reviews_deleted": reviews, "runs_deleted": runs_deleted,
               "payloads_emptied": id_ranges(emptied), "events_deleted": deleted}
    cur = conn.execute(EVENT_INSERT, (PURGE_KIND, run, actor or current_actor(),
                                      json.dumps(payload, sort_keys=True), now))
    return PurgeReport(**{**report.__dict__, "tombstone_id": cur.lastrowid})
