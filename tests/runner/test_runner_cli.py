"""`agility run`, `runs list|show` and `export` through the real CLI app (in process)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.runner import EXPORT_COLUMNS
from agility.store import Store
from agility.testing import Fault

_register()
cli = CliRunner()

REQUIRED = ("id", "output", "ttft_ms", "latency_ms", "input_tokens", "output_tokens",
            "cost_usd", "error", "attempts", "cached")


def _run(store: Path, dataset: Path, base_url: str, *extra: str):
    return cli.invoke(app, ["run", "--dataset", str(dataset), "--model", "openai/gpt-4o-mini",
                            "--base-url", base_url, "--name", "cli", "--store", str(store),
                            "--max-attempts", "1", *extra])


@pytest.fixture
def finished_run(tmp_path, make_dataset, server):
    server.set_faults([Fault.server_error()])
    db = tmp_path / "cli.db"
    result = _run(db, make_dataset(4), server.base_url, "--concurrency", "1",
                  "--temperature", "0", "--max-tokens", "50")
    # one call failed: the run finished with an error, so the exit status is 1 and the
    # summary says why
    assert result.exit_code == 1, result.output
    assert "1 of 4 calls failed" in result.output and "1 x" in result.output
    return db, result


def test_run_prints_a_summary_and_runs_list_shows_it(finished_run):
    db, result = finished_run
    assert "results written" in result.output and "errors" in result.output
    listed = cli.invoke(app, ["runs", "list", "--store", str(db)])
    assert listed.exit_code == 0
    assert "cli" in listed.output and "openai/gpt-4o-mini" in listed.output


def test_runs_show_prints_the_reproducibility_record_and_figures(finished_run):
    db, _ = finished_run
    shown = cli.invoke(app, ["runs", "show", "cli", "--store", str(db)], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    for label in ("dataset", "template hash", "price table", "tool version", "started",
                  "finished", "TTFT p50 / p95", "latency p50 / p95", "mean cost per query"):
        assert label in shown.output
    assert "'temperature': 0.0" in shown.output


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_writes_one_row_per_result_with_the_required_columns(finished_run, tmp_path, fmt,
                                                                     api_key):
    db, _ = finished_run
    out = tmp_path / f"out.{fmt}"
    result = cli.invoke(app, ["export", "cli", "--format", fmt, "-o", str(out), "--store", str(db)])
    assert result.exit_code == 0, result.output
    if fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    elif fmt == "csv":
        rows = list(csv.DictReader(out.open()))
    else:
        rows = pq.read_table(out).to_pylist()
    assert len(rows) == 4
    assert set(REQUIRED) <= set(rows[0]) and list(rows[0]) == list(EXPORT_COLUMNS)
    errors = [r for r in rows if r["error"]]
    assert len(errors) == 1 and str(errors[0]["attempts"]) == "1"
    assert api_key not in out.read_bytes().decode("utf-8", "replace")


def test_csv_export_defuses_formula_like_model_output(tmp_path, make_dataset, slow_server):
    with slow_server(responder=lambda body: "=HYPERLINK(\"http://evil\")") as evil:
        db = tmp_path / "evil.db"
        assert _run(db, make_dataset(1), evil.base_url).exit_code == 0
    out = tmp_path / "out.csv"
    cli.invoke(app, ["export", "cli", "--format", "csv", "-o", str(out), "--store", str(db)])
    [row] = list(csv.DictReader(out.open()))
    assert row["output"].startswith("'=")


def test_user_mistakes_give_one_red_line_and_exit_code_2(tmp_path, make_dataset, server):
    db = tmp_path / "x.db"
    no_store = cli.invoke(app, ["runs", "show", "nope", "--store", str(db)])
    assert no_store.exit_code == 2 and "there is no store" in no_store.output
    assert not db.exists()  # reading never creates an empty store at a mistyped path
    Store(db).close()
    missing = cli.invoke(app, ["runs", "show", "nope", "--store", str(db)])
    assert missing.exit_code == 2 and "no run named 'nope'" in missing.output
    assert "Traceback" not in missing.output
    bad_model = _run(db, make_dataset(1), server.base_url, "--concurrency", "0")
    assert bad_model.exit_code == 2 and "--concurrency" in bad_model.output
    bad_format = cli.invoke(app, ["export", "nope", "--format", "xml", "-o", "x",
                                  "--store", str(db)])
    assert bad_format.exit_code == 2 and "jsonl, csv, parquet" in bad_format.output
