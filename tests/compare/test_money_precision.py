"""Money is compared at a stated precision: equal prices and equal tokens cost the same."""

from __future__ import annotations

import numpy as np
from store_builder import add_run, save_dataset

from agility.compare import compare_runs
from agility.pricing import Price, cost_usd
from agility.store import Store


def test_equal_price_and_equal_tokens_pass_a_zero_increase_cost_criterion(
        tmp_store: Store) -> None:
    # the same per-call costs in another order: float sums differ in their last bits
    rng = np.random.default_rng(0)
    tokens = [(int(a), int(b)) for a, b in zip(rng.integers(200, 4000, 300),
                                               rng.integers(5, 400, 300), strict=True)]
    price = Price(input=0.15, output=0.6)
    costs = [cost_usd(price, inp, out) for inp, out in tokens]
    ds = save_dataset(tmp_store, [{"id": f"q{i}", "source_prompt": "q", "ground_truth": "a"}
                                  for i in range(300)])
    for name, order in (("src", costs[::-1]), ("tgt", costs)):
        add_run(tmp_store, name, ds, [{"example_id": f"q{i}", "output": "x", "ttft_ms": 100.0,
                                       "latency_ms": 200.0, "cost_usd": c,
                                       "scores": {"correctness": (1.0, True)}}
                                      for i, c in enumerate(order)])
    # the noise this test is about is really there: the target looks 3.6e-14 % dearer
    assert sum(costs) > sum(costs[::-1])
    result = compare_runs(tmp_store, "src", "tgt", n_resamples=200)
    assert result.cost.diff_per_query_usd == 0.0 and result.cost.diff_pct == 0.0
    cost = next(c for c in result.criteria_results if c.kind == "cost")
    assert cost.status == "pass", cost.evidence
    assert "(+0.0%)" in cost.evidence and "compared to 12 decimals of a dollar" in cost.evidence
    # the precision is far below a cent per million queries
    assert 1e-12 * 1_000_000 < 0.01 / 100
