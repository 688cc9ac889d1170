"""A rollout's state and the decisions that change it: start, advance, sign off, pause,
resume, roll back, flag an answer.

Each decision is one library call that writes the new state and its audit event in one
transaction, against the version it was decided on: the CLI, the admin API and every gateway
on the store share the state through the store, and two deciders never both apply a change
(the second re-reads and decides again). Events (subject: the plan's name):
``canary.started``, ``canary.stage_advanced``, ``canary.signoff``, ``canary.paused``,
``canary.resumed``, ``canary.rolled_back``, ``canary.restarted``, ``canary.sme_flag``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from agility.canary._spec import RolloutSpec
from agility.canary._stats import ArmCounts
from agility.errors import ConfigError, UsageError
from agility.store import EventRecord, NewEvent, RolloutRecord, Store, utc_now

if TYPE_CHECKING:
    from agility.migrate import Plan

__all__ = [
    "AUTOMATIC",
    "RolloutConflict",
    "StageProgress",
    "advance_stage",
    "flag_answer",
    "pause",
    "promote",
    "require_rollout",
    "resume",
    "rollback",
    "rollout_spec",
    "sme_flags_since",
    "stage_counts",
    "stage_progress",
    "start_rollout",
]

#: the actor of the gateway's own decisions (advances when minimums are met, rollbacks)
AUTOMATIC = "agility-canary (automatic)"


class RolloutConflict(UsageError):
    """The rollout changed while a decision was being applied, and the decision no longer
    holds (for example a rollback landed first)."""


def rollout_spec(plan: Plan) -> RolloutSpec:
    """The plan's ``rollout:`` section (the playbook's defaults when it has none).

    Raises:
        ConfigError: a candidate replays recorded answers (a gateway needs live models).
    """
    for side in ("source", "target"):
        if getattr(plan, side).model is None:
            raise ConfigError(f"{plan.path or 'plan'}: {side}: the canary gateway calls live "
                              f"models; '{side}' replays recorded_outputs. Give it a model.")
    return plan.rollout or RolloutSpec()


def require_rollout(store: Store, plan: Plan) -> RolloutRecord:
    """The rollout of ``plan``.

    Raises:
        UsageError: it never started (``agility canary serve`` starts it).
    """
    record = store.get_rollout(plan.name)
    if record is None:
        raise UsageError(f"the rollout of plan '{plan.name}' has not started in {store.path}: "
                         f"start it with `agility canary serve`")
    return record


def _event(kind: str, plan: Plan, actor: str, **payload: Any) -> NewEvent:
    return NewEvent(kind=kind, subject=plan.name, actor=actor, payload=payload)


def _apply(store: Store, plan: Plan,
           decide: Callable[[RolloutRecord], tuple[RolloutRecord, NewEvent] | None],
           attempts: int = 5) -> RolloutRecord:
    """Re-read, decide and write until the write lands on the version decided on."""
    for _ in range(attempts):
        current = require_rollout(store, plan)
        decision = decide(current)
        if decision is None:
            return current
        new, event = decision
        stored = store.save_rollout(new, expected_version=current.version, event=event)
        if stored is not None:
            return stored
    raise RolloutConflict(f"the rollout of '{plan.name}' kept changing while this decision "
                          f"was applied; try again")


def start_rollout(store: Store, plan: Plan, *, actor: str,
                  allow_unapproved: bool = False) -> RolloutRecord:
    """The plan's rollout, started at its first stage if it never ran (else as it was).

    The target is put in front of users only when the migration of this plan passed
    (``agility migrate``'s verdict in the store), unless ``allow_unapproved``, which is
    recorded in the start event.

    Raises:
        UsageError: the migration has no PASS verdict and ``allow_unapproved`` is False.
        ConfigError: the plan cannot be served (see :func:`rollout_spec`).
    """
    spec = rollout_spec(plan)
    existing = store.get_rollout(plan.name)
    if existing is not None:
        return existing
    migration = store.get_migration(plan.name)
    verdict = migration.verdict if migration is not None else None
    if verdict != "PASS" and not allow_unapproved:
        state = f"verdict {verdict}" if verdict else "no verdict (it has not run)"
        raise UsageError(f"the migration of plan '{plan.name}' has {state} in {store.path}: "
                         f"the target goes before users only after it passed. Run "
                         f"`agility migrate` first, or start without its approval (recorded)",
                         argument="allow_unapproved")
    record = RolloutRecord(name=plan.name, plan_hash=plan.plan_hash or "", status="running",
                           stage=0, percent=spec.stage_percent(0), epoch=1,
                           stage_started_at=utc_now())
    event = _event("canary.started", plan, actor, stage=0, percent=record.percent,
                   migration_verdict=verdict, approved=verdict == "PASS",
                   plan_hash=plan.plan_hash,
                   migration_plan_hash=migration.plan_hash if migration else None,
                   stages=[s.model_dump() for s in spec.stages])
    stored = store.save_rollout(record, expected_version=None, event=event)
    return stored if stored is not None else require_rollout(store, plan)


def stage_counts(store: Store, record: RolloutRecord) -> dict[str, ArmCounts]:
    """Each arm's counts in the rollout's current epoch, from the store."""
    out = {"source": ArmCounts(), "target": ArmCounts()}
    for row in store.rollout_counts(record.name, record.epoch):
        out[row.arm] = ArmCounts.from_json(row.counts)
    return out


@dataclass(frozen=True)
class StageProgress:
    """How far the current stage is from advancing."""

    stage: int
    percent: float
    target_requests: int
    min_requests: int
    minutes: float
    min_minutes: float
    needs_signoff: bool
    signed_off: bool

    @property
    def minimums_met(self) -> bool:
        """Enough requests on the target and enough time."""
        return self.target_requests >= self.min_requests and self.minutes >= self.min_minutes

    @property
    def ready(self) -> bool:
        """The stage may advance now (minimums met and, for the last step, signed off)."""
        return self.minimums_met and (self.signed_off or not self.needs_signoff)

    def as_dict(self) -> dict[str, Any]:
        """The figures, for evidence and status."""
        return {"stage": self.stage, "percent": self.percent,
                "target_requests": self.target_requests, "min_requests": self.min_requests,
                "minutes": round(self.minutes, 2), "min_minutes": self.min_minutes,
                "needs_signoff": self.needs_signoff, "signed_off": self.signed_off}


def stage_progress(spec: RolloutSpec, record: RolloutRecord, target_requests: int,
                   now: datetime | None = None) -> StageProgress:
    """Where the current stage stands against its minimums."""
    now = now or datetime.now(UTC)
    minutes = (now - datetime.fromisoformat(record.stage_started_at)).total_seconds() / 60.0
    stage = spec.stages[record.stage]
    to_last = record.stage + 1 == spec.last_stage
    return StageProgress(
        stage=record.stage, percent=record.percent, target_requests=target_requests,
        min_requests=stage.min_requests, minutes=minutes, min_minutes=stage.min_minutes,
        needs_signoff=to_last and spec.require_signoff,
        signed_off=any(s.get("to_stage") == record.stage + 1 for s in record.signoffs))


def advance_stage(store: Store, plan: Plan, *, actor: str, from_version: int,
                  evidence: dict[str, Any]) -> RolloutRecord | None:
    """Move a running rollout to its next stage, if it is still at ``from_version``.

    Returns:
        the new state, or None when the rollout changed meanwhile (nothing was done).
    """
    spec = rollout_spec(plan)
    current = require_rollout(store, plan)
    if current.version != from_version or current.status != "running" or \
            current.stage >= spec.last_stage:
        return None
    stage = current.stage + 1
    new = current.model_copy(update={
        "stage": stage, "percent": spec.stage_percent(stage), "epoch": current.epoch + 1,
        "stage_started_at": utc_now(),
        "status": "complete" if stage == spec.last_stage else "running"})
    event = _event("canary.stage_advanced", plan, actor, from_stage=current.stage,
                   to_stage=stage, from_percent=current.percent, percent=new.percent,
                   evidence=evidence)
    return store.save_rollout(new, expected_version=current.version, event=event)


def promote(store: Store, plan: Plan, *, actor: str, note: str | None = None,
            force: bool = False) -> RolloutRecord:
    """Sign off the next stage, and advance to it now if its minimums are met (or ``force``).

    A rollout that was rolled back starts again at its first stage. The sign-off is what the
    last step (to 100%) waits for; without ``force``, a stage whose minimums are not met yet
    advances later, when the gateway sees them met.

    Raises:
        UsageError: the rollout never started, or it is complete.
    """
    spec = rollout_spec(plan)

    def decide(current: RolloutRecord) -> tuple[RolloutRecord, NewEvent] | None:
        now = utc_now()
        if current.status == "rolled_back":
            new = current.model_copy(update={
                "status": "running", "stage": 0, "percent": spec.stage_percent(0),
                "epoch": current.epoch + 1, "stage_started_at": now, "signoffs": []})
            return new, _event("canary.restarted", plan, actor, note=note, stage=0,
                               percent=new.percent)
        if current.status == "complete":
            raise UsageError(f"the rollout of '{plan.name}' is complete: the target has 100%")
        to_stage = current.stage + 1
        signoff = {"to_stage": to_stage, "actor": actor, "at": now, "note": note}
        signed = current.model_copy(update={"signoffs": [*current.signoffs, signoff]})
        target = stage_counts(store, current)["target"].requests
        progress = stage_progress(spec, signed, target)
        if not (force or progress.minimums_met):
            return signed, _event("canary.signoff", plan, actor, to_stage=to_stage, note=note,
                                  progress=progress.as_dict(), advanced=False)
        new = signed.model_copy(update={
            "stage": to_stage, "percent": spec.stage_percent(to_stage),
            "epoch": current.epoch + 1, "stage_started_at": now,
            "status": "complete" if to_stage == spec.last_stage
            else ("paused" if current.status == "paused" else "running")})
        return new, _event("canary.stage_advanced", plan, actor, from_stage=current.stage,
                           to_stage=to_stage, from_percent=current.percent,
                           percent=new.percent, note=note, forced=force and not
                           progress.minimums_met, evidence={"progress": progress.as_dict()})

    return _apply(store, plan, decide)


def pause(store: Store, plan: Plan, *, actor: str, reason: str | None = None) -> RolloutRecord:
    """Hold the rollout at its stage: no automatic advance (triggers still roll back)."""

    def decide(current: RolloutRecord) -> tuple[RolloutRecord, NewEvent] | None:
        if current.status != "running":
            return None
        return (current.model_copy(update={"status": "paused"}),
                _event("canary.paused", plan, actor, reason=reason, stage=current.stage,
                       percent=current.percent))

    return _apply(store, plan, decide)


def resume(store: Store, plan: Plan, *, actor: str) -> RolloutRecord:
    """Let a paused rollout advance again."""

    def decide(current: RolloutRecord) -> tuple[RolloutRecord, NewEvent] | None:
        if current.status != "paused":
            return None
        return (current.model_copy(update={"status": "running"}),
                _event("canary.resumed", plan, actor, stage=current.stage,
                       percent=current.percent))

    return _apply(store, plan, decide)


def rollback(store: Store, plan: Plan, *, actor: str, reason: str,
             evidence: dict[str, Any] | None = None) -> RolloutRecord:
    """Send every user back to the source (0% target), with the reason and the evidence.

    Rolling back a rollout that is already rolled back changes nothing.
    """

    pct = rollout_spec(plan).triggers.ttft_percentile

    def decide(current: RolloutRecord) -> tuple[RolloutRecord, NewEvent] | None:
        if current.status == "rolled_back":
            return None
        new = current.model_copy(update={"status": "rolled_back", "percent": 0.0,
                                         "epoch": current.epoch + 1,
                                         "stage_started_at": utc_now()})
        # the stage's figures as they stood, beside what the decider gave (a trigger's own)
        totals = {arm: counts.summary(pct) for arm, counts in stage_counts(store,
                                                                           current).items()}
        return new, _event("canary.rolled_back", plan, actor, reason=reason,
                           from_stage=current.stage, from_percent=current.percent,
                           evidence={**(evidence or {}), "stage_totals": totals})

    return _apply(store, plan, decide)


def flag_answer(store: Store, plan: Plan, *, actor: str, note: str | None = None,
                request_id: str | None = None) -> EventRecord:
    """Record an SME's hallucination flag on a target answer (the ``sme_hallucination_flags``
    trigger counts them since the stage began)."""
    require_rollout(store, plan)
    return store.log_event(_event("canary.sme_flag", plan, actor, arm="target", note=note,
                                  request_id=request_id))


def sme_flags_since(store: Store, plan_name: str, since: str) -> int:
    """SME hallucination flags on the target recorded at or after ``since``."""
    rows = store.query("SELECT COUNT(*) AS n FROM events WHERE subject = ? AND kind = ? "
                       "AND created_at >= ?", (plan_name, "canary.sme_flag", since))
    return int(rows[0]["n"])
