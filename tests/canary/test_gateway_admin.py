"""Tokens at the gateway (the shared accounts of agility.auth) and the admin API: the same
decisions as the CLI, with the account as the actor; bad requests get a 4xx."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agility.auth import add_account, disable_account
from agility.store import Store
from agility.testing import FakeOpenAIServer
from tests.canary.conftest import (
    GatewayProcess,
    chat,
    cli,
    events_of,
    openai_side,
    user_on,
    write_plan,
)


def _serve(folder: Path) -> Iterator[tuple[GatewayProcess, Path]]:
    with FakeOpenAIServer() as upstream:
        plan = write_plan(folder, source=openai_side(upstream.base_url),
                          target=openai_side(upstream.base_url),
                          rollout={"stages": [{"percent": 50, "min_requests": 10**6},
                                              {"percent": 100}]})
        with GatewayProcess(plan, folder / "agility.db") as gw:
            yield gw, folder / "agility.db"


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[GatewayProcess, Path]]:
    """A gateway of its own (the test changes the rollout)."""
    yield from _serve(tmp_path)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, Path]]:
    """One gateway for the tests that must change nothing."""
    yield from _serve(tmp_path_factory.mktemp("admin"))


def test_every_route_but_healthz_needs_the_right_token(shared: tuple[GatewayProcess, Path]
                                                       ) -> None:
    gw, store = shared
    assert httpx.get(f"{gw.url}/healthz").status_code == 200
    missing = httpx.post(f"{gw.url}/v1/chat/completions", json={"model": "m", "messages": []})
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "invalid_api_key"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert chat(gw, token="test-canary-client:not-the-secret").status_code == 401
    assert chat(gw, token="garbage").status_code == 401
    assert chat(gw, token=gw.tokens["canary-viewer"]).status_code == 403
    assert chat(gw).status_code == 200 and chat(gw, token=gw.tokens["canary-admin"]).status_code \
        == 200
    assert httpx.get(f"{gw.url}/v1/models").status_code == 401
    assert httpx.get(f"{gw.url}/metrics").status_code == 401
    assert httpx.get(f"{gw.url}/metrics", headers=gw.auth()).status_code == 403
    assert httpx.get(f"{gw.url}/metrics", headers=gw.auth("canary-viewer")).status_code == 200
    status = httpx.get(f"{gw.url}/admin/status", headers=gw.auth("canary-viewer"))
    assert status.status_code == 200 and status.json()["verdict"].startswith("at stage 1")
    assert status.headers["x-content-type-options"] == "nosniff"
    denied = httpx.post(f"{gw.url}/admin/rollback", json={"reason": "x"},
                        headers=gw.auth("canary-viewer"))
    assert denied.status_code == 403
    assert "may not roll the rollout back" in denied.json()["error"]
    assert [e["kind"] for e in events_of(store)] == ["canary.started"]


def test_admin_decisions_take_effect_with_the_account_as_actor(
        setup: tuple[GatewayProcess, Path]) -> None:
    gw, store = setup
    admin = gw.auth("canary-admin")
    user = user_on("target", 50)
    assert chat(gw, user=user).headers["x-agility-arm"] == "target"
    paused = httpx.post(f"{gw.url}/admin/pause", json={"reason": "holiday"}, headers=admin)
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    resumed = httpx.post(f"{gw.url}/admin/resume", headers=admin)
    assert resumed.json()["status"] == "running"
    rolled = httpx.post(f"{gw.url}/admin/rollback", json={"reason": "wrong figures"},
                        headers=admin)
    assert rolled.status_code == 200 and rolled.json()["status"] == "rolled_back"
    # adopted at once by this gateway: the very next request goes to the source
    assert chat(gw, user=user).headers["x-agility-arm"] == "source"
    restarted = httpx.post(f"{gw.url}/admin/promote", json={"note": "fixed"}, headers=admin)
    assert restarted.json() == {"name": "canary-test", "status": "running", "stage": 1,
                                "percent": 50.0, "version": restarted.json()["version"]}
    with Store(store) as db:
        add_account(db, "sme-ann", "lead")
        _, sme_token = add_account(db, "sme-bob", "reviewer")
    flagged = httpx.post(f"{gw.url}/admin/flag", json={"note": "made up", "request_id": "r1"},
                         headers={"authorization": f"Bearer {sme_token}"})
    assert flagged.status_code == 200
    kinds = [(e["kind"], e["actor"]) for e in events_of(store)]
    assert kinds[1:] == [("canary.paused", "test-canary-admin"),
                         ("canary.resumed", "test-canary-admin"),
                         ("canary.rolled_back", "test-canary-admin"),
                         ("canary.restarted", "test-canary-admin"),
                         ("canary.sme_flag", "sme-bob")]


@pytest.mark.parametrize(("path", "body", "status"), [
    ("/admin/rollback", b"{}", 400),                       # a rollback needs its reason
    ("/admin/rollback", b'{"reason": ""}', 400),
    ("/admin/promote", b'{"force": "yes please"}', 400),
    ("/admin/pause", b'{"reason": "x", "extra": 1}', 400),  # strict: unknown field
    ("/admin/pause", b"not json", 400),
    ("/admin/pause", b"[1]", 400),
    ("/admin/pause", b'{"reason": "' + b"x" * 20_000 + b'"}', 413),
])
def test_bad_admin_requests_get_a_4xx_and_change_nothing(shared: tuple[GatewayProcess, Path],
                                                        path: str, body: bytes,
                                                        status: int) -> None:
    gw, store = shared
    response = httpx.post(f"{gw.url}{path}", content=body, headers=gw.auth("canary-admin"))
    assert response.status_code == status, response.text
    assert [e["kind"] for e in events_of(store)] == ["canary.started"]
    assert "Traceback" not in gw.read_log()


def test_a_disabled_client_is_refused_within_a_second(setup: tuple[GatewayProcess, Path]
                                                      ) -> None:
    gw, store = setup
    assert chat(gw).status_code == 200
    with Store(store) as db:
        disable_account(db, "test-canary-client")
    deadline = time.monotonic() + 5
    while chat(gw).status_code == 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert time.monotonic() - (deadline - 5) < 2.5
    assert chat(gw).status_code == 401


def test_cli_user_add_prints_the_token_last(tmp_path: Path) -> None:
    store = tmp_path / "agility.db"
    done = subprocess.run(cli("canary", "user", "add", "prometheus", "--role", "canary-viewer",
                              "--store", str(store)), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    assert token.startswith("prometheus:") and "canary-viewer" in done.stderr
    bad = subprocess.run(cli("canary", "user", "add", "x", "--role", "root", "--store",
                             str(store)), capture_output=True, text=True)
    assert bad.returncode == 2 and "canary-admin" in bad.stderr


def test_without_client_auth_only_the_admin_api_needs_tokens(tmp_path: Path, gateway) -> None:
    with FakeOpenAIServer() as upstream:
        plan = write_plan(tmp_path, source=openai_side(upstream.base_url),
                          target=openai_side(upstream.base_url))
        gw = gateway(plan, "--no-client-auth")
        open_call = httpx.post(f"{gw.url}/v1/chat/completions", json={
            "model": "m", "messages": [{"role": "user", "content": "hi"}]})
        assert open_call.status_code == 200
        assert httpx.post(f"{gw.url}/admin/rollback", json={"reason": "x"}).status_code == 401
