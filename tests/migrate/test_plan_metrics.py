"""A plan's metrics and judge are checked when the plan loads, the way scoring will build
them: a typo in a metric option, a judge metric without a judge, an unknown metric or a bad
judge provider option is one line naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from agility.errors import ConfigError
from agility.migrate import load_plan
from agility.providers._routing import ENV_ALLOWED_HOSTS

HEAD = """\
name: demo
dataset: {path: g.jsonl}
source: {name: old, model: openai/gpt-4o}
target: {name: new, model: mock/echo}
"""


def _load(tmp_path: Path, tail: str) -> str:
    path = tmp_path / "plan.yaml"
    path.write_text(HEAD + tail, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_plan(path)
    return str(caught.value)


def test_metric_option_typos_unknown_metrics_and_missing_judge_name_their_lines(
        tmp_path: Path) -> None:
    message = _load(tmp_path, """\
metrics:
  - correctness
  - name: token_f1
    treshold: 0.9
  - faithfulness
  - simlarity
  - {name: rubric}
""")
    lines = message.replace(f"{tmp_path}/", "").splitlines()[1:]
    assert lines[0] == ("plan.yaml:8: metrics.1.treshold: unknown option (allowed: threshold)")
    assert lines[1].startswith("plan.yaml:9: metrics.2: metric 'faithfulness' needs a judge")
    assert lines[1].endswith("set 'judge' in the plan")
    assert lines[2].startswith("plan.yaml:10: metrics.3: unknown metric 'simlarity'")
    assert lines[3] == "plan.yaml:11: metrics.4.criteria: Field required"
    assert len(lines) == 4 and "--" not in message


def test_judge_and_its_provider_options_are_checked(tmp_path: Path) -> None:
    message = _load(tmp_path, "metrics: [llm_correctness]\njudge: openai/gpt-4o-mini\n"
                              "judge_options:\n  base_ulr: http://127.0.0.1:9/v1\n")
    assert "plan.yaml:8: judge_options.base_ulr: unknown option (allowed: " in message
    assert "base_url" in message
    message = _load(tmp_path, "metrics: [safety]\njudge: nosuch/model\n")
    assert "plan.yaml:6: judge: unknown provider 'nosuch'" in message


def test_per_metric_judge_settings_are_checked_too(tmp_path: Path) -> None:
    message = _load(tmp_path, "judge: openai/j\nmetrics:\n  - {name: safety, repeats: 0}\n"
                              "  - {name: context_recall, mode: bm25}\n")
    assert "plan.yaml:7: metrics.0.repeats: Input should be greater than or equal to 1" in message
    assert "plan.yaml:8: metrics.1.mode: Input should be 'auto', 'gold', 'support'" in message


def test_a_good_plan_with_judge_metrics_loads(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(HEAD + "metrics: [correctness, {name: rubric, criteria: Polite.}, "
                           "{name: context_recall, mode: llm}]\njudge: openai/gpt-4o-mini\n"
                           "judge_options: {base_url: 'http://127.0.0.1:9/v1'}\n",
                    encoding="utf-8")
    plan = load_plan(path)
    assert plan.judge == "openai/gpt-4o-mini" and len(plan.metrics) == 3


def test_a_metrics_own_judge_options_cannot_route_to_a_host_the_user_did_not_allow(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_ALLOWED_HOSTS, raising=False)
    message = _load(tmp_path, "judge: openai/j\nmetrics:\n  - name: safety\n    judge_options:\n"
                              "      base_url: https://collector.example/v1\n")
    assert "routes requests where it may not" in message
    assert "plan.yaml:9: metrics.0.judge_options.base_url: a file may not send requests to " \
           "'collector.example'" in message
