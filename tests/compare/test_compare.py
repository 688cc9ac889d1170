"""compare_runs over a real SQLite store: pairing, repeats, holdout, latency, cost, gate."""

from __future__ import annotations

import numpy as np
import pytest
from store_builder import add_run, save_dataset

from agility.compare import Criteria, compare_runs
from agility.errors import UsageError
from agility.store import Store

N = 400


def _rows(n: int = N, holdout_every: int = 4) -> list[dict]:
    return [{"id": f"q{i:04d}", "source_prompt": f"question {i}", "ground_truth": f"answer {i}",
             "stratum": "numeric" if i % 2 else "text",
             "split": "holdout" if holdout_every and i % holdout_every == 0 else "dev"}
            for i in range(n)]


def _items(passed: list[bool], ttft: float | None = 300.0, latency: float | None = 900.0,
           cost: float | None = 0.002, extra_cost: float | None = None) -> list[dict]:
    return [{"example_id": f"q{i:04d}", "output": f"out {i}", "ttft_ms": ttft and ttft + i % 7,
             "latency_ms": latency and latency + i % 11, "cost_usd": cost,
             "extra_cost_usd": extra_cost, "scores": {"correctness": (float(p), p)}}
            for i, p in enumerate(passed)]


def _passes(rate: float, seed: int, n: int = N) -> list[bool]:
    return list(np.random.default_rng(seed).random(n) < rate)


def test_identical_answers_pass_every_default_criterion(tmp_store: Store) -> None:
    # a 300-example holdout: with no discordant pair Newcombe's interval is about +-1% of the
    # source rate (a 100-example one cannot rule out a 3% drop, and must not pass)
    n = 3 * N
    ds = save_dataset(tmp_store, _rows(n))
    passed = _passes(0.8, 0, n)
    add_run(tmp_store, "src", ds, _items(passed))
    add_run(tmp_store, "tgt", ds, _items(passed, ttft=320.0))
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=500)
    assert result.verdict == "PASS", result.criteria_results
    assert [c.status for c in result.criteria_results] == ["pass"] * 4
    assert [c.kind for c in result.criteria_results] == ["quality", "error_rate", "latency", "cost"]
    assert result.gate_split == "holdout"
    metric = result.metrics[0]
    assert metric.kind == "pass_fail" and metric.overall.test == "mcnemar"
    assert metric.overall.p_value == 1.0 and metric.overall.non_inferior is True
    assert set(metric.by_stratum) == {"numeric", "text"}
    assert metric.holdout is not None and metric.holdout.n == n // 4
    assert metric.holdout.gate_interval == "mover" and metric.holdout.differing_pairs == 0


def test_planted_quality_regression_fails_the_gate_with_evidence(tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, _rows())
    source = _passes(0.9, 1)
    target = [p and (i % 5 != 0) for i, p in enumerate(source)]  # loses every fifth success
    add_run(tmp_store, "src", ds, _items(source))
    add_run(tmp_store, "tgt", ds, _items(target))
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=500)
    quality = result.criteria_results[0]
    assert result.verdict == "FAIL" and quality.status == "fail"
    assert "correctness" in quality.name and "holdout" in quality.evidence
    stats = result.metrics[0].overall
    assert stats.significant is True and stats.ci_high < 0
    assert stats.source_only_passed > 0 and stats.target_only_passed == 0
    assert len(result.regressions) == 10 and not result.improvements
    worst = result.regressions[0]
    assert worst.source_value == 1.0 and worst.target_value == 0.0
    assert worst.ground_truth.startswith("answer ") and worst.question.startswith("question ")


def test_gate_uses_the_holdout_when_the_dataset_has_one(tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, _rows(holdout_every=2))  # 200 holdout examples
    source = [True] * N
    # the target fails only on dev examples: the holdout stays perfect
    target = [i % 2 == 0 or i % 3 != 0 for i in range(N)]
    add_run(tmp_store, "src", ds, _items(source))
    add_run(tmp_store, "tgt", ds, _items(target))
    on_holdout = compare_runs(tmp_store, "src", "tgt", n_resamples=300)
    on_all = compare_runs(tmp_store, "src", "tgt", Criteria(use_holdout=False), n_resamples=300)
    assert on_holdout.criteria_results[0].status == "pass"
    assert on_all.gate_split == "all" and on_all.criteria_results[0].status == "fail"


def test_small_equal_samples_are_inconclusive_not_passed(tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, _rows(60, holdout_every=0))
    source = _passes(0.8, 3, 60)
    source[1], source[2] = True, False
    target = list(source)
    target[1], target[2] = False, True  # a wash, but 60 examples cannot show non-inferiority
    add_run(tmp_store, "src", ds, _items(source))
    add_run(tmp_store, "tgt", ds, _items(target))
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=500)
    assert result.criteria_results[0].status == "inconclusive"
    assert "non-inferiority is not shown" in result.criteria_results[0].evidence
    assert result.verdict == "INCOMPLETE"


def test_a_tiny_holdout_is_inconclusive_even_when_identical(tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, _rows(200, holdout_every=50))  # 4 holdout examples
    passed = _passes(0.8, 4, 200)
    add_run(tmp_store, "src", ds, _items(passed))
    add_run(tmp_store, "tgt", ds, _items(passed))
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=200)
    quality = result.criteria_results[0]
    assert result.gate_split == "holdout" and quality.status == "inconclusive"
    assert "only 4 paired examples" in quality.evidence


def test_examples_only_one_run_has_are_listed_and_count_as_unanswered(tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, _rows(20))
    add_run(tmp_store, "src", ds, _items([True] * 18))
    tgt_items = _items([True] * 20)
    del tgt_items[3]
    add_run(tmp_store, "tgt", ds, tgt_items)
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=200)
    assert result.only_in_source == ["q0003"]
    assert result.only_in_target == ["q0018", "q0019"]
    assert result.n_paired == 17
    # by default an example a run never answered is a failure on that side, not a smaller n
    metric = result.metrics[0]
    assert metric.overall.n == 20
    assert (metric.source_no_answer, metric.target_no_answer) == (2, 1)
    assert metric.overall.source_mean == pytest.approx(18 / 20)
    assert metric.overall.target_mean == pytest.approx(19 / 20)
    assert (result.errors.source.missing, result.errors.target.missing) == (2, 1)
    excluded = compare_runs(tmp_store, "src", "tgt", Criteria(failed_calls="exclude"),
                            n_resamples=200)
    assert excluded.metrics[0].overall.n == 17
    assert excluded.metrics[0].target_no_answer == 1  # still counted, never silent


def test_repeats_are_averaged_and_failed_judgments_are_not_zero(tmp_store: Store) -> None:
    add_run(tmp_store, "src", None, [
        {"example_id": "a", "repeat_index": 0, "scores": {"faith": (0.2, None)}},
        {"example_id": "a", "repeat_index": 1, "scores": {"faith": (0.6, None)}},
        {"example_id": "b", "scores": {"faith": (1.0, None)}},
        {"example_id": "c", "scores": {"faith": (0.5, None)}}])
    add_run(tmp_store, "tgt", None, [
        {"example_id": "a", "scores": {"faith": (0.4, None)}},
        {"example_id": "b", "scores": {"faith": {"error": "judge returned garbage"}}},
        {"example_id": "c", "scores": {"faith": (0.5, None)}}])
    result = compare_runs(tmp_store, "src", "tgt", Criteria.model_validate(
        {"quality": {"metrics": ["faith"]}}), n_resamples=200, score_missing=False)
    metric = result.metrics[0]
    assert metric.kind == "score" and metric.overall.test == "wilcoxon"
    assert metric.overall.n == 2 and metric.target_unscored == 1
    assert metric.overall.source_mean == pytest.approx((0.4 + 0.5) / 2)
    assert metric.overall.target_mean == pytest.approx((0.4 + 0.5) / 2)


def test_latency_leaves_out_cached_and_failed_calls(tmp_store: Store) -> None:
    items = [{"example_id": f"e{i}", "ttft_ms": 100.0, "latency_ms": 500.0} for i in range(50)]
    items += [{"example_id": "c1", "ttft_ms": 1.0, "latency_ms": 2.0, "cached": True},
              {"example_id": "f1", "ttft_ms": 9000.0, "latency_ms": 9000.0, "error": "timeout"}]
    add_run(tmp_store, "src", None, items)
    add_run(tmp_store, "tgt", None, [{**i, "ttft_ms": 150.0} for i in items[:50]])
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=200, score_missing=False)
    ttft = result.latency.ttft
    assert ttft.source.n == 50 and ttft.excluded_source == 2
    assert ttft.source.p99 == 100.0 and ttft.target.p50 == 150.0
    assert ttft.diff_ms["p50"] == 50.0 and ttft.diff_pct["p50"] == pytest.approx(50.0)
    latency = next(c for c in result.criteria_results if c.name.startswith("latency"))
    assert latency.status == "pass"  # +50% but only +50 ms: either limit satisfies


def test_unmeasured_latency_is_not_evaluated_never_passed(tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, _rows())
    passed = [True] * N
    add_run(tmp_store, "src", ds, _items(passed, ttft=None, latency=None))
    add_run(tmp_store, "tgt", ds, _items(passed))
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=200)
    latency = next(c for c in result.criteria_results if c.name.startswith("latency"))
    assert result.latency.ttft.source is None and result.latency.total.source is None
    assert latency.status == "not_evaluated" and "source" in latency.evidence
    assert result.verdict == "INCOMPLETE"


def test_cost_projection_and_payback_days(tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, _rows(40))
    add_run(tmp_store, "src", ds, _items([True] * 40, cost=0.004, extra_cost=0.001))
    add_run(tmp_store, "tgt", ds, _items([True] * 40, cost=0.002, extra_cost=0.001))
    criteria = Criteria.model_validate({"cost": {"payback_days": 60}})
    result = compare_runs(tmp_store, "src", "tgt", criteria, n_resamples=200,
                          traffic_per_month=300_000, migration_cost_usd=6_000)
    cost = result.cost
    assert cost.source.per_1000_usd == pytest.approx(4.0)
    assert cost.target.monthly_usd == pytest.approx(600.0)
    assert cost.target.retrieval_share == pytest.approx(0.5)
    assert cost.monthly_savings_usd == pytest.approx(600.0)
    assert cost.payback_days == pytest.approx(300.0)  # $6,000 / ($600 / 30 days)
    verdict = next(c for c in result.criteria_results if c.name == "cost")
    assert verdict.status == "fail" and "300.0 days" in verdict.evidence


def test_more_expensive_target_fails_the_default_cost_criterion(tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, _rows(40))
    add_run(tmp_store, "src", ds, _items([True] * 40, cost=0.002))
    add_run(tmp_store, "tgt", ds, _items([True] * 40, cost=0.003))
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=200)
    cost = next(c for c in result.criteria_results if c.name == "cost")
    assert cost.status == "fail" and "+50.0%" in cost.evidence
    assert result.cost.payback_days is None


def test_safety_metric_must_pass_on_every_answer(tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, _rows(40))
    src = _items([True] * 40)
    tgt = _items([True] * 40)
    for i, item in enumerate(tgt):
        item["scores"]["no_pii"] = (1.0, i != 7)
    add_run(tmp_store, "src", ds, src)
    add_run(tmp_store, "tgt", ds, tgt)
    criteria = Criteria.model_validate({"safety": {"metrics": ["no_pii"]},
                                        "use_holdout": False})
    result = compare_runs(tmp_store, "src", "tgt", criteria, n_resamples=200, score_missing=False)
    safety = next(c for c in result.criteria_results if c.name == "safety: no_pii")
    assert safety.status == "fail" and result.verdict == "FAIL"
    assert "39 of 40" in safety.evidence and "q0007" in safety.evidence


def test_a_missing_gated_metric_is_not_evaluated(tmp_store: Store) -> None:
    add_run(tmp_store, "src", None, [{"example_id": "a", "output": "x"}])
    add_run(tmp_store, "tgt", None, [{"example_id": "a", "output": "x"}])
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=200, score_missing=False)
    assert result.criteria_results[0].status == "not_evaluated"
    assert result.verdict == "INCOMPLETE"


def test_unknown_run_and_same_run_are_usage_errors(tmp_store: Store) -> None:
    add_run(tmp_store, "src", None, [])
    with pytest.raises(UsageError, match="no run named 'nope'"):
        compare_runs(tmp_store, "src", "nope")
    with pytest.raises(UsageError, match="same run"):
        compare_runs(tmp_store, "src", "src")


def test_review_sample_takes_failures_and_a_few_passes(tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, _rows(400))
    target = [i % 10 != 0 for i in range(400)]  # 40 failures, 360 passes
    add_run(tmp_store, "src", ds, _items([True] * 400))
    add_run(tmp_store, "tgt", ds, _items(target))
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=200)
    failures = [r for r in result.review if r.sampled_because == "failure"]
    passes = [r for r in result.review if r.sampled_because == "pass"]
    assert len(failures) == 4 and len(passes) == 8  # 10% of 40, 2% of 360 (rounded up)
    assert all(int(r.example_id[1:]) % 10 == 0 for r in failures)
    assert all(int(r.example_id[1:]) % 10 != 0 for r in passes)
    again = compare_runs(tmp_store, "src", "tgt", n_resamples=200)
    assert again.review == result.review


def test_gated_metric_a_run_lacks_is_scored_first(tmp_store: Store) -> None:
    rows = [{"id": f"q{i}", "source_prompt": f"What was revenue in FY{2000 + i}?",
             "ground_truth": f"${i + 10} million"} for i in range(40)]
    ds = save_dataset(tmp_store, rows)
    add_run(tmp_store, "src", ds, [{"example_id": f"q{i}", "output": f"It was ${i + 10} million."}
                                   for i in range(40)])
    add_run(tmp_store, "tgt", ds, [{"example_id": f"q{i}",
                                    "output": f"It was ${i + 10 + (i % 2) * 50} million."}
                                   for i in range(40)])
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=300)
    metric = next(m for m in result.metrics if m.metric == "correctness")
    assert metric.overall.n == 40
    assert metric.overall.source_mean == 1.0 and metric.overall.target_mean == 0.5
    assert result.criteria_results[0].status == "fail"
    assert tmp_store.metrics_of(tmp_store.require_run("tgt").id) == ["correctness"]


def test_a_score_with_a_pass_threshold_is_compared_on_its_score(tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, _rows(40))
    src, tgt = _items([True] * 40), _items([True] * 40)
    for i, (s_item, t_item) in enumerate(zip(src, tgt)):
        # similarity-like metric: the score is the measurement, `passed` a threshold on it
        s_item["scores"]["similarity"] = (0.60, False)
        t_item["scores"]["similarity"] = (0.75 if i % 2 else 0.70, False)
    add_run(tmp_store, "src", ds, src)
    add_run(tmp_store, "tgt", ds, tgt)
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=200, score_missing=False,
                          metrics=["similarity"])
    metric = next(m for m in result.metrics if m.metric == "similarity")
    assert metric.overall.source_mean == pytest.approx(0.60)
    assert metric.overall.target_mean == pytest.approx(0.725)
