"""Lineage records the versions judge metrics' scores were stored with (never None)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_pipeline import _small_plan

from agility.metrics import metric_class, metric_versions
from agility.migrate import migrate
from agility.store import Store
from agility.testing import FakeOpenAIServer


def _judge(body: dict[str, Any]) -> str:
    return json.dumps({"reason": "checked", "verdict": "correct", "score": 1.0})


def judged_plan(folder: Path, base_url: str, rows: int) -> Path:
    """The small plan scored with ``correctness`` and the judge metric ``llm_correctness``,
    judged by the OpenAI-compatible server at ``base_url``."""
    plan = _small_plan(folder, rows=rows)
    text = plan.read_text(encoding="utf-8").replace(
        "metrics: [correctness, answered]", "metrics: [correctness, llm_correctness]")
    plan.write_text(text + f"\njudge: openai/judge-model\n"
                           f"judge_options: {{base_url: '{base_url}'}}\n", encoding="utf-8")
    return plan


def test_lineage_records_the_judge_metric_version_the_scores_carry(tmp_path: Path,
                                                                   tmp_store: Store) -> None:
    with FakeOpenAIServer(responder=_judge) as server:
        plan = judged_plan(tmp_path / "m", server.base_url, rows=2)
        result = migrate(plan, store=tmp_store, progress=False)
    recorded = result.lineage["metrics"]["llm_correctness"]
    target = tmp_store.require_run(result.target_run)
    stored = {s.metric_version for s in tmp_store.scores(target.id, "llm_correctness")}
    assert recorded is not None and stored == {recorded}
    assert tmp_store.get_migration(result.name).lineage["metrics"]["llm_correctness"] == recorded


def test_versions_follow_the_options_score_run_builds_with() -> None:
    with_judge = metric_versions(
        ["faithfulness", {"name": "context_recall", "mode": "llm"}, "context_precision"],
        judge="openai/j", judge_options={"base_url": "http://127.0.0.1:9"})
    assert with_judge == {"faithfulness": metric_class("faithfulness").version,
                          "context_recall": "5-llm", "context_precision": "5-auto"}
    # without a judge a judge metric cannot be built: its class still gives the version
    assert metric_versions(["faithfulness"]) == {"faithfulness": "1"}
    assert metric_versions(["no_such_metric"]) == {"no_such_metric": None}
