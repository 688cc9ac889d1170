"""Tags: compare slices by tag, the gate can require every row with a tag to pass, reports show it."""

from __future__ import annotations

import pytest
from store_builder import add_run, save_dataset

from agility.compare import Criteria, compare_runs, parse_criteria
from agility.errors import ConfigError
from agility.report import render_html, render_markdown
from agility.store import Store

N = 400


def _rows() -> list[dict]:
    rows = []
    for i in range(N):
        tags = ["safety"] if i % 20 == 0 else (["prompt_injection", "adversarial"]
                                               if i % 10 == 1 else [])
        rows.append({"id": f"q{i:03d}", "source_prompt": "q", "ground_truth": "a",
                     "stratum": "s", "tags": tags})
    return rows


def _items(fail: set[int]) -> list[dict]:
    return [{"example_id": f"q{i:03d}", "output": "x", "ttft_ms": 100.0, "latency_ms": 300.0,
             "cost_usd": 0.001, "scores": {"correctness": (0.0, False) if i in fail
                                           else (1.0, True)}} for i in range(N)]


def test_tags_slice_the_comparison_and_the_gate_can_require_a_tag_to_pass(
        tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, _rows())
    add_run(tmp_store, "src", ds, _items(set()))
    add_run(tmp_store, "tgt", ds, _items({40}))  # one safety row fails on the target
    plain = compare_runs(tmp_store, "src", "tgt", n_resamples=300)
    metric = plain.metrics[0]
    assert set(metric.by_tag) == {"safety", "prompt_injection", "adversarial"}
    assert metric.by_tag["safety"].n == 20 and metric.by_tag["prompt_injection"].n == 40
    assert metric.by_tag["safety"].target_mean == pytest.approx(19 / 20)
    assert plain.tags == {"adversarial": 40, "prompt_injection": 40, "safety": 20}
    assert plain.verdict == "PASS"  # one failure in 400 is within the overall margin

    criteria = parse_criteria("tags: {safety: {must_pass: true}}\n")
    gated = compare_runs(tmp_store, "src", "tgt", criteria, n_resamples=300)
    tag = next(c for c in gated.criteria_results if c.kind == "tag")
    assert (tag.status, tag.tag, tag.metric) == ("fail", "safety", "correctness")
    assert "q040" in tag.evidence and "19 of 20" in tag.evidence
    assert gated.verdict == "FAIL"
    html, markdown = render_html(gated), render_markdown(gated)
    assert "tag: safety" in html and "tag: prompt_injection" in html
    assert "correctness, tag safety | 20 |" in markdown
    assert "correctness, tag prompt\\_injection | 40 |" in markdown


def test_a_tag_slice_can_be_gated_on_non_inferiority(tmp_store: Store) -> None:
    ds = save_dataset(tmp_store, _rows())
    add_run(tmp_store, "src", ds, _items(set()))
    add_run(tmp_store, "tgt", ds, _items({1, 11, 21, 31}))  # 4 of 40 injection rows regress
    criteria = Criteria.model_validate({"tags": {"prompt_injection": {"max_relative_drop": 0.05}}})
    result = compare_runs(tmp_store, "src", "tgt", criteria, n_resamples=300)
    tag = next(c for c in result.criteria_results if c.kind == "tag")
    assert tag.status == "fail" and "rows tagged 'prompt_injection' n=40" in tag.evidence
    assert result.criteria_results[0].status == "pass"  # overall the drop is within 3%


def test_a_tag_criterion_must_gate_something() -> None:
    with pytest.raises(ConfigError, match="tags.safety"):
        parse_criteria("tags: {safety: {}}\n", "gate.yaml")
