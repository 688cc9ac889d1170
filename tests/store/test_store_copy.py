"""`agility store migrate`: a SQLite store copied into a real PostgreSQL server, ids kept,
verified by row counts and digests, safe to run again, and honest when the stores differ."""

from __future__ import annotations

import uuid
from pathlib import Path

from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.store import (
    MigrationRecord,
    NewEvent,
    NewQueueItem,
    NewReview,
    NewRun,
    ResultRecord,
    RolloutRecord,
    ScoreRecord,
    Store,
    copy_store,
    utc_now,
)
from agility.store._copy import COPY_ORDER
from agility.testing import PostgresServer

_register()


def _pilot(path: Path) -> Store:
    """A SQLite store with rows in every table."""
    store = Store(path)
    store.save_dataset("h1", "golden", None, 1, {"n": 2},
                       [("e1", "r1", "test", "a", '{"id": "e1"}'),
                        ("e2", "r2", "test", "b", '{"id": "e2"}')])
    source = store.create_run(NewRun(name="src", model_spec="mock/a", tool_version="t",
                                     started_at=utc_now(), dataset_hash="h1"))
    target = store.create_run(NewRun(name="tgt", model_spec="mock/b", tool_version="t",
                                     started_at=utc_now(), dataset_hash="h1"))
    for run in (source, target):
        store.save_results(run.id, [
            ResultRecord(example_id="e1", error="boom"),
            ResultRecord(example_id="e2", output="two", latency_ms=12.25, input_tokens=3)])
        store.save_result(run.id, ResultRecord(example_id="e1", output="one", cost_usd=1e-7))
        store.save_scores(run.id, [ScoreRecord(example_id="e1", metric="em", score=1.0,
                                               passed=True, raw={"x": [1, 2]})])
    store.cache_put("k", {"text": "cached"})
    account = store.create_account("ann", "reviewer", "scrypt$fake")
    store.create_session("sess-hash", account.id, "2099-01-01T00:00:00")
    store.signing_key("review")
    queue = store.create_queue("q", source.id, target.id,
                               [NewQueueItem(example_id="e1", reasons=["random"])])
    store.assign_reviewer(queue.id, account.id)
    store.add_queue_review(NewReview(run_id=target.id, example_id="e1", reviewer="ann",
                                     verdict="incorrect", queue_id=queue.id, side="target",
                                     flags=["hallucination"]),
                           event=NewEvent(kind="review.verdict", subject="q", actor="ann"))
    store.log_event(NewEvent(kind="canary.stage", subject="m", payload={"percent": 5}))
    store.save_migration(MigrationRecord(name="m", plan_hash="p", source_run="src",
                                         target_run="tgt", lineage={"a": 1}, verdict="PASS"))
    store.save_rollout(RolloutRecord(name="m", plan_hash="p", status="running", stage=0,
                                     percent=5.0, epoch=1, stage_started_at=utc_now(),
                                     signoffs=[{"actor": "lead"}]), expected_version=None)
    store.add_rollout_counts("m", [(1, "source", 0, 5.0, {"requests": 3}),
                                   (1, "target", 0, 5.0, {"requests": 1, "errors": 1})],
                             lambda stored, delta: {**stored, **delta})
    return store


def test_a_pilot_store_moves_to_postgres_whole_and_verified(
        tmp_path: Path, postgres_server: PostgresServer) -> None:
    pilot = _pilot(tmp_path / "pilot.db")
    url = postgres_server.create_database(f"c_{uuid.uuid4().hex[:12]}")
    first = copy_store(tmp_path / "pilot.db", url)
    assert first.verified and [t.table for t in first.tables] == list(COPY_ORDER)
    assert all(t.source_rows > 0 for t in first.tables), first.tables  # every table exercised
    assert first.copied == sum(t.source_rows for t in first.tables)
    with Store(url) as team:
        for name in ("src", "tgt"):
            mine, theirs = pilot.require_run(name), team.require_run(name)
            assert theirs.id == mine.id
            assert team.results(theirs.id) == pilot.results(mine.id)  # same order too
            assert team.scores(theirs.id) == pilot.scores(mine.id)
        assert team.events() == pilot.events()
        assert team.get_rollout("m") == pilot.get_rollout("m")
        assert team.rollout_counts("m") == pilot.rollout_counts("m")
        queue = team.get_queue("q")
        assert queue is not None and team.queue_reviews(queue.id) == pilot.queue_reviews(queue.id)
        assert team.flags(queue.id)[0].kind == "hallucination"
        # ids go on after the copied ones
        new = team.create_run(NewRun(name="later", model_spec="mock/c", tool_version="t",
                                     started_at=utc_now()))
        assert new.id == max(r.id for r in pilot.list_runs()) + 1
        assert team.log_event(NewEvent(kind="k")).id == len(pilot.events()) + 1
    again = copy_store(tmp_path / "pilot.db", url)
    assert again.copied == 0 and again.verified is False  # the team wrote two rows since
    assert {t.table for t in again.tables if not t.matches} == {"runs", "events"}
    pilot.close()


def test_a_pilot_holding_a_nul_character_moves_and_verifies(
        tmp_path: Path, postgres_server: PostgresServer) -> None:
    """A model's answer holding NUL (SQLite keeps it; PostgreSQL cannot) is copied with U+FFFD
    in its place and the copy verifies; a literal backslash-u0000 stays text."""
    with Store(tmp_path / "pilot.db") as pilot:
        run = pilot.create_run(NewRun(name="n", model_spec="mock/c", tool_version="t",
                                      started_at=utc_now()))
        pilot.save_results(run.id, [ResultRecord(example_id="a", output="x\x00y"),
                                    ResultRecord(example_id="b", output="\\u0000")])
    url = postgres_server.create_database(f"c_{uuid.uuid4().hex[:12]}")
    assert copy_store(tmp_path / "pilot.db", url).verified
    with Store(url) as team:
        got = {r.example_id: r.output for r in team.results(team.require_run("n").id)}
    assert got == {"a": "x\ufffdy", "b": "\\u0000"}


def test_the_cli_copies_once_then_copies_nothing(tmp_path: Path,
                                                 postgres_server: PostgresServer) -> None:
    _pilot(tmp_path / "pilot.db").close()
    url = postgres_server.create_database(f"c_{uuid.uuid4().hex[:12]}")
    args = ["store", "migrate", "--from", str(tmp_path / "pilot.db"), "--to", url]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "every table verified" in first.output and "copied 0 rows" not in first.output
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "copied 0 rows" in second.output and "every table verified" in second.output


def test_a_destination_holding_other_rows_is_not_verified(
        tmp_path: Path, postgres_server: PostgresServer) -> None:
    _pilot(tmp_path / "pilot.db").close()
    url = postgres_server.create_database(f"c_{uuid.uuid4().hex[:12]}")
    with Store(url) as other:  # someone else's run, under the pilot's first run id
        other.create_run(NewRun(name="theirs", model_spec="mock/z", tool_version="t",
                                started_at=utc_now()))
    done = CliRunner().invoke(app, ["store", "migrate", "--from", str(tmp_path / "pilot.db"),
                                    "--to", url])
    assert done.exit_code == 1, done.output
    assert "NOT VERIFIED" in done.output and "runs" in done.output


def test_copying_a_store_onto_itself_is_refused(tmp_path: Path) -> None:
    _pilot(tmp_path / "pilot.db").close()
    done = CliRunner().invoke(app, ["store", "migrate", "--from", str(tmp_path / "pilot.db"),
                                    "--to", str(tmp_path / "pilot.db")])
    assert done.exit_code == 2 and "same store" in done.output


def test_every_table_of_the_schema_is_copied(tmp_path: Path) -> None:
    # a table added by a migration but left out of COPY_ORDER would be silently left behind;
    # the embedding cache alone is left out on purpose (vectors rebuilt on use)
    with Store(tmp_path / "agility.db") as store:
        tables = {r[0] for r in store.query(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")}
    assert tables - {"embedding_cache"} == set(COPY_ORDER)
