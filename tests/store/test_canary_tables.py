"""The canary tables on both backends, with several gateways (each its own connection) writing
one rollout at once: no counts are lost, a stage changes once, a rollout is created once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from agility.store import NewEvent, RolloutRecord, Store, utc_now

GATEWAYS = 4


def _add(stored: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    return {k: stored.get(k, 0) + delta.get(k, 0) for k in {*stored, *delta}}


def _rollout(version_note: str = "") -> RolloutRecord:
    return RolloutRecord(name="p", plan_hash="h", status="running", stage=0, percent=5.0,
                         epoch=1, stage_started_at=utc_now(),
                         signoffs=[{"note": version_note}] if version_note else [])


def _at_once(location: str, work: Callable[[Store, int], Any]) -> list[Any]:
    """``work(store, i)`` in GATEWAYS threads, each with its own store connection, released
    together; the results in thread order (an exception is re-raised)."""
    stores = [Store(location) for _ in range(GATEWAYS)]
    start = threading.Barrier(GATEWAYS)
    results: list[Any] = [None] * GATEWAYS
    failures: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait(timeout=60)
            results[i] = work(stores[i], i)
        except BaseException as exc:  # noqa: BLE001 - re-raised below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(GATEWAYS)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    finally:
        for s in stores:
            s.close()
    if failures:
        raise failures[0]
    return results


def test_concurrent_gateways_lose_no_counts(store_location: str) -> None:
    with Store(store_location) as store:
        assert store.save_rollout(_rollout(), expected_version=None) is not None
    rounds = 40

    def count(store: Store, i: int) -> None:
        for n in range(rounds):
            # both arms in one transaction, in opposite orders on alternate gateways (the
            # store locks them in one order, so no two gateways wait on each other)
            deltas = [(1, "source", 0, 5.0, {"requests": 1, "errors": n % 2}),
                      (1, "target", 0, 5.0, {"requests": 2})]
            store.add_rollout_counts("p", deltas[::-1] if i % 2 else deltas, _add)

    _at_once(store_location, count)
    with Store(store_location) as store:
        counts = {c.arm: c for c in store.rollout_counts("p")}
    assert counts["source"].counts == {"requests": GATEWAYS * rounds,
                                       "errors": GATEWAYS * rounds // 2}
    assert counts["target"].counts == {"requests": 2 * GATEWAYS * rounds}
    # the columns the status page sums follow the JSON
    assert (counts["source"].counts["requests"], counts["target"].counts["requests"]) == (
        GATEWAYS * rounds, 2 * GATEWAYS * rounds)


def test_the_first_counts_of_an_epoch_from_every_gateway_at_once_are_all_kept(
        store_location: str) -> None:
    with Store(store_location) as store:
        store.save_rollout(_rollout(), expected_version=None)
    for epoch in range(2, 12):  # each epoch's row is created by whichever gateway comes first
        _at_once(store_location, lambda store, i, epoch=epoch: store.add_rollout_counts(
            "p", [(epoch, "target", 1, 25.0, {"requests": 1})], _add))
    with Store(store_location) as store:
        totals = [c.counts["requests"] for c in store.rollout_counts("p")]
    assert totals == [GATEWAYS] * 10


def test_one_version_is_changed_by_one_gateway(store_location: str) -> None:
    with Store(store_location) as store:
        current = store.save_rollout(_rollout(), expected_version=None)
    assert current is not None
    for _ in range(10):
        version = current.version

        def advance(store: Store, i: int, version: int = version) -> RolloutRecord | None:
            return store.save_rollout(_rollout(f"gateway {i}"), expected_version=version,
                                      event=NewEvent(kind="canary.stage_advanced", subject="p",
                                                     actor=f"gateway {i}"))

        results = _at_once(store_location, advance)
        won = [r for r in results if r is not None]
        assert len(won) == 1, results
        current = won[0]
        assert current.version == version + 1
    with Store(store_location) as store:
        stored = store.get_rollout("p")
        events = store.events(kind="canary.stage_advanced")
    assert stored == current and stored.version == 11
    assert len(events) == 10  # one event per change: the losers wrote none


def test_a_rollout_is_created_once(store_location: str) -> None:
    results = _at_once(store_location, lambda store, i: store.save_rollout(
        _rollout(f"gateway {i}"), expected_version=None,
        event=NewEvent(kind="canary.started", subject="p", actor=f"gateway {i}")))
    won = [r for r in results if r is not None]
    assert len(won) == 1 and won[0].version == 1
    with Store(store_location) as store:
        assert store.get_rollout("p") == won[0]
        assert [e.actor for e in store.events(kind="canary.started")] == [
            won[0].signoffs[0]["note"]]
        # a second creation is refused, and a change from a version nobody holds as well
        assert store.save_rollout(_rollout(), expected_version=None) is None
        assert store.save_rollout(_rollout(), expected_version=7) is None
        assert store.get_rollout("p") == won[0]
