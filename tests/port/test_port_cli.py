"""`agility port` on the command line: one clear line for bad input, exit 2; a port exits 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from port_fixtures import golden_rows, shape_responder, write_golden
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.testing import FakeOpenAIServer

_register()


def _port(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["port", *args])
    return result.exit_code, " ".join(result.output.split())


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def server():
    with FakeOpenAIServer(responder=shape_responder) as fake:
        yield fake


def _base(golden: Path, prompt: Path, server: FakeOpenAIServer, tmp_path: Path) -> list[str]:
    return ["--dataset", str(golden), "--prompt", str(prompt), "--target", "openai/fake",
            "--base-url", server.base_url, "-o", str(tmp_path / "ported.yaml"),
            "--store", str(tmp_path / "s.db"), "--max-tokens", "32", "--generators", "rules",
            "--minibatch", "6"]


def test_a_port_writes_the_prompt_and_reports_and_exits_0(
        golden: Path, legacy: Path, server: FakeOpenAIServer, tmp_path: Path) -> None:
    code, out = _port(*_base(golden, legacy, server, tmp_path), "--report",
                      str(tmp_path / "port.json"), "--html", str(tmp_path / "port.html"),
                      "--budget-calls", "200")
    assert code == 0, out
    assert "chose rules-plain" in out and "correctness dev 0.000 -> 1.000 holdout 0.000 -> 1.000" \
        in out
    assert f"ported prompt: {tmp_path / 'ported.yaml'}" in out
    assert "of 200" in out and "[INST]" in out  # the markup echo is pointed out
    report = json.loads((tmp_path / "port.json").read_text())
    assert report["budget"]["calls_used"] == len(server.requests)
    html = (tmp_path / "port.html").read_text()
    assert "Content-Security-Policy" in html and "<script" not in html


@pytest.mark.parametrize(("case", "expected"), [
    ("no question", "the prompt uses neither {{ question }} nor {{ example }}"),
    ("no context", "the dataset's rows carry documents, but the prompt uses neither "
                   "{{ context }} nor {{ contexts }}"),
    ("undefined", "undefined variable: 'questoin' is undefined"),
    ("missing", "cannot read the prompt template"),
])
def test_a_prompt_the_dataset_cannot_fill_is_one_line(
        golden: Path, server: FakeOpenAIServer, tmp_path: Path, case: str,
        expected: str) -> None:
    prompt = tmp_path / "p.yaml"
    body = {"no question": "{{ context }}", "no context": "Q: {{ question }}",
            "undefined": "{{ context }} {{ question }} {{ questoin }}"}.get(case)
    if body is not None:
        _write(prompt, f"name: p\nmessages:\n  - {{role: user, content: '{body}'}}\n")
    code, out = _port(*_base(golden, prompt, server, tmp_path))
    assert code == 2 and out.startswith("error:") and expected in out, out
    assert str(prompt) in out and "Traceback" not in out
    assert server.requests == []  # nothing was sent


def test_a_dataset_without_a_dev_split_is_one_line(
        legacy: Path, server: FakeOpenAIServer, tmp_path: Path) -> None:
    rows = golden_rows(8)
    for row in rows:
        row["split"] = "holdout"
    golden = write_golden(tmp_path, rows)
    code, out = _port(*_base(golden, legacy, server, tmp_path))
    assert code == 2 and "has no dev rows" in out and "agility dataset split" in out, out
    assert server.requests == []


@pytest.mark.parametrize(("flags", "expected"), [
    (["--budget-calls", "0"], "--budget-calls: a budget of 0 calls allows no call"),
    (["--budget-usd", "0"], "--budget-usd: a budget of 0.0 USD allows no call"),
    (["--budget-calls", "5"], "budget_calls must be at least 26"),
    (["--budget-usd", "1"], "budget_usd needs the target's price"),
    (["--generators", "optimizer"], "the optimizer generator needs an optimizer model"),
])
def test_a_budget_that_allows_nothing_is_one_line(
        golden: Path, legacy: Path, server: FakeOpenAIServer, tmp_path: Path,
        flags: list[str], expected: str) -> None:
    code, out = _port(*_base(golden, legacy, server, tmp_path), *flags)
    assert code == 2 and expected in out, out
    assert server.requests == []
