"""The plan's rollout: section: the playbook's defaults, strict fields with their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agility.canary import RolloutSpec, rollout_spec
from agility.errors import ConfigError
from agility.migrate import parse_plan

BASE = """\
name: p
dataset: {path: golden.jsonl}
source: {name: a, model: mock/echo}
target: {name: b, model: mock/echo}
"""


def _plan(tmp_path: Path, rollout: str = "") -> object:
    (tmp_path / "golden.jsonl").write_text('{"id": "q", "source_prompt": "x"}\n')
    return parse_plan(BASE + rollout, "plan.yaml", base=tmp_path)


def test_without_a_rollout_section_the_playbook_applies(tmp_path: Path) -> None:
    spec = rollout_spec(_plan(tmp_path))
    assert [(s.percent, s.min_requests, s.min_minutes) for s in spec.stages] == \
        [(5, 500, 1440), (25, 2000, 2880), (100, 0, 0)]
    t = spec.triggers
    assert (t.error_rate_increase, t.ttft_increase_ms, t.ttft_increase_pct,
            t.cost_per_request_increase_pct, t.quality_drop, t.sme_hallucination_flags) == \
        (0.01, 250, 20, 10, 0.03, 1)
    assert spec.fallback == "none" and spec.require_signoff and spec.user_header == "x-user-id"


def test_a_rollout_section_overrides_some_fields_and_keeps_the_rest(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "rollout:\n  stages: [{percent: 10}, {percent: 100}]\n"
                           "  triggers: {ttft_increase_ms: null}\n  fallback: source\n")
    spec = rollout_spec(plan)
    assert [s.percent for s in spec.stages] == [10, 100]
    assert spec.triggers.ttft_increase_ms is None and spec.triggers.error_rate_increase == 0.01
    assert spec.fallback == "source"


@pytest.mark.parametrize(("section", "line", "field"), [
    ("rollout:\n  triggers: {ttft_increse_ms: 3}\n", 6, "rollout.triggers.ttft_increse_ms"),
    ("rollout:\n  stages: [{percent: 50}, {percent: 25}, {percent: 100}]\n", 6,
     "rollout.stages"),
    ("rollout:\n  stages: [{percent: 5}, {percent: 50}]\n", 6, "rollout.stages"),
    ("rollout:\n  fallback: target\n", 6, "rollout.fallback"),
    ("rollout:\n  stages: [{percent: 0}, {percent: 100}]\n", 6, "rollout.stages.0.percent"),
])
def test_a_bad_rollout_names_its_line_and_field(tmp_path: Path, section: str, line: int,
                                                field: str) -> None:
    with pytest.raises(ConfigError) as info:
        _plan(tmp_path, section)
    assert f"plan.yaml:{line}: {field}" in str(info.value)


def test_recorded_answers_cannot_be_served(tmp_path: Path) -> None:
    (tmp_path / "answers.jsonl").write_text('{"id": "q", "output": "x"}\n')
    (tmp_path / "golden.jsonl").write_text('{"id": "q", "source_prompt": "x"}\n')
    plan = parse_plan(BASE.replace("model: mock/echo}", "recorded_outputs: answers.jsonl}", 1),
                      "plan.yaml", base=tmp_path)
    with pytest.raises(ConfigError, match="source: the canary gateway calls live models"):
        rollout_spec(plan)


def test_the_spec_is_frozen() -> None:
    spec = RolloutSpec()
    with pytest.raises(ValueError):
        spec.fallback = "source"  # type: ignore[misc]


def test_the_cli_and_the_canary_library_load_no_web_framework() -> None:
    import subprocess
    import sys

    code = ("import sys; from agility.cli.main import _register; _register(); "
            "import agility.canary, agility.migrate; "
            "print(sorted(m for m in ('starlette', 'uvicorn', 'prometheus_client') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
