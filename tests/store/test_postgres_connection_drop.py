"""A run on a PostgreSQL store survives the server dropping its connections mid-run (a
failover, an administrator's pg_terminate_backend): every result is written, each once, and
the run's lease keeps beating (a lease that stopped beating would let a second `--resume`
take the run over while the first still pays for calls)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import pytest

from agility.runner import run_model
from agility.store import Store
from agility.store._records import ScoreRecord
from agility.testing import FakeOpenAIServer, PostgresServer


def _drop_every_connection_but_mine(admin: Store) -> None:
    admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.mark.slow
def test_a_run_survives_its_connections_being_dropped_and_keeps_its_lease(
        tmp_path: Path, postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-drop-0123456789")
    location = postgres_server.create_database(f"d_{uuid.uuid4().hex[:12]}")
    dataset = tmp_path / "golden.jsonl"
    dataset.write_text("".join(json.dumps({"id": f"e{i:03d}", "source_prompt": f"Q{i}?",
                                           "ground_truth": "a"}) + "\n" for i in range(160)))
    beats_after_drop: list[float] = []
    dropped_at: list[float] = []
    done = threading.Event()

    def watch() -> None:
        with Store(location) as admin:
            while not admin.query("SELECT 1 FROM runs WHERE name='dropped' "
                                  "AND heartbeat_s IS NOT NULL"):
                time.sleep(0.05)
            time.sleep(0.5)
            dropped_at.append(time.time())
            _drop_every_connection_but_mine(admin)
            while not done.is_set():
                rows = admin.query("SELECT heartbeat_s FROM runs WHERE name='dropped'")
                beat = rows[0]["heartbeat_s"] if rows else None
                if beat is not None and beat > dropped_at[0]:
                    beats_after_drop.append(beat)
                time.sleep(0.1)

    # 160 calls of 150 ms, 4 at a time: about 6 s, three heartbeats (every 2 s) after the drop
    with FakeOpenAIServer(ttft_ms=150) as server, Store(location) as store:
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            summary = run_model(dataset, "openai/gpt-4o-mini", name="dropped", store=store,
                                concurrency=4, progress=False,
                                provider_options={"base_url": server.base_url})
        finally:
            done.set()
            watcher.join(timeout=30)
        run = store.require_run("dropped")
        results = store.results(run.id)
    assert dropped_at, "the connections were never dropped"
    assert summary.n_done == 160 and summary.n_errors == 0, summary
    assert sorted(r.example_id for r in results) == [f"e{i:03d}" for i in range(160)]
    assert len(server.requests) == 160  # none paid twice
    assert beats_after_drop, "the lease stopped beating after the connections were dropped"
    assert run.status == "finished" and run.lease_owner is None


@pytest.mark.slow
def test_a_run_waits_for_a_restarting_server_and_pays_each_call_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The PostgreSQL server goes away for three seconds mid-run (a restart, a failover):
    the writer holds the paid results and tries again, so the run finishes with every result
    written once, each call paid once and each call's audit event written once."""
    dataset = tmp_path / "golden.jsonl"
    dataset.write_text("".join(json.dumps({"id": f"e{i:03d}", "source_prompt": f"Q{i}?",
                                           "ground_truth": "a"}) + "\n" for i in range(240)))
    with PostgresServer() as pg:
        for name, value in pg.environ().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-outage-0123456789")
        location = pg.create_database("outage")
        restarted = threading.Event()

        def restart_mid_run() -> None:
            with Store(location) as watcher:
                while not watcher.query("SELECT 1 FROM results LIMIT 1"):
                    time.sleep(0.05)
            pg.restart(down_s=3.0)
            restarted.set()

        # 240 calls of 100 ms, 8 at a time: about 3 s of calls, held up by the 3 s outage
        with FakeOpenAIServer(ttft_ms=100) as server, Store(location) as store:
            chaos = threading.Thread(target=restart_mid_run)
            chaos.start()
            summary = run_model(dataset, "openai/gpt-4o-mini", name="outage", store=store,
                                concurrency=8, progress=False,
                                provider_options={"base_url": server.base_url})
            chaos.join(timeout=60)
            run = store.require_run("outage")
            results = store.results(run.id)
            calls = store.events(kind="model.call")
            audit = store.verify_audit()
        assert restarted.is_set()
        assert summary.n_done == 240 and summary.n_errors == 0, summary
        assert sorted(r.example_id for r in results) == [f"e{i:03d}" for i in range(240)]
        assert len(server.requests) == 240  # none paid twice
        assert sorted(c.payload["example_id"] for c in calls) == [f"e{i:03d}"
                                                                  for i in range(240)]
        assert audit.ok and run.status == "finished"


def _score(i: int) -> ScoreRecord:
    return ScoreRecord(example_id=f"e{i}", repeat_index=0, metric="exact_match",
                       metric_version="1", score=1.0, verdict="correct", passed=True)


def test_a_write_after_the_server_dropped_an_idle_connection_is_not_lost(
        postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A restart, a failover or pg_terminate_backend drops an idle store's connection; its next
    write (an autocommitted batch: scores, results) goes on a new connection instead of
    failing once on the dropped one (the server cannot have done it there). It failed with
    "terminating connection due to administrator command" before."""
    from agility.store import NewRun

    location = postgres_server.create_database(f"d_{uuid.uuid4().hex[:12]}")
    with Store(location) as store, Store(location) as admin:
        run = store.create_run(NewRun(name="r", model_spec="openai/gpt-4o-mini",
                                      tool_version="test", started_at="2026-01-01T00:00:00Z"))
        store.save_scores(run.id, [_score(0)])
        _drop_every_connection_but_mine(admin)
        time.sleep(0.2)  # the server's notice and the end of the stream reach the client
        store.save_scores(run.id, [_score(1)])  # raised StoreError before
        _drop_every_connection_but_mine(admin)
        time.sleep(0.2)
        store.save_scores(run.id, [_score(2), _score(3)])
        assert sorted(s.example_id for s in store.scores(run.id)) == ["e0", "e1", "e2", "e3"]


def test_a_write_after_the_server_restarted_is_not_lost(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agility.store import NewRun

    with PostgresServer() as pg:
        for name, value in pg.environ().items():
            monkeypatch.setenv(name, value)
        location = pg.create_database("restarted")
        with Store(location) as store:
            run = store.create_run(NewRun(name="r", model_spec="openai/gpt-4o-mini",
                                          tool_version="test",
                                          started_at="2026-01-01T00:00:00Z"))
            store.save_scores(run.id, [_score(0)])
            pg.restart(down_s=0.2)
            time.sleep(0.2)
            store.save_scores(run.id, [_score(1)])  # raised StoreError before
            assert len(store.scores(run.id)) == 2
