"""A plan's paths stay inside the plan's folder unless whoever runs it allows otherwise.

``prompt: ../../../../etc/passwd`` used to be read, sent to the model and shown in the report,
and ``output:`` wrote outside the folder. A plan may come from a pull request: the permission to
reach further is given outside the file (``allow_outside=True``, ``--allow-outside-plan-dir``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_pipeline import _small_plan  # the fast plan: replayed source, mock target
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.errors import ConfigError
from agility.migrate import load_plan, migrate
from agility.store import Store

_register()

PLAN = """\
name: demo
dataset: {path: DATASET}
retriever: {corpus: CORPUS}
source: {name: old, model: MODEL, prompt: PROMPT}
target: {name: new, recorded_outputs: RECORDED}
criteria: CRITERIA
output: OUTPUT
"""
INSIDE = {"DATASET": "golden.jsonl", "CORPUS": "docs/filing.md", "MODEL": "openai/gpt-4o",
          "PROMPT": "prompts/old.yaml", "RECORDED": "answers.jsonl", "CRITERIA": "criteria.yaml",
          "OUTPUT": "report"}


def write_plan(folder: Path, **changes: str) -> Path:
    text = PLAN
    for key, value in {**INSIDE, **changes}.items():
        text = text.replace(key, value)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_paths_inside_the_folder_load(tmp_path: Path) -> None:
    plan = load_plan(write_plan(tmp_path / "p"))
    assert plan.source.prompt == (tmp_path / "p" / "prompts" / "old.yaml").resolve()


@pytest.mark.parametrize(("key", "value", "field", "line"), [
    ("PROMPT", "../../../../etc/passwd", "source.prompt", 4),
    ("DATASET", "/etc/hosts", "dataset.path", 2),
    ("CORPUS", "../secrets/corpus.md", "retriever.corpus", 3),
    ("RECORDED", "../../elsewhere/answers.jsonl", "target.recorded_outputs", 5),
    ("MODEL", "replay/../answers.jsonl", "source.model", 4),
    ("CRITERIA", "../criteria.yaml", "criteria", 6),
    ("OUTPUT", "../../report", "output", 7),
])
def test_each_path_outside_the_folder_is_named_with_its_line(tmp_path: Path, key: str,
                                                             value: str, field: str,
                                                             line: int) -> None:
    path = write_plan(tmp_path / "p", **{key: value})
    with pytest.raises(ConfigError) as caught:
        load_plan(path)
    assert f"{path}:{line}: {field}: {value} is outside the plan's folder" in str(caught.value)
    assert caught.value.argument == "allow_outside"
    # allowed by whoever runs the plan, not by the plan
    assert load_plan(path, allow_outside=True).name == "demo"


def test_a_symbolic_link_out_of_the_folder_is_outside(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("DEPLOY_TOKEN=abc", encoding="utf-8")
    folder = tmp_path / "p"
    (folder / "prompts").mkdir(parents=True)
    (folder / "prompts" / "old.yaml").symlink_to(secret)
    with pytest.raises(ConfigError, match=r"source\.prompt: prompts/old\.yaml is outside"):
        load_plan(write_plan(folder))


def test_every_outside_path_is_listed_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_plan(write_plan(tmp_path / "p", PROMPT="/etc/passwd", OUTPUT="/tmp/x"))
    assert "source.prompt" in str(caught.value) and "output" in str(caught.value)


def test_migrate_refuses_an_outside_prompt_before_calling_anything(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    plan = _small_plan(folder)
    outside = tmp_path / "outside.yaml"
    outside.write_text("name: leak\nmessages: [{role: user, content: 'secret file'}]\n",
                       encoding="utf-8")
    text = plan.read_text(encoding="utf-8")
    text = re.sub(r"(target:.*?prompt: )\S+", r"\g<1>../outside.yaml", text, flags=re.DOTALL)
    plan.write_text(text, encoding="utf-8")
    db = tmp_path / "agility.db"
    refused = CliRunner().invoke(app, ["migrate", str(plan), "--no-progress", "--store", str(db)])
    assert refused.exit_code == 2
    flat = " ".join(refused.output.split())
    assert "target.prompt: ../outside.yaml is outside the plan's folder" in flat
    assert "--allow-outside-plan-dir" in flat
    assert not (folder / "report").exists()
    allowed = CliRunner().invoke(app, ["migrate", str(plan), "--no-progress", "--store", str(db),
                                       "--allow-outside-plan-dir"])
    assert allowed.exit_code in (0, 1), allowed.output  # a verdict, not an error
    with Store(db) as store:
        results = store.results(store.require_run("finance-rag-port/ported").id)
    assert results and all("secret file" in (r.output or "") for r in results)  # mock/echo


def test_migrate_library_call_takes_the_permission_as_an_argument(tmp_path: Path,
                                                                  tmp_store: Store) -> None:
    folder = tmp_path / "m"
    plan = _small_plan(folder)
    text = plan.read_text(encoding="utf-8")
    plan.write_text(re.sub(r"\noutput: .*", "", text) + "output: ../report-elsewhere\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="output: ../report-elsewhere is outside"):
        migrate(plan, store=tmp_store, progress=False)
    result = migrate(plan, store=tmp_store, progress=False, allow_outside_plan_dir=True)
    assert result.report_json == (tmp_path / "report-elsewhere" / "migration.json").resolve()
    assert json.loads(result.report_json.read_text())["verdict"] == result.verdict
