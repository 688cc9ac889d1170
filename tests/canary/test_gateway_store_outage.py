"""The gateway on a PostgreSQL store that goes away (a restart, a failover): a client whose
token cannot be re-checked is told 503, retry later -- not 401 "invalid API key", which
sends people to rotate a key that is fine -- and never where the store is; once the server is
back, requests pass again. A real `agility canary serve` process and a real PostgreSQL server."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from agility.auth import add_account
from agility.store import Store
from agility.testing import FakeOpenAIServer, PostgresServer
from tests.canary.conftest import UPSTREAM_KEY, cli, openai_side, write_plan

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.slow
def test_a_store_outage_is_a_503_without_the_store_s_address_then_passes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with PostgresServer() as pg, FakeOpenAIServer() as upstream:
        for name, value in pg.environ().items():
            monkeypatch.setenv(name, value)
        url = pg.create_database("gateway")
        with Store(url) as db:
            token = add_account(db, "client", "canary-client", actor="tests")[1]
        side = openai_side(upstream.base_url)
        plan = write_plan(tmp_path, source=side, target=side,
                          rollout={"stages": [{"percent": 50, "min_requests": 10**6},
                                              {"percent": 100}]})
        log = (tmp_path / "gateway.log").open("w")
        gateway = subprocess.Popen(
            cli("canary", "serve", str(plan), "--port", "0", "--store", url,
                "--without-approval", "--actor", "tests"),
            env={**os.environ, "OPENAI_API_KEY": UPSTREAM_KEY}, stdout=subprocess.PIPE,
            stderr=log, text=True)
        try:
            assert gateway.stdout is not None
            base = gateway.stdout.readline().split()[-1]
            headers = {"authorization": f"Bearer {token}"}

            def ask() -> httpx.Response:
                return httpx.post(f"{base}/v1/chat/completions", json=BODY, headers=headers,
                                  timeout=30)

            assert ask().status_code == 200
            pg.go_down()
            time.sleep(1.5)  # past the gateway's 1 s re-check of a remembered token
            down = ask()
            assert down.status_code == 503, down.text
            assert down.headers["retry-after"] == "1"
            assert down.json()["error"]["code"] == "store_unavailable"
            assert "127.0.0.1" not in down.text and "gateway" not in down.text  # no address
            pg.come_back()
            deadline = time.monotonic() + 30
            while (up := ask()).status_code != 200:
                assert up.status_code == 503 and time.monotonic() < deadline, up.text
                time.sleep(0.2)
            assert gateway.poll() is None
        finally:
            gateway.kill()
            gateway.wait(10)
            log.close()
        assert "Traceback" not in (tmp_path / "gateway.log").read_text()
