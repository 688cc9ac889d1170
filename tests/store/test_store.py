"""The SQLite store: schema versioning, concurrent writers, crash safety, clear errors."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agility.errors import RunExists, StoreError, UsageError
from agility.store import (
    SCHEMA_VERSION,
    NewEvent,
    NewReview,
    NewRun,
    ResultRecord,
    RunRecord,
    ScoreRecord,
    Store,
)


def _run(store: Store, name: str = "r1") -> RunRecord:
    return store.create_run(
        NewRun(name=name, model_spec="mock/echo", tool_version="test", started_at="t0")
    )


def test_new_store_is_wal_and_at_current_schema_version(tmp_path: Path) -> None:
    store = Store(tmp_path / "nested" / "a.db")
    assert store.schema_version == SCHEMA_VERSION
    mode = store.query("PRAGMA journal_mode")[0][0]
    assert mode.lower() == "wal"


def test_store_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this agility knows"):
        Store(path)


def test_unwritable_store_path_says_so(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the store's folder"):
        Store(blocker / "sub" / "a.db")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_folder_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="not writable"):
            Store(folder / "a.db")
    finally:
        folder.chmod(0o700)


def test_results_scores_reviews_and_events_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    run = _run(store)
    store.save_result(run.id, ResultRecord(example_id="e1", output="hi", ttft_ms=12.5,
                                           latency_ms=40.0, input_tokens=7, output_tokens=None))
    store.save_result(run.id, ResultRecord(example_id="e2", error="boom", attempts=3))
    got = {r.example_id: r for r in store.results(run.id)}
    assert got["e1"].ttft_ms == 12.5 and got["e1"].output_tokens is None  # not measured stays None
    assert got["e2"].error == "boom" and got["e2"].attempts == 3
    assert store.finished_keys(run.id) == {("e1", 0)}  # failed examples are not "finished"

    store.save_scores(run.id, [ScoreRecord(example_id="e1", metric="em", score=1.0,
                                           raw={"judge": "x"}, judge_prompt_version="v2")])
    [score] = store.scores(run.id, "em")
    assert score.raw == {"judge": "x"} and score.judge_prompt_version == "v2"
    assert store.metrics_of(run.id) == ["em"]

    review = store.add_review(NewReview(run_id=run.id, example_id="e1", reviewer="sme",
                                           verdict="correct"))
    assert review.id is not None and store.reviews(run.id)[0].verdict == "correct"
    store.log_event(NewEvent(kind="canary.stage", subject="mig", payload={"percent": 5}))
    assert store.events(subject="mig")[0].payload == {"percent": 5}


def test_duplicate_run_name_is_a_usage_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    _run(store, "same")
    with pytest.raises(RunExists) as raised:
        _run(store, "same")
    assert raised.value.run == "same" and isinstance(raised.value, UsageError)


def test_require_run_names_known_runs(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    _run(store, "baseline")
    with pytest.raises(UsageError, match="baseline"):
        store.require_run("nope")


def _writer(path: str, run_id: int, worker: int, n: int) -> None:
    store = Store(path)
    for i in range(n):
        store.save_result(run_id, ResultRecord(example_id=f"w{worker}-{i}", output="x" * 200))
    store.close()


def test_concurrent_writer_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    store = Store(path)
    run = _run(store)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), run.id, w, 150)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert len(store.results(run.id)) == 600
    assert store.query("PRAGMA integrity_check")[0][0] == "ok"


def test_kill_9_mid_write_loses_at_most_the_row_being_written(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    store = Store(path)
    run = _run(store)
    progress = tmp_path / "progress"
    script = textwrap.dedent(f"""
        import os
        from agility.store import Store, ResultRecord
        store = Store({str(path)!r})
        i = 0
        while True:
            store.save_result({run.id}, ResultRecord(example_id=f"e{{i}}", output="y" * 500))
            with open({str(progress)!r} + ".tmp", "w") as fh:
                fh.write(str(i + 1))
            os.replace({str(progress)!r} + ".tmp", {str(progress)!r})  # atomic: never half-written
            i += 1
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if progress.exists() and int(progress.read_text()) >= 200:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    acknowledged = int(progress.read_text())
    reopened = Store(path)
    stored = len(reopened.results(run.id))
    # every write acknowledged before the kill survived; at most one more was in flight
    assert acknowledged <= stored <= acknowledged + 1
    assert reopened.query("PRAGMA integrity_check")[0][0] == "ok"
