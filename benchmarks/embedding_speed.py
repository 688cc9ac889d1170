"""Embedding similarity speed: ``semantic_similarity`` over 2,000 (answer, ground truth) pairs.

    python benchmarks/embedding_speed.py [--pairs 2000] [--threads 2]

Goal: under 60 s on 2 CPU cores, model load included. The pairs are synthetic
financial-QA-length sentences (10-40 words, varied so no two texts are equal). Reports the
model load time, the scoring time (one batched encode of both sides), pairs per second, and
the process CPU time, which does not depend on what else the machine is running.
"""

from __future__ import annotations

import argparse
import os
import random
import time

WORDS = ["revenue", "operating", "income", "net", "margin", "fiscal", "year", "quarter", "billion", "million", "capital", "expenditure", "cash", "flow", "debt", "equity", "dividend", "share", "buyback", "segment", "growth", "decline", "guidance", "tax", "rate", "depreciation", "inventory", "receivables", "gross", "profit", "EBITDA", "company", "reported", "increased", "decreased", "compared", "prior", "period", "approximately", "percent"]


def sentence(rng: random.Random, index: int) -> str:
    """A pseudo-financial sentence of 10-40 words ending with a unique figure."""
    words = rng.choices(WORDS, k=rng.randint(10, 40))
    return " ".join(words).capitalize() + f" of ${index * 1.37:,.2f} million."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from agility.metrics import MetricInput, get_metric, load_embedding_model

    rng = random.Random(0)
    items = [MetricInput(example_id=str(i), output=sentence(rng, i),
                         ground_truth=sentence(rng, i + 1)) for i in range(args.pairs)]
    started, cpu_started = time.perf_counter(), time.process_time()
    load_embedding_model()
    loaded = time.perf_counter()
    cpu_loaded = time.process_time()
    results = get_metric("semantic_similarity").score_many(items)
    done, cpu_done = time.perf_counter(), time.process_time()
    assert len(results) == args.pairs and all(r.score is not None for r in results)
    total = done - started
    print(f"pairs: {args.pairs}  torch threads: {args.threads}")
    print(f"model load: {loaded - started:.1f} s")
    print(f"scoring: {done - loaded:.1f} s ({args.pairs / (done - loaded):.0f} pairs/s)")
    print(f"CPU time: load {cpu_loaded - cpu_started:.1f} s, scoring {cpu_done - cpu_loaded:.1f} s "
          f"(wall time above depends on what else runs: load average {os.getloadavg()[0]:.1f})")
    print(f"total: {total:.1f} s  goal < 60 s: {'met' if total < 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
