"""The latency gate judges an interval, not a point, and needs enough timed answers: load
drift and a handful of slow calls cannot flip the verdict, and 4 timed answers of 30 are not
evidence."""

from __future__ import annotations

import numpy as np
import pytest
from store_builder import add_run

from agility.compare import Criteria, compare_runs
from agility.store import Store


def _runs(store: Store, source_ms: np.ndarray, target_ms: np.ndarray,
          target_untimed: int = 0) -> None:
    add_run(store, "src", None, [{"example_id": f"e{i}", "output": "x", "ttft_ms": float(v),
                                  "latency_ms": float(v) * 2} for i, v in enumerate(source_ms)])
    target = [{"example_id": f"e{i}", "output": "x", "ttft_ms": float(v),
               "latency_ms": float(v) * 2} for i, v in enumerate(target_ms)]
    for item in target[:target_untimed]:
        item["ttft_ms"] = None
    add_run(store, "tgt", None, target)


def _latency(store: Store, **criteria: object) -> object:
    crit = Criteria.model_validate({"quality": {"metrics": []}, "cost": {"max_increase_pct": None},
                                    "latency": {"ttft_max_increase_pct": 20,
                                                "ttft_max_increase_ms": None, **criteria}})
    result = compare_runs(store, "src", "tgt", crit, n_resamples=200, score_missing=False)
    return next(c for c in result.criteria_results if c.kind == "latency")


def test_a_clear_rise_fails_and_a_clear_hold_passes(tmp_store: Store) -> None:
    rng = np.random.default_rng(1)
    _runs(tmp_store, rng.normal(500, 20, 200), rng.normal(800, 20, 200))
    assert _latency(tmp_store).status == "fail"


def test_a_steady_target_passes_on_the_interval(tmp_store: Store) -> None:
    rng = np.random.default_rng(2)
    _runs(tmp_store, rng.normal(500, 20, 200), rng.normal(510, 20, 200))
    result = _latency(tmp_store)
    assert result.status == "pass" and "interval of the rise" in result.evidence


def test_a_noisy_rise_near_the_limit_is_inconclusive_where_the_point_would_pass(
        tmp_store: Store) -> None:
    # 15% higher at the median, with few and spread timings: the point is within +20%,
    # the interval is not
    rng = np.random.default_rng(3)
    source = rng.lognormal(np.log(500), 0.6, 25)
    _runs(tmp_store, source, rng.permutation(source * 1.15))
    interval = _latency(tmp_store)
    point = _latency(tmp_store, test="point")
    assert point.status == "pass"
    assert interval.status == "inconclusive" and interval.advice


def test_too_few_timed_answers_is_not_evaluated(tmp_store: Store) -> None:
    rng = np.random.default_rng(4)
    _runs(tmp_store, rng.normal(500, 5, 30), rng.normal(500, 5, 30), target_untimed=26)
    result = _latency(tmp_store)
    assert result.status == "not_evaluated"
    assert "target timed 4 of 30 answers" in result.evidence


@pytest.mark.parametrize("n", [30, 300])
def test_the_reported_interval_contains_the_point_estimate(tmp_store: Store, n: int) -> None:
    rng = np.random.default_rng(n)
    _runs(tmp_store, rng.normal(500, 50, n), rng.normal(550, 50, n))
    result = compare_runs(tmp_store, "src", "tgt", Criteria(), n_resamples=200,
                          score_missing=False)
    side = result.latency.ttft
    low, high = side.diff_ms_interval["p50"]
    assert low <= side.diff_ms["p50"] <= high
    low_pct, high_pct = side.diff_pct_interval["p50"]
    assert low_pct <= side.diff_pct["p50"] <= high_pct


def test_empty_answers_are_flagged_in_the_comparison_and_reports(tmp_store: Store,
                                                                 tmp_path) -> None:
    from agility.report import write_html, write_markdown

    add_run(tmp_store, "src", None, [{"example_id": f"e{i}", "output": "an answer"}
                                     for i in range(5)])
    add_run(tmp_store, "tgt", None, [{"example_id": f"e{i}", "output": "" if i < 3 else "a"}
                                     for i in range(5)])
    result = compare_runs(tmp_store, "src", "tgt", Criteria(), n_resamples=200,
                          score_missing=False)
    assert result.empty_answers == {"source": 0, "target": 3}
    message = "the target gave 3 empty answers"
    assert any(message in w for w in result.warnings)
    assert message in write_html(result, tmp_path / "r.html").read_text(encoding="utf-8")
    assert message in write_markdown(result, tmp_path / "r.md").read_text(encoding="utf-8")
