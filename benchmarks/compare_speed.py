"""Comparison speed: ``compare_runs`` with 10,000 bootstrap resamples on 2,000 paired examples.

    python benchmarks/compare_speed.py [--examples 2000] [--resamples 10000] [--repeats 3]

Two runs of --examples results each (TTFT, latency, cost, a pass/fail ``correctness`` score
and a continuous ``similarity`` score) are written to a real SQLite store in a temporary
folder; the dataset has 4 strata, 3 tags (a third of the rows each carry one) and a 20%
holdout, so each metric is bootstrapped 9 times (all, holdout, 4 strata, 3 tags); 2% of the
target's calls fail (counted as failures, and in the error rate). Goal: the whole
``compare_runs`` call (store reads, both metrics, error rates, latency, cost, gate with its
estimates, review sample) under 3 s. The paired bootstrap alone is timed too.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from agility.compare import compare_runs, paired_bootstrap
from agility.store import NewRun, ResultRecord, ScoreRecord, Store, utc_now


def _build(store: Store, n: int) -> None:
    rng = np.random.default_rng(0)
    rows = [{"id": f"q{i:05d}", "source_prompt": f"question {i}", "ground_truth": "a",
             "stratum": f"s{i % 4}", "split": "holdout" if i % 5 == 0 else "dev",
             "tags": [f"t{i % 3}"] if i % 9 < 3 else []}
            for i in range(n)]
    digest = hashlib.sha256(json.dumps(rows).encode()).hexdigest()
    store.save_dataset(digest, "bench", None, 1, {}, [
        (r["id"], str(i), r["split"], r["stratum"], json.dumps(r)) for i, r in enumerate(rows)])
    for name, rate, ttft in (("source", 0.85, 300.0), ("target", 0.84, 320.0)):
        run = store.create_run(NewRun(name=name, dataset_hash=digest, model_spec=f"x/{name}",
                                         tool_version="bench", started_at=utc_now()))
        assert run.id is not None
        passed = rng.random(n) < rate
        sim = np.clip(rng.normal(0.8, 0.1, n), 0, 1)
        failed = rng.random(n) < (0.02 if name == "target" else 0.0)
        store.save_results(run.id, [ResultRecord(
            example_id=r["id"], output=None if f else "answer",
            error="ProviderTimeout: no answer" if f else None,
            ttft_ms=None if f else float(rng.gamma(4, ttft / 4)),
            latency_ms=None if f else float(rng.gamma(6, 150)), cost_usd=None if f else 0.002,
            input_tokens=500, output_tokens=100) for r, f in zip(rows, failed, strict=True)])
        kept = [(r, p, s) for r, p, s, f in zip(rows, passed, sim, failed, strict=True) if not f]
        store.save_scores(run.id, [
            *(ScoreRecord(example_id=r["id"], metric="correctness", score=float(p), passed=bool(p))
              for r, p, _ in kept),
            *(ScoreRecord(example_id=r["id"], metric="similarity", score=float(s))
              for r, _, s in kept)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(1)
    a, b = rng.random(args.examples), rng.random(args.examples)
    boot = []
    for seed in range(args.repeats):
        start = time.perf_counter()
        paired_bootstrap(a, b, n_resamples=args.resamples, seed=seed)
        boot.append(time.perf_counter() - start)

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        _build(store, args.examples)
        timings = []
        for seed in range(args.repeats):
            start = time.perf_counter()
            result = compare_runs(store, "source", "target", seed=seed,
                                  n_resamples=args.resamples, score_missing=False)
            timings.append(time.perf_counter() - start)
        store.close()
    print(f"paired bootstrap, {args.resamples:,} x {args.examples:,}: "
          f"median {statistics.median(boot):.3f} s")
    subsets = 2 + len(result.metrics[0].by_stratum) + len(result.metrics[0].by_tag)
    print(f"compare_runs ({len(result.metrics)} metrics x {subsets} subsets, error rates, "
          f"latency, cost, gate; target error rate {100 * (result.errors.target.rate or 0):.1f}%): "
          f"median {statistics.median(timings):.3f} s, max {max(timings):.3f} s "
          f"(goal < 3 s: {'met' if max(timings) < 3 else 'NOT met'})")


if __name__ == "__main__":
    main()
