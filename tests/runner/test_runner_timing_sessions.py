"""Each execution of a run records how its calls were timed: the window, the load average, and
the runs it was interleaved with (``run.meta["timing_sessions"]``), against the fake server."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from agility.compare import timing_conditions
from agility.runner import RunSummary, run_interleaved
from agility.store import Store
from tests.runner.conftest import FAST_RETRY, CountingServer


def test_a_run_records_one_timing_session_per_execution(
        run: Callable[..., RunSummary], make_dataset: Callable[..., Path],
        store: Store) -> None:
    dataset = make_dataset(6)
    run(dataset, example_ids=["ex-000", "ex-001", "ex-002"])
    first = store.require_run("bench").meta["timing_sessions"]
    assert len(first) == 1 and first[0]["calls"] == 3
    assert first[0]["started_at"] <= first[0]["ended_at"]
    assert "interleaved_with" not in first[0]  # it ran alone
    assert first[0]["cpus"] == os.cpu_count()
    if hasattr(os, "getloadavg"):
        load = first[0]["load_1m"]
        assert load["samples"] == 3 and load["min"] <= load["mean"] <= load["max"]
    run(dataset, resume=True)  # the other three rows: a second session, the first kept
    sessions = store.require_run("bench").meta["timing_sessions"]
    assert [s["calls"] for s in sessions] == [3, 3] and sessions[0] == first[0]
    # every result lies in the window of the session that made it
    results = store.results(store.require_run("bench").id)
    for result in results:
        made = [s for s in sessions if s["started_at"] <= result.created_at <= s["ended_at"]]
        assert len(made) == 1


def _job(dataset: Path, store: Store, server: CountingServer, name: str,
         ids: list[str]) -> dict[str, object]:
    return {"dataset": dataset, "model": "openai/gpt-4o-mini", "name": name, "store": store,
            "provider_options": {"base_url": server.base_url}, "progress": False,
            "retry": FAST_RETRY, "example_ids": ids}


def test_interleaved_runs_record_each_other_and_the_calls_made_alone(
        make_dataset: Callable[..., Path], store: Store,
        slow_server: Callable[..., CountingServer]) -> None:
    dataset = make_dataset(6)
    ids = [f"ex-{i:03d}" for i in range(6)]
    # 40 ms a call: b's second call starts (right after a's second) well before a leaves
    with slow_server(ttft_ms=40) as server:
        run_interleaved([_job(dataset, store, server, "a", ids[:2]),
                         _job(dataset, store, server, "b", ids)])
    a = store.require_run("a").meta["timing_sessions"][-1]
    b = store.require_run("b").meta["timing_sessions"][-1]
    assert a["interleaved_with"] == ["b"] and b["interleaved_with"] == ["a"]
    assert a["calls"] == a["interleaved_calls"] == 2
    # b's first two calls alternated with a's; its third waited for a's turn, which passed
    # only when a left (after its last call): it still followed a's last start, in turn;
    # b's last three ran alone
    assert b["calls"] == 6 and b["interleaved_calls"] == 3
    assert sorted(b["alone"]) == [f"{i}#0" for i in ids[3:]] and a["alone"] == []
    conditions = timing_conditions(store.require_run("a"), store.results(
        store.require_run("a").id), store.require_run("b"),
        store.results(store.require_run("b").id))
    # each call counts as interleaved unless the session lists it as started alone
    assert conditions.source.interleaved_calls == 2
    assert conditions.target.interleaved_calls == 3
    assert not conditions.interleaved and \
        "of 6 target calls, 3 were not made in turn" in conditions.text
    # on the rows both ran, they were timed together
    shared = [r for r in store.results(store.require_run("b").id) if r.example_id in ids[:2]]
    together = timing_conditions(store.require_run("a"),
                                 store.results(store.require_run("a").id),
                                 store.require_run("b"), shared)
    assert together.interleaved, together.text
    assert together.text.startswith("timed together")


async def test_the_start_right_after_a_leavers_last_is_in_turn() -> None:
    from agility.runner import Turnstile

    gate = Turnstile(2, ["a", "b"])
    marks = []
    for side in (0, 1, 1, 0):  # A B, B A: both in the rotation
        await gate.enter(side)
        marks.append(gate.last_start_in_turn)
    await gate.leave(0)  # a leaves once its last call has finished
    for _ in range(2):
        await gate.enter(1)
        marks.append(gate.last_start_in_turn)
    # b's first start after a left still followed a's last start; the next one ran alone
    # (counting the first as alone made two interleaved runs of equal size "not timed
    # together" at random, by which one's last call finished first)
    assert marks == [True, True, True, True, True, False]
