"""Retention: purge past-retention data and a run on request; the chain still verifies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.governance import RetentionPolicy, purge_store
from agility.runner import run_model
from agility.store import NewEvent, Store

_register()


def _dataset(folder: Path) -> Path:
    path = folder / "golden.jsonl"
    path.write_text("".join(json.dumps({"id": f"q{i}", "source_prompt": f"secret prompt {i}",
                                        "ground_truth": "a"}) + "\n" for i in range(3)))
    return path


def _store_with_two_runs(tmp_path: Path, db: str) -> str:
    dataset = _dataset(tmp_path)
    with Store(db) as store:
        for name in ("old", "keep"):
            run_model(dataset, "mock/echo", name=name, store=store, progress=False)
    return db


def test_purging_a_run_empties_its_calls_and_the_chain_still_verifies(
        tmp_path: Path, store_location: str) -> None:
    db = _store_with_two_runs(tmp_path, store_location)
    with Store(db) as store:
        report = purge_store(store, run="old")
        assert report.runs_deleted == ["old"] and report.payloads_emptied == 3
        assert store.get_run("old") is None and store.get_run("keep") is not None
        calls = store.events(subject="old", kind="model.call")
        assert all(e.payload == {} and e.payload_purged_at for e in calls)
        (tombstone,) = store.events(kind="store.purge")
        assert tombstone.payload["runs_deleted"] == ["old"]
        assert store.verify_audit().ok
        kept = store.results(store.require_run("keep").id)
        assert kept[0].prompt_text and "secret prompt" in kept[0].prompt_text


def test_emptying_a_payload_without_a_purge_is_a_finding(
        tmp_path: Path, store_location: str, raw_database: Any) -> None:
    db = _store_with_two_runs(tmp_path, store_location)
    with raw_database(db) as conn:
        conn.execute("UPDATE events SET payload_json='{}', payload_purged_at='2030-01-01' "
                     "WHERE id=2")
    with Store(db) as store:
        first = store.verify_audit().first_broken
    assert (first.event_id, first.problem) == (2, "purged without a record")


def test_retention_purges_by_age_and_deleted_audit_events_leave_a_checkpoint(
        tmp_path: Path, store_location: str) -> None:
    db = _store_with_two_runs(tmp_path, store_location)
    later = datetime.now(UTC) + timedelta(days=40)
    with Store(db) as store:
        store.log_event(NewEvent(kind="late", created_at=(later - timedelta(days=1)).isoformat()))
        report = purge_store(store, RetentionPolicy(raw_outputs=30, prompts=30, audit=30),
                             now=later)
        assert report.outputs == 6 and report.prompts == 6
        assert report.events_deleted > 0
        results = store.results(store.require_run("keep").id)
        assert all(r.output is None and r.prompt is None for r in results)
        assert [e.kind for e in store.events()] == ["late", "store.purge"]
        verified = store.verify_audit()
        assert verified.ok and verified.checkpoint is not None
        # a second purge deletes the first tombstone too: still verifiable
        purge_store(store, RetentionPolicy(audit=0), now=later + timedelta(days=1))
        assert store.verify_audit().ok


def test_deleting_the_oldest_events_without_a_purge_is_still_found(
        tmp_path: Path, store_location: str, raw_database: Any) -> None:
    db = _store_with_two_runs(tmp_path, store_location)
    with raw_database(db) as conn:
        conn.execute("DELETE FROM events WHERE id <= 3")
    with Store(db) as store:
        assert store.verify_audit().first_broken.problem == "removed"


def test_cli_purge_reads_the_plans_retention(tmp_path: Path, store_location: str) -> None:
    db = _store_with_two_runs(tmp_path, store_location)
    plan = tmp_path / "plan.yaml"
    plan.write_text("name: p\ndataset: {path: golden.jsonl}\nsource: {name: a, model: mock/a}\n"
                    "target: {name: b, model: mock/b}\nretention: {reviews: 0, raw_outputs: 0}\n")
    done = CliRunner().invoke(app, ["store", "purge", "--plan", str(plan), "--store", db])
    assert done.exit_code == 0, done.output
    assert "6 answers" in done.output
    assert CliRunner().invoke(app, ["audit", "verify", "--store", db]).exit_code == 0
    nothing = CliRunner().invoke(app, ["store", "purge", "--store", db])
    assert nothing.exit_code == 2 and "nothing to purge" in nothing.output
    missing = CliRunner().invoke(app, ["store", "purge", "--run", "nope", "--store", db])
    assert missing.exit_code == 2


@pytest.mark.parametrize("days", [-1, "x"])
def test_retention_days_are_checked(days: object) -> None:
    with pytest.raises(ValueError):
        RetentionPolicy(raw_outputs=days)  # type: ignore[arg-type]
