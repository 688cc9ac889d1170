"""The rollout's state machine on a real store: every decision is one transaction with its
event and actor; a decision made on a stale version is refused; the target goes before users
only after the migration passed."""

from __future__ import annotations

from pathlib import Path

import pytest

from agility.canary import (
    advance_stage,
    flag_answer,
    pause,
    promote,
    resume,
    rollback,
    rollout_status,
    start_rollout,
)
from agility.errors import UsageError
from agility.migrate import parse_plan
from agility.store import MigrationRecord, Store

PLAN = """\
name: p
dataset: {path: golden.jsonl}
source: {name: a, model: mock/echo}
target: {name: b, model: mock/echo}
rollout:
  stages: [{percent: 5, min_requests: 3}, {percent: 25, min_requests: 3}, {percent: 100}]
"""


@pytest.fixture
def plan(tmp_path: Path) -> object:
    (tmp_path / "golden.jsonl").write_text('{"id": "q", "source_prompt": "x"}\n')
    return parse_plan(PLAN, "plan.yaml", base=tmp_path)


def _kinds(store: Store) -> list[tuple[str, str | None]]:
    return [(e.kind, e.actor) for e in store.events(subject="p") if e.kind.startswith("canary.")]


def test_the_rollout_waits_for_a_passed_migration(tmp_store: Store, plan: object) -> None:
    with pytest.raises(UsageError, match="has no verdict"):
        start_rollout(tmp_store, plan, actor="ops")
    tmp_store.save_migration(MigrationRecord(name="p", plan_hash="h", verdict="FAIL"))
    with pytest.raises(UsageError, match="has verdict FAIL"):
        start_rollout(tmp_store, plan, actor="ops")
    tmp_store.save_migration(MigrationRecord(name="p", plan_hash="h", verdict="PASS"))
    record = start_rollout(tmp_store, plan, actor="ops")
    assert (record.status, record.stage, record.percent) == ("running", 0, 5)
    started = tmp_store.events(kind="canary.started")[0]
    assert started.actor == "ops" and started.payload["migration_verdict"] == "PASS"
    assert start_rollout(tmp_store, plan, actor="other") == record  # resumes, no second start


def test_unapproved_start_is_recorded(tmp_store: Store, plan: object) -> None:
    start_rollout(tmp_store, plan, actor="ops", allow_unapproved=True)
    payload = tmp_store.events(kind="canary.started")[0].payload
    assert payload["approved"] is False and payload["migration_verdict"] is None


def test_the_last_step_needs_a_signoff(tmp_store: Store, plan: object) -> None:
    record = start_rollout(tmp_store, plan, actor="ops", allow_unapproved=True)
    record = advance_stage(tmp_store, plan, actor="auto", from_version=record.version,
                           evidence={"why": "minimums met"})
    assert (record.stage, record.percent, record.epoch) == (1, 25, 2)
    # promote before the minimums: a sign-off, no advance
    record = promote(tmp_store, plan, actor="lead", note="looks good")
    assert record.stage == 1 and record.signoffs[0]["to_stage"] == 2
    tmp_store.add_rollout_counts("p", [(record.epoch, "target", 1, 25.0, {"requests": 3})],
                                 lambda a, b: {**b})
    status = rollout_status(tmp_store, "p", plan.rollout)
    assert status.progress["signed_off"] and status.progress["target_requests"] == 3
    record = promote(tmp_store, plan, actor="lead")
    assert (record.status, record.percent) == ("complete", 100)
    assert _kinds(tmp_store) == [("canary.started", "ops"), ("canary.stage_advanced", "auto"),
                                 ("canary.signoff", "lead"), ("canary.stage_advanced", "lead")]
    with pytest.raises(UsageError, match="complete"):
        promote(tmp_store, plan, actor="lead")


def test_a_decision_on_a_stale_version_is_refused(tmp_store: Store, plan: object) -> None:
    record = start_rollout(tmp_store, plan, actor="ops", allow_unapproved=True)
    rollback(tmp_store, plan, actor="oncall", reason="bad answers")
    # the gateway decided to advance on the version before the rollback: nothing happens
    assert advance_stage(tmp_store, plan, actor="auto", from_version=record.version,
                         evidence={}) is None
    assert tmp_store.get_rollout("p").status == "rolled_back"


def test_pause_resume_rollback_and_restart(tmp_store: Store, plan: object) -> None:
    start_rollout(tmp_store, plan, actor="ops", allow_unapproved=True)
    assert pause(tmp_store, plan, actor="ops", reason="holiday").status == "paused"
    assert resume(tmp_store, plan, actor="ops").status == "running"
    rolled = rollback(tmp_store, plan, actor="oncall", reason="pager",
                      evidence={"errors": 12})
    assert (rolled.status, rolled.percent) == ("rolled_back", 0)
    assert rollback(tmp_store, plan, actor="oncall", reason="again") == rolled  # no-op
    restarted = promote(tmp_store, plan, actor="lead")
    assert (restarted.status, restarted.stage, restarted.percent) == ("running", 0, 5)
    assert restarted.epoch == rolled.epoch + 1
    event = tmp_store.events(kind="canary.rolled_back")[0]
    assert event.payload["reason"] == "pager" and event.payload["evidence"]["errors"] == 12
    # the stage's figures as they stood ride along, even for a person's rollback
    assert event.payload["evidence"]["stage_totals"]["target"]["requests"] == 0
    flag = flag_answer(tmp_store, plan, actor="sme-ann", note="invented a figure")
    assert flag.kind == "canary.sme_flag" and flag.actor == "sme-ann"
