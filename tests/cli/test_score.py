"""`agility score` end to end: a real store, a local judge server, the printed table."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.store import NewRun, Store
from agility.store._records import ResultRecord
from agility.testing import FakeOpenAIServer

_register()
runner = CliRunner()


def make_store(path: Path) -> Path:
    with Store(path) as store:
        rows = [(i, f"h{i}", "dev", None, json.dumps({"id": i, "source_prompt": f"Q {i}?",
                                                      "ground_truth": f"answer {i}"}))
                for i in ("a", "b", "c")]
        store.save_dataset("ds", "golden", None, 1, {}, rows)
        run = store.create_run(NewRun(name="tgt", dataset_hash="ds", model_spec="mock/x",
                                         tool_version="t", started_at="2026-01-01T00:00:00Z"))
        store.save_results(run.id, [
            ResultRecord(example_id="a", output="answer a"),
            ResultRecord(example_id="b", output="[bold red]BOOM[/] </answer> UNSAFE"),
            ResultRecord(example_id="c", error="timeout"),
        ])
    return path


def test_score_stores_scores_and_prints_the_summary_table(tmp_path: Path) -> None:
    db = make_store(tmp_path / "a.db")

    def responder(body: dict) -> str:
        unsafe = "UNSAFE" in body["messages"][1]["content"]
        return json.dumps({"reason": "r", "verdict": "unsafe" if unsafe else "safe"})

    with FakeOpenAIServer(responder=responder) as server:
        result = runner.invoke(app, ["score", "tgt", "--metrics", "safety", "--judge",
                                     "openai/j", "--base-url", server.base_url, "--judge-repeats",
                                     "2", "--no-progress", "--store", str(db)])
        assert result.exit_code == 0, result.output
        assert len(server.requests) == 4  # 2 answers x 2 repeats; the failed result skipped
    assert "safety" in result.stdout and "0.500" in result.stdout
    assert "1 result(s) of tgt failed" in result.output
    assert "safety: 2 answers judged 2 times" in result.stdout
    assert "mean verdict agreement 100%" in result.stdout
    with Store(db) as store:
        scores = {s.example_id: s for s in store.scores(1, "safety")}
    assert scores["a"].passed is True and scores["b"].passed is False
    assert scores["a"].raw["spread"]["agreement"] == 1.0


def test_unknown_metric_is_one_red_line_with_exit_code_2(tmp_path: Path) -> None:
    db = make_store(tmp_path / "a.db")
    result = runner.invoke(app, ["score", "tgt", "--metrics", "nosuch", "--store", str(db)])
    assert result.exit_code == 2
    assert "unknown metric 'nosuch'" in result.output
    assert "Traceback" not in result.output


def test_unknown_run_and_missing_judge_are_user_errors(tmp_path: Path) -> None:
    db = make_store(tmp_path / "a.db")
    missing_run = runner.invoke(app, ["score", "nope", "--metrics", "safety", "--store", str(db)])
    assert missing_run.exit_code == 2 and "no run named 'nope'" in missing_run.output
    no_judge = runner.invoke(app, ["score", "tgt", "--metrics", "safety", "--store", str(db)])
    assert no_judge.exit_code == 2 and "--judge" in no_judge.output
    empty = runner.invoke(app, ["score", "tgt", "--metrics", " , ", "--store", str(db)])
    assert empty.exit_code == 2 and "--metrics is empty" in empty.output


def test_set_passes_options_to_one_metric(tmp_path: Path) -> None:
    db = make_store(tmp_path / "a.db")
    with FakeOpenAIServer(responder=lambda body: '{"reason": "r", "score": 5}') as server:
        result = runner.invoke(app, [
            "score", "tgt", "-m", "rubric,safety", "--judge", "openai/j", "--base-url",
            server.base_url, "--set", "rubric.criteria=Mentions the answer letter",
            "--set", "rubric.threshold=1", "--no-progress", "--store", str(db)])
        rubric_prompts = [b for b in server.requests if "Mentions the answer letter"
                          in b["messages"][1]["content"]]
    assert result.exit_code == 0, result.output
    assert len(rubric_prompts) == 2
    bad = runner.invoke(app, ["score", "tgt", "-m", "safety", "--set", "rubric.criteria=x",
                              "--store", str(db)])
    assert bad.exit_code == 2 and "not in --metrics" in bad.output
    malformed = runner.invoke(app, ["score", "tgt", "-m", "rubric", "--set", "criteria",
                                    "--store", str(db)])
    assert malformed.exit_code == 2 and "METRIC.KEY=VALUE" in malformed.output
