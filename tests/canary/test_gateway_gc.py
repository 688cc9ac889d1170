"""The gateway freezes its start-up objects out of the garbage collector while it serves (a
full collection otherwise walks them all and stalls every request in flight), and thaws them
when it stops."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest

from agility.canary.gateway import create_app
from agility.migrate import load_plan
from agility.store import Store
from agility.testing import FakeOpenAIServer
from tests.canary.conftest import UPSTREAM_KEY, openai_side, write_plan


def test_start_freezes_the_long_lived_objects_and_stop_thaws_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", UPSTREAM_KEY)
    with FakeOpenAIServer() as upstream, Store(tmp_path / "agility.db") as store:
        plan = load_plan(write_plan(tmp_path, source=openai_side(upstream.base_url),
                                    target=openai_side(upstream.base_url)))
        gateway = create_app(plan, store, actor="test", allow_unapproved=True).gateway
        assert gc.get_freeze_count() == 0

        async def serve_once() -> tuple[int, int]:
            await gateway.start()
            frozen = gc.get_freeze_count()
            gc.collect()  # a full collection leaves the frozen objects alone
            still = gc.get_freeze_count()
            await gateway.stop()
            return frozen, still

        frozen, still = asyncio.run(serve_once())
    # the modules, plan, clients and app made before serving: many thousands of objects
    assert frozen > 10_000 and still == frozen
    assert gc.get_freeze_count() == 0
