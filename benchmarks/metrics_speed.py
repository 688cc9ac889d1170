"""Time every deterministic metric over 2,000 examples.

The examples are synthetic financial Q&A (generated here, seeded, so the benchmark needs no
data files): answers of 20 to 200 words mixing figures, scale words, citations, JSON and the
odd refusal. Target: each metric, and the correctness grader, under 2 s for 2,000 examples.

Run: ``python benchmarks/metrics_speed.py [--n 2000] [--best-of K]``
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

from agility.metrics import MetricInput, get_metric

METRICS: dict[str, dict[str, object]] = {
    "exact_match": {},
    "token_f1": {},
    "contains": {},
    "regex": {"pattern": r"\$\d[\d,]*(\.\d+)? (million|billion)"},
    "length": {"max_words": 150},
    "citation": {"required": True},
    "json_schema": {"schema": {"type": "object", "required": ["value"]}},
    "answered": {},
    "correctness": {},
    "rouge_l": {},
    "bleu": {},
    "chrf": {},
}
WORDS = ["revenue", "operating", "income", "margin", "segment", "growth", "declined", "increased", "cash", "flow", "capital", "expenditure", "fiscal", "year", "company", "reported", "net", "sales", "compared", "with", "prior", "period", "the", "of", "and", "in", "to", "which", "was", "were", "driven", "by", "higher", "lower", "costs"]


def _example(rng: random.Random, index: int) -> MetricInput:
    figure = rng.choice([1577, 8.7, 0.103, 42.69, 59268, -546])
    filler = " ".join(rng.choices(WORDS, k=rng.randint(20, 200)))
    kind = rng.random()
    if kind < 0.1:
        output = "The provided context does not contain the information needed. " + filler
    elif kind < 0.2:
        output = json.dumps({"value": figure, "unit": "USD millions"})
    else:
        scaled = f"${figure / 1000:,.3f} billion" if abs(figure) > 1000 else f"{figure * 100:.1f}%"
        output = f"{filler}. Therefore, the answer is {scaled} [1]."
    return MetricInput(example_id=str(index), question="What is the FY2018 figure in USD millions?",
                       ground_truth=str(figure), output=output, prompt="Cite your sources.")


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, not {value!r}")
    return int(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    # (the best of several runs inside one process: the least disturbed by other jobs on a
    # shared machine)
    parser.add_argument("--best-of", type=_positive, default=1, metavar="K",
                        help="time each metric K times and report the fastest run")
    args = parser.parse_args()
    rng = random.Random(7)
    items = [_example(rng, i) for i in range(args.n)]
    total = total_cpu = 0.0
    # CPU seconds beside wall seconds: on the shared machine other jobs inflate the wall time,
    # and the CPU time is what the metric costs
    print(f"{'metric':14s} {'seconds':>8s} {'per item':>10s} {'cpu s':>7s}")
    for name, options in METRICS.items():
        metric = get_metric(name, **options)
        runs = []
        for _ in range(args.best_of):
            started, started_cpu = time.perf_counter(), time.process_time()
            results = metric.score_many(items)
            runs.append((time.process_time() - started_cpu, time.perf_counter() - started))
            assert len(results) == len(items)
        cpu, elapsed = min(runs)
        total, total_cpu = total + elapsed, total_cpu + cpu
        print(f"{name:14s} {elapsed:8.3f} {elapsed / len(items) * 1e6:8.0f} us {cpu:7.3f}")
    print(f"{'all':14s} {total:8.3f} {'':>11s} {total_cpu:7.3f}  ({args.n} examples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
