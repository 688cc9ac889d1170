"""Group commit of results (``agility.runner._writer``): a save returns only once its result
is committed, results arriving during a write go together in the next one, a store error
reaches every waiting worker, and a cancelled worker's result is still written."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from agility.errors import StoreError
from agility.runner._writer import ResultWriter
from agility.store import NewEvent, NewRun, ResultRecord, Store
from agility.testing import PostgresServer


def _run_id(store: Store) -> int:
    run = store.create_run(NewRun(name="r", model_spec="mock/x", tool_version="test",
                                  started_at="2026-01-01T00:00:00Z"))
    assert run.id is not None
    return run.id


class Recording:
    """The real store, with the size of each batch its batch writer was given noted
    (delegates every call)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.batches: list[int] = []

    def batch_writer(self, **options: Any) -> Any:
        sink, batches = self.store.batch_writer(**options), self.batches

        class Noted:
            async def save_results(self, run_id: int, results: list[ResultRecord],
                                   events: list[NewEvent] | None = None) -> None:
                batches.append(len(results))
                await sink.save_results(run_id, results, events or [])

            async def aclose(self) -> None:
                await sink.aclose()

            @property
            def waiting_until(self) -> float | None:
                return sink.waiting_until

        return Noted()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


async def test_each_save_returns_committed_and_concurrent_saves_share_writes(
        tmp_store: Store, store_location: str) -> None:
    run_id = _run_id(tmp_store)
    recording = Recording(tmp_store)
    writer = ResultWriter(recording, run_id)  # type: ignore[arg-type]
    reader = Store(store_location, read_only=True)  # another connection sees only commits
    try:
        async def one(i: int) -> None:
            await writer.save(ResultRecord(example_id=f"e{i}", output=str(i)))
            seen = {r.example_id for r in reader.results(run_id)}
            assert f"e{i}" in seen  # committed before save returned

        await asyncio.gather(*(one(i) for i in range(200)))
        await writer.drain()
        assert sorted(int(r.output or "-1") for r in reader.results(run_id)) == list(range(200))
    finally:
        reader.close()
    assert sum(recording.batches) == 200
    # 200 saves started together: all but the first wait for a write in progress and share
    # the next ones (the number of writes depends on timing, never one per result)
    assert len(recording.batches) < 200 and max(recording.batches) > 1


async def test_a_store_error_reaches_every_waiting_worker(store_location: str) -> None:
    Store(store_location).close()  # create it
    store = Store(store_location, read_only=True)
    try:
        writer = ResultWriter(store, 1)
        outcomes = await asyncio.gather(
            *(writer.save(ResultRecord(example_id=f"e{i}", output="x")) for i in range(20)),
            return_exceptions=True)
    finally:
        store.close()
    assert len(outcomes) == 20 and all(isinstance(o, StoreError) for o in outcomes)


async def test_a_cancelled_worker_result_is_written_before_drain_returns(
        tmp_store: Store) -> None:
    run_id = _run_id(tmp_store)
    writer = ResultWriter(tmp_store, run_id)
    tasks = [asyncio.create_task(writer.save(ResultRecord(example_id=f"e{i}", output="x")))
             for i in range(50)]
    await asyncio.sleep(0)  # the saves are queued and the first write has started
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await writer.drain()
    assert len(tmp_store.results(run_id)) == 50


@pytest.mark.parametrize("max_batch", [1, 7])
async def test_batches_never_exceed_the_limit(tmp_store: Store, max_batch: int) -> None:
    run_id = _run_id(tmp_store)
    recording = Recording(tmp_store)
    writer = ResultWriter(recording, run_id, max_batch=max_batch)  # type: ignore[arg-type]
    await asyncio.gather(*(writer.save(ResultRecord(example_id=f"e{i}", output="x"))
                           for i in range(30)))
    assert max(recording.batches) <= max_batch and sum(recording.batches) == 30
    assert len(tmp_store.results(run_id)) == 30


async def test_each_results_call_event_is_written_with_it_and_chained(tmp_store: Store) -> None:
    # the audit event of a call (its prompt and answer) commits in the same batch as its result
    run_id = _run_id(tmp_store)
    writer = ResultWriter(tmp_store, run_id, max_batch=4)
    await asyncio.gather(*(writer.save(ResultRecord(example_id=f"e{i}", output="x"),
                                       NewEvent(kind="model.call", subject="r",
                                                payload={"example_id": f"e{i}"}))
                           for i in range(10)))
    calls = tmp_store.events(kind="model.call")
    assert sorted(c.payload["example_id"] for c in calls) == sorted(f"e{i}" for i in range(10))
    assert len(tmp_store.results(run_id)) == 10
    assert tmp_store.verify_audit().ok


def _backends(store: Store) -> list[int]:
    """The server processes connected to the store's database, other than the asker's."""
    rows = store.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
    return [r["pid"] for r in rows]


async def test_a_postgresql_writer_reconnects_after_the_server_dropped_it_and_closes(
        postgres_server: PostgresServer) -> None:
    """On PostgreSQL the writer has a connection of its own (written to from the event loop):
    a connection the server dropped between batches is opened again, and drain closes it."""
    location = postgres_server.create_database(f"w_{uuid.uuid4().hex[:12]}")
    with Store(location) as store, Store(location) as admin:
        run_id = _run_id(store)
        writer = ResultWriter(store, run_id)
        stores = set(_backends(admin))
        await writer.save(ResultRecord(example_id="before", output="x"))
        (own,) = set(_backends(admin)) - stores  # the writer's connection
        admin.query("SELECT pg_terminate_backend(?)", (own,))
        while own in _backends(admin):
            await asyncio.sleep(0.01)
        await writer.save(ResultRecord(example_id="after", output="y"),
                          NewEvent(kind="model.call", subject="r", payload={"n": 1}))
        await writer.drain()
        assert {r.example_id for r in store.results(run_id)} == {"before", "after"}
        # the writer's connection is closed (the server lists its process until that process
        # has exited, which on a busy machine takes a moment after the client hung up)
        deadline = time.monotonic() + 10
        while set(_backends(admin)) != stores and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert set(_backends(admin)) == stores
        assert admin.verify_audit().ok


async def test_a_figure_without_a_json_spelling_is_written_all_the_same(
        tmp_store: Store) -> None:
    run_id = _run_id(tmp_store)
    writer = ResultWriter(tmp_store, run_id)
    await asyncio.gather(
        writer.save(ResultRecord(example_id="nan", output="x", ttft_ms=float("nan")),
                    NewEvent(kind="model.call", subject="r", payload={})),
        writer.save(ResultRecord(example_id="inf", output="y", cost_usd=float("inf"))))
    await writer.drain()
    got = {r.example_id: r for r in tmp_store.results(run_id)}
    assert got["inf"].cost_usd == float("inf") and got["nan"].output == "x"
    assert tmp_store.verify_audit().ok


async def test_a_server_that_stays_away_fails_the_waiting_saves_once_each_in_time(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A PostgreSQL server that is gone for longer than the writer waits: every waiting save
    is told the store is unreachable after about that wait (not once per result: single-row
    retries would each wait as long again; nor once per batch: the batches behind the one
    that waited fail at once)."""
    with PostgresServer() as pg:
        for name, value in pg.environ().items():
            monkeypatch.setenv(name, value)  # this server's password, for this test only
        location = pg.create_database("gone")
        store = Store(location)
        run_id = _run_id(store)
        pg.go_down()
        caplog.set_level("WARNING", logger="agility.store._batch_writer")
        try:
            writer = ResultWriter(store, run_id, max_batch=5, outage_s=1.0)  # 4 batches
            started = time.monotonic()
            outcomes = await asyncio.gather(
                *(writer.save(ResultRecord(example_id=f"e{i}", output="x")) for i in range(20)),
                return_exceptions=True)
            took = time.monotonic() - started
            await writer.drain()
        finally:
            store.close()
    assert all(isinstance(o, StoreError) and o.unreachable for o in outcomes), outcomes
    assert "cannot be reached" in str(outcomes[0])
    assert took < 10, took  # one wait, not twenty
    waits = [r for r in caplog.records if "holding" in r.getMessage()]
    assert len(waits) == 1, [r.getMessage() for r in waits]  # the second batch did not wait
