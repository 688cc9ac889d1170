"""The migration plan file: strict validation, errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from agility.compare import Criteria
from agility.errors import ConfigError, UsageError
from agility.migrate import STARTER_PLAN, load_plan, parse_plan, write_starter_plan

GOOD = """\
name: demo
dataset: {path: data/golden.jsonl}
source: {name: old, model: openai/gpt-4o, prompt: prompts/old.yaml}
target: {name: new, recorded_outputs: answers.jsonl}
criteria: criteria.yaml
"""


def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_plan(path)
    return str(info.value)


def test_relative_paths_resolve_against_the_plan_folder(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "plan.yaml").write_text(GOOD, encoding="utf-8")
    plan = load_plan(folder / "plan.yaml")
    assert plan.dataset.path == (folder / "data" / "golden.jsonl").resolve()
    assert plan.source.prompt == (folder / "prompts" / "old.yaml").resolve()
    assert plan.criteria == (folder / "criteria.yaml").resolve()
    assert plan.output == (folder / "agility-report").resolve()
    assert plan.target.model_spec == f"replay/{(folder / 'answers.jsonl').resolve()}"
    assert plan.run_name("source") == "demo/old" and plan.run_name("target") == "demo/new"
    assert plan.plan_hash and len(plan.plan_hash) == 64


def test_unknown_and_missing_fields_are_named_with_their_line(tmp_path: Path) -> None:
    message = _error(tmp_path, "name: demo\ndataset: {path: g.jsonl}\nsource: {name: a, "
                               "model: openai/x}\ntarget:\n  name: b\n  modle: openai/y\n")
    assert "plan.yaml:6: target.modle: unknown field" in message
    message = _error(tmp_path, "name: demo\nsource: {name: a, model: openai/x}\n"
                               "target:\n  name: b\n")
    assert "plan.yaml:1: dataset: required field is missing" in message
    message = _error(tmp_path, "name: demo\ndataset: {path: g.jsonl}\n"
                               "source: {name: a, model: openai/x}\ntarget:\n  name: b\n")
    assert "plan.yaml:5: target: give exactly one of 'model'" in message


def test_every_bad_field_is_reported_at_once(tmp_path: Path) -> None:
    message = _error(tmp_path, """\
name: bad name
dataset:
  path: g.jsonl
  splits: [dev, test]
source:
  name: a
  model: gpt4
  config: {temperature: 5}
target: {name: b, model: openai/y, concurrency: 0}
""")
    for expected in ("plan.yaml:1: name: use only letters", "plan.yaml:4: dataset.splits.1:",
                     "plan.yaml:7: source.model: 'gpt4' is not provider/model",
                     "plan.yaml:8: source.config.temperature:",
                     "plan.yaml:9: target.concurrency:"):
        assert expected in message, expected


def test_a_credential_in_the_plan_is_refused_without_echoing_it(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("prompt: prompts/old.yaml",
                                            "provider_options: {api_key: sk-live-SECRET123456}"))
    assert "source.provider_options" in message and "environment" in message
    assert "SECRET123456" not in message


def test_same_candidate_names_are_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("name: new", "name: old"))
    assert "source.name and target.name are both 'old'" in message


def test_broken_yaml_and_a_missing_file_get_clear_errors(tmp_path: Path) -> None:
    assert "plan.yaml:2: -: not valid YAML" in _error(tmp_path, "name: x\n  bad: [\n")
    assert "a plan is a mapping" in _error(tmp_path, "- just\n- a list\n")
    with pytest.raises(ConfigError, match="agility init"):
        load_plan(tmp_path / "nowhere.yaml")


def test_inline_criteria_are_validated_as_criteria() -> None:
    plan = parse_plan(GOOD.replace("criteria: criteria.yaml",
                                   "criteria: {quality: {max_relative_drop: 0.05}}"))
    assert isinstance(plan.criteria, Criteria)
    assert plan.criteria_object().quality.max_relative_drop == 0.05
    with pytest.raises(ConfigError, match="quality.max_relative_drop"):
        parse_plan(GOOD.replace("criteria: criteria.yaml",
                                "criteria: {quality: {max_relative_drop: 7}}"))


def test_the_starter_plan_is_a_valid_plan(tmp_path: Path) -> None:
    path = write_starter_plan(tmp_path / "sub" / "plan.yaml")
    assert path.read_text(encoding="utf-8") == STARTER_PLAN
    plan = load_plan(path)
    assert plan.source.model == "openai/gpt-4o" and isinstance(plan.criteria, Criteria)
    with pytest.raises(UsageError, match="already exists"):
        write_starter_plan(path)
    write_starter_plan(path, force=True)


def test_inline_criteria_errors_point_at_their_line_in_the_plan(tmp_path: Path) -> None:
    text = GOOD.replace("criteria: criteria.yaml",
                        "criteria:\n  quality:\n    max_relative_drop: 0.05\n    typo_field: 1\n")
    message = _error(tmp_path, text)
    assert "plan.yaml:8: criteria.quality.typo_field: unknown field" in message


def test_init_writes_the_criteria_and_prompt_files_the_plan_and_tour_name(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from agility.cli.main import _register, app
    from agility.compare import load_criteria
    from agility.prompts import load_template

    _register()
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "current.yaml").write_text("kept: mine\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["init", str(tmp_path / "plan.yaml")])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "criteria.yaml" in result.output
    assert (tmp_path / "prompts" / "current.yaml").read_text() == "kept: mine\n"  # kept
    assert load_criteria(tmp_path / "criteria.yaml").quality.max_relative_drop == 0.03
    template = load_template(tmp_path / "prompts" / "candidate.yaml")
    assert template.name == "candidate"
    (tmp_path / "golden.jsonl").write_text(
        '{"id": "1", "source_prompt": "q", "ground_truth": "a"}\n', encoding="utf-8")
    (tmp_path / "prompts" / "current.yaml").unlink()
    CliRunner().invoke(app, ["init", str(tmp_path / "plan.yaml"), "--force"])
    plan = load_plan(tmp_path / "plan.yaml")
    assert plan.source.prompt == (tmp_path / "prompts" / "current.yaml").resolve()
    assert plan.source.prompt.is_file() and plan.target.prompt.is_file()
