"""A plan's candidate may be a system (``system:`` instead of plain ``model:``): it runs
through ``migrate`` with its spans, and a plan (which may come from a pull request) neither
runs code nor sends secrets the user did not hand it outside the file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.errors import ConfigError, PolicyViolation, UsageError
from agility.migrate import load_plan, migrate
from agility.providers import RoutingPolicy
from agility.store import Store
from agility.systems import HeaderBinding, parse_header_binding
from agility.testing import UvicornServer

_register()

SECRET = "plan-system-secret-0123456789"


def _write_plan(folder: Path, target: str, n: int = 3) -> Path:
    """A plan in ``folder`` (named for it, so plans of one test share a store apart): a plain
    ``mock/echo`` source and the ``target`` candidate's lines."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "golden.jsonl").write_text("".join(
        json.dumps({"id": f"ex-{i:03d}", "source_prompt": f"What happened in ex-{i:03d}?",
                    "ground_truth": f"answer {i}"}) + "\n" for i in range(n)), encoding="utf-8")
    plan = folder / "plan.yaml"
    plan.write_text(f"name: {folder.name}\ndataset: {{path: golden.jsonl}}\n"
                    "source: {name: plain, model: mock/echo}\n"
                    f"target:\n  name: app\n{target}"
                    "metrics: [answered]\noutput: report\n", encoding="utf-8")
    return plan


ALLOW_APPS = RoutingPolicy(systems=frozenset({"systems_apps"}))


def test_a_python_system_candidate_runs_through_migrate_with_its_spans(
        tmp_path: Path, tmp_store: Store) -> None:
    plan = _write_plan(tmp_path / "p", "  system: python:systems_apps:two_calls\n"
                                       "  model: mock/echo\n")
    result = migrate(plan, store=tmp_store, progress=False, routing=ALLOW_APPS)
    assert result.steps["target"].startswith("ran 3 calls"), result.steps
    run = tmp_store.require_run("p/app")
    assert run.meta["system"]["spec"] == "python:systems_apps:two_calls"
    for stored in tmp_store.results(run.id):
        assert stored.error is None
        assert [s.name for s in stored.spans] == ["retrieve", "rewrite", "answer"]
        assert stored.output.startswith("answer: rewrite: What happened in")
    assert result.lineage["target"]["system"]["spec"] == "python:systems_apps:two_calls"
    assert result.lineage["source"]["system"] is None
    # the comparison breaks the target's latency down by call
    names = {row.name for row in result.comparison.latency.spans}
    assert {"retrieve", "rewrite", "answer"} <= names
    assert "Latency by call" in result.report_markdown.read_text(encoding="utf-8")


def test_a_plan_may_not_run_code_the_user_did_not_allow(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGILITY_ALLOW_SYSTEMS", raising=False)
    plan = _write_plan(tmp_path / "p", "  system: {python: 'systems_apps:two_calls'}\n")
    with pytest.raises(ConfigError) as raised:
        load_plan(plan)
    assert "plan.yaml:6: target.system.python: a file may not run code it names " \
           "('systems_apps')" in str(raised.value)
    assert load_plan(plan, routing=ALLOW_APPS).target.system is not None


@pytest.mark.parametrize("target, message", [
    ("  system: python:systems_apps:two_calls\n  recorded_outputs: r.jsonl\n",
     "give 'system' or 'recorded_outputs', not both"),
    ("  system: {python: 'systems_apps:two_calls', timeout: 3}\n", "target.system.timeout"),
    ("  system: {python: 'not a target'}\n", "is not package.module:attribute"),
    ("  system: python:systems_apps:two_calls\n  provider_options: {ttft_ms: 5}\n",
     "provider_options go with a model"),
])
def test_a_system_candidate_is_validated_strictly(tmp_path: Path, target: str,
                                                  message: str) -> None:
    plan = _write_plan(tmp_path / "p", target)
    with pytest.raises(ConfigError, match="plan.yaml:[0-9]+: target") as raised:
        load_plan(plan, routing=ALLOW_APPS)
    assert message in str(raised.value)


# -- http: systems and their secrets ------------------------------------------------------------

def _app(seen: list[dict[str, Any]]) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def ask(request: Request) -> JSONResponse:
        seen.append({"key": request.headers.get("x-team-key"), "body": await request.json()})
        if request.headers.get("x-team-key") != SECRET:
            return JSONResponse({"error": "who are you?"}, status_code=401)
        return JSONResponse({"data": {"answer": "the service answers"}})

    return Starlette(routes=[Route("/ask", ask, methods=["POST"])])


@pytest.fixture
def service() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    pytest.importorskip("starlette", reason="needs the 'web' extra (starlette, uvicorn)")
    seen: list[dict[str, Any]] = []
    with UvicornServer(_app(seen)) as server:
        yield server.url, seen


def _http_target(url: str, extra: str = "") -> str:
    return f"  system:\n    http: {{url: '{url}/ask', answer_path: data.answer{extra}}}\n"


def test_an_http_system_gets_its_secret_only_from_the_command_line(
        tmp_path: Path, tmp_store: Store, service: tuple[str, list[dict[str, Any]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, seen = service
    hostport = url.split("//", 1)[1]
    monkeypatch.setenv("TEAM_KEY", SECRET)
    plan = _write_plan(tmp_path / "p", _http_target(url))
    routing = RoutingPolicy(hosts=frozenset({hostport}))
    binding = parse_header_binding(f"{hostport}:x-team-key=TEAM_KEY")
    result = migrate(plan, store=tmp_store, progress=False, routing=routing,
                     system_headers=[binding])
    run = tmp_store.require_run("p/app")
    outputs = [r.output for r in tmp_store.results(run.id)]
    assert outputs == ["the service answers"] * 3
    assert [s["key"] for s in seen] == [SECRET] * 3
    # the secret's value is nowhere in what was written (its variable's name may be)
    assert SECRET not in json.dumps(run.model_dump(mode="json"))
    assert SECRET not in result.report_json.read_text(encoding="utf-8")
    assert SECRET not in result.report_html.read_text(encoding="utf-8")

    # without the binding the plan sends no secret, and every example fails (counted)
    seen.clear()
    plan2 = _write_plan(tmp_path / "q", _http_target(url))
    migrate(plan2, store=tmp_store, progress=False, routing=routing)
    assert [s["key"] for s in seen] == [None] * 3


def test_a_plan_may_not_name_the_secret_its_http_system_sends(
        tmp_path: Path, service: tuple[str, list[dict[str, Any]]]) -> None:
    url, _seen = service
    hostport = url.split("//", 1)[1]
    plan = _write_plan(tmp_path / "p",
                       _http_target(url, ", headers_from_env: {x-team-key: TEAM_KEY}"))
    # even with the variable and the host allowed (as a --system-options file may use them)
    routing = RoutingPolicy(hosts=frozenset({hostport}), credentials=frozenset({"TEAM_KEY"}))
    with pytest.raises(ConfigError) as raised:
        load_plan(plan, routing=routing)
    assert "target.system.http.headers_from_env.x-team-key: a plan may not choose which " \
           "secret is sent where" in str(raised.value)
    plan = _write_plan(tmp_path / "q", _http_target(url, ", headers: {Authorization: x}"))
    with pytest.raises(ConfigError, match="target.system.http.headers.Authorization"):
        load_plan(plan, routing=routing)
    # and an unlisted host, loopback included, is refused
    plan = _write_plan(tmp_path / "r", _http_target(url))
    with pytest.raises(ConfigError, match="target.system.http.url: a file may not send"):
        load_plan(plan, routing=RoutingPolicy())


def test_a_secret_bound_to_another_host_is_not_sent(tmp_path: Path, tmp_store: Store,
                                                    service: tuple[str, list[dict[str, Any]]],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    url, seen = service
    hostport = url.split("//", 1)[1]
    monkeypatch.setenv("TEAM_KEY", SECRET)
    plan = _write_plan(tmp_path / "p", _http_target(url))
    routing = RoutingPolicy(hosts=frozenset({hostport}))
    with pytest.raises(UsageError, match="no http: system of the plan is on api.corp"):
        migrate(plan, store=tmp_store, progress=False, routing=routing,
                system_headers=[parse_header_binding("api.corp:x-team-key=TEAM_KEY")])
    assert seen == []  # refused before anything ran


def test_a_header_binding_matches_its_host_and_port() -> None:
    any_port = HeaderBinding(host="API.corp", header="Authorization", env="K")
    assert any_port.matches("https://api.corp/v1") and any_port.matches("http://api.corp:81/")
    assert not any_port.matches("https://api.corp.evil.example/")
    one_port = parse_header_binding("127.0.0.1:8080:x-key=K")
    assert (one_port.host, one_port.header, one_port.env) == ("127.0.0.1:8080", "x-key", "K")
    assert one_port.matches("http://127.0.0.1:8080/ask")
    assert not one_port.matches("http://127.0.0.1:8081/ask")
    assert parse_header_binding("api.corp:x-key=K").matches("https://api.corp:443/")
    for bad in ("api.corp=K", "x-key=K", "api.corp:x key=K", "api.corp:x-key=1K"):
        with pytest.raises(Exception) as raised:
            parse_header_binding(bad)
        assert type(raised.value).__name__ in ("UsageError", "OptionsError")


def test_the_cli_takes_the_allowed_modules_and_the_bound_headers(
        tmp_path: Path, service: tuple[str, list[dict[str, Any]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, seen = service
    hostport = url.split("//", 1)[1]
    monkeypatch.setenv("TEAM_KEY", SECRET)
    monkeypatch.delenv("AGILITY_ALLOW_SYSTEMS", raising=False)
    plan = _write_plan(tmp_path / "p", _http_target(url))
    store = str(tmp_path / "agility.db")
    runner = CliRunner()
    done = runner.invoke(app, ["migrate", str(plan), "--no-progress", "--store", store,
                               "--allow-host", hostport,
                               "--system-header", f"{hostport}:x-team-key=TEAM_KEY"])
    assert done.exit_code in (0, 1), done.output
    assert [s["key"] for s in seen] == [SECRET] * 3
    bad = runner.invoke(app, ["migrate", str(plan), "--no-progress", "--store", store,
                              "--allow-host", hostport, "--system-header", "x-team-key"])
    assert bad.exit_code == 2 and "HOST:HEADER=VARIABLE" in bad.output
    assert "Traceback" not in bad.output
    code = _write_plan(tmp_path / "c", "  system: python:systems_apps:two_calls\n"
                                       "  model: mock/echo\n")
    refused = runner.invoke(app, ["migrate", str(code), "--no-progress", "--store", store])
    assert refused.exit_code == 2 and "--allow-system systems_apps" in refused.output
    allowed = runner.invoke(app, ["migrate", str(code), "--no-progress", "--store", store,
                                  "--allow-system", "systems_apps"])
    assert allowed.exit_code in (0, 1), allowed.output


@pytest.mark.parametrize("section, policy, words", [
    ("residency: {allowed: [local]}\n", "residency", "where the calls it makes on its own run"),
    ("privacy: {mask: [EMAIL_ADDRESS], where: [providers, store]}\n", "privacy",
     "'providers' in privacy.where cannot hold for it"),
])
def test_a_policy_a_system_cannot_keep_is_refused_before_anything_runs(
        tmp_path: Path, tmp_store: Store, section: str, policy: str, words: str) -> None:
    # the system makes its own calls, out of agility's sight: neither where they run nor
    # what they send can be vouched for, so the plan is refused rather than run unchecked
    plan = _write_plan(tmp_path / "p", "  system: python:systems_apps:two_calls\n"
                                       f"  model: mock/echo\n{section}")
    with pytest.raises(PolicyViolation) as refused:
        migrate(plan, store=tmp_store, progress=False, routing=ALLOW_APPS)
    assert refused.value.policy == policy and words in refused.value.reason
    assert "target is a system (python:systems_apps:two_calls)" in refused.value.reason
    assert tmp_store.list_runs() == []
