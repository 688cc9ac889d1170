"""The call log keeps audit events off the request path without losing them: everything
recorded before a clean close is in the store, masked and chained; a backlog holds callers
back instead of being thinned."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agility.governance import CallLog
from agility.store import Store


def _mask(text: str) -> str:
    return text.replace("s3cret-value", "<MASKED>")


def test_close_writes_every_recorded_call_masked_and_chained(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        # the writer would wait an hour before its first batch: only close() writes them
        log = CallLog(store, "rollout-x", mask=_mask, flush_every_s=3600, max_batch=10_000)
        log.start()
        for i in range(1000):
            log.record(model="openai/m", messages=[{"role": "user",
                                                     "content": f"q{i} s3cret-value"}],
                       response=f"a{i} s3cret-value", request_id=f"r{i}",
                       actor="client-a" if i % 2 else None, extra={"arm": "source"})
        assert store.events(kind="model.call") == []  # nothing was written on the way
        log.close()
        events = store.events(kind="model.call")
        assert log.written == 1000 and log.lost == 0 and log.backlog == 0
        assert [e.payload["request_id"] for e in events] == [f"r{i}" for i in range(1000)]
        assert {e.subject for e in events} == {"rollout-x"}
        assert events[1].actor == "client-a" and events[0].actor not in (None, "client-a")
        assert events[7].payload["prompt"] == [{"role": "user", "content": "q7 <MASKED>"}]
        assert events[7].payload["response"] == "a7 <MASKED>"
        times = [e.created_at for e in events]
        assert times == sorted(times)  # each event keeps the time of its call
        assert store.verify_audit().ok


def test_a_full_backlog_holds_the_caller_until_the_writer_caught_up(tmp_path: Path) -> None:
    async def main(store: Store) -> tuple[int, int]:
        log = CallLog(store, "r", flush_every_s=3600, max_batch=10_000, max_backlog=50)
        log.start()
        try:
            for i in range(50):
                log.record(model="m", messages=[], response=str(i))
            assert log.backlog == 50
            await asyncio.wait_for(log.wait_for_room(), 60)
            return log.written, log.backlog
        finally:
            await asyncio.to_thread(log.close)

    with Store(tmp_path / "b.db") as store:
        written, backlog = asyncio.run(main(store))
    assert written == 50 and backlog == 0


def test_a_log_never_started_still_writes_on_close(tmp_path: Path) -> None:
    with Store(tmp_path / "c.db") as store:
        log = CallLog(store, "r")
        log.record(model="m", messages=[], response="x", error=None)
        log.close()
        assert [e.payload["response"] for e in store.events(kind="model.call")] == ["x"]
