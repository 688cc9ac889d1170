"""`agility run --system` and `agility export --spans` through the real CLI (in process)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.runner import SPAN_COLUMNS
from agility.testing import FakeOpenAIServer

_register()
cli = CliRunner()


def test_run_a_python_system_and_export_its_spans(tmp_path: Path, golden: Callable[..., Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-cli-systems-0123456789")
    db = tmp_path / "cli.db"
    with FakeOpenAIServer() as server:
        done = cli.invoke(app, ["run", "--dataset", str(golden(2)), "--name", "pipe",
                                "--system", "python:systems_apps:two_calls",
                                "--model", "openai/fake-model", "--base-url", server.base_url,
                                "--store", str(db)])
    assert done.exit_code == 0, done.output
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"spans.{fmt}"
        exported = cli.invoke(app, ["export", "pipe", "--spans", "--format", fmt, "-o", str(out),
                                    "--store", str(db)])
        assert exported.exit_code == 0, exported.output
        assert "wrote 6 rows" in exported.output  # 2 examples x 3 spans
        if fmt == "jsonl":
            rows = [json.loads(line) for line in out.read_text().splitlines()]
        elif fmt == "csv":
            rows = list(csv.DictReader(out.open()))
        else:
            rows = pq.read_table(out).to_pylist()
        assert list(rows[0]) == list(SPAN_COLUMNS)
        assert [r["name"] for r in rows if r["id"] == "ex-000"] == ["retrieve", "rewrite",
                                                                    "answer"]
        retrieve = next(r for r in rows if r["name"] == "retrieve")
        assert json.loads(retrieve["attributes"]) == {"documents": 1}
        assert float(retrieve["cost_usd"]) == 0.0001
        generate = next(r for r in rows if r["name"] == "answer")
        assert generate["kind"] == "llm" and generate["model"] == "openai/fake-model"
        assert float(generate["ttft_ms"]) > 0


def test_run_needs_a_model_or_a_system(tmp_path: Path, golden: Callable[..., Path]) -> None:
    done = cli.invoke(app, ["run", "--dataset", str(golden(1)), "--name", "x", "--store",
                            str(tmp_path / "x.db")])
    assert done.exit_code == 2
    assert "give --model (the plain model call) or --system" in done.output


def test_a_malformed_system_spec_is_one_line_and_exit_2(tmp_path: Path,
                                                        golden: Callable[..., Path]) -> None:
    done = cli.invoke(app, ["run", "--dataset", str(golden(1)), "--name", "x", "--system",
                            "python:no-colon", "--store", str(tmp_path / "x.db")])
    assert done.exit_code == 2, done.output
    assert "is not package.module:attribute" in done.output
    assert "Traceback" not in done.output


def test_options_file_cannot_pick_a_secret_without_leave(tmp_path: Path,
                                                         golden: Callable[..., Path]) -> None:
    options = tmp_path / "svc.yaml"
    options.write_text("answer_path: data.answer\nheaders_from_env:\n  x-key: SOME_SECRET\n")
    args = ["run", "--dataset", str(golden(1)), "--name", "svc", "--system",
            "http:http://127.0.0.1:9/ask", "--system-options", str(options), "--store",
            str(tmp_path / "svc.db")]
    refused = cli.invoke(app, args)
    assert refused.exit_code == 2
    assert f"{options}:3: headers_from_env.x-key: a file may not choose which secret" in \
        refused.output.replace("\n", "")
    allowed = cli.invoke(app, [*args, "--allow-key-env", "SOME_SECRET"])
    # allowed: the run starts (and fails per example: the variable is not set, nothing listens)
    assert allowed.exit_code == 1, allowed.output
    assert "reads $SOME_SECRET, which is not set" in allowed.output


def test_a_langgraph_system_whose_module_is_missing_fails_each_example_in_one_line(
        tmp_path: Path, golden: Callable[..., Path]) -> None:
    # regression: the kind was once registered without its module, so a run died in a traceback
    pytest.importorskip("langgraph", reason="needs the 'langgraph' extra")
    done = cli.invoke(app, ["run", "--dataset", str(golden(1)), "--name", "g", "--system",
                            "langgraph:myapp.agent:graph", "--store", str(tmp_path / "g.db")])
    assert done.exit_code == 1, done.output  # the run ended with errors
    assert "cannot import myapp.agent" in done.output.replace("\n", " ")
    assert "Traceback" not in done.output
