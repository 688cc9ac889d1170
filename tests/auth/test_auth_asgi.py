"""The Starlette glue under a real uvicorn server: cookie flags, CSRF, headers, errors."""

from __future__ import annotations

import httpx
import pytest

pytest.importorskip("starlette", reason="needs the web extra (starlette)")

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agility.auth import Authenticator, add_account
from agility.auth.asgi import DEFAULT_CSP, SecurityHeaders, StarletteAuth, json_error
from agility.errors import AgilityError
from agility.store import Store
from agility.testing import UvicornServer


def _app(store: Store) -> SecurityHeaders:
    auth = StarletteAuth(Authenticator(store))

    async def login(request: Request) -> Response:
        data = await request.json()
        try:
            issued = await auth.authenticator.alogin(data["name"], data["secret"])
        except AgilityError as exc:
            return json_error(exc)
        response = JSONResponse({"csrf": issued.principal.csrf_token})
        auth.set_session(response, issued, request)
        return response

    async def whoami(request: Request) -> Response:
        try:
            principal = await auth.principal(request)
            if request.method == "POST":
                auth.require_csrf(principal, request.headers.get("x-csrf-token"))
        except AgilityError as exc:
            return json_error(exc)
        return JSONResponse({"name": principal.name, "via": principal.via})

    app = Starlette(routes=[Route("/login", login, methods=["POST"]),
                            Route("/me", whoami, methods=["GET", "POST"])])
    return SecurityHeaders(app)


def test_session_cookie_flags_csrf_and_headers(tmp_store: Store) -> None:
    _, secret = add_account(tmp_store, "alice", "reviewer")
    with UvicornServer(_app(tmp_store)) as server, httpx.Client(base_url=server.url) as client:
        anonymous = client.get("/me")
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"].startswith("Bearer")
        assert anonymous.headers["content-security-policy"] == DEFAULT_CSP
        assert anonymous.headers["x-frame-options"] == "DENY"
        assert client.post("/login", json={"name": "alice", "secret": "alice:" + "x" * 43}
                           ).status_code == 401
        logged = client.post("/login", json={"name": "alice", "secret": secret})
        cookie = logged.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
        assert client.get("/me").json() == {"name": "alice", "via": "session"}
        assert client.post("/me").status_code == 403  # no CSRF token
        ok = client.post("/me", headers={"x-csrf-token": logged.json()["csrf"]})
        assert ok.status_code == 200
    with UvicornServer(_app(tmp_store)) as server, httpx.Client(base_url=server.url) as client:
        bearer = client.post("/me", headers={"authorization": f"Bearer {secret}"})
        assert bearer.json() == {"name": "alice", "via": "bearer"}


def test_a_store_error_is_a_503_that_does_not_say_where_the_store_is(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """A request that fails on the store (its PostgreSQL server restarting) is told to retry,
    not 500 and never the store's address; the operator's log has the detail, once."""
    from agility.auth import asgi
    from agility.errors import StoreError

    monkeypatch.setattr(asgi, "_last_store_log", [-1e9])  # no earlier test's line counts

    failure = StoreError("cannot read the store at postgresql://agility@db.internal:5432/team: "
                         "the database server cannot be reached", path="postgresql://x")
    with caplog.at_level("WARNING", logger="agility.auth.asgi"):
        responses = [json_error(failure) for _ in range(3)]
    response = responses[0]
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert b"db.internal" not in response.body and b"postgresql" not in response.body
    assert b"try again" in response.body
    logged = [r.getMessage() for r in caplog.records if "db.internal" in r.getMessage()]
    assert len(logged) == 1  # the detail for the operator, not one line per failing request


def test_no_message_tells_a_client_where_a_service_store_is(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Other errors name the store too ("no run named 'x' in postgresql://...", "the rollout
    ... has not started in ..."): a service registers its store, and no message a client
    gets names it."""
    from agility.auth import asgi
    from agility.errors import RunNotFound, UsageError
    from agility.review.web import create_app

    monkeypatch.setattr(asgi, "_hidden_locations", set())
    url = "postgresql://agility@db.internal:5432/team"
    asgi.hide_location(url)
    for exc in (RunNotFound("nightly", url, ["a", "b"]),
                UsageError(f"the rollout of plan 'p' has not started in {url}: start it")):
        response = json_error(exc)
        assert response.status_code in (400, 404)
        assert b"db.internal" not in response.body and b"postgresql" not in response.body
        assert b"the service's store" in response.body
    # the review app registers its own store when it is built
    store_file = tmp_path / "review.db"
    create_app(store_file)
    told = asgi.error_message(RunNotFound("nightly", str(store_file), []))
    assert str(store_file) not in told and str(tmp_path) not in told
