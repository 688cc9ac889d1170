"""score_run over a real SQLite store: inputs built from golden rows and results, failed
results skipped, scores stored, already-scored pairs skipped unless rescore."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from agility.errors import InvalidArgument, UsageError
from agility.metrics import score_run
from agility.metrics._scoring import build_inputs
from agility.store import NewRun, Store
from agility.store._records import ResultRecord
from agility.testing import FakeOpenAIServer

ROWS = [
    {"id": "q1", "source_prompt": "What was revenue in 2022?",
     "ground_truth": "Revenue in 2022 was $3.2 billion.", "stratum": "numeric",
     "input_context": "Acme's 2022 revenue was $3.2 billion.", "metadata": {"company": "Acme"}},
    {"id": "q2", "source_prompt": {"system": "be brief", "user": "Who is the CEO?"},
     "ground_truth": "Jane Doe is the chief executive.", "stratum": "text",
     "input_context": ["Jane Doe runs Acme.", "Acme sells anvils."]},
    {"id": "q3", "source_prompt": [{"role": "user", "content": "first"},
                                   {"role": "assistant", "content": "ok"},
                                   {"role": "user", "content": "Where is the HQ?"}],
     "ground_truth": "Springfield"},
    {"id": "q4", "source_prompt": "Broken one", "ground_truth": "x"},
]


def make_run(store: Store, name: str = "target") -> int:
    store.save_dataset("ds1", "golden", None, 1, {},
                       [(r["id"], f"h-{r['id']}", "dev", r.get("stratum"), json.dumps(r))
                        for r in ROWS])
    run = store.create_run(NewRun(name=name, dataset_hash="ds1", model_spec="mock/x",
                                     tool_version="test", started_at="2026-01-01T00:00:00Z"))
    assert run.id is not None
    store.save_results(run.id, [
        ResultRecord(example_id="q1", output="The 2022 revenue was 3.2 billion dollars.",
                     contexts=["Retrieved: revenue $3.2B"], retrieval_ms=8.0,
                     extra_cost_usd=0.001),
        ResultRecord(example_id="q2", output="The CEO is Jane Doe."),
        ResultRecord(example_id="q3", output="In Springfield."),
        # an answer to an example the stored dataset does not hold: no question, no truth
        ResultRecord(example_id="q5", output="Orphan answer."),
        ResultRecord(example_id="q4", output=None, error="ProviderTimeout: no answer"),
    ])
    return run.id


def test_inputs_use_recorded_contexts_else_the_golden_input_context(tmp_store: Store) -> None:
    make_run(tmp_store)
    pairs, errored = build_inputs(tmp_store, "target")
    items = {item.example_id: item for _, item in pairs}
    assert errored == 1 and set(items) == {"q1", "q2", "q3", "q5"}
    assert items["q1"].contexts == ["Retrieved: revenue $3.2B"]
    assert items["q1"].metadata == {"company": "Acme", "retrieval_latency_ms": 8.0,
                                    "retrieval_cost_usd": 0.001}
    assert items["q2"].contexts == ["Jane Doe runs Acme.", "Acme sells anvils."]
    assert items["q2"].question == "Who is the CEO?" and items["q2"].stratum == "text"
    assert items["q3"].question == "Where is the HQ?" and items["q3"].ground_truth == "Springfield"
    assert items["q5"].question is None and items["q5"].ground_truth is None


@pytest.mark.slow  # loads the local embedding model
def test_scores_are_stored_per_example_and_failed_results_are_not_scored(
        tmp_store: Store) -> None:
    run_id = make_run(tmp_store)
    summaries = score_run(tmp_store, "target", ["semantic_similarity", "context_precision"])
    sim = {s.example_id: s for s in tmp_store.scores(run_id, "semantic_similarity")}
    assert set(sim) == {"q1", "q2", "q3", "q5"}  # q4 failed: not scored
    assert sim["q1"].score is not None and sim["q1"].score > 0.85
    assert sim["q1"].metric_version == "1"
    # q5 has no ground truth (its example is not stored): not scored, never a 0
    assert sim["q5"].score is None and "no ground_truth" in (sim["q5"].error or "")
    s = summaries["semantic_similarity"]
    assert (s.n, s.n_scored, s.n_failed) == (4, 3, 1)
    assert s.mean == pytest.approx((sim["q1"].score + sim["q2"].score + sim["q3"].score) / 3)
    precision = {x.example_id: x for x in tmp_store.scores(run_id, "context_precision")}
    assert precision["q1"].metric_version == "5-auto"
    assert precision["q1"].raw["retrieval_latency_ms"] == 8.0


def test_second_call_skips_scored_pairs_unless_rescore(tmp_store: Store) -> None:
    run_id = make_run(tmp_store)
    calls: list[dict[str, Any]] = []

    def responder(body: dict[str, Any]) -> str:
        calls.append(body)
        return '{"reason": "fine", "verdict": "safe"}'

    with FakeOpenAIServer(responder=responder) as server:
        options = {"judge": "openai/j", "judge_options": {"base_url": server.base_url}}
        score_run(tmp_store, "target", ["safety"], **options)
        assert len(calls) == 4
        again = score_run(tmp_store, "target", ["safety"], **options)
        assert len(calls) == 4 and again["safety"].n_scored == 4
        score_run(tmp_store, "target", ["safety"], rescore=True, **options)
        assert len(calls) == 8
        # another judge model is another measurement: scored again
        score_run(tmp_store, "target", ["safety"], judge="openai/other",
                  judge_options={"base_url": server.base_url})
        assert len(calls) == 12
    assert {s.judge_model for s in tmp_store.scores(run_id, "safety")} == {"openai/other"}


def test_judge_calls_respect_the_concurrency_bound(tmp_store: Store) -> None:
    make_run(tmp_store)
    with FakeOpenAIServer(responder=lambda b: '{"reason": "r", "verdict": "safe"}',
                          ttft_ms=200) as server:
        started = time.perf_counter()
        score_run(tmp_store, "target", ["safety"], judge="openai/j", concurrency=1,
                  judge_options={"base_url": server.base_url})
        elapsed = time.perf_counter() - started
        assert server.completed == 4
    # one call at a time: four 200 ms answers cannot overlap
    assert elapsed >= 0.8


def test_metric_given_as_mapping_carries_its_options(tmp_store: Store) -> None:
    run_id = make_run(tmp_store)
    with FakeOpenAIServer(responder=lambda b: '{"reason": "r", "score": 4}') as server:
        out = score_run(tmp_store, "target",
                        [{"name": "rubric", "criteria": "Concise and on topic."}],
                        judge="openai/j", judge_options={"base_url": server.base_url})
        assert "Concise and on topic." in server.requests[0]["messages"][1]["content"]
    assert out["rubric"].mean == pytest.approx(0.75)
    assert all(s.judge_prompt_version == "geval-v1" for s in tmp_store.scores(run_id, "rubric"))


def test_unknown_run_metric_and_empty_metric_list_are_usage_errors(tmp_store: Store) -> None:
    make_run(tmp_store)
    with pytest.raises(UsageError, match="no run named 'nope'"):
        score_run(tmp_store, "nope", ["semantic_similarity"])
    with pytest.raises(UsageError, match="unknown metric 'simlarity'"):
        score_run(tmp_store, "target", ["simlarity"])
    with pytest.raises(InvalidArgument, match="metrics must name at least one metric") as empty:
        score_run(tmp_store, "target", [])
    assert empty.value.argument == "metrics"
    with pytest.raises(InvalidArgument, match="must name each metric once"):
        score_run(tmp_store, "target", ["token_f1", {"name": "token_f1", "threshold": 0.9}])
    with pytest.raises(InvalidArgument, match="concurrency must be at least 1"):
        score_run(tmp_store, "target", ["token_f1"], concurrency=0)
