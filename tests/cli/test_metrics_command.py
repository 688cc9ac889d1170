"""`agility metrics list`, and a third-party judge metric found through the ``agility.metrics``
entry-point group scoring a stored run from the CLI.

The third-party package is real: a module and a ``*.dist-info`` folder with ``METADATA`` and
``entry_points.txt`` in a temporary folder put on ``PYTHONPATH`` of a fresh ``python -m
agility`` process, exactly how an installed package is found.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from test_score import make_store
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.metrics import available_metrics, get_metric
from agility.store import Store
from agility.testing import FakeOpenAIServer

_register()
runner = CliRunner()

PLUGIN = textwrap.dedent('''
    """A third-party judge metric (as a package published on PyPI would ship it)."""
    from typing import Any

    from pydantic import BaseModel

    from agility.metrics import JudgeMetric, JudgeOptions, JudgePrompt, MetricInput


    class ToneOptions(JudgeOptions):
        strict: bool = False


    class ToneJudgment(BaseModel):
        reason: str
        verdict: str


    class PoliteTone(JudgeMetric):
        """Whether the answer is polite (judged by a model)."""

        version = "3"
        Options = ToneOptions
        prompt = JudgePrompt(key="plugin_tone", version="plugin-tone-v1",
                             task="Is the ANSWER polite?",
                             answer_format='{"reason": "<why>", "verdict": "polite" | "rude"}')
        judgment = ToneJudgment

        def blocks(self, item: MetricInput) -> list[tuple[str, str]]:
            return [("answer", item.output or "")]

        def interpret(self, judgment: Any, item: MetricInput) -> Any:
            polite = judgment.verdict == "polite"
            return (1.0 if polite else 0.0), judgment.verdict, polite
''')


@pytest.fixture()
def plugin_path(tmp_path: Path) -> Path:
    """A folder holding the plugin module and its dist-info (entry points)."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "tone_plugin.py").write_text(PLUGIN, encoding="utf-8")
    info = folder / "tone_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tone-plugin\nVersion: 0.1\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "[agility.metrics]\npolite_tone_plugin = tone_plugin:PoliteTone\n"
        "broken_plugin = tone_plugin_missing:Nothing\n", encoding="utf-8")
    return folder


def agility(plugin: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m agility ARGS`` in a fresh process that sees the plugin."""
    paths = [str(plugin), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "agility", *args], capture_output=True,
                          text=True, timeout=120, env=env, check=False)


def test_metrics_list_shows_every_metric_and_what_it_needs() -> None:
    result = runner.invoke(app, ["metrics", "list", "--json"])
    assert result.exit_code == 0, result.output
    infos = {i["name"]: i for i in json.loads(result.stdout)}
    expected = {n.replace(":*", ":<metric>") for n in available_metrics()}
    assert set(infos) == expected
    assert infos["faithfulness"]["judge"] == "required" and infos["faithfulness"]["contexts"]
    assert infos["semantic_similarity"]["embeddings"] and infos["semantic_similarity"]["kind"] \
        == "embedding"
    assert infos["context_recall"]["judge"] == "optional"
    assert infos["token_f1"]["judge"] == "no" and infos["token_f1"]["ground_truth"]
    assert infos["token_f1"]["options"] == ["threshold"] and infos["token_f1"]["version"] == "1"
    table = runner.invoke(app, ["metrics", "list"])
    assert table.exit_code == 0
    for name in ("faithfulness", "token_f1", "ragas:<metric>", "semantic_similarity"):
        assert name in table.stdout


def test_a_renamed_metric_is_listed_as_renamed_not_as_one_to_score() -> None:
    result = runner.invoke(app, ["metrics", "list", "--json"])
    infos = {i["name"]: i for i in json.loads(result.stdout)}
    assert infos["refusal"]["renamed_to"] == "answered"
    assert infos["answered"]["renamed_to"] is None
    assert infos["answered"]["version"] == get_metric("answered").version
    table = runner.invoke(app, ["metrics", "list"])
    row = next(line for line in table.stdout.splitlines() if line.split()[:1] == ["refusal"])
    assert "renamed" in row and "deterministic" not in row
    assert "refusal: renamed; score with 'answered'" in table.stdout


@pytest.mark.slow  # fresh `python -m agility` processes: a few seconds each on 2 cores
def test_an_entry_point_judge_metric_scores_a_stored_run_from_the_cli(
        tmp_path: Path, plugin_path: Path) -> None:
    db = make_store(tmp_path / "a.db")

    def responder(body: dict[str, Any]) -> str:  # the second answer of make_store is rude
        rude = "UNSAFE" in body["messages"][1]["content"]
        return json.dumps({"reason": "tone", "verdict": "rude" if rude else "polite"})

    with FakeOpenAIServer(responder=responder) as server:
        result = agility(plugin_path, "score", "tgt", "--metrics", "polite_tone_plugin",
                         "--judge", "openai/x", "--base-url", server.base_url,
                         "--set", "polite_tone_plugin.strict=true", "--no-progress",
                         "--store", str(db))
        assert result.returncode == 0, result.stdout + result.stderr
        assert len(server.requests) == 2  # the failed result is not scored
    assert "polite_tone_plugin" in result.stdout and "0.500" in result.stdout
    with Store(db) as store:
        scores = {s.example_id: s for s in store.scores(1, "polite_tone_plugin")}
    assert scores["a"].passed is True and scores["b"].passed is False
    assert {s.judge_model for s in scores.values()} == {"openai/x"}
    assert {(s.metric_version, s.judge_prompt_version) for s in scores.values()} == {
        ("3", "plugin-tone-v1")}


@pytest.mark.slow  # fresh `python -m agility` processes
def test_entry_point_metrics_are_listed_and_a_broken_one_is_one_line(
        tmp_path: Path, plugin_path: Path) -> None:
    listed = agility(plugin_path, "metrics", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    infos = {i["name"]: i for i in json.loads(listed.stdout)}
    plugin = infos["polite_tone_plugin"]
    assert (plugin["kind"], plugin["version"], plugin["judge"]) == ("judge", "3", "required")
    assert plugin["source"] == "entry point of tone-plugin" and "strict" in plugin["options"]
    assert infos["broken_plugin"]["error"] and "tone_plugin_missing" in infos["broken_plugin"][
        "error"]
    db = make_store(tmp_path / "b.db")
    typo = agility(plugin_path, "score", "tgt", "--metrics", "polite_tone_plugin", "--judge",
                   "openai/x", "--set", "polite_tone_plugin.strikt=true", "--store", str(db))
    assert typo.returncode == 2 and "strikt: unknown option" in typo.stderr
    assert "Traceback" not in typo.stderr
    broken = agility(plugin_path, "score", "tgt", "--metrics", "broken_plugin", "--store",
                     str(db))
    assert broken.returncode == 2 and "cannot be loaded" in broken.stderr
    assert "Traceback" not in broken.stderr
