"""The review app's JSON API and pages under a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import concurrent.futures
import re
from collections.abc import Iterator

import httpx
import pytest

pytest.importorskip("starlette", reason="needs the web extra (starlette, uvicorn)")

from review_builder import ReviewEnv, make_review_env

from agility.auth import add_account
from agility.review import assign_reviewer, item_summaries
from agility.review.web import MAX_BODY_BYTES, create_app
from agility.testing import UvicornServer


@pytest.fixture()
def server(review_env: ReviewEnv) -> Iterator[UvicornServer]:
    with UvicornServer(create_app(review_env.store)) as running:
        yield running


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[UvicornServer, ReviewEnv]]:
    """One server for the tests that write nothing (they check that nothing was written)."""
    env = make_review_env(tmp_path_factory.mktemp("review") / "agility.db")
    try:
        with UvicornServer(create_app(env.store)) as running:
            yield running, env
    finally:
        env.store.close()


def _bearer(env: ReviewEnv, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {env.secrets[name]}"}


def _login(client: httpx.Client, env: ReviewEnv, name: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = client.post("/login", data={"name": name, "secret": env.secrets[name],
                                       "csrf_token": token, "next": "/"})
    assert done.status_code == 303, done.text


ROUTES = [
    ("GET", "/"), ("GET", "/queues/q1"), ("GET", "/queues/q1/start"),
    ("GET", "/queues/q1/items/q000"), ("POST", "/queues/q1/items/q000"),
    ("POST", "/flags/1/resolve"), ("POST", "/logout"),
    ("GET", "/api/me"), ("GET", "/api/queues"), ("GET", "/api/queues/q1/items"),
    ("GET", "/api/queues/q1/items/q000"), ("GET", "/api/queues/q1/agreement"),
    ("POST", "/api/reviews"), ("POST", "/api/flags/1/resolve"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_route_answers_without_authentication(
        shared: tuple[UvicornServer, ReviewEnv], method: str, path: str) -> None:
    server, _env = shared
    for headers in ({}, {"Authorization": "Bearer alice:" + "x" * 43},
                    {"Authorization": "Basic YWxpY2U6eA=="},
                    {"Cookie": "agility_session=forged.cookie"}):
        response = httpx.request(method, server.url + path, headers=headers,
                                 follow_redirects=False)
        if path.startswith("/api/"):
            assert response.status_code == 401, (path, headers, response.text)
        else:  # pages send the browser to the login page, with nothing of the queue in it
            assert response.status_code == 303 and response.headers["location"].startswith(
                "/login"), (path, headers)
        assert "q000" not in response.text and "Revenue" not in response.text
    assert httpx.get(server.url + "/static/review.js").status_code == 200  # code, no data


def test_api_lists_queues_and_items_for_the_reviewer(
        shared: tuple[UvicornServer, ReviewEnv]) -> None:
    server, review_env = shared
    with httpx.Client(base_url=server.url, headers=_bearer(review_env, "alice")) as client:
        assert [q["name"] for q in client.get("/api/queues").json()] == ["q1"]
        items = client.get("/api/queues/q1/items", params={"status": "pending"}).json()
        assert items and all("example_id" in i and i["status"] == "pending" for i in items)
        assert client.get("/api/queues/q2/items").status_code == 403
        assert client.get("/api/queues/q1/items", params={"status": "nope"}).status_code == 400
        view = client.get(f"/api/queues/q1/items/{items[0]['example_id']}").json()
        assert view["question"] and view["automated"]["target"]
    with httpx.Client(base_url=server.url, headers=_bearer(review_env, "lee")) as client:
        assert [q["name"] for q in client.get("/api/queues").json()] == ["q1", "q2"]
        assert client.get("/api/queues/none/items").status_code == 404


BAD_BODIES = [
    ({"example_id": "nope"}, 404, "nope"),
    ({"verdict": "maybe"}, 400, "got {'verdict': 'maybe'}"),  # the value at fault shown back
    ({"verdict": None}, 400, "verdict"),
    ({"score": 9}, 400, "less than or equal to 5, got {'score': 9}"),
    ({"score": "3"}, 400, "score"),
    ({"side": "both"}, 400, "side"),
    ({"flags": ["rude"]}, 400, "flags"),
    ({"flags": "safety"}, 400, "flags"),
    ({"notes": "n" * 4001}, 400, "notes"),
    ({"queue": "q2"}, 403, "q2"),
    ({"queue": ""}, 400, "queue"),
    ({"adjudicate": True}, 403, "adjudicate"),
    ({"extra": 1}, 400, "extra"),
]


@pytest.mark.parametrize(("change", "status", "word"), BAD_BODIES)
def test_bad_review_bodies_get_a_clear_4xx_and_write_nothing(
        shared: tuple[UvicornServer, ReviewEnv], change: dict, status: int, word: str) -> None:
    server, review_env = shared
    store = review_env.store
    before = (len(store.events()), len(store.flags()), len(store.queue_reviews(1)))
    body = {"queue": "q1", "example_id": "q000", "side": "target", "verdict": "correct",
            "score": 3, "flags": [], "notes": "", **change}
    response = httpx.post(server.url + "/api/reviews", json=body,
                          headers=_bearer(review_env, "alice"))
    assert response.status_code == status, response.text
    assert word in response.json()["error"]
    assert (len(store.events()), len(store.flags()), len(store.queue_reviews(1))) == before


def test_malformed_requests_are_4xx_not_500(shared: tuple[UvicornServer, ReviewEnv]) -> None:
    server, review_env = shared
    headers = _bearer(review_env, "alice")
    post = lambda **kw: httpx.post(server.url + "/api/reviews", headers={**headers, **kw.pop(  # noqa: E731
        "extra", {})}, **kw)
    assert post(content=b"{not json", extra={"content-type": "application/json"}
                ).status_code == 400
    assert post(content=b"[1, 2]", extra={"content-type": "application/json"}).status_code == 400
    assert post(content=b"verdict=correct").status_code == 400  # not JSON
    big = b'{"notes": "' + b"x" * MAX_BODY_BYTES + b'"}'
    assert post(content=big, extra={"content-type": "application/json"}).status_code == 413
    lead = _bearer(review_env, "lee")
    assert httpx.post(server.url + "/api/flags/abc/resolve", headers=lead).status_code == 400
    assert httpx.post(server.url + "/api/flags/99/resolve", headers=lead).status_code == 404
    assert httpx.post(server.url + "/api/flags/99/resolve", headers=lead, content=b"{x"
                      ).status_code == 400


def test_session_posts_need_the_csrf_token(server: UvicornServer, review_env: ReviewEnv) -> None:
    with httpx.Client(base_url=server.url) as client:
        _login(client, review_env, "alice")
        body = {"queue": "q1", "example_id": "q000", "verdict": "correct", "score": 3}
        assert client.post("/api/reviews", json=body).status_code == 403
        page = client.get("/queues/q1/items/q000")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        ok = client.post("/api/reviews", json=body, headers={"X-CSRF-Token": token})
        assert ok.status_code == 200, ok.text
        form = {"verdict": "incorrect", "score": "2", "side": "target"}
        assert client.post("/queues/q1/items/q000", data=form).status_code == 403
        saved = client.post("/queues/q1/items/q000", data={**form, "csrf_token": token})
        assert saved.status_code == 303
    verdicts = [r.verdict for r in review_env.store.queue_reviews(1) if r.example_id == "q000"]
    assert verdicts == ["correct", "incorrect"]


def test_flag_resolution_and_agreement_over_the_api(
        server: UvicornServer, review_env: ReviewEnv) -> None:
    alice, lead = _bearer(review_env, "alice"), _bearer(review_env, "lee")
    posted = httpx.post(server.url + "/api/reviews", headers=alice, json={
        "queue": "q1", "example_id": "q005", "verdict": "incorrect", "score": 1,
        "flags": ["safety", "hallucination"], "notes": "invented a figure"}).json()
    flag_id = posted["flags"][0]["id"]
    assert httpx.post(f"{server.url}/api/flags/{flag_id}/resolve", headers=alice,
                      json={"resolution": "x"}).status_code == 403
    resolved = httpx.post(f"{server.url}/api/flags/{flag_id}/resolve", headers=lead,
                          json={"resolution": "escalated to the model owner"})
    assert resolved.status_code == 200 and resolved.json()["resolved_by"] == "lee"
    assert httpx.post(f"{server.url}/api/flags/{flag_id}/resolve", headers=lead,
                      json={}).status_code == 400  # already resolved
    agreement = httpx.get(server.url + "/api/queues/q1/agreement", headers=alice).json()
    assert agreement["items"] > 0 and agreement["unresolved_flags"] == {"hallucination": 1}
    events = review_env.store.events(subject="q1")
    assert [e.actor for e in events if e.kind in ("review.verdict", "review.flag_resolved")] \
        == ["alice", "lee"]


@pytest.mark.slow
def test_twenty_concurrent_reviewers_lose_no_verdict(
        server: UvicornServer, review_env: ReviewEnv) -> None:
    store = review_env.store
    queue = store.get_queue("q1")
    names = [f"r{i:02d}" for i in range(20)]
    tokens = {}
    for name in names:
        _, tokens[name] = add_account(store, name, "reviewer")
        assign_reviewer(store, "q1", name)
    items = [i.example_id for i in store.queue_items(queue.id)]
    before = len(store.queue_reviews(queue.id))

    def review_all(name: str) -> int:
        posted = 0
        with httpx.Client(base_url=server.url, timeout=60,
                          headers={"Authorization": f"Bearer {tokens[name]}"}) as client:
            for example_id in items:
                response = client.post("/api/reviews", json={
                    "queue": "q1", "example_id": example_id, "verdict": "correct",
                    "score": 4, "notes": name})
                assert response.status_code == 200, response.text
                posted += 1
        return posted

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        sent = sum(pool.map(review_all, names))
    stored = store.queue_reviews(queue.id)
    assert sent == 20 * len(items) == len(stored) - before
    assert {(r.reviewer, r.example_id) for r in stored[before:]} \
        == {(n, e) for n in names for e in items}
    assert len(store.events(subject="q1", kind="review.verdict")) == len(stored)
    account = store.get_account("r00")
    assert all(s.status == "done" for s in item_summaries(store, queue, account, "all"))


def test_lead_resolves_a_flag_from_the_queue_page(
        server: UvicornServer, review_env: ReviewEnv) -> None:
    store = review_env.store
    from agility.review import record_review

    _, flags = record_review(store, store.get_account("alice"), {
        "queue": "q1", "example_id": "q000", "verdict": "incorrect", "score": 1,
        "flags": ["safety"]})
    with httpx.Client(base_url=server.url) as client:
        _login(client, review_env, "lee")
        page = client.get("/queues/q1")
        assert f'action="/flags/{flags[0].id}/resolve"' in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        assert client.post(f"/flags/{flags[0].id}/resolve",
                           data={"resolution": "fine"}).status_code == 403  # no token
        done = client.post(f"/flags/{flags[0].id}/resolve",
                           data={"resolution": "fine", "csrf_token": token})
        assert done.status_code == 303 and done.headers["location"] == "/queues/q1"
        assert client.post("/logout", data={"csrf_token": token}).status_code == 303
        assert client.get("/queues/q1", follow_redirects=False).status_code == 303
    assert store.get_flag(flags[0].id).resolved_by == "lee"
    assert [e.kind for e in store.events(subject="lee")][-2:] == ["auth.login", "auth.logout"]


def test_a_hostile_field_name_is_cut_and_kept_on_one_line() -> None:
    from agility.errors import InvalidArgument
    from agility.review._models import ReviewInput, parse_input

    with pytest.raises(InvalidArgument) as raised:
        parse_input(ReviewInput, {"verdict": "correct", "x" * 300 + "\nINJECTED": "y" * 300})
    message = str(raised.value)
    assert "\n" not in message and "INJECTED" not in message and len(message) < 400, message
    assert "unknown field" in message and "y" * 81 not in message
