"""Through the real gateway: 10,000 users split within 1 point of the stage's share, and a
steady load across a stage change and a rollback loses no request."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.canary.conftest import answer_text, cli, events_of, send_load, write_plan

MOCK_SOURCE = {"model": "mock/fixed", "provider_options": {"output": "from the source"}}
MOCK_TARGET = {"model": "mock/fixed", "provider_options": {"output": "from the target"}}


@pytest.mark.slow
def test_ten_thousand_users_split_within_one_point(tmp_path: Path, gateway) -> None:
    plan = write_plan(tmp_path, source=MOCK_SOURCE, target=MOCK_TARGET,
                      rollout={"stages": [{"percent": 25, "min_requests": 10**6},
                                          {"percent": 100}]})
    gw = gateway(plan)
    answers = send_load(gw, 10_000, concurrency=32, users=10_000)
    assert all(status == 200 for _t, status, _arm in answers)
    share = 100.0 * sum(arm == "target" for _t, _s, arm in answers) / len(answers)
    assert abs(share - 25.0) <= 1.0, share


@pytest.mark.slow
def test_a_steady_load_across_a_stage_change_and_a_rollback_loses_nothing(tmp_path: Path,
                                                                          gateway) -> None:
    plan = write_plan(tmp_path, source=MOCK_SOURCE, target=MOCK_TARGET,
                      rollout={"stages": [{"percent": 5, "min_requests": 10**6},
                                          {"percent": 25, "min_requests": 10**6},
                                          {"percent": 100}], "check_every_s": 0.2})
    store = tmp_path / "agility.db"
    gw = gateway(plan)
    rate, seconds = 100, 12
    results: list[tuple[float, int, str, str]] = []

    async def steady() -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            async def one(i: int) -> None:
                try:
                    response = await client.post(
                        f"{gw.url}/v1/chat/completions",
                        headers={"x-user-id": f"s-{i}", **gw.auth()},
                        json={"model": "m", "messages": [{"role": "user", "content": "hi"}],
                              "stream": i % 2 == 0})
                    body = response.text
                    results.append((time.monotonic(), response.status_code,
                                    response.headers.get("x-agility-arm", ""), body))
                except httpx.HTTPError as exc:
                    results.append((time.monotonic(), 0, "", repr(exc)))

            tasks = []
            start = time.monotonic()
            for i in range(rate * seconds):
                await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
                tasks.append(asyncio.create_task(one(i)))
            await asyncio.gather(*tasks)

    def operate() -> None:
        time.sleep(seconds / 3)
        subprocess.run(cli("canary", "promote", str(plan), "--store", str(store), "--force",
                           "--actor", "ops"), check=True, capture_output=True)
        time.sleep(seconds / 3)
        subprocess.run(cli("canary", "rollback", str(plan), "--store", str(store), "--reason",
                           "drill", "--actor", "ops"), check=True, capture_output=True)

    import threading
    operator = threading.Thread(target=operate)
    operator.start()
    asyncio.run(steady())
    operator.join(60)
    assert len(results) == rate * seconds
    failed = [r for r in results if r[1] != 200]
    assert not failed, failed[:3]
    for _t, _status, arm, body in results:  # every request answered whole by one arm
        assert arm in ("source", "target") and answer_text(body) == f"from the {arm}"
    kinds = [e["kind"] for e in events_of(store)]
    assert kinds == ["canary.started", "canary.stage_advanced", "canary.rolled_back"]
    assert events_of(store, "canary.rolled_back")[0]["payload"]["from_percent"] == 25
