"""Fixtures for the report tests: a real comparison with a hostile answer planted in it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compare"))

from store_builder import add_run, save_dataset

from agility.compare import Comparison, compare_runs
from agility.store import Store

HOSTILE = ("<script>window.__pwned=1</script>"
           "<img src=x onerror=\"window.__pwned_img=1\">"
           "<a href=\"https://example.com/x\">click</a>")


@pytest.fixture()
def comparison(tmp_store: Store) -> Comparison:
    """A 120-example comparison in which the target regresses on q003 with a hostile answer."""
    rows = [{"id": f"q{i:03d}", "source_prompt": f"What was revenue in FY{2000 + i}?",
             "ground_truth": f"${i} million", "stratum": "<i>numeric</i>" if i % 2 else "text",
             "split": "holdout" if i % 3 == 0 else "dev"} for i in range(120)]
    ds = save_dataset(tmp_store, rows)
    for name, model in (("gpt-src", "openai/source-model"), ("gpt-tgt", "openai/target-model")):
        target = name == "gpt-tgt"
        add_run(tmp_store, name, ds, [{
            "example_id": f"q{i:03d}",
            "output": HOSTILE if target and i == 3 else f"Revenue was ${i} million.",
            "ttft_ms": (140.0 if target else 120.0) + (i * 7) % 50,
            "latency_ms": (700.0 if target else 800.0) + (i * 13) % 300,
            "cost_usd": 0.0015 if target else 0.002, "extra_cost_usd": 0.0002,
            "scores": {"correctness": (0.0, False) if target and i % 10 == 3 else (1.0, True)},
        } for i in range(120)], model=model)
    return compare_runs(tmp_store, "gpt-src", "gpt-tgt", n_resamples=500,
                        traffic_per_month=1_000_000, migration_cost_usd=5_000)
