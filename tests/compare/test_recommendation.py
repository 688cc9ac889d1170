""""Not worth migrating now": given exactly when the quality and latency gains are within
noise and the move does not pay for itself within the horizon, with the figures that say so."""

from __future__ import annotations

import pytest
from store_builder import add_run, save_dataset

from agility.compare import Comparison, Criteria, compare_runs
from agility.report import render_markdown, render_text
from agility.store import Store

N = 200


def _run(store: Store, name: str, ds: str, *, passed: float = 0.8, latency: float = 900.0,
         cost: float | None = 0.002) -> None:
    add_run(store, name, ds, [{
        "example_id": f"q{i:03d}", "output": "a", "ttft_ms": latency / 3 + i % 7,
        "latency_ms": latency + i % 11, "cost_usd": cost,
        "scores": {"correctness": (1.0, True) if i % 100 < passed * 100 else (0.0, False)}}
        for i in range(N)])


def _compare(store: Store, *, target: dict, traffic: int | None = 100_000,
             migration: float | None = 5_000.0, criteria: Criteria | None = None) -> Comparison:
    rows = [{"id": f"q{i:03d}", "source_prompt": "q", "ground_truth": "a"} for i in range(N)]
    ds = save_dataset(store, rows)
    _run(store, "src", ds)
    _run(store, "tgt", ds, **target)
    return compare_runs(store, "src", "tgt", criteria, n_resamples=500,
                        traffic_per_month=traffic, migration_cost_usd=migration)


def test_no_gain_and_no_payback_within_the_horizon_says_not_worth_it(tmp_store: Store) -> None:
    # same answers, same speed, $0.0001 a query cheaper: $10 a month against $5,000 once
    result = _compare(tmp_store, target={"cost": 0.0019})
    advice = result.recommendation
    assert advice is not None and advice.advice == "not worth migrating now"
    text = "\n".join(advice.reasons)
    assert "correctness: 0.800 -> 0.800" in text and "no gain beyond noise" in text
    assert "TTFT p50" in text and "total latency p50" in text
    assert "saving +$10.00 a month" in text
    # 5,000 x 30 / 10 = 15,000 days, beyond the 30-day horizon; net 10 - 5,000
    assert "payback 15,000.0 days" in text and "beyond the horizon of 30 days" in text
    assert "net after 30 days: -$4,990.00" in text
    assert "recommendation: not worth migrating now" in render_text(result)
    assert "Recommendation: not worth migrating now" in render_markdown(result)


def test_the_horizon_is_the_roi_criterions(tmp_store: Store) -> None:
    # $100 a month saved against $200 once: paid back in 60 days, within 90, not within 30
    criteria = Criteria.model_validate({"roi": {"within_days": 90}})
    result = _compare(tmp_store, target={"cost": 0.001}, traffic=100_000, migration=200.0,
                      criteria=criteria)
    assert result.cost.payback_days == pytest.approx(60.0)
    assert result.recommendation is None


def test_a_payback_beyond_the_default_horizon_gets_the_advice(tmp_store: Store) -> None:
    result = _compare(tmp_store, target={"cost": 0.001}, traffic=100_000, migration=200.0)
    assert result.recommendation is not None
    assert any("payback 60.0 days" in r for r in result.recommendation.reasons)


@pytest.mark.parametrize("target", [
    {"cost": 0.0019, "passed": 0.99},   # a quality gain beyond noise
    {"cost": 0.0019, "latency": 450.0},  # twice as fast
    {"cost": 0.0010},                    # $10,000 a month at 10M: paid back in 15 days
    {"cost": None},                      # the target's cost was not measured
], ids=["quality-gain", "speed-gain", "pays-back", "cost-not-measured"])
def test_no_advice_when_something_is_gained_or_not_measured(tmp_store: Store,
                                                            target: dict) -> None:
    traffic = 10_000_000 if target == {"cost": 0.0010} else 100_000
    result = _compare(tmp_store, target=target, traffic=traffic)
    if target == {"cost": 0.0010}:
        assert result.cost.payback_days == pytest.approx(15.0)
    assert result.recommendation is None
    assert "recommendation" not in render_text(result)


def test_no_advice_without_traffic(tmp_store: Store) -> None:
    result = _compare(tmp_store, target={"cost": 0.0019}, traffic=None)
    assert result.recommendation is None
    assert result.cost.roi is not None and result.cost.roi.payback_status == "needs_traffic"


def test_no_advice_on_a_per_hour_net_the_runs_were_not_timed_together_for(
        tmp_store: Store) -> None:
    # the same runs as the first test (which gets the advice), plus a host billed by the hour
    # on both sides: its share follows each run's measured throughput, and these runs carry
    # no record of having been timed together, so the net could be load drift's
    from agility.compare import parse_cost_items

    rows = [{"id": f"q{i:03d}", "source_prompt": "q", "ground_truth": "a"} for i in range(N)]
    ds = save_dataset(tmp_store, rows)
    _run(tmp_store, "src", ds)
    _run(tmp_store, "tgt", ds, cost=0.0019)
    for name in ("src", "tgt"):
        run = tmp_store.require_run(name)
        tmp_store.update_run(run.id, meta={**run.meta, "parallel_calls": 1})
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=500, traffic_per_month=100_000,
                          migration_cost_usd=5_000.0, costs=parse_cost_items(
                              "per_hour: [{name: host, side: both, usd_per_hour: 0.5}]"))
    roi = result.cost.roi
    assert roi is not None and roi.net_at_horizon_usd is not None
    assert roi.net_at_horizon_usd < 0 and roi.throughput_sides == ["source", "target"]
    assert roi.timing is not None and not roi.timing.interleaved
    assert result.recommendation is None
