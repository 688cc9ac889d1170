"""Human labels beside the grader: golden human_score of recorded answers, and SME reviews."""

from __future__ import annotations

import pytest
from store_builder import add_run, save_dataset

from agility.compare import compare_runs
from agility.report import render_html, render_markdown
from agility.store import NewReview, Store

N = 60


def test_golden_human_scores_label_the_replayed_source_and_reviews_the_target(
        tmp_store: Store) -> None:
    # the golden rows carry the recorded source answer and its human grade; the grader
    # disagrees with the humans on every 6th source answer
    rows = [{"id": f"q{i}", "source_prompt": "q", "ground_truth": "a",
             "source_output": f"recorded {i}", "human_score": 0.0 if i % 4 == 0 else 1.0}
            for i in range(N)]
    ds = save_dataset(tmp_store, rows)
    human_source = {f"q{i}": i % 4 != 0 for i in range(N)}
    grader_source = {k: (not v) if int(k[1:]) % 6 == 0 else v for k, v in human_source.items()}
    add_run(tmp_store, "src", ds, [{"example_id": f"q{i}", "output": f"recorded {i}",
                                   "scores": {"correctness": (float(grader_source[f"q{i}"]),
                                                              grader_source[f"q{i}"])}}
                                  for i in range(N)])
    target = add_run(tmp_store, "tgt", ds, [{"example_id": f"q{i}", "output": f"new {i}",
                                            "scores": {"correctness": (1.0, True)}}
                                           for i in range(N)])
    only_source = compare_runs(tmp_store, "src", "tgt", n_resamples=300)
    human = only_source.metrics[0].human
    assert human is not None and "golden human_score" in human.labels
    agree = sum(grader_source[k] == v for k, v in human_source.items()) / N
    assert human.source_agreement is not None
    assert human.source_agreement.agreement == pytest.approx(agree)
    # the target's answers are not labelled: no human difference, and the reports say so
    assert human.n == 0 and human.diff is None and human.target_agreement is None
    assert "not measured (no example labelled on both sides)" in render_html(only_source)
    assert "| correctness | not measured |" in render_markdown(only_source)

    # an SME reviews the target's answers: the human difference appears beside the grader's
    for i in range(N):
        tmp_store.add_review(NewReview(run_id=target.id, example_id=f"q{i}", reviewer="sme",
                                       verdict="incorrect" if i % 5 == 0 else "correct"))
    both = compare_runs(tmp_store, "src", "tgt", n_resamples=300).metrics[0].human
    assert both is not None and both.n == N and "SME reviews" in both.labels
    human_target = {f"q{i}": i % 5 != 0 for i in range(N)}
    assert both.diff == pytest.approx((sum(human_target.values())
                                       - sum(human_source.values())) / N)
    assert both.grader_diff == pytest.approx((N - sum(grader_source.values())) / N)
    assert both.target_agreement is not None
    assert both.target_agreement.agreement == pytest.approx(sum(human_target.values()) / N)
