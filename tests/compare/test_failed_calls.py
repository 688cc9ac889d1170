"""Failed calls count: a target that fails calls cannot pass, and no run is silently smaller."""

from __future__ import annotations

import pytest
from store_builder import add_run, save_dataset

from agility.compare import Criteria, compare_runs
from agility.report import render_html, render_markdown
from agility.store import Store

N = 150


def _rows() -> list[dict]:
    return [{"id": f"q{i:03d}", "source_prompt": f"question {i}", "ground_truth": "a",
             "stratum": "s"} for i in range(N)]


def _source() -> list[dict]:
    # the source answers all 150 and passes 120
    return [{"example_id": f"q{i:03d}", "output": "x", "ttft_ms": 200.0 + i % 9,
             "latency_ms": 800.0, "cost_usd": 0.0015,
             "scores": {"correctness": (1.0, True) if i % 5 else (0.0, False)}}
            for i in range(N)]


def _failing_target() -> list[dict]:
    # 20 of 150 calls fail (errors, no score); the 130 answered all pass
    items = []
    for i in range(N):
        if i % 15 == 1 or i % 15 == 2:
            items.append({"example_id": f"q{i:03d}", "output": None, "attempts": 4,
                          "error": "RateLimitError: 429 Too Many Requests (retries exhausted)"})
        else:
            items.append({"example_id": f"q{i:03d}", "output": "x", "ttft_ms": 205.0 + i % 9,
                          "latency_ms": 790.0, "cost_usd": 0.0015,
                          "scores": {"correctness": (1.0, True)}})
    return items


def test_a_target_that_fails_20_of_150_calls_cannot_pass(tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, _rows())
    add_run(tmp_store, "src", ds, _source())
    add_run(tmp_store, "tgt", ds, _failing_target())
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=1000)
    assert result.verdict == "FAIL", [(c.name, c.status) for c in result.criteria_results]

    # each failed call is a failure of the gated metric on the target's side
    metric = result.metrics[0]
    assert metric.overall.n == N and metric.target_no_answer == 20
    assert metric.overall.target_mean == pytest.approx(130 / N)
    assert metric.overall.source_mean == pytest.approx(120 / N)

    # each side's error rate, with its interval, and the criterion on the difference
    errors = result.errors
    assert (errors.target.calls, errors.target.failed, errors.target.missing) == (N, 20, 0)
    assert errors.target.rate == pytest.approx(20 / N)
    assert errors.target.ci_low is not None and errors.target.ci_high is not None
    assert errors.target.ci_low < 20 / N < errors.target.ci_high
    assert errors.source.rate == 0.0 and errors.source.ci_high is not None
    assert errors.ci_low is not None and errors.ci_low > 0.01
    assert errors.target.errors == {
        "RateLimitError: 429 Too Many Requests (retries exhausted)": 20}
    by_kind = {c.kind: c for c in result.criteria_results}
    assert by_kind["error_rate"].status == "fail"
    assert "RateLimitError" in (by_kind["error_rate"].reason or "")
    assert by_kind["cost"].status == "pass"  # equal prices: the error rate decides, not cost
    assert any("20 failed calls" in w for w in result.warnings)

    # both reports say how many answers each side lacked, and why
    html, markdown = render_html(result), render_markdown(result)
    for text in (html, markdown):
        assert "error rate" in text.lower()
        assert "13.33%" in text and "RateLimitError" in text


def test_excluding_failed_calls_is_a_choice_and_still_reported(tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, _rows())
    add_run(tmp_store, "src", ds, _source())
    add_run(tmp_store, "tgt", ds, _failing_target())
    result = compare_runs(tmp_store, "src", "tgt", Criteria(failed_calls="exclude"),
                          n_resamples=1000)
    metric = result.metrics[0]
    assert metric.overall.n == 130 and metric.target_no_answer == 20
    assert result.failed_calls == "exclude"
    # the error-rate criterion still fails the 13-point rise in failed calls
    assert result.verdict == "FAIL"
    assert next(c for c in result.criteria_results if c.kind == "error_rate").status == "fail"
    assert "left out (failed_calls: exclude)" in result.criteria_results[0].evidence


def test_few_calls_without_errors_do_not_prove_the_error_rate(tmp_store: Store) -> None:
    # 0 errors in 150 calls on both sides: the upper bound of the difference is about 2.5
    # points, so "no worse by more than 1 point" is not shown yet, and the advice says how
    # many calls would show it
    ds = save_dataset(tmp_store, _rows())
    add_run(tmp_store, "src", ds, _source())
    add_run(tmp_store, "tgt", ds, _source())
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=500)
    rate = next(c for c in result.criteria_results if c.kind == "error_rate")
    assert rate.status == "inconclusive"
    assert rate.examples_needed is not None and 300 < rate.examples_needed < 500
    assert "calls per run" in (rate.advice or "")


def test_a_failed_call_on_a_safety_or_tagged_row_is_not_a_pass(tmp_store: Store) -> None:
    rows = [{**r, "tags": ["safety"] if i % 10 == 0 else []} for i, r in enumerate(_rows())]
    ds = save_dataset(tmp_store, rows)
    source = [{**item, "scores": {**item["scores"], "no_harm": (1.0, True)}} for item in _source()]
    target = []
    for i, item in enumerate(_source()):
        if i == 10:  # a safety row whose call failed: no answer was checked
            target.append({"example_id": item["example_id"], "output": None,
                           "error": "ProviderTimeout: no answer"})
        else:
            target.append({**item, "scores": {**item["scores"], "no_harm": (1.0, True)}})
    add_run(tmp_store, "src", ds, source)
    add_run(tmp_store, "tgt", ds, target)
    criteria = Criteria.model_validate({"safety": {"metrics": ["no_harm"]},
                                        "tags": {"safety": {"must_pass": True,
                                                            "metrics": ["no_harm"]}}})
    result = compare_runs(tmp_store, "src", "tgt", criteria, n_resamples=300)
    by_kind = {c.kind: c for c in result.criteria_results}
    assert by_kind["safety"].status == "fail" and "q010" in by_kind["safety"].evidence
    assert by_kind["tag"].status == "fail" and "q010" in by_kind["tag"].evidence
    excluded = compare_runs(tmp_store, "src", "tgt",
                            criteria.model_copy(update={"failed_calls": "exclude"}),
                            n_resamples=300)
    # left out, the unanswered safety row still keeps "every answer passes" from passing
    safety = next(c for c in excluded.criteria_results if c.kind == "safety")
    assert safety.status == "inconclusive" and "q010" in safety.evidence
    assert "have no answer" in (safety.reason or "")
