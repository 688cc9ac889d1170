"""Commands that read or change what is stored refuse a store that is not there (one line,
exit 2, no empty store left behind), and a Ray address nobody listens on is one line, at once."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agility.cli.main import app
from agility.runner import run_model
from agility.store import Store

runner = CliRunner()


@pytest.mark.parametrize("args", [
    ["store", "purge", "--run", "r"],
    ["audit", "verify"],
    ["signoff", "verify", "plan.yaml"],  # the store is opened before the plan is read
    ["runs", "list"],
    ["runs", "show", "r"],
    ["export", "r", "-o", "out.jsonl"],
    ["compare", "a", "b"],
    ["score", "r", "--metrics", "exact_match"],
    ["review", "queue", "list"],
    ["review", "export", "q", "-o", "out.jsonl"],
])
def test_a_missing_store_is_an_error_not_a_new_empty_one(tmp_path: Path,
                                                         args: list[str]) -> None:
    db = tmp_path / "nowhere.db"
    result = runner.invoke(app, [*args, "--store", str(db)])
    assert result.exit_code == 2, result.output
    assert "there is no store at" in result.output and "Traceback" not in result.output
    assert not db.exists()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the socket is


@pytest.mark.parametrize("command", ["score", "run"])
def test_an_unreachable_ray_address_is_one_line_at_once(tmp_path: Path, command: str) -> None:
    pytest.importorskip("ray")
    db = tmp_path / "a.db"
    dataset = tmp_path / "golden.jsonl"
    dataset.write_text('{"id": "a", "source_prompt": "q?", "ground_truth": "x"}\n',
                       encoding="utf-8")
    with Store(db) as store:
        run_model(dataset, "mock/echo", name="r", store=store, progress=False)
    address = f"127.0.0.1:{_closed_port()}"
    args = (["score", "r", "--metrics", "exact_match"] if command == "score" else
            ["run", "--dataset", str(dataset), "--model", "mock/echo", "--name", "r2"])
    started = time.monotonic()
    result = runner.invoke(app, [*args, "--store", str(db), "--executor", "ray",
                                 "--ray-address", address])
    assert result.exit_code == 2, result.output
    assert f"no Ray cluster answers at {address}" in result.output
    assert "--ray-address" in result.output and "Traceback" not in result.output
    assert time.monotonic() - started < 30  # Ray alone retried for minutes
    with Store(db, read_only=True) as store:  # not recorded as a failed run to resume
        assert [r.name for r in store.list_runs()] == ["r"]


@pytest.mark.parametrize("args", [
    ["--turns", "nope"],                       # not a choice: refused at parse time
    ["--executor", "rayy"],
    ["--history", "own"],                      # own history without turn-by-turn
    ["--concurrency", "0"],
    ["--warmup", "-1"],
    ["--executor", "ray", "--turns", "each"],
    ["--cache", "--system", "python:json:dumps"],
])
def test_run_refuses_its_options_before_a_store_is_created(tmp_path: Path,
                                                           args: list[str]) -> None:
    db = tmp_path / "new.db"
    dataset = tmp_path / "golden.jsonl"
    dataset.write_text('{"id": "a", "source_prompt": "q?", "ground_truth": "x"}\n',
                       encoding="utf-8")
    result = runner.invoke(app, ["run", "--dataset", str(dataset), "--model", "mock/echo",
                                 "--name", "r", *args, "--store", str(db)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not db.exists()
