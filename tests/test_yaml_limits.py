"""Every YAML file agility reads is bounded: size, alias expansion, nesting, bytes.

A 548-byte plan of nested aliases ("billion laughs") used to take 31.6 s and 1.33 GB. It must
now fail with one line naming the file, in well under a second and with bounded memory. The
measurement runs in a child process with a memory cap and a timeout, so the old behaviour fails
the test instead of exhausting the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agility._yaml_config import MAX_CONFIG_BYTES, load_yaml
from agility.cli.main import _register, app
from agility.compare import load_criteria
from agility.errors import ConfigError
from agility.migrate import load_plan
from agility.pricing import load_price_table
from agility.prompts import load_template

_register()


def billion_laughs() -> str:
    """Nine levels of nine aliases each: 9**9 values once expanded, in a few hundred bytes."""
    lines = ['name: bomb', 'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    lines.append("judge_options: {lol: *l9}")  # a field the plan keeps and stores
    return "\n".join(lines) + "\n"


def mapping_bomb() -> str:
    """The same growth through mappings and a merge key, under a field the plan stores."""
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}"]
    for level in range(1, 9):
        lines.append(f"m{level}: &m{level} " + "{<<: *m0, " + ",".join(
            f"{k}: *m{level - 1}" for k in "abcdefgh") + "}")
    lines.append("judge_options: *m8")
    return "\n".join(lines) + "\n"


_MEASURE = """
import json, resource, sys, time, tracemalloc
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))   # a runaway parse dies here
from agility.migrate import load_plan
from agility.errors import ConfigError
tracemalloc.start()
started = time.perf_counter()
try:
    load_plan(sys.argv[1])
    message = None
except ConfigError as exc:
    message = str(exc)
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "peak_bytes": tracemalloc.get_traced_memory()[1],
                  "message": message}))
"""


@pytest.mark.parametrize("text", [billion_laughs(), mapping_bomb()], ids=["lists", "mappings"])
def test_an_alias_bomb_plan_fails_fast_in_bounded_memory(tmp_path: Path, text: str) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    assert len(text) < 800
    try:
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(_MEASURE), str(plan)],
                              capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("loading the alias bomb took more than 60 s")
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    assert figures["message"] is not None
    assert f"{plan}:" in figures["message"]
    assert "more than 100,000 values" in figures["message"]
    assert figures["seconds"] < 0.5, figures
    assert figures["peak_bytes"] < 20 * 1024 * 1024, figures


def test_the_cli_refuses_the_bomb_with_one_line_and_exit_2(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(billion_laughs(), encoding="utf-8")
    result = CliRunner().invoke(app, ["migrate", str(plan)])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "more than 100,000 values" in result.output
    assert "Traceback" not in result.output


def test_recursive_aliases_and_deep_nesting_are_refused() -> None:
    with pytest.raises(ConfigError, match="recursive"):
        load_yaml("a: &a [1, *a]\n", "x.yaml")
    with pytest.raises(ConfigError, match="nested"):
        load_yaml("a: " + "[" * 5000 + "]" * 5000 + "\n", "x.yaml")
    with pytest.raises(ConfigError, match="nested more than 64"):
        load_yaml("a: " + "[" * 100 + "]" * 100 + "\n", "x.yaml")
    with pytest.raises(ConfigError, match="4,300 digits"):
        load_yaml("a: " + "9" * 5000 + "\n", "x.yaml")


def test_ordinary_aliases_still_work() -> None:
    data, _ = load_yaml("base: &b {temperature: 0}\nsource: {config: *b}\n", "x.yaml")
    assert data["source"]["config"] == {"temperature": 0}


def test_a_config_file_larger_than_the_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "criteria.yaml"
    big.write_text("# " + "x" * MAX_CONFIG_BYTES + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="larger than"):
        load_criteria(big)


@pytest.mark.parametrize("kind", ["plan", "template", "criteria", "prices", "j2-template"])
def test_invalid_utf8_names_the_file_and_line(tmp_path: Path, kind: str) -> None:
    suffix = ".j2" if kind == "j2-template" else ".yaml"
    path = tmp_path / f"{kind}{suffix}"
    path.write_bytes(b"name: x\n# fine line\nversion: caf\xe9\n")
    loader = {"plan": load_plan, "template": load_template, "criteria": load_criteria,
              "prices": load_price_table, "j2-template": load_template}[kind]
    with pytest.raises(ConfigError) as caught:
        loader(path)
    assert f"{path}:3:" in str(caught.value)
    assert "not valid UTF-8" in str(caught.value)


def test_invalid_utf8_in_a_plan_exits_2_with_one_line(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_bytes(b"name: \xff\xfe\n")
    result = CliRunner().invoke(app, ["migrate", str(plan)])
    assert result.exit_code == 2
    assert f"{plan}:1: -: not valid UTF-8" in " ".join(result.output.split())
