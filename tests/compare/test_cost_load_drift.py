"""A per-hour cost compared across load drift: the verdict follows the models, never the load.

A self-hosted endpoint's per-hour cost is spread over the throughput each run measured
(Little's law: mean latency x calls in flight). Here the "machine" is a real fake OpenAI server
on 127.0.0.1 whose latency rises with every request it serves (a load ramp, mocked at the
wire): the same model timed first looks cheaper than timed second. Before the fix, two runs of
one model made one after the other gave FAIL in one order and PASS in the other.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from agility.compare import Criteria, CriterionResult, compare_runs, parse_cost_items
from agility.runner import RetryPolicy, run_interleaved, run_model
from agility.store import Store
from agility.testing import FakeOpenAIServer

N = 20
BOTH_HOURLY = parse_cost_items("per_hour: [{name: GPU host, side: both, usd_per_hour: 2.0}]")
CRITERIA = Criteria.model_validate({"quality": {"metrics": []},
                                    "cost": {"max_increase_pct": 25},
                                    "roi": {"within_days": 30}})


class Ramp:
    """Latency rising with every request served: 40 ms, then +1 ms a request (load drift);
    ``slower`` models take twice as long."""

    def __init__(self, slower: tuple[str, ...] = ()) -> None:
        self.served = 0
        self.slower = slower
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> float:
        with self._lock:
            self.served += 1
            ms = 40.0 + self.served
        return 2 * ms if body.get("model") in self.slower else ms


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-drift-0123456789")


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "golden.jsonl"
    path.write_text("".join(json.dumps({"id": f"q{i:02d}", "source_prompt": f"question {i}",
                                        "ground_truth": "x"}) + "\n" for i in range(N)),
                    encoding="utf-8")
    return path


def _job(dataset: Path, store: Store, server: FakeOpenAIServer, name: str, model: str,
         **extra: Any) -> dict[str, Any]:
    return {"dataset": dataset, "model": f"openai/{model}", "name": name, "store": store,
            "provider_options": {"base_url": server.base_url}, "progress": False,
            "retry": RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.02),
            "price_input": 0.0, "price_output": 0.0, **extra}


def _cost(store: Store, costs: Any = BOTH_HOURLY) -> tuple[CriterionResult, CriterionResult,
                                                           Any]:
    result = compare_runs(store, "src", "tgt", CRITERIA, costs=costs, n_resamples=2000,
                          score_missing=False, traffic_per_month=1_000_000,
                          migration_cost_usd=0.0)
    by_name = {c.name: c for c in result.criteria_results}
    return by_name["cost"], by_name["ROI: neutral or positive within 30 days"], result


@pytest.mark.parametrize("target_first", [False, True])
def test_runs_timed_one_after_the_other_under_drift_never_decide_the_cost(
        dataset: Path, tmp_path: Path,
        target_first: bool) -> None:
    # the same model on both sides: any cost difference is the load's. Timed second, a side
    # is ~40% slower, so "costs more per query" followed the order the runs were made in
    with FakeOpenAIServer(ttft_for=Ramp()) as server, \
            Store(tmp_path / f"s{target_first}.db") as store:
        jobs = [_job(dataset, store, server, "src", "model-a"),
                _job(dataset, store, server, "tgt", "model-a")]
        for job in (reversed(jobs) if target_first else jobs):
            run_model(**job)
        cost, roi, result = _cost(store)
    timing = result.cost.roi.timing
    assert timing is not None and not timing.interleaved
    assert "not timed together" in timing.text and "load average" in timing.text
    # neither PASS nor FAIL: the throughputs were measured in two windows of different load
    assert cost.status == "inconclusive", cost.evidence
    assert "load drift" in (cost.reason or "") and "interleaved" in (cost.advice or "")
    assert roi.status == "inconclusive", roi.evidence
    assert result.verdict != "PASS"


@pytest.mark.parametrize("target_first", [False, True])
def test_interleaved_runs_under_the_same_drift_pass_alike_in_either_order(
        dataset: Path, tmp_path: Path,
        target_first: bool) -> None:
    with FakeOpenAIServer(ttft_for=Ramp()) as server, \
            Store(tmp_path / f"i{target_first}.db") as store:
        jobs = [_job(dataset, store, server, "src", "model-a"),
                _job(dataset, store, server, "tgt", "model-b")]
        run_interleaved(list(reversed(jobs)) if target_first else jobs)
        cost, _, result = _cost(store)
    roi = result.cost.roi
    assert roi is not None and roi.timing is not None and roi.timing.interleaved, roi.timing
    assert roi.throughput_sides == ["source", "target"]
    low, high = roi.diff_per_query_pct_interval or (None, None)
    assert low is not None and high is not None and low < 0 < high  # equal models
    # drift hit both alike: the difference's interval lies within the allowed 25%
    assert cost.status == "pass", cost.evidence
    assert "interval of the difference from the measured throughputs" in cost.evidence


def test_interleaved_runs_still_fail_a_target_whose_endpoint_is_slower(
        dataset: Path, tmp_path: Path) -> None:
    with FakeOpenAIServer(ttft_for=Ramp(slower=("model-b",))) as server, \
            Store(tmp_path / "slow.db") as store:
        run_interleaved([_job(dataset, store, server, "src", "model-a"),
                         _job(dataset, store, server, "tgt", "model-b")])
        cost, roi, result = _cost(store)
    interval = result.cost.roi.diff_per_query_pct_interval
    # twice the latency: twice the hourly share of a query, beyond 25% at either end
    assert interval is not None and interval[0] > 25, interval
    assert cost.status == "fail", cost.evidence
    assert roi.status == "fail", roi.evidence  # it never pays back: even the high end < 0
    assert result.verdict == "FAIL"


def test_a_difference_no_throughput_could_change_is_decided_without_interleaving(
        dataset: Path, tmp_path: Path) -> None:
    # the source is a self-hosted endpoint plus tokens; the target an API priced per token
    # only and cheaper than the source's tokens alone: whatever the source's endpoint served
    # an hour, the target costs less, so the order the runs were made in cannot matter
    hourly_source = parse_cost_items("per_hour: [{name: GPU, side: source, usd_per_hour: 2}]")
    with FakeOpenAIServer(ttft_for=Ramp()) as server, Store(tmp_path / "proof.db") as store:
        run_model(**_job(dataset, store, server, "src", "model-a", price_input=2.0,
                         price_output=8.0))
        run_model(**_job(dataset, store, server, "tgt", "model-b", price_input=1.0,
                         price_output=4.0))
        cost, _, result = _cost(store, hourly_source)
    assert result.cost.roi is not None and result.cost.roi.throughput_sides == ["source"]
    assert not result.cost.roi.timing.interleaved
    assert cost.status == "pass", cost.evidence
    assert "any number of queries an hour" in cost.evidence


def test_token_priced_costs_keep_their_exact_comparison(
        dataset: Path, tmp_path: Path) -> None:
    # no per-hour item: the same prices and tokens cost the same, timed apart or not
    with FakeOpenAIServer(ttft_for=Ramp()) as server, \
            Store(tmp_path / "tokens.db") as store:
        for name in ("src", "tgt"):
            run_model(**_job(dataset, store, server, name, "model-a", price_input=2.0,
                             price_output=8.0))
        criteria = Criteria.model_validate({"quality": {"metrics": []},
                                            "cost": {"max_increase_pct": 0}})
        result = compare_runs(store, "src", "tgt", criteria, n_resamples=200,
                              score_missing=False)
    cost = next(c for c in result.criteria_results if c.name == "cost")
    assert result.cost.diff_per_query_usd == 0.0
    assert cost.status == "pass" and "decimals of a dollar" in cost.evidence
