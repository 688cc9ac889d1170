"""Start-up: the command line imports a command's module, and the heavy libraries behind it,
only when that command is used (issue 20). The rules these tests hold are in the docstring of
``agility.cli.main`` and in docs/architecture.md."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from agility.cli import main as cli_main

#: third-party modules too heavy to import before a command needs them (each costs from tens
#: of milliseconds to seconds of CPU, or memory): checked in every start-up test
HEAVY = (
    "numpy", "scipy", "pyarrow", "pandas", "torch", "sentence_transformers", "transformers",
    "llama_cpp", "starlette", "fastapi", "uvicorn", "ray", "psycopg", "psycopg2",
    "presidio_analyzer", "presidio_anonymizer", "boto3", "botocore", "anthropic", "openai",
    "sklearn", "nltk", "rouge_score", "sacrebleu", "ragas", "deepeval", "litellm", "httpx",
    "playwright", "aiohttp",
)

#: lighter libraries still not wanted by `agility --version` / `agility --help` (Typer's boxed
#: help, `typer.rich_utils`, imports rich's markdown renderer: more than the rest of the start)
LIBRARIES = ("pydantic", "yaml", "jinja2", "aiohttp", "orjson", "uvloop", "jsonschema",
             "sqlite3", "typer.rich_utils", "markdown_it", "rich.markdown")

#: the only agility modules `agility --version` and `agility --help` may import
ROOT_MODULES = {"agility", "agility._version", "agility.cli", "agility.cli.main"}

#: what `agility COMMAND --help` may import from HEAVY, per command module: each entry is a
#: library the command's module imports at the top because its work always needs it
ALLOWED_FOR_HELP: dict[str, set[str]] = {}

_PROBE = """
import json, sys
from agility.cli.main import main
sys.argv = ['agility', *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print('\\nMODULES ' + json.dumps(sorted(sys.modules)))
"""


def _run(args: list[str]) -> tuple[str, set[str]]:
    """What ``agility ARGS`` printed, and the modules its fresh interpreter held after it."""
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args)],
                          capture_output=True, text=True, timeout=300)
    line = done.stdout.rsplit("\nMODULES ", 1)
    assert len(line) == 2, done.stdout + done.stderr
    return line[0], set(json.loads(line[1]))


def _modules_after(args: list[str]) -> set[str]:
    """The modules a fresh interpreter holds after running ``agility ARGS``."""
    return _run(args)[1]


def _roots(modules: set[str], names: tuple[str, ...]) -> set[str]:
    return {name for name in names if name in modules}


@pytest.mark.parametrize("args", [["--version"], ["--help"], []])
def test_version_and_help_import_no_command_and_no_library(args: list[str]) -> None:
    modules = _modules_after(args)
    assert _roots(modules, HEAVY) == set()
    assert _roots(modules, LIBRARIES) == set()
    ours = {m for m in modules if m == "agility" or m.startswith("agility.")}
    assert ours == ROOT_MODULES


def _command_modules() -> list[str]:
    return sorted({entry.module for entry in cli_main.COMMANDS.values()})


@pytest.mark.slow
@pytest.mark.parametrize("module", _command_modules())
def test_a_commands_help_imports_no_heavy_library(module: str) -> None:
    """``agility COMMAND --help`` imports the command's module, which keeps heavy libraries
    out of its import path (they are imported inside the functions that need them)."""
    name = next(n for n, e in cli_main.COMMANDS.items() if e.module == module)
    modules = _modules_after([name, "--help"])
    assert module in modules
    assert _roots(modules, HEAVY) <= ALLOWED_FOR_HELP.get(module, set())


#: what no light command may import: the issue's list (these cost seconds or hundreds of MB)
NOT_FOR_LIGHT_WORK = ("scipy", "torch", "pyarrow", "llama_cpp", "fastapi", "starlette",
                      "uvicorn", "sentence_transformers", "transformers", "pandas")


@pytest.mark.slow
def test_light_commands_import_no_heavy_library(tmp_path: Path) -> None:
    """Commands that do light work (a run against the in-process model, reading runs back,
    checking a dataset, a price) really run, and import none of the heavy libraries."""
    golden = tmp_path / "golden.jsonl"
    golden.write_text("".join(json.dumps({"id": f"ex-{i}", "source_prompt": f"q {i}?",
                                          "ground_truth": f"a {i}"}) + "\n" for i in range(3)),
                      encoding="utf-8")
    db = str(tmp_path / "light.db")
    commands = [
        ["run", "--dataset", str(golden), "--model", "mock/echo", "--name", "light",
         "--store", db],
        ["runs", "list", "--store", db], ["runs", "show", "light", "--store", db],
        ["dataset", "validate", str(golden)], ["dataset", "stats", str(golden)],
        ["metrics", "list"], ["prices", "show", "openai/gpt-4o-mini"],
    ]
    for args in commands:
        printed, modules = _run(args)
        assert _roots(modules, NOT_FOR_LIGHT_WORK) == set(), args
        if args[0] == "prices":  # the price was shown, rates formatted
            assert "$0.15 per 1M tokens" in printed, printed
    # the run did happen (so the commands after it had a run to read)
    from agility.store import Store

    with Store(db) as store:
        assert len(store.results(store.require_run("light").id)) == 3


def test_metrics_list_imports_no_heavy_library() -> None:
    """``agility metrics list`` describes every built-in metric (the embedding and RAG
    metrics included) without importing numpy or any other heavy library: the metrics import
    numpy when they embed, not when they are registered."""
    printed, modules = _run(["metrics", "list"])
    assert "semantic_similarity" in printed and "context_precision" in printed, printed
    assert "agility.metrics._embedding" in modules and "agility.metrics._rag" in modules
    assert _roots(modules, HEAVY) == set()


def _help(group: Any) -> str:
    with CliRunner().isolation(env={"COLUMNS": "120"}) as (out, _err, _mixed):
        with pytest.raises(SystemExit) as done:
            group.main(["--help"], prog_name="agility")
        sys.stdout.flush()
        assert done.value.code == 0
        return out.getvalue().decode()


def test_the_lazy_help_says_what_the_commands_say() -> None:
    """The one-line help in COMMANDS is each command's own (a stale line fails here)."""
    lazy = _help(cli_main.command())
    loaded = _help(cli_main.command(load_all=True))
    assert lazy == loaded
    for name in cli_main.COMMANDS:
        assert f" {name} " in lazy


def _top_level_names(module_app: typer.Typer) -> set[str]:
    names = {info.name or (info.callback.__name__ if info.callback else "")
             for info in module_app.registered_commands}
    names |= {info.name or "" for info in module_app.registered_groups}
    return names


def test_every_command_module_is_registered_and_every_entry_loads() -> None:
    cli_dir = Path(cli_main.__file__).parent
    defined: dict[str, str] = {}
    for path in sorted(cli_dir.glob("*.py")):
        if path.stem in {"__init__", "main"} or path.stem.startswith("_"):
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        imports_main_app = any(
            isinstance(node, ast.ImportFrom) and node.module == "agility.cli.main"
            and any(alias.name == "app" for alias in node.names) for node in ast.walk(tree))
        assert not imports_main_app, (f"{path.name} registers on agility.cli.main.app: give "
                                      f"it its own `app = typer.Typer()` and list its commands "
                                      f"in COMMANDS")
        module = importlib.import_module(f"agility.cli.{path.stem}")
        module_app = getattr(module, "app", None)
        assert isinstance(module_app, typer.Typer), f"{path.name} defines no `app`"
        for name in _top_level_names(module_app):
            defined[name.replace("_", "-")] = module.__name__
    listed = {name: entry.module for name, entry in cli_main.COMMANDS.items()}
    assert defined == listed
    for name in cli_main.COMMANDS:
        assert cli_main.load_command(name).name == name


@pytest.mark.parametrize("args", [["--help"], []])
def test_the_root_help_lists_every_command_whole(args: list[str]) -> None:
    """``agility`` alone prints the same help as ``agility --help`` (exit 2, a usage error);
    each command's line is said whole, not cut to fit one row."""
    result = CliRunner().invoke(cli_main.app, args, env={"COLUMNS": "80"})
    assert result.exit_code == (0 if args else 2)
    text = " ".join(result.stdout.split("Commands:", 1)[1].split())
    assert "..." not in text
    for entry in cli_main.COMMANDS.values():
        assert " ".join(entry.help.split()) in text


def test_a_mistyped_command_still_gets_a_suggestion() -> None:
    result = CliRunner().invoke(cli_main.app, ["compre"])
    assert result.exit_code == 2
    assert "compare" in result.output
