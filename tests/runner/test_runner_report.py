"""Headline figures of a run: what enters latency and cost statistics."""

from __future__ import annotations

import pytest

from agility.runner import percentile, run_figures
from agility.store import ResultRecord


def _result(i: int, **kw) -> ResultRecord:
    base = {"example_id": f"ex-{i}", "output": "x", "ttft_ms": 10.0 * i, "latency_ms": 20.0 * i,
            "cost_usd": 0.01}
    return ResultRecord(**{**base, **kw})


def test_percentile_is_nearest_rank_and_none_without_data():
    # the one definition every command uses (docs/compare.md): a measured value, never an
    # interpolation between two
    assert percentile([4, 1, 3, 2], 50) == 2
    assert percentile([1, 2, 3, 4], 95) == 4
    assert percentile([5.0], 95) == 5.0
    assert percentile([], 50) is None


def test_cached_and_failed_results_stay_out_of_latency_figures():
    results = [_result(i) for i in range(1, 5)]
    results.append(_result(9, cached=True, ttft_ms=None, latency_ms=None,
                           cached_latency_ms=1.0))
    results.append(_result(8, error="ProviderTimeout: slow", output=None, ttft_ms=9000.0,
                           latency_ms=9000.0, cost_usd=None))
    figures = run_figures(results)
    assert figures["ttft_p50_ms"] == pytest.approx(20.0)
    assert figures["latency_p95_ms"] == pytest.approx(percentile([20, 40, 60, 80], 95))
    assert (figures["results"], figures["errors"], figures["cached"]) == (6, 1, 1)
    assert figures["mean_cost_usd"] == pytest.approx(0.01)  # per query, cached included
    assert figures["total_cost_usd"] == pytest.approx(0.04)  # paid: the cached one was free


def test_unmeasured_figures_are_none_not_zero():
    figures = run_figures([_result(1, ttft_ms=None, latency_ms=None, cost_usd=None)])
    assert figures["ttft_p50_ms"] is None and figures["mean_cost_usd"] is None
    assert figures["total_cost_usd"] is None
