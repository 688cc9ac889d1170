"""Peak memory of scoring a stored run, at several run sizes.

A store is filled with a synthetic FinanceBench-shaped run (golden rows with a ~1.5 KB
evidence passage, answers of 20 to 200 words, a few failed calls), then a fresh Python process
scores it with deterministic metrics through ``agility.metrics.score_run`` and reports its peak
resident set size (``ru_maxrss``) and the RSS it had after importing agility, before scoring.
Each size is scored in its own process, so one size's peak cannot hide another's. Goal: peak
<= 150 MB at 20,000 results and flat in the number of results.

Run: ``python benchmarks/scoring_memory.py [--sizes 5000,10000,20000] [--metrics ...]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_METRICS = "exact_match,token_f1,answered,correctness,length,citation,bleu,chrf"
WORDS = ["revenue", "operating", "income", "margin", "segment", "growth", "declined",
         "increased", "cash", "flow", "capital", "expenditure", "fiscal", "year", "company",
         "reported", "net", "sales", "compared", "with", "prior", "period", "the", "of", "and",
         "in", "to", "which", "was", "were", "driven", "by", "higher", "lower", "costs"]


def build_store(path: Path, n: int) -> None:
    """Write a dataset of ``n`` golden rows and a run with one result per row."""
    from agility.chat import Message
    from agility.store import NewRun, ResultRecord, Store

    rng = random.Random(n)
    with Store(path) as store:
        rows = []
        for i in range(n):
            figure = rng.choice([1577, 8.7, 0.103, 42.69, 59268, -546])
            evidence = " ".join(rng.choices(WORDS, k=230))  # about 1.5 KB
            row = {"id": f"ex{i:06d}", "ground_truth": f"The figure was ${figure} million.",
                   "source_prompt": {"system": "Answer from the filing.",
                                     "user": f"What was the FY2018 figure ({i})?"},
                   "input_context": [evidence], "stratum": rng.choice(["a", "b", "c"]),
                   "metadata": {"company": f"Company {i % 97}"}}
            rows.append((row["id"], f"h{i}", "dev", row["stratum"], json.dumps(row)))
        store.save_dataset("bench", "bench", None, 1, {}, rows)
        run = store.create_run(NewRun(name="bench", dataset_hash="bench", model_spec="mock/x",
                                      tool_version="bench", started_at="2026-01-01T00:00:00Z"))
        results = []
        for i in range(n):
            if i % 50 == 49:
                results.append(ResultRecord(example_id=f"ex{i:06d}", error="ProviderTimeout"))
                continue
            filler = " ".join(rng.choices(WORDS, k=rng.randint(20, 200)))
            results.append(ResultRecord(
                example_id=f"ex{i:06d}", output=f"{filler}. Therefore the answer is $1,577 million.",
                prompt=[Message(role="system", content="Answer from the filing."),
                        Message(role="user", content=f"What was the FY2018 figure ({i})?")],
                latency_ms=900.0, ttft_ms=300.0))
            if len(results) >= 2000:
                store.save_results(run.id, results)
                results = []
        store.save_results(run.id, results)


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def score(path: Path, metrics: list[str]) -> None:
    """Score the run in this process; print one JSON line with the figures."""
    import resource

    import agility.metrics as m
    from agility.store import Store

    m.available_metrics()  # import every built-in metric before measuring the baseline
    before = _rss_mb()
    started = time.perf_counter()
    with Store(path) as store:
        summaries = m.score_run(store, "bench", metrics)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rss_after_import_mb": round(before, 1), "peak_mb": round(peak, 1),
                      "seconds": round(seconds, 1),
                      "scored": {k: v.n_scored for k, v in summaries.items()}}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000,10000,20000")
    parser.add_argument("--metrics", default=DEFAULT_METRICS)
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--score", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    metrics = [name for name in args.metrics.split(",") if name]
    if args.build is not None:
        build_store(args.build, args.n)
        return 0
    if args.score is not None:
        score(args.score, metrics)
        return 0
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f}; metrics: {', '.join(metrics)}")
    print(f"{'results':>8} {'after import MB':>16} {'peak MB':>8} {'seconds':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for n in (int(s) for s in args.sizes.split(",")):
            path = Path(folder) / f"store-{n}.db"
            # each step in its own process: building the store must not count as scoring
            subprocess.run([sys.executable, __file__, "--build", str(path), "--n", str(n)],
                           check=True)
            out = subprocess.run([sys.executable, __file__, "--score", str(path),
                                  "--metrics", ",".join(metrics)], check=True,
                                 capture_output=True, text=True).stdout
            figures = json.loads(out.strip().splitlines()[-1])
            print(f"{n:>8,} {figures['rss_after_import_mb']:>16.1f} {figures['peak_mb']:>8.1f} "
                  f"{figures['seconds']:>8.1f}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
