"""The non-inferiority gate on small evidence: few differing pairs never pass on a thin interval."""

from __future__ import annotations

import numpy as np
from store_builder import add_run, save_dataset

from agility.compare import Criteria, compare_runs
from agility.compare._quality import metric_stats
from agility.store import Store

_UNGATED = {"latency": {"ttft_max_increase_pct": None, "ttft_max_increase_ms": None},
            "cost": {"max_increase_pct": None}, "use_holdout": False}


def _score_runs(store: Store, source: np.ndarray, target: np.ndarray) -> None:
    rows = [{"id": f"q{i:04d}", "source_prompt": "q", "ground_truth": "a"}
            for i in range(source.size)]
    ds = save_dataset(store, rows)
    for name, values in (("src", source), ("tgt", target)):
        add_run(store, name, ds, [{"example_id": f"q{i:04d}", "output": "x",
                                   "scores": {"similarity": (float(v), None)}}
                                  for i, v in enumerate(values)])


def _similarity_gate(store: Store) -> tuple[str, str]:
    criteria = Criteria.model_validate({"quality": {"metrics": ["similarity"]}, **_UNGATED})
    result = compare_runs(store, "src", "tgt", criteria, n_resamples=1000, score_missing=False)
    return result.criteria_results[0].status, result.criteria_results[0].evidence


def test_scores_with_few_differing_pairs_are_inconclusive(tmp_store: Store) -> None:
    # 200 identical scores but 5 where the target is slightly better: the bootstrap interval
    # is razor-thin around +0.1%, yet five pairs are no evidence about the next thousand
    source = np.full(200, 0.8)
    target = source.copy()
    target[:5] += 0.05
    _score_runs(tmp_store, source, target)
    status, evidence = _similarity_gate(tmp_store)
    assert status == "inconclusive"
    assert "only 5 pairs differ" in evidence and "at least 10" in evidence


def test_scores_with_enough_differing_pairs_can_pass(tmp_store: Store) -> None:
    rng = np.random.default_rng(4)
    source = np.clip(rng.normal(0.8, 0.05, 200), 0, 1)
    target = np.clip(source + rng.normal(0.0, 0.01, 200), 0, 1)
    _score_runs(tmp_store, source, target)
    status, evidence = _similarity_gate(tmp_store)
    assert status == "pass", evidence
    assert "200 differing pairs" in evidence and "bootstrap" in evidence


def test_pass_fail_gate_uses_the_lower_of_the_two_bounds() -> None:
    rng = np.random.default_rng(8)
    chose = set()
    for k in range(40):
        n = int(rng.integers(40, 400))
        source = (rng.random(n) < 0.8).astype(float)
        target = np.where(rng.random(n) < rng.uniform(0, 0.15), 1 - source, source)
        s = metric_stats(source, target, pass_fail=True, margin=0.03, confidence=0.95,
                         n_resamples=500, seed=k)
        assert s.rel_ci_low is not None and s.rel_score_ci_low is not None
        assert s.gate_rel_low == min(s.rel_ci_low, s.rel_score_ci_low)
        assert s.non_inferior is (s.gate_rel_low >= -0.03)
        chose.add(s.gate_interval)
    assert "mover" in chose  # the score interval is the binding one in this regime


def test_averaged_repeated_verdicts_with_few_differences_are_inconclusive(
        tmp_store: Store) -> None:
    # two repeats per example: averaged verdicts (0, 0.5, 1) are not 0/1, so neither McNemar
    # nor Newcombe applies and the differing-pairs guard must
    rows = [{"id": f"q{i:04d}", "source_prompt": "q", "ground_truth": "a"} for i in range(200)]
    ds = save_dataset(tmp_store, rows)
    for name, flipped in (("src", set()), ("tgt", {1, 2, 3})):
        add_run(tmp_store, name, ds, [
            {"example_id": f"q{i:04d}", "repeat_index": r, "output": "x",
             "scores": {"correctness": (0.0, False) if (i in flipped and r == 0) or i % 5 == 0
                        else (1.0, True)}}
            for i in range(200) for r in range(2)])
    criteria = Criteria.model_validate(_UNGATED)
    result = compare_runs(tmp_store, "src", "tgt", criteria, n_resamples=1000,
                          score_missing=False)
    stats = result.metrics[0].overall
    assert result.metrics[0].kind == "pass_fail" and stats.test == "wilcoxon"
    assert stats.differing_pairs == 3 and stats.non_inferior is None
    assert result.criteria_results[0].status == "inconclusive"
    assert "only 3 pairs differ" in result.criteria_results[0].evidence
