"""Canary rollouts: their state and per-stage, per-arm counters. Rows only, no policy.

The policy (when a stage advances, what a trigger is) lives in :mod:`agility.canary`; this
module keeps the SQL. A rollout's row carries a ``version`` that every change bumps: a change
made against an older version is refused (two gateways on one store never both advance a
stage), and gateways re-read the state when the version moves. Every state change is written
with its audit event in one transaction.

Concurrency: on SQLite a write transaction (``BEGIN IMMEDIATE``) already excludes every other
writer. PostgreSQL lets transactions run side by side, so each read that a write depends on
locks its row (``SELECT … FOR UPDATE``): a second gateway's version check waits for the first
change to commit and then sees its new version, and two gateways adding counts to one row add
both (without the lock each read the same total and the last write dropped the other's
counts). A counter row that does not exist yet is first inserted empty (``INSERT OR IGNORE``,
which waits for a concurrent insert of the same row and then does nothing), so there is
always a row to lock; a rollout is created only by an insert that finds no row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agility.store._records import NewEvent
from agility.store._rows import insert_event, utc_now

__all__ = ["CanaryTables", "RolloutCountsRecord", "RolloutRecord"]


class RolloutRecord(BaseModel):
    """A canary rollout's state (one row per plan name).

    ``status`` is ``running``, ``paused`` (no automatic advance; triggers still roll back),
    ``rolled_back`` (all traffic on the source) or ``complete`` (the target has 100%).
    ``stage`` indexes the plan's stages; ``percent`` is the target's share now (0 after a
    rollback); ``epoch`` bumps at every stage change and keys the counters, so a stage's
    evidence is its own. ``signoffs`` lists ``{"to_stage", "actor", "at", "note"}``.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    plan_hash: str
    status: str
    stage: int
    percent: float
    epoch: int
    stage_started_at: str
    signoffs: list[dict[str, Any]] = Field(default_factory=list)
    version: int = 0
    created_at: str | None = None
    updated_at: str | None = None


class RolloutCountsRecord(BaseModel):
    """One arm's counters in one epoch of a rollout (``counts`` is the canary's JSON form)."""

    model_config = ConfigDict(extra="forbid")

    rollout: str
    epoch: int
    arm: str
    stage: int
    percent: float
    counts: dict[str, Any]
    updated_at: str


class CanaryTables:
    """Store methods over ``canary_rollouts`` and ``canary_counters`` (a mixin of Store)."""

    # provided by Store
    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:  # pragma: no cover
        raise NotImplementedError

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:  # pragma: no cover
        raise NotImplementedError

    @property
    def _for_update(self) -> str:  # pragma: no cover
        raise NotImplementedError

    def get_rollout(self, name: str) -> RolloutRecord | None:
        """The rollout of plan ``name``, or None when it never started."""
        rows = self.query("SELECT * FROM canary_rollouts WHERE name = ?", (name,))
        return _rollout_from_row(rows[0]) if rows else None

    def save_rollout(self, record: RolloutRecord, *, expected_version: int | None,
                     event: NewEvent | None = None) -> RolloutRecord | None:
        """Write a rollout's new state (and its event) if nobody changed it meanwhile.

        Args:
            record: the new state (its ``version`` is ignored: the store bumps it).
            expected_version: the version the change was decided on; None creates the rollout
                (refused if it exists).
            event: the audit event of the change, written in the same transaction.

        Returns:
            the stored state, or None when the rollout changed (or exists) meanwhile: re-read
            it and decide again.
        """
        now = utc_now()
        with self.transaction() as conn:
            if expected_version is None:
                stored = record.model_copy(update={"version": 1, "created_at": now,
                                                   "updated_at": now})
                # the insert itself decides who creates it: of two gateways starting the
                # same rollout at once, the second inserts nothing (it waits on PostgreSQL
                # for the first to commit) and is told to re-read
                verb = "INSERT OR IGNORE"
            else:
                row = conn.execute("SELECT version, created_at FROM canary_rollouts WHERE "
                                   "name = ?" + self._for_update, (record.name,)).fetchone()
                if row is None or row["version"] != expected_version:
                    return None
                stored = record.model_copy(update={"version": row["version"] + 1,
                                                   "created_at": row["created_at"],
                                                   "updated_at": now})
                verb = "INSERT OR REPLACE"
            written = conn.execute(
                f"{verb} INTO canary_rollouts (name, plan_hash, status, stage, percent,"
                " epoch, stage_started_at, signoffs_json, version, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (stored.name, stored.plan_hash, stored.status, stored.stage, stored.percent,
                 stored.epoch, stored.stage_started_at, json.dumps(stored.signoffs),
                 stored.version, stored.created_at, stored.updated_at))
            if written.rowcount != 1:
                return None
            if event is not None:
                insert_event(conn, event.model_copy(update={"created_at": event.created_at
                                                            or now}))
        return stored

    def add_rollout_counts(self, rollout: str,
                           deltas: Iterable[tuple[int, str, int, float, dict[str, Any]]],
                           merge: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]],
                           ) -> None:
        """Add counts to a rollout's counters, in one transaction.

        Args:
            rollout: the rollout's name.
            deltas: ``(epoch, arm, stage, percent, counts)`` to add.
            merge: ``merge(stored, delta) -> total`` (the canary knows the counts' form).
        """
        now = utc_now()
        # rows are locked in one order (epoch, arm), so two gateways adding to the same two
        # arms never wait on each other in a cycle
        ordered = sorted(deltas, key=lambda d: (d[0], d[1]))
        with self.transaction() as conn:
            for epoch, arm, stage, percent, delta in ordered:
                select = ("SELECT counts_json FROM canary_counters WHERE rollout = ? AND "
                          "epoch = ? AND arm = ?" + self._for_update)
                row = conn.execute(select, (rollout, epoch, arm)).fetchone()
                if row is None:  # the arm's first counts in this epoch: a row to lock
                    conn.execute(
                        "INSERT OR IGNORE INTO canary_counters (rollout, epoch, arm, stage, "
                        "percent, requests, errors, counts_json, updated_at) "
                        "VALUES (?,?,?,?,?,0,0,'{}',?)", (rollout, epoch, arm, stage, percent, now))
                    row = conn.execute(select, (rollout, epoch, arm)).fetchone()
                total = merge(json.loads(row["counts_json"]), delta)
                conn.execute(
                    "UPDATE canary_counters SET stage = ?, percent = ?, requests = ?, "
                    "errors = ?, counts_json = ?, updated_at = ? WHERE rollout = ? AND "
                    "epoch = ? AND arm = ?",
                    (stage, percent, int(total.get("requests", 0)),
                     int(total.get("errors", 0)), json.dumps(total), now, rollout, epoch, arm))

    def rollout_counts(self, rollout: str, epoch: int | None = None
                       ) -> list[RolloutCountsRecord]:
        """A rollout's counters (of one epoch, or all), oldest epoch first."""
        sql = "SELECT * FROM canary_counters WHERE rollout = ?"
        params: list[Any] = [rollout]
        if epoch is not None:
            sql += " AND epoch = ?"
            params.append(epoch)
        rows = self.query(sql + " ORDER BY epoch, arm", params)
        return [RolloutCountsRecord(rollout=r["rollout"], epoch=r["epoch"], arm=r["arm"],
                                    stage=r["stage"], percent=r["percent"],
                                    counts=json.loads(r["counts_json"]),
                                    updated_at=r["updated_at"]) for r in rows]


def _rollout_from_row(row: sqlite3.Row) -> RolloutRecord:
    data = dict(row)
    data["signoffs"] = json.loads(data.pop("signoffs_json"))
    return RolloutRecord(**data)

