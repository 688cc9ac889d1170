"""What only the PostgreSQL backend has to prove, on a real server: credentials never in the
URL or the store, several writers at once (a lease has one holder, audit events commit in id
order, concurrent first opens migrate once), clear errors, and a light core."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agility.errors import RunInProgress, StoreError
from agility.store import SCHEMA_VERSION, NewEvent, NewRun, Store, new_lease_owner, utc_now
from agility.testing import PostgresServer


@pytest.fixture()
def pg_url(postgres_server: PostgresServer) -> str:
    import uuid
    return postgres_server.create_database(f"p_{uuid.uuid4().hex[:16]}")


def test_a_url_holding_a_password_is_refused_without_showing_it(
        postgres_server: PostgresServer) -> None:
    url = postgres_server.url().replace("agility@", "agility:s3cr3t-pw@")
    with pytest.raises(StoreError, match="holds a password") as raised:
        Store(url)
    assert "s3cr3t-pw" not in str(raised.value)
    with pytest.raises(StoreError, match="holds a password") as raised:
        Store(postgres_server.url() + "?password=s3cr3t-pw")
    assert "s3cr3t-pw" not in str(raised.value)


def _env_without_password() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PGPASSWORD", "PGPASSFILE")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


_OPEN = "from agility.store import Store; s = Store({url!r}); print(s.schema_version)"


def test_the_password_comes_from_a_passfile(tmp_path: Path, pg_url: str,
                                             postgres_server: PostgresServer) -> None:
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{postgres_server.port}:*:agility:"
                        f"{postgres_server.password}\n")
    passfile.chmod(0o600)
    env = {**_env_without_password(), "PGPASSFILE": str(passfile)}
    done = subprocess.run([sys.executable, "-c", _OPEN.format(url=pg_url)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(SCHEMA_VERSION)


def test_a_wrong_password_is_one_clear_line_that_does_not_repeat_it(
        pg_url: str, tmp_path: Path) -> None:
    env = {**_env_without_password(), "PGPASSWORD": "not-the-password-xyz",
           "AGILITY_STORE": pg_url}
    done = subprocess.run([sys.executable, "-m", "agility", "runs", "list"], env=env,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2
    assert "refused the login" in done.stderr and "Traceback" not in done.stderr
    assert "not-the-password-xyz" not in done.stderr + done.stdout


def test_a_server_that_is_down_is_a_store_error(postgres_server: PostgresServer) -> None:
    import socket
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StoreError, match="cannot be reached"):
        Store(f"postgresql://agility@127.0.0.1:{port}/x?connect_timeout=5")


def test_a_lease_taken_while_another_writer_takes_it_is_refused(pg_url: str) -> None:
    """Two writers race for a run's lease: the second waits for the first's transaction and
    then sees its lease (PostgreSQL lets both read an empty lease unless the read locks)."""
    import threading

    with Store(pg_url) as mine, Store(pg_url) as theirs, Store(pg_url) as watch:
        run = mine.create_run(NewRun(name="r", model_spec="mock/x", tool_version="t",
                                     started_at=utc_now()))
        outcome: list[str] = []

        def take() -> None:
            try:
                mine.take_lease(run.id, new_lease_owner(), stale_after_s=600)
                outcome.append("won")
            except RunInProgress:
                outcome.append("refused")

        other = "another-host:4242:feed"  # a writer on another host: alive while it beats
        with theirs.transaction() as conn:
            conn.execute("SELECT lease_owner FROM runs WHERE id=? FOR UPDATE", (run.id,))
            taker = threading.Thread(target=take)
            taker.start()
            deadline = time.monotonic() + 60
            while watch.query("SELECT COUNT(*) FROM pg_stat_activity "
                              "WHERE wait_event_type='Lock'")[0][0] == 0:
                assert time.monotonic() < deadline, "the second writer never waited"
                time.sleep(0.01)
            conn.execute("UPDATE runs SET lease_owner=?, heartbeat_s=? WHERE id=?",
                         (other, time.time(), run.id))
        taker.join(60)
        assert outcome == ["refused"]
        assert mine.require_run("r").lease_owner == other


def _append_events(url: str, writer: int, n: int) -> None:
    with Store(url) as store:
        for i in range(n):
            store.log_event(NewEvent(kind="test.tick", subject=f"w{writer}",
                                     payload={"i": i}))


def test_audit_events_commit_in_id_order_under_concurrent_writers(pg_url: str) -> None:
    """A reader that follows ``id > last seen`` (an audit tail) must never skip an event:
    without a single writer order, a later id can commit before an earlier one."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_events, args=(pg_url, w, 80)) for w in range(4)]
    seen: list[int] = []
    with Store(pg_url) as tail:
        for p in procs:
            p.start()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            last = seen[-1] if seen else 0
            seen += [r[0] for r in tail.query("SELECT id FROM events WHERE id>? ORDER BY id",
                                              (last,))]
            if len(seen) >= 320 or not any(p.is_alive() for p in procs):
                break
        for p in procs:
            p.join(120)
            assert p.exitcode == 0
        last = seen[-1] if seen else 0
        seen += [r[0] for r in tail.query("SELECT id FROM events WHERE id>? ORDER BY id",
                                          (last,))]
        stored = [e.id for e in tail.events(kind="test.tick")]
    assert len(stored) == 320
    assert seen == stored  # the tail saw every event, none skipped


_MIGRATE = textwrap.dedent("""
    import sys, time
    from agility.store import Store
    while time.time() < float(sys.argv[2]):
        time.sleep(0.001)
    with Store(sys.argv[1]) as s:
        print(s.schema_version)
""")


def test_first_opens_at_once_migrate_the_database_once(pg_url: str) -> None:
    start = str(time.time() + 4.0)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    procs = [subprocess.Popen([sys.executable, "-c", _MIGRATE, pg_url, start], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in outs]
    assert [out.strip() for out, _ in outs] == [str(SCHEMA_VERSION)] * 4
    with Store(pg_url) as store:
        assert store.query("SELECT COUNT(*) FROM agility_schema")[0][0] == 1


def test_a_read_only_store_refuses_writes(pg_url: str) -> None:
    Store(pg_url).close()
    with Store(pg_url, read_only=True) as frozen:
        assert frozen.list_runs() == []
        with pytest.raises(StoreError, match="read-only"):
            frozen.create_run(NewRun(name="r", model_spec="mock/x", tool_version="t",
                                     started_at=utc_now()))


def test_the_core_does_not_import_psycopg_or_ray(tmp_path: Path) -> None:
    code = ("import sys; from agility.store import Store; "
            "s = Store(sys.argv[1]); s.close(); import agility.cli.main, agility.runner; "
            "agility.cli.main._register(); "
            "print('psycopg' in sys.modules or 'ray' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "a.db")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_cli_run_on_postgres_resumes_and_lists(tmp_path: Path, pg_url: str) -> None:
    import json

    from typer.testing import CliRunner

    from agility.cli.main import _register, app

    _register()
    dataset = tmp_path / "golden.jsonl"
    dataset.write_text("".join(json.dumps({"id": f"q{i}", "source_prompt": f"question {i}?",
                                           "ground_truth": "a"}) + "\n" for i in range(40)))
    first = CliRunner().invoke(app, ["run", "--dataset", str(dataset), "--model", "mock/echo",
                                     "--name", "pg-run", "--store", pg_url])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(app, ["run", "--dataset", str(dataset), "--model", "mock/echo",
                                     "--name", "pg-run", "--store", pg_url, "--resume"])
    assert again.exit_code == 0, again.output
    listed = CliRunner().invoke(app, ["runs", "list", "--store", pg_url])
    assert listed.exit_code == 0 and "pg-run" in listed.output
    with Store(pg_url) as store:
        run = store.require_run("pg-run")
        results = store.results(run.id)
        assert len(results) == 40 and all(r.error is None for r in results)
        assert run.status == "finished" and run.lease_owner is None


def test_the_same_dataset_saved_at_once_by_two_writers_is_stored_once(pg_url: str) -> None:
    # regression: both writers saw no row, both inserted, the second died on the unique key
    import threading
    Store(pg_url).close()
    rows = [(f"e{i}", f"h{i}", "dev", None, "{}") for i in range(3000)]
    for attempt in range(4):
        barrier = threading.Barrier(2)
        outcomes: list[object] = []

        def save(outcomes: list[object] = outcomes, barrier: threading.Barrier = barrier,
                 key: str = f"hash{attempt}") -> None:
            with Store(pg_url) as store:
                barrier.wait()
                try:
                    outcomes.append(store.save_dataset(key, "golden", None, 1, {}, rows))
                except Exception as exc:  # noqa: BLE001 - the test reports it
                    outcomes.append(exc)

        writers = [threading.Thread(target=save) for _ in range(2)]
        for w in writers:
            w.start()
        for w in writers:
            w.join(timeout=120)
        assert sorted(outcomes, key=repr) == [False, True], outcomes
        with Store(pg_url) as store:
            assert store.query("SELECT COUNT(*) FROM dataset_rows WHERE dataset_hash=?",
                               (f"hash{attempt}",))[0][0] == 3000


def test_a_batch_of_events_is_chained_in_order_on_postgres(pg_url: str) -> None:
    """``log_events`` (the gateway's audit writer) sends a batch as one statement: the
    events keep their order, times and chain."""
    with Store(pg_url) as store:
        store.log_event(NewEvent(kind="test.before", subject="s", payload={}))
        written = store.log_events(NewEvent(kind="test.batch", subject="s", payload={"i": i},
                                            created_at=f"2026-11-30T10:00:0{i}.000+00:00")
                                   for i in range(5))
        batch = store.events(kind="test.batch")
        report = store.verify_audit()
    assert written == 5
    assert [e.payload["i"] for e in batch] == [0, 1, 2, 3, 4]
    assert [e.id for e in batch] == sorted(e.id for e in batch)
    assert batch[3].created_at.startswith("2026-11-30T10:00:03")
    assert report.ok and report.events == 6


def test_a_batch_of_results_keeps_its_booleans_and_its_events_chain(pg_url: str) -> None:
    """A runner's batch (results and their calls' events in one statement, booleans as the
    integers SQLite keeps) reads back as written, and the chain verifies."""
    from agility.store import ResultRecord

    with Store(pg_url) as store:
        run = store.create_run(NewRun(name="r", model_spec="m", tool_version="t",
                                      started_at=utc_now()))
        results = [ResultRecord(example_id=f"e{i}", output=f"answer {i}", cached=i % 2 == 0,
                                tokens_estimated=i == 1, prompt=[{"role": "user",
                                                                  "content": "tab\there"}])
                   for i in range(4)]
        events = [NewEvent(kind="model.call", subject="r",
                           payload={"example_id": f"e{i}", "text": "line\nnext \\ back"})
                  for i in range(4)]
        store.save_results(run.id, results, events)
        store.save_results(run.id, [results[0].model_copy(update={"cached": False})], [])
        back = {r.example_id: r for r in store.results(run.id)}
        calls = store.events(kind="model.call")
        report = store.verify_audit()
    assert [back[f"e{i}"].cached for i in range(4)] == [False, False, True, False]
    assert [back[f"e{i}"].tokens_estimated for i in range(4)] == [False, True, False, False]
    assert back["e2"].prompt is not None and back["e2"].prompt[0].content == "tab\there"
    assert [e.payload["example_id"] for e in calls] == ["e0", "e1", "e2", "e3"]
    assert calls[0].payload["text"] == "line\nnext \\ back" and calls[0].actor
    assert report.ok and report.events >= 4
