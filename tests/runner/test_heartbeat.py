"""The run's lease keeps beating through store errors (a PostgreSQL restart, a locked disk):
a heartbeat that stopped at the first error would let a second `--resume` take over a run
that is still paying for calls."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from agility.runner import _run
from agility.store import NewRun, Store, new_lease_owner, utc_now


async def test_the_heartbeat_goes_on_after_the_store_refuses_a_beat(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    with Store(tmp_path / "s.db") as store:
        run = store.create_run(NewRun(name="r", model_spec="mock/x", tool_version="t",
                                      started_at=utc_now()))
        owner = new_lease_owner()
        store.take_lease(run.id, owner, 15.0)
    monkeypatch.setattr(_run, "LEASE_HEARTBEAT_S", 0.05)
    plan = SimpleNamespace(run=run, lease_owner=owner)
    lost = asyncio.Event()
    refusing = Store(tmp_path / "s.db", read_only=True)  # every beat raises StoreError
    beat = asyncio.create_task(_run._heartbeat(refusing, plan, lost))  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="agility.runner._run"):
        await asyncio.sleep(0.3)
        assert not beat.done() and not lost.is_set()  # still beating, the lease not lost
    beat.cancel()
    refusing.close()
    warnings = [r for r in caplog.records if "could not renew run r's lease" in r.getMessage()]
    assert len(warnings) == 1  # once for the streak, not at every beat
    # and with a store that works again, a lease another process took is seen as lost
    with Store(tmp_path / "s.db") as store:
        store.release_lease(run.id, owner)
        store.take_lease(run.id, "other-host:1:x", 15.0)
        lost = asyncio.Event()
        beat = asyncio.create_task(_run._heartbeat(store, plan, lost))  # type: ignore[arg-type]
        await asyncio.wait_for(lost.wait(), timeout=5)
        await beat
