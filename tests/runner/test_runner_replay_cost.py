"""Recorded (replay) answers have an unknown cost: not measured, never a free $0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.runner import run_model
from agility.store import Store

_register()
cli = CliRunner()
WIDE = {"COLUMNS": "200"}


def _recorded(tmp_path: Path, n: int, tokens: bool) -> Path:
    path = tmp_path / "recorded.jsonl"
    rows = [{"id": f"ex-{i:03d}", "output": f"answer {i}",
             **({"input_tokens": 1000 + i, "output_tokens": 200} if tokens else {})}
            for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_replay_run_summary_show_and_export_say_cost_not_measured(tmp_path, make_dataset):
    db, out = tmp_path / "r.db", tmp_path / "r.jsonl"
    replay = f"replay/{_recorded(tmp_path, 3, tokens=True)}"
    ran = cli.invoke(app, ["run", "--dataset", str(make_dataset(3)), "--model", replay,
                           "--name", "old", "--store", str(db)], env=WIDE)
    assert ran.exit_code == 0, ran.output
    assert "not measured" in ran.output and "$0" not in ran.output
    shown = cli.invoke(app, ["runs", "show", "old", "--store", str(db)], env=WIDE)
    assert shown.exit_code == 0, shown.output
    assert "$0" not in shown.output and "local model" not in shown.output
    assert "recorded answers: cost not measured" in shown.output
    cost_lines = [line for line in shown.output.splitlines() if "cost" in line and "$" not in line]
    assert len([line for line in cost_lines if "not measured" in line]) >= 2
    exported = cli.invoke(app, ["export", "old", "-o", str(out), "--store", str(db)])
    assert exported.exit_code == 0, exported.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3 and all(r["cost_usd"] is None for r in rows)


def test_priced_replay_with_token_counts_has_a_real_cost(tmp_path, make_dataset):
    with Store(tmp_path / "p.db") as store:
        summary = run_model(make_dataset(2), f"replay/{_recorded(tmp_path, 2, tokens=True)}",
                            name="priced", store=store, price_input=2.0, price_output=10.0,
                            progress=False)
        costs = {r.example_id: r.cost_usd for r in store.results(summary.run_id)}
        assert store.get_run("priced").prices["source"] == "user override"
    expected = {f"ex-{i:03d}": ((1000 + i) * 2.0 + 200 * 10.0) / 1e6 for i in range(2)}
    assert costs == pytest.approx(expected)
    assert summary.total_cost_usd == pytest.approx(sum(expected.values()))


def test_priced_replay_without_token_counts_stays_not_measured(tmp_path, make_dataset):
    with Store(tmp_path / "n.db") as store:
        summary = run_model(make_dataset(2), f"replay/{_recorded(tmp_path, 2, tokens=False)}",
                            name="untokened", store=store, price_input=2.0, price_output=10.0,
                            progress=False)
        assert all(r.cost_usd is None for r in store.results(summary.run_id))
    assert summary.n_errors == 0 and summary.total_cost_usd is None
