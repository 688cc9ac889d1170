"""The first hour of a new user: flags without type placeholders, the obvious run flags
(--rows, --stop, --provider-option), never a key on the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agility.cli.main import _register, app, command
from agility.store import Store
from agility.testing import FakeOpenAIServer

_register()


def _walk(cmd: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    out = [(path, cmd)]
    for name, sub in getattr(cmd, "commands", {}).items():
        out += _walk(sub, (*path, name))
    return out


def test_no_on_off_flag_shows_a_value_placeholder_in_any_command() -> None:
    flags = [(path, param.name) for path, cmd in _walk(command(load_all=True)) for param in cmd.params
             if getattr(param, "is_flag", False)]
    assert ((("run",), "resume") in flags) and len(flags) > 10
    for path, cmd in _walk(command(load_all=True)):
        for param in cmd.params:
            if getattr(param, "is_flag", False):
                assert param.metavar == "", (path, param.name)


def test_the_help_a_user_reads_has_no_bool_placeholder() -> None:
    env = {**os.environ, "COLUMNS": "160"}
    shown = subprocess.run([sys.executable, "-c", "from agility.cli.main import main; main()",
                            "run", "--help"], capture_output=True, text=True, env=env,
                           check=True).stdout
    assert "--resume" in shown and "<bool>" not in shown
    assert "--rows" in shown and "--provider-option" in shown and "--stop" in shown


def _dataset(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "golden.jsonl"
    path.write_text("".join(json.dumps({
        "id": f"ex-{i:03d}", "source_prompt": f"Question ex-{i:03d}?", "ground_truth": "a",
        "stratum": "lookup" if i % 3 else "calc", "split": "holdout" if i % 5 == 0 else "dev"})
        + "\n" for i in range(n)), encoding="utf-8")
    return path


def test_rows_stop_and_provider_options_reach_the_run(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-usability-0123456789")
    db = tmp_path / "a.db"
    dataset = _dataset(tmp_path, 30)
    with FakeOpenAIServer() as server:
        args = ["run", "--dataset", str(dataset), "--model", "openai/m", "--name", "r",
                "--base-url", server.base_url, "--store", str(db), "--rows", "10", "--seed", "3",
                "--stop", "END", "--stop", "\n\n", "--provider-option", "timeout_s=7",
                "--provider-option", "headers.x-team=evals"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        bodies = list(server.requests)
    assert len(bodies) == 10 and all(b["stop"] == ["END", "\n\n"] for b in bodies)
    with Store(db) as store:
        run = store.require_run("r")
        ids = [r.example_id for r in store.results(run.id)]
    assert run.provider_options["timeout_s"] == 7 and run.provider_options["headers"] == {
        "x-team": "evals"}
    assert run.meta["rows"] == 10 and run.meta["sample_seed"] == 3
    # the sample keeps the strata's and splits' shares: 10 of 30 is a third of each group
    strata = {i: ("calc" if int(i[3:]) % 3 == 0 else "lookup") for i in ids}
    assert sorted(strata.values()).count("calc") in (3, 4)


def test_a_larger_sample_with_the_same_seed_holds_the_smaller_one(tmp_path: Path) -> None:
    from agility.dataset import load_dataset, sample_examples

    examples = load_dataset(_dataset(tmp_path, 60)).examples
    small = {e.id for e in sample_examples(examples, 12, seed=5)}
    large = {e.id for e in sample_examples(examples, 30, seed=5)}
    assert len(small) == 12 and small <= large
    assert {e.id for e in sample_examples(examples, 12, seed=6)} != small


@pytest.mark.parametrize("option", ["api_key=sk-abc123", "token=tok-0987", "client_secret=shh-4242"])
def test_a_key_on_the_command_line_is_refused(tmp_path: Path, option: str) -> None:
    result = CliRunner().invoke(app, ["run", "--dataset", str(_dataset(tmp_path, 2)), "--model",
                                      "openai/m", "--name", "r", "--provider-option", option,
                                      "--store", str(tmp_path / "a.db")])
    assert result.exit_code == 2 and "credentials never go on the command line" in result.output
    assert option.split("=")[1] not in result.output


def test_a_typo_in_a_provider_option_names_the_allowed_ones(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--dataset", str(_dataset(tmp_path, 2)), "--model",
                                      "openai/m", "--name", "r", "--provider-option",
                                      "timeout=3", "--store", str(tmp_path / "a.db")])
    assert result.exit_code == 2
    assert "timeout: unknown option" in result.output and "timeout_s" in result.output
