"""`agility runs list` stays readable in an 80-column terminal with long (replay) model specs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.runner import run_model
from agility.store import Store

_register()
cli = CliRunner()
NAME = "finance-rag-port/legacy-source"


def _store_with_long_replay_run(tmp_path: Path, make_dataset) -> tuple[Path, str]:  # noqa: ANN001
    folder = tmp_path / "recorded-answers-of-the-legacy-model" / "exported-from-production"
    folder.mkdir(parents=True)
    recorded = folder / "answers-2026-11-25-finance-rag-legacy-source-model.jsonl"
    recorded.write_text("".join(json.dumps({"id": f"ex-{i:03d}", "output": "x"}) + "\n"
                                for i in range(2)), encoding="utf-8")
    db = tmp_path / "runs.db"
    with Store(db) as store:
        run_model(make_dataset(2), f"replay/{recorded}", name=NAME, store=store, progress=False)
        run_model(make_dataset(2), "mock/echo", name="short", store=store, progress=False)
    return db, f"replay/{recorded}"


def test_runs_list_at_80_columns_shows_name_and_status_in_full(tmp_path, make_dataset):
    db, model = _store_with_long_replay_run(tmp_path, make_dataset)
    listed = cli.invoke(app, ["runs", "list", "--store", str(db)], env={"COLUMNS": "80"})
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    row = next(line for line in lines if NAME in line)
    assert re.search(rf"\b{re.escape(NAME)}\s.*\bfinished\b", row)
    assert any(re.search(r"\bshort\b.*\bfinished\b", line) for line in lines)
    # the long model spec is folded onto several lines, not cut
    folded = "".join(re.sub(r"\s", "", line.split("│")[1]) for line in lines if "│" in line)
    assert model.replace(" ", "") in folded


def test_runs_list_in_a_wide_terminal_keeps_every_column(tmp_path, make_dataset):
    db, _ = _store_with_long_replay_run(tmp_path, make_dataset)
    listed = cli.invoke(app, ["runs", "list", "--store", str(db)], env={"COLUMNS": "250"})
    assert listed.exit_code == 0, listed.output
    for header in ("name", "model", "status", "results", "errors", "started", "finished"):
        assert header in listed.output
    assert re.search(rf"\b{re.escape(NAME)}\s.*\bfinished\b.*\d\d:\d\d:\d\d", listed.output)
