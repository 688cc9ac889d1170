"""Whether two runs were timed together is read from their timing records, never guessed from
the clock: a call that waited for a shared model (llama.cpp takes calls in turn behind one
lock, and that wait is not latency) was still made in turn with the other run's."""

from __future__ import annotations

from store_builder import add_run, save_dataset

from agility.compare import timing_conditions
from agility.store import Store


def _session(partner: str, alone: list[str], calls: int) -> dict[str, object]:
    return {"started_at": "2026-11-30T10:00:00.000+00:00",
            "ended_at": "2026-11-30T10:10:00.000+00:00", "calls": calls, "cpus": 2,
            "load_1m": {"mean": 3.0, "min": 2.0, "max": 4.0, "samples": calls},
            "interleaved_with": [partner], "interleaved_calls": calls - len(alone),
            "alone": alone,
            # the partner left at 10:01, before the last calls' results were stored
            "interleaved_until": "2026-11-30T10:01:00.000+00:00"}


def _results(minutes: list[int]) -> list[dict[str, object]]:
    # each call took 30 s of latency and was stored at 10:MM; with the wait for the model's
    # lock before it, stored time minus latency is later than when it started
    return [{"example_id": f"q{i}", "output": "a", "latency_ms": 30_000.0, "cost_usd": 0.0,
             "created_at": f"2026-11-30T10:{m:02d}:45.000+00:00"}
            for i, m in enumerate(minutes)]


def test_calls_count_as_together_unless_the_record_lists_them_as_alone(
        tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, [{"id": f"q{i}", "source_prompt": "q", "ground_truth": "a"}
                                  for i in range(3)])
    add_run(tmp_store, "a", ds, _results([0, 0, 1]), meta={"timing_sessions": [
        _session("b", [], 3)]})
    add_run(tmp_store, "b", ds, _results([0, 1, 2]), meta={"timing_sessions": [
        _session("a", ["q2#0"], 3)]})
    a, b = tmp_store.require_run("a"), tmp_store.require_run("b")
    conditions = timing_conditions(a, tmp_store.results(a.id), b, tmp_store.results(b.id))
    # b's q1 was stored after a had left, and 30 s of latency do not bring it back before:
    # still, it started in turn (it waited for the model), so only q2 ran alone
    assert (conditions.source.interleaved_calls, conditions.target.interleaved_calls) == (3, 2)
    assert not conditions.interleaved and \
        "of 3 target calls, 1 were not made in turn" in conditions.text
    assert conditions.source.load_1m_mean == 3.0 and conditions.source.cpus == 2
    shared = [r for r in tmp_store.results(b.id) if r.example_id != "q2"]
    assert timing_conditions(a, tmp_store.results(a.id), b, shared).interleaved


def test_runs_without_a_timing_record_are_not_timed_together(tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, [{"id": "q0", "source_prompt": "q", "ground_truth": "a"}])
    add_run(tmp_store, "a", ds, _results([0]))
    add_run(tmp_store, "b", ds, _results([0]))
    a, b = tmp_store.require_run("a"), tmp_store.require_run("b")
    conditions = timing_conditions(a, tmp_store.results(a.id), b, tmp_store.results(b.id))
    assert not conditions.interleaved and not conditions.source.recorded
    # unknown is not "apart": the text says the record is missing, not that the calls were
    # made out of turn
    assert "of 1 source calls, 1 have no timing record" in conditions.text
    assert "not made in turn" not in conditions.text
