"""A gateway killed with -9 under load and restarted resumes its stage and its counters: only
the calls in flight and those answered after the last flush (every 100 ms) can be missing from
the store."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from agility.testing import FakeOpenAIServer
from tests.canary.conftest import events_of, openai_side, send_load, write_plan

CONCURRENCY = 8


def _stored(store: Path) -> dict[tuple[int, str], int]:
    with sqlite3.connect(store) as db:
        return {(epoch, arm): json.loads(raw)["requests"] for epoch, arm, raw in
                db.execute("SELECT epoch, arm, counts_json FROM canary_counters")}


def _settled(store: Path) -> dict[tuple[int, str], int]:
    """The counters once two reads 0.5 s apart agree (a loaded machine flushes late)."""
    last = _stored(store)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = _stored(store)
        if now == last:
            return now
        last = now
    raise AssertionError("the gateway's counters did not settle in 10 s")


def _last_flush(store: Path, epoch: int) -> float:
    """When the gateway last added counts of ``epoch`` (its clock: this machine's)."""
    with sqlite3.connect(store) as db:
        (stamp,) = db.execute("SELECT MAX(updated_at) FROM canary_counters WHERE epoch = ?",
                              (epoch,)).fetchone()
    return datetime.fromisoformat(stamp).timestamp()


@pytest.mark.slow
def test_kill_9_under_load_then_restart_resumes_the_stage_and_counts(tmp_path: Path,
                                                                     gateway) -> None:
    with FakeOpenAIServer(ttft_ms=5) as upstream:
        plan = write_plan(tmp_path, source=openai_side(upstream.base_url),
                          target=openai_side(upstream.base_url),
                          rollout={"stages": [{"percent": 10, "min_requests": 5},
                                              {"percent": 50, "min_requests": 10**6},
                                              {"percent": 100}], "check_every_s": 0.1})
        store = tmp_path / "agility.db"
        first = gateway(plan, store=store)
        offset = 0
        while not events_of(store, "canary.stage_advanced"):
            send_load(first, 100, concurrency=4, offset=offset)
            offset += 100
        # the stage's epoch from the rollout itself: the counters may hold no call of it yet
        # when the stage advanced after the last call of a batch
        (current,) = sqlite3.connect(store).execute(
            "SELECT epoch FROM canary_rollouts").fetchone()
        before = _settled(store)  # the last of those calls reach the store
        already = before.get((current, "source"), 0) + before.get((current, "target"), 0)
        answered: list[float] = []  # when each answer of stage 2 arrived (wall clock)
        stop = threading.Event()

        def load() -> None:
            with httpx.Client(timeout=10) as client:
                i = 0
                while not stop.is_set():
                    i += 1
                    try:
                        response = client.post(
                            f"{first.url}/v1/chat/completions",
                            headers={"x-user-id": f"k-{threading.get_ident()}-{i}",
                                     **first.auth()},
                            json={"model": "m", "messages": [{"role": "user",
                                                              "content": "hi"}]})
                    except httpx.TransportError:
                        return  # the gateway died under us: this call was in flight
                    if response.status_code == 200 and \
                            response.headers["x-agility-stage"] == "2":
                        answered.append(time.time())

        workers = [threading.Thread(target=load) for _ in range(CONCURRENCY)]
        for worker in workers:
            worker.start()
        # load until enough calls were answered (a loaded machine answers fewer a second)
        started = time.monotonic()
        while len(answered) < 60 and time.monotonic() - started < 30:
            time.sleep(0.05)
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL
        killed_at, killed_wall = time.monotonic(), time.time()
        stop.set()
        for worker in workers:
            worker.join(30)
        stored = _stored(store)
        assert max(e for e, _arm in stored) == current
        in_store = stored.get((current, "source"), 0) + stored.get((current, "target"), 0) \
            - already
        assert len(answered) > 50
        # the gateway kept flushing under load (every 100 ms; a loaded machine is allowed 2 s)
        flushed = _last_flush(store, current)
        assert killed_wall - flushed < 2.0, ("no flush in the last", killed_wall - flushed)
        # every call answered before the last flush is in the store (0.2 s: from the counts'
        # snapshot to the stamp of their write); only the calls answered after it and those
        # in flight can be missing, and nothing is counted twice
        after_flush = sum(1 for at in answered if at > flushed - 0.2)
        assert len(answered) - after_flush - CONCURRENCY <= in_store <= \
            len(answered) + CONCURRENCY, (len(answered), in_store, after_flush,
                                          killed_wall - flushed)

        second = gateway(plan, store=store)
        assert time.monotonic() - killed_at < 120
        answers = send_load(second, 50, concurrency=4, offset=10**6)
        assert all(status == 200 for _t, status, _arm in answers)
        second.stop()
    rollout = sqlite3.connect(store).execute(
        "SELECT stage, percent, epoch FROM canary_rollouts").fetchone()
    assert rollout == (1, 50.0, current)  # the same stage and epoch: resumed, not restarted
    after = _stored(store)
    assert after[(current, "source")] + after.get((current, "target"), 0) == \
        already + in_store + 50
    assert len(events_of(store, "canary.started")) == 1
