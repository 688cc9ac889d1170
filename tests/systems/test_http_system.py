"""``http:`` systems against a real service: a Starlette app under uvicorn on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agility.errors import ConfigError, OptionsError
from agility.runner import run_system
from agility.store import Store
from agility.testing import UvicornServer

pytest.importorskip("starlette", reason="needs the 'web' extra (starlette, uvicorn)")

SECRET = "team-secret-value-0123456789"


def make_app(seen: list[dict[str, Any]]) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    async def ask(request: Request) -> JSONResponse:
        if request.headers.get("x-team-key") != SECRET:
            return JSONResponse({"error": "who are you?"}, status_code=401)
        body = await request.json()
        seen.append(body)
        question = body.get("question") or body.get("q")
        return JSONResponse({"data": {"answer": f"the service says: {question}",
                                      "docs": ["doc one", {"id": 2}]}})

    async def slow(request: Request) -> JSONResponse:
        await asyncio.sleep(3)
        return JSONResponse({"answer": "late"})

    async def no_answer(request: Request) -> JSONResponse:
        return JSONResponse({"result": "something else"})

    async def broken(request: Request) -> PlainTextResponse:
        # a service that echoes the credential it was sent in its error page
        return PlainTextResponse(f"internal error for key {request.headers.get('x-team-key')}",
                                 status_code=500)

    return Starlette(routes=[Route("/ask", ask, methods=["POST"]),
                             Route("/slow", slow, methods=["POST"]),
                             Route("/no-answer", no_answer, methods=["POST"]),
                             Route("/broken", broken, methods=["POST"])])


@pytest.fixture
def service() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    with UvicornServer(make_app(seen)) as server:
        yield server.url, seen


@pytest.fixture(autouse=True)
def team_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_TEAM_KEY", SECRET)


AUTH = {"headers_from_env": {"x-team-key": "X_TEAM_KEY"}}


def test_answers_come_from_the_service(store: Store, golden: Callable[..., Path],
                                       service: tuple[str, list[dict[str, Any]]]) -> None:
    url, seen = service
    summary = run_system(golden(3), f"http:{url}/ask", name="svc", store=store,
                         system_options={**AUTH, "answer_path": "data.answer",
                                         "contexts_path": "data.docs"}, progress=False)
    assert (summary.n_done, summary.n_errors) == (3, 0)
    run = store.require_run("svc")
    assert SECRET not in json.dumps(run.model_dump(mode="json"))  # only the variable's name
    assert run.meta["system"]["http"]["headers_from_env"] == {"x-team-key": "X_TEAM_KEY"}
    results = {r.example_id: r for r in store.results(run.id)}
    assert results["ex-002"].output == "the service says: What happened in ex-002?"
    assert results["ex-002"].contexts == ["doc one", '{"id": 2}']
    [http_span] = results["ex-002"].spans
    assert http_span.name == "http" and http_span.attributes["status"] == 200
    assert http_span.attributes["url_path"] == "/ask"
    assert results["ex-002"].latency_ms is not None and results["ex-002"].latency_ms > 0
    # the default body: id, question and the messages
    assert sorted(seen[0]) == ["id", "messages", "question"]
    assert seen[0]["messages"][0]["role"] == "user"


def test_body_template_renders_the_request(store: Store, golden: Callable[..., Path],
                                           service: tuple[str, list[dict[str, Any]]]) -> None:
    url, seen = service
    template = '{"q": {{ question | tojson }}, "row": {{ id | tojson }}, "n": {{ metadata.n }}}'
    run_system(golden(1, metadata={"n": 7}), f"http:{url}/ask", name="tmpl", store=store,
               system_options={**AUTH, "body_template": template, "answer_path": "data.answer"},
               progress=False)
    assert seen == [{"q": "What happened in ex-000?", "row": "ex-000", "n": 7}]
    [result] = store.results(store.require_run("tmpl").id)
    assert result.output == "the service says: What happened in ex-000?"


@pytest.mark.parametrize(("route", "options", "message"), [
    ("/slow", {"timeout_s": 0.3}, "no answer within 0.3 s (timeout_s)"),
    ("/no-answer", {}, "the reply has no 'data.answer' (answer_path; missing 'data')"),
    ("/broken", {}, "HTTP 500: internal error for key ***"),
    ("/ask", {"headers_from_env": {}}, "HTTP 401"),
])
def test_service_faults_fail_the_example_with_the_reason(
        store: Store, golden: Callable[..., Path], service: tuple[str, list[dict[str, Any]]],
        route: str, options: dict[str, Any], message: str) -> None:
    url, _ = service
    summary = run_system(golden(2), f"http:{url}{route}", name="fault", store=store,
                         system_options={**AUTH, "answer_path": "data.answer", **options},
                         progress=False)
    assert (summary.n_done, summary.n_errors) == (2, 2)
    for result in store.results(store.require_run("fault").id):
        assert result.error is not None and message in result.error, result.error
        assert SECRET not in result.error
        [http_span] = result.spans
        assert http_span.name in ("http", "system") and http_span.error is not None


def test_a_missing_header_variable_fails_each_example(
        store: Store, golden: Callable[..., Path], service: tuple[str, list[dict[str, Any]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X_TEAM_KEY")
    url, _ = service
    run_system(golden(1), f"http:{url}/ask", name="nokey", store=store,
               system_options=AUTH, progress=False)
    [result] = store.results(store.require_run("nokey").id)
    assert result.error is not None and "reads $X_TEAM_KEY, which is not set" in result.error


def test_bad_http_settings_are_refused_before_the_run(store: Store,
                                                      golden: Callable[..., Path]) -> None:
    with pytest.raises(OptionsError, match="answer_pth"):
        run_system(golden(1), "http:http://127.0.0.1:9/ask", name="x", store=store,
                   system_options={"answer_pth": "a"}, progress=False)
    with pytest.raises(ConfigError, match="body_template does not compile"):
        run_system(golden(1), "http:http://127.0.0.1:9/ask", name="x", store=store,
                   system_options={"body_template": "{{ question "}, progress=False)
    with pytest.raises(OptionsError, match="not an http"):
        run_system(golden(1), "http:ftp://127.0.0.1/ask", name="x", store=store,
                   progress=False)
    assert store.get_run("x") is None
