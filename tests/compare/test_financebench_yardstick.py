"""The real yardstick: gpt-4 -> gpt-4-1106-preview on FinanceBench (oracle mode), replayed.

FinanceBench: Islam et al. 2023, arXiv:2311.11944, licence CC BY-NC 4.0; read from
``../shared/datasets/financebench`` (the test skips when it is absent). The human labels are
stored as a ``human_label`` score beside the offline ``correctness`` grader, and the test checks
the conclusions a careful analyst draws from them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy import stats as sps

from agility.compare import Comparison, Criteria, compare_runs
from agility.store import NewReview, ScoreRecord, Store

pytestmark = pytest.mark.financebench

SOURCE, TARGET = "gpt-4_oracle", "gpt-4-1106-preview_oracle"


def _labels(financebench_dir: Path, name: str) -> dict[str, bool]:
    path = financebench_dir / "results" / f"{name}.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {r["financebench_id"]: r["label"] == "Correct Answer" for r in rows}


@pytest.fixture()
def yardstick(financebench_dir: Path, tmp_path: Path, tmp_store: Store) -> Comparison:
    from agility.dataset import import_dataset, split_dataset
    from agility.runner import run_model

    golden, split = tmp_path / "fb.jsonl", tmp_path / "fb_split.jsonl"
    import_dataset(financebench_dir / "financebench_open_source.jsonl", golden,
                   preset="financebench")
    split_dataset(golden, split, holdout=0.3, seed=42)
    for name in (SOURCE, TARGET):
        run_model(split, f"replay/{financebench_dir / 'results' / (name + '.jsonl')}", name=name,
                  store=tmp_store, progress=False,
                  provider_options={"id_field": "financebench_id", "output_field": "model_answer"})
        run = tmp_store.require_run(name)
        assert run.id is not None
        tmp_store.save_scores(run.id, [
            ScoreRecord(example_id=i, metric="human_label", score=float(ok), passed=ok)
            for i, ok in _labels(financebench_dir, name).items()])
        # the experts' labels as SME reviews too: the comparison shows them beside the grader
        for i, ok in _labels(financebench_dir, name).items():
            tmp_store.add_review(NewReview(run_id=run.id, example_id=i, reviewer="experts",
                                           verdict="Correct Answer" if ok else "Incorrect Answer"))
    # correctness is scored here by compare_runs itself (a gated metric the runs lack)
    return compare_runs(tmp_store, SOURCE, TARGET, seed=0, n_resamples=4000)


def test_human_labels_show_no_significant_difference_at_this_n(
        yardstick: Comparison, financebench_dir: Path) -> None:
    source, target = _labels(financebench_dir, SOURCE), _labels(financebench_dir, TARGET)
    human = next(m for m in yardstick.metrics if m.metric == "human_label").overall
    assert human.n == len(source) == 150
    assert human.source_mean == pytest.approx(sum(source.values()) / 150)
    assert human.target_mean == pytest.approx(sum(target.values()) / 150)
    only_source = sum(source[i] and not target[i] for i in source)
    only_target = sum(target[i] and not source[i] for i in source)
    assert (human.source_only_passed, human.target_only_passed) == (only_source, only_target)
    # an analyst's own exact McNemar on the discordant pairs
    expected_p = sps.binomtest(min(only_source, only_target), only_source + only_target).pvalue
    assert human.p_value == pytest.approx(expected_p)
    # the target is slightly more accurate, but n=150 cannot tell the models apart...
    assert human.target_mean > human.source_mean and human.significant is False
    assert human.ci_low < 0 < human.ci_high
    # ...nor show the target is within 3% of the source
    assert human.non_inferior is False and human.rel_ci_low < -0.03


def test_offline_grader_points_the_same_way_as_the_humans(yardstick: Comparison) -> None:
    by_name = {m.metric: m for m in yardstick.metrics}
    human, grader = by_name["human_label"].overall, by_name["correctness"].overall
    assert grader.n == 150 and (grader.diff > 0) == (human.diff > 0)
    assert abs(grader.source_mean - human.source_mean) < 0.1
    # version 10 calls the target significantly better (13 answers against 4, McNemar p
    # 0.049) where the experts see no difference (p > 0.05): gpt-4 oracle keeps 6 answers the
    # experts credit against the gold ("improving" for a gold that says no, 42.89 days for
    # 42.69, ...), while the target's grading became more accurate. One of the 6 decisions of
    # 91 that differ in benchmarks/grader_calibration.py (benchmarks/README.md, version 10).
    assert human.significant is False
    assert grader.significant is True and 0.04 < grader.p_value < 0.05
    assert (grader.source_only_passed, grader.target_only_passed) == (4, 13)
    assert set(by_name["human_label"].by_stratum) == {
        "metrics-generated", "domain-relevant", "novel-generated"}


def test_replayed_runs_cannot_pass_the_gate(yardstick: Comparison) -> None:
    statuses = {c.name: c.status for c in yardstick.criteria_results}
    assert yardstick.gate_split == "holdout"
    assert statuses["latency: TTFT p50"] == "not_evaluated"  # replayed: no timings
    assert statuses["cost"] == "not_evaluated"
    assert yardstick.latency.ttft.source is None
    assert yardstick.cost.source.mean_per_query_usd is None
    assert yardstick.verdict == "INCOMPLETE"
    assert yardstick.only_in_source == [] and yardstick.only_in_target == []


def test_gating_on_human_labels_is_inconclusive_not_passed(
        yardstick: Comparison, tmp_store: Store) -> None:
    criteria = Criteria.model_validate({
        "quality": {"metrics": ["human_label"]}, "latency": {
            "ttft_max_increase_pct": None, "ttft_max_increase_ms": None},
        "cost": {"max_increase_pct": None}, "error_rate": {"max_increase_points": None},
        "use_holdout": False})
    result = compare_runs(tmp_store, SOURCE, TARGET, criteria, n_resamples=4000)
    assert [c.status for c in result.criteria_results] == ["inconclusive"]
    assert result.verdict == "INCOMPLETE"


def test_holdout_with_few_discordant_pairs_is_gated_on_the_conservative_interval(
        yardstick: Comparison) -> None:
    # the 45-pair holdout, graded offline: only 4 pairs differ, all for the target (version 9
    # saw 5, 3 for the target; version 8 4, 2 each way; version 2 5, 4 for the target, where
    # its percentile bootstrap alone would have passed the gate). The score interval (MOVER)
    # is the wider and the gate uses the more conservative.
    correctness = next(m for m in yardstick.metrics if m.metric == "correctness")
    holdout = correctness.holdout
    assert holdout is not None and holdout.n == 45 and holdout.differing_pairs == 4
    assert (holdout.source_only_passed, holdout.target_only_passed) == (0, 4)
    assert holdout.rel_ci_low is not None and holdout.rel_score_ci_low is not None
    assert holdout.rel_score_ci_low <= holdout.rel_ci_low
    assert holdout.gate_interval == "mover" and holdout.gate_rel_low == holdout.rel_score_ci_low
    # with 4 of 4 for the target the conservative bound is -1.1%, within the 3% margin: the
    # grader's holdout passes the gate. The experts' labels on the same 45 pairs (3
    # discordant, all for the target) put it at -3.05% and do not: a known disagreement of
    # version 10 on this holdout, by a hair.
    assert -0.03 < holdout.rel_score_ci_low < 0 and holdout.non_inferior is True
    quality = next(c for c in yardstick.criteria_results if c.name == "quality: correctness")
    assert quality.status == "pass"
    assert "MOVER" in quality.evidence and "gate lower bound" in quality.evidence
    human = next(m for m in yardstick.metrics if m.metric == "human_label").holdout
    assert human is not None and human.differing_pairs == 3
    assert human.rel_score_ci_low is not None and human.rel_score_ci_low < -0.03
    assert human.non_inferior is False


def test_the_grader_difference_is_shown_beside_the_human_one(
        yardstick: Comparison, financebench_dir: Path, tmp_store: Store) -> None:
    # humans: 126 vs 128 correct of 150; the grader's difference must be read against that
    source_labels = _labels(financebench_dir, SOURCE)
    target_labels = _labels(financebench_dir, TARGET)
    assert (sum(source_labels.values()), sum(target_labels.values())) == (126, 128)
    correctness = next(m for m in yardstick.metrics if m.metric == "correctness")
    human = correctness.human
    assert human is not None and human.n == 150 and "SME reviews" in human.labels
    assert human.diff == pytest.approx((128 - 126) / 150)
    assert human.ci_low is not None and human.ci_high is not None
    assert human.ci_low < 0 < human.ci_high  # the humans see no clear difference
    # the grader's own verdicts, read from the store, not from the comparison
    graded = {}
    for name in (SOURCE, TARGET):
        run = tmp_store.require_run(name)
        graded[name] = {s.example_id: bool(s.passed) for s in tmp_store.scores(run.id, "correctness")
                        if s.error is None}
    grader_diff = (sum(graded[TARGET].values()) - sum(graded[SOURCE].values())) / 150
    assert human.grader_n == 150 and human.grader_diff == pytest.approx(grader_diff)
    for labels, agreement, name in ((source_labels, human.source_agreement, SOURCE),
                                    (target_labels, human.target_agreement, TARGET)):
        same = sum(labels[i] == graded[name][i] for i in labels) / len(labels)
        assert agreement is not None and agreement.agreement == pytest.approx(same)
    from agility.report import render_html, render_markdown
    assert "human difference" in render_html(yardstick)
    assert "| correctness | +1.33 points" in render_markdown(yardstick)
