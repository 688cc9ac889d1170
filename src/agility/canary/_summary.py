"""What a rollout looks like from the store: for ``agility canary status``, the admin API and
the migration report (verdict, stages passed, triggers fired)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from agility.canary._spec import RolloutSpec
from agility.canary._state import stage_counts, stage_progress
from agility.store import EventRecord, Store

__all__ = ["RolloutEvent", "RolloutStatus", "rollout_events", "rollout_status"]


class RolloutEvent(BaseModel):
    """One decision of a rollout, as the audit trail holds it."""

    model_config = ConfigDict(extra="forbid")

    id: int
    kind: str
    actor: str | None
    at: str
    payload: dict[str, Any]


class RolloutStatus(BaseModel):
    """A rollout's state, its current stage's evidence and its history.

    ``verdict`` is one line: ``rolled back``, ``complete (100% on the target)``, ``paused at
    stage 2 (25%)`` or ``at stage 1 (5%)``. ``arms`` holds each arm's figures in the current
    stage (None: not measured). ``stages_passed`` and ``rollbacks`` come from the events.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    status: str
    verdict: str
    stage: int
    stages: int
    percent: float
    stage_started_at: str
    progress: dict[str, Any]
    arms: dict[str, dict[str, Any]]
    signoffs: list[dict[str, Any]]
    stages_passed: list[RolloutEvent]
    rollbacks: list[RolloutEvent]
    events: list[RolloutEvent]


def _event(record: EventRecord) -> RolloutEvent:
    return RolloutEvent(id=record.id, kind=record.kind, actor=record.actor,
                        at=record.created_at, payload=record.payload)


def rollout_events(store: Store, name: str) -> list[RolloutEvent]:
    """Every ``canary.*`` event of rollout ``name``, oldest first."""
    return [_event(e) for e in store.events(subject=name) if e.kind.startswith("canary.")]


def rollout_status(store: Store, name: str, spec: RolloutSpec) -> RolloutStatus | None:
    """The status of rollout ``name`` (None when it never started)."""
    record = store.get_rollout(name)
    if record is None:
        return None
    counts = stage_counts(store, record)
    progress = stage_progress(spec, record, counts["target"].requests)
    events = rollout_events(store, name)
    if record.status == "rolled_back":
        verdict = "rolled back"
    elif record.status == "complete":
        verdict = "complete (100% on the target)"
    else:
        where = f"stage {record.stage + 1} of {len(spec.stages)} ({record.percent:g}% target)"
        verdict = f"paused at {where}" if record.status == "paused" else f"at {where}"
    pct = spec.triggers.ttft_percentile
    return RolloutStatus(
        name=name, status=record.status, verdict=verdict, stage=record.stage + 1,
        stages=len(spec.stages), percent=record.percent,
        stage_started_at=record.stage_started_at, progress=progress.as_dict(),
        arms={arm: c.summary(pct) for arm, c in counts.items()}, signoffs=record.signoffs,
        stages_passed=[e for e in events if e.kind == "canary.stage_advanced"],
        rollbacks=[e for e in events if e.kind == "canary.rolled_back"], events=events)
