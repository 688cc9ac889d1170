"""The store on both backends (SQLite and a real PostgreSQL server): schema versioning,
concurrent writers, crash safety, clear errors."""

from __future__ import annotations

import multiprocessing
import os
import signal
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


def test_a_new_store_runs_every_migration(store_location: str) -> None:
    with Store(store_location) as store:
        assert store.schema_version == SCHEMA_VERSION
        # the last migration's tables and columns are there
        assert store.query("SELECT COUNT(*) FROM review_flags")[0][0] == 0
        assert store.query("SELECT COUNT(*) FROM reviews WHERE adjudication=0")[0][0] == 0
    with Store(store_location) as again:  # a second open migrates nothing
        assert again.schema_version == SCHEMA_VERSION


def _set_version(store: Store, version: int) -> None:
    with store.transaction() as conn:
        conn.execute(f"PRAGMA user_version={version}")


def test_store_refuses_a_newer_schema(store_location: str) -> None:
    with Store(store_location) as store:
        _set_version(store, SCHEMA_VERSION + 5)
    with pytest.raises(StoreError, match="newer than this agility knows"):
        Store(store_location)


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


def test_results_scores_reviews_and_events_round_trip(store_location: str) -> None:
    store = Store(store_location)
    run = _run(store)
    store.save_result(run.id, ResultRecord(example_id="e1", output="hi", ttft_ms=12.5,
                                           latency_ms=40.0, input_tokens=7, output_tokens=None))
    store.save_result(run.id, ResultRecord(example_id="e2", error="boom", attempts=3))
    got = {r.example_id: r for r in store.results(run.id)}
    assert got["e1"].ttft_ms == 12.5 and got["e1"].output_tokens is None  # not measured stays None
    assert got["e2"].error == "boom" and got["e2"].attempts == 3
    assert store.finished_keys(run.id) == {("e1", 0)}  # failed examples are not "finished"
    store.save_result(run.id, ResultRecord(example_id="e3", output="yo", repeat_index=1))
    # a Ray shard asks for its own examples only
    assert store.finished_keys(run.id, ["e3", "e2", "none"]) == {("e3", 1)}
    assert store.finished_keys(run.id, []) == set()

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


def test_a_result_detail_is_kept_unless_it_equals_its_default(store_location: str) -> None:
    """An empty list recorded on purpose (no tool called, no context used) reads back as an
    empty list, not as "not recorded" (None); a detail left at its default reads back as it."""
    with Store(store_location) as store:
        run = _run(store)
        store.save_results(run.id, [
            ResultRecord(example_id="none", output="a", tool_calls=[], contexts=[]),
            ResultRecord(example_id="some", output="b",
                         tool_calls=[{"name": "lookup", "arguments": {"q": "x"}}],
                         contexts=["c1"], provider_metrics={"latencyMs": 3}),
            ResultRecord(example_id="unset", output="c")])
        got = {r.example_id: r for r in store.results(run.id)}
        assert got["none"].tool_calls == [] and got["none"].contexts == []
        assert got["some"].tool_calls == [{"name": "lookup", "arguments": {"q": "x"}}]
        assert got["some"].contexts == ["c1"] and got["some"].provider_metrics == {"latencyMs": 3}
        assert got["unset"].tool_calls is None and got["unset"].contexts is None
        assert got["unset"].spans == [] and got["unset"].provider_metrics == {}


def test_a_nul_character_in_an_answer_does_not_fail_the_write(store_location: str) -> None:
    """Model output is untrusted and may hold NUL, which PostgreSQL's text cannot: the result
    is kept (SQLite: as it is; PostgreSQL: with U+FFFD in its place), alone or in a batch with
    its call's event; a literal backslash-u0000 in an answer is text and stays as written."""
    postgres = store_location.startswith("postgresql://")
    nul = "\ufffd" if postgres else "\x00"
    with Store(store_location) as store:
        run = _run(store)
        store.save_results(run.id, [ResultRecord(example_id="one", output="a\x00b")])
        store.save_results(run.id, [
            ResultRecord(example_id="two", output="\x00\x00", error="bad \x00 byte"),
            ResultRecord(example_id="lit", output="json says \\u0000 and \\\x00")],
            [NewEvent(kind="call", subject="two", payload={"output": "\x00"}),
             NewEvent(kind="call", subject="lit", payload={"output": "\\u0000"})])
        store.save_scores(run.id, [ScoreRecord(example_id="one", metric="m", score=1.0,
                                               reason="quotes a\x00b")])
        got = {r.example_id: r for r in store.results(run.id)}
        assert got["one"].output == f"a{nul}b"
        assert got["two"].output == nul * 2 and got["two"].error == f"bad {nul} byte"
        assert got["lit"].output == f"json says \\u0000 and \\{nul}"
        assert store.scores(run.id)[0].reason == f"quotes a{nul}b"
        # the events' payloads are JSON text: NUL is escaped there, kept exactly
        payloads = {e.subject: e.payload for e in store.events(kind="call")}
        assert payloads == {"two": {"output": "\x00"}, "lit": {"output": "\\u0000"}}
        assert store.verify_audit().ok


def test_a_batch_with_a_value_json_cannot_spell_is_written(store_location: str) -> None:
    """An infinite cost or a NaN time has no JSON spelling: PostgreSQL writes such a batch
    row by row (with its events, in one transaction), as SQLite writes every batch."""
    with Store(store_location) as store:
        run = _run(store)
        store.save_results(run.id, [
            ResultRecord(example_id="a", output="x", cost_usd=float("inf")),
            ResultRecord(example_id="b", output="y", ttft_ms=float("nan"))],
            [NewEvent(kind="call", subject="a", payload={}),
             NewEvent(kind="call", subject="b", payload={})])
        got = {r.example_id: r for r in store.results(run.id)}
        assert got["a"].cost_usd == float("inf") and got["b"].output == "y"
        assert [e.subject for e in store.events(kind="call")] == ["a", "b"]
        assert store.verify_audit().ok


def test_a_batch_replaces_and_orders_as_a_loop_of_single_writes(store_location: str) -> None:
    """A batch keeps the order and replacement of a loop of single writes on both backends: a
    key written twice in a batch keeps its last row, at that row's place; a key written in an
    earlier batch moves to the end."""
    with Store(store_location) as store:
        run = _run(store)
        store.save_results(run.id, [ResultRecord(example_id="old", error="boom")])
        store.save_results(run.id, [
            ResultRecord(example_id="e1", output="first"),
            ResultRecord(example_id="old", output="again", cached=True),
            ResultRecord(example_id="e2", output="two", tokens_estimated=True),
            ResultRecord(example_id="e1", output="last"),
            ResultRecord(example_id="e3", output="three", repeat_index=0),
            ResultRecord(example_id="e3", output="three, repeat 1", repeat_index=1)])
        got = store.results(run.id)
        assert [(r.example_id, r.repeat_index) for r in got] == [
            ("old", 0), ("e2", 0), ("e1", 0), ("e3", 0), ("e3", 1)]
        assert {r.example_id: r.output for r in got} == {
            "old": "again", "e2": "two", "e1": "last", "e3": "three, repeat 1"}
        assert got[0].cached and got[1].tokens_estimated and not got[2].cached
        assert store.count_results(run.id) == 5
        # a second batch on the same connection
        store.save_results(run.id, [ResultRecord(example_id=f"n{i}", output=str(i))
                                    for i in range(5)])
        assert store.count_results(run.id) == 10


def test_a_replaced_result_is_one_row_and_moves_to_the_end(store_location: str) -> None:
    with Store(store_location) as store:
        run = _run(store)
        for example in ("e1", "e2", "e3"):
            store.save_result(run.id, ResultRecord(example_id=example, error="boom"))
        store.save_result(run.id, ResultRecord(example_id="e1", output="ok"))
        assert [r.example_id for r in store.results(run.id)] == ["e2", "e3", "e1"]
        assert store.count_results(run.id) == 3 and store.finished_keys(run.id) == {("e1", 0)}
        pages = [[r.example_id for r in page] for page in store.iter_results(run.id, page=2)]
        assert pages == [["e2", "e3"], ["e1"]]


def test_duplicate_run_name_is_a_usage_error(store_location: str) -> None:
    store = Store(store_location)
    _run(store, "same")
    with pytest.raises(RunExists) as raised:
        _run(store, "same")
    assert raised.value.run == "same" and isinstance(raised.value, UsageError)


def test_require_run_names_known_runs(store_location: str) -> None:
    store = Store(store_location)
    _run(store, "baseline")
    with pytest.raises(UsageError, match="baseline"):
        store.require_run("nope")


def _writer(path: str, run_id: int, worker: int, n: int) -> None:
    store = Store(path)
    for i in range(n):
        store.save_result(run_id, ResultRecord(example_id=f"w{worker}-{i}", output="x" * 200))
    store.close()


def test_concurrent_writer_processes_lose_nothing(store_location: str) -> None:
    path = store_location
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
    if store.backend == "sqlite":
        assert store.query("PRAGMA integrity_check")[0][0] == "ok"


def test_kill_9_mid_write_loses_at_most_the_row_being_written(tmp_path: Path,
                                                              store_location: str) -> None:
    path = store_location
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
    if reopened.backend == "sqlite":
        assert reopened.query("PRAGMA integrity_check")[0][0] == "ok"
