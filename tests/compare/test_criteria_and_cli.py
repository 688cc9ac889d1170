"""Criteria YAML validation, and `agility compare` exit codes and outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from store_builder import add_run, save_dataset
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.compare import Criteria, load_criteria, parse_criteria
from agility.errors import ConfigError
from agility.store import Store

_register()


def test_defaults_are_the_playbook_sample_values() -> None:
    c = Criteria()
    assert c.quality.metrics == ["correctness"] and c.quality.max_relative_drop == 0.03
    assert (c.latency.ttft_max_increase_pct, c.latency.ttft_max_increase_ms) == (20.0, 250.0)
    assert c.cost.max_increase_pct == 0.0 and c.use_holdout is True


def test_criteria_file_is_read_and_unset_fields_keep_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("quality: {metrics: [exact_match, correctness], max_relative_drop: 0.05}\n"
                    "cost: {payback_days: 90}\n")
    c = load_criteria(path)
    assert c.quality.metrics == ["exact_match", "correctness"]
    assert c.quality.max_relative_drop == 0.05 and c.quality.alpha == 0.05
    assert c.cost.payback_days == 90 and c.latency.ttft_max_increase_ms == 250.0


def test_invalid_field_error_names_file_line_and_field() -> None:
    text = "quality:\n  metrics: [correctness]\n  max_relative_drop: lots\nlatency: {}\n"
    with pytest.raises(ConfigError) as info:
        parse_criteria(text, "gate.yaml")
    assert "gate.yaml:3: quality.max_relative_drop" in str(info.value)


def test_unknown_key_and_bad_yaml_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"gate.yaml:2: latency.ttft_pct: unknown field"):
        parse_criteria("quality: {}\nlatency: {ttft_pct: 5}\n", "gate.yaml")
    with pytest.raises(ConfigError, match=r"gate.yaml:\d+: -: not valid YAML"):
        parse_criteria("quality: [unclosed\n", "gate.yaml")
    with pytest.raises(ConfigError, match="cannot read the criteria file"):
        load_criteria(tmp_path / "missing.yaml")


def _store_with(tmp_path: Path, target_rate_drop: bool) -> Path:
    path = tmp_path / "agility.db"
    with Store(path) as store:
        # 400 calls a side: with no failed call, enough to show the error rate rose < 1 point
        rows = [{"id": f"q{i}", "source_prompt": "q", "ground_truth": "a"} for i in range(400)]
        ds = save_dataset(store, rows)
        for name, drop in (("src", False), ("tgt", target_rate_drop)):
            add_run(store, name, ds, [{
                "example_id": f"q{i}", "output": "<b>x</b>", "ttft_ms": 100.0, "latency_ms": 200.0,
                "cost_usd": 0.001,
                "scores": {"correctness": (1.0, True) if not (drop and i % 4 == 0)
                           else (0.0, False)}} for i in range(400)])
    return path


def test_cli_exits_zero_on_pass_and_writes_every_output(tmp_path: Path) -> None:
    store = _store_with(tmp_path, target_rate_drop=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "compare", "src", "tgt", "--store", str(store), "--resamples", "500",
        "--json", str(out / "r.json"), "--html", str(out / "r.html"),
        "--markdown", str(out / "r.md"), "--review-out", str(out / "review.jsonl"),
        "--traffic", "100000"])
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output
    data = json.loads((out / "r.json").read_text())
    assert data["verdict"] == "PASS" and data["cost"]["target"]["monthly_usd"] == pytest.approx(100)
    assert "Verdict" in (out / "r.html").read_text()
    assert (out / "r.md").read_text().startswith("## agility compare: **PASS**")
    assert (out / "review.jsonl").exists()


def test_cli_exits_one_on_fail(tmp_path: Path) -> None:
    store = _store_with(tmp_path, target_rate_drop=True)
    result = CliRunner().invoke(app, ["compare", "src", "tgt", "--store", str(store),
                                      "--resamples", "300"])
    assert result.exit_code == 1 and "FAIL" in result.output


def test_cli_exits_one_on_incomplete(tmp_path: Path) -> None:
    store = _store_with(tmp_path, target_rate_drop=False)
    crit = tmp_path / "c.yaml"
    crit.write_text("quality: {metrics: [correctness, faithfulness]}\n")
    result = CliRunner().invoke(app, ["compare", "src", "tgt", "--store", str(store),
                                      "--criteria", str(crit), "--resamples", "300"])
    # faithfulness is a judge metric and no --judge was given: not evaluated, never passed
    assert result.exit_code == 1 and "INCOMPLETE" in result.output
    assert "needs a judge model" in result.output


def test_cli_usage_errors_exit_two_with_one_line(tmp_path: Path) -> None:
    store = _store_with(tmp_path, target_rate_drop=False)
    bad = tmp_path / "bad.yaml"
    bad.write_text("quality: {alpha: 2}\n")
    for args in (["compare", "src", "nope"], ["compare", "src", "tgt", "--criteria", str(bad)]):
        result = CliRunner().invoke(app, [*args, "--store", str(store)])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and "error:" in result.output


def test_unknown_gated_metric_is_a_usage_error(tmp_path: Path) -> None:
    store = _store_with(tmp_path, target_rate_drop=False)
    crit = tmp_path / "c.yaml"
    crit.write_text("quality: {metrics: [correctnes]}\n")
    result = CliRunner().invoke(app, ["compare", "src", "tgt", "--store", str(store),
                                      "--criteria", str(crit)])
    assert result.exit_code == 2 and "'correctnes'" in result.output


def test_cli_costs_file_prices_the_move_all_in_and_a_bad_one_is_one_line(tmp_path: Path) -> None:
    store = _store_with(tmp_path, target_rate_drop=False)
    costs = tmp_path / "costs.yaml"
    costs.write_text("per_month: [{name: vector database, side: both, usd_per_month: 70}]\n"
                     "one_off: [{name: porting, side: target, days: 2, usd_per_day: 800}]\n")
    out = tmp_path / "r.json"
    result = CliRunner().invoke(app, ["compare", "src", "tgt", "--store", str(store),
                                      "--resamples", "300", "--traffic", "100000",
                                      "--costs", str(costs), "--json", str(out)])
    # both cost $0.001 a query: $170 a month each; $1,600 once is never paid back
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())
    assert "cost all in: source $0.001/query, target $0.001/query" in printed
    assert "source $170.00, target $170.00" in printed
    assert "payback: never (the target is not cheaper per month)" in printed
    assert "payback never (interval" not in printed  # no "never to never"
    roi = json.loads(out.read_text())["cost"]["roi"]
    assert roi["source"]["monthly_usd"] == pytest.approx(170.0)
    assert roi["one_off_usd"] == pytest.approx(1600.0)
    costs.write_text("per_month:\n  - {name: db, side: everyone, usd_per_month: 70}\n")
    result = CliRunner().invoke(app, ["compare", "src", "tgt", "--store", str(store),
                                      "--costs", str(costs)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{costs}:2: per_month.0.side" in result.output.replace("\n", "")
