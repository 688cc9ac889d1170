"""Embedding similarity speed: ``semantic_similarity`` over 2,000 (answer, ground truth) pairs.

    python benchmarks/embedding_speed.py [--pairs 2000] [--threads 2]
    python benchmarks/embedding_speed.py --financebench [--threads 2]

``--financebench`` scores the 1,800 human-labelled (model answer, gold answer) pairs of
``../shared/datasets/financebench/results/`` instead (FinanceBench, Islam et al. 2023,
arXiv:2311.11944, CC BY-NC 4.0): real answer lengths, and how well the similarity separates
answers the experts labelled correct from the others (ROC AUC).

Goal: under 60 s on 2 CPU cores, model load included. The pairs are synthetic
financial-QA-length sentences (10-40 words, varied so no two texts are equal). Reports the
model load time, the scoring time (one batched encode of both sides), pairs per second, and
the process CPU time, which does not depend on what else the machine is running.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path
from typing import Any

WORDS = ["revenue", "operating", "income", "net", "margin", "fiscal", "year", "quarter", "billion", "million", "capital", "expenditure", "cash", "flow", "debt", "equity", "dividend", "share", "buyback", "segment", "growth", "decline", "guidance", "tax", "rate", "depreciation", "inventory", "receivables", "gross", "profit", "EBITDA", "company", "reported", "increased", "decreased", "compared", "prior", "period", "approximately", "percent"]


def sentence(rng: random.Random, index: int) -> str:
    """A pseudo-financial sentence of 10-40 words ending with a unique figure."""
    words = rng.choices(WORDS, k=rng.randint(10, 40))
    return " ".join(words).capitalize() + f" of ${index * 1.37:,.2f} million."


def financebench_items() -> tuple[list[Any], list[str]]:
    """The labelled FinanceBench answers as metric inputs, with their human labels."""
    from agility.metrics import MetricInput

    folder = Path(__file__).resolve().parents[1].parent / "shared/datasets/financebench/results"
    if not folder.is_dir():
        raise SystemExit(f"FinanceBench results not found in {folder}")
    items, labels = [], []
    for path in sorted(folder.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            row = json.loads(line)
            items.append(MetricInput(example_id=f"{path.stem}:{n}",
                                     output=str(row.get("model_answer") or ""),
                                     ground_truth=str(row["gold_answer"])))
            labels.append(str(row["label"]))
    return items, labels


def roc_auc(positives: list[float], negatives: list[float]) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    wins = sum((p > q) + 0.5 * (p == q) for p in positives for q in negatives)
    return wins / (len(positives) * len(negatives))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--financebench", action="store_true",
                        help="score FinanceBench's labelled answers instead of synthetic pairs")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from agility.metrics import MetricInput, get_metric, load_embedding_model

    labels: list[str] = []
    if args.financebench:
        items, labels = financebench_items()
        args.pairs = len(items)
    else:
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
    if labels:
        scores = [r.score or 0.0 for r in results]
        correct = [s for s, label in zip(scores, labels) if label == "Correct Answer"]
        other = [s for s, label in zip(scores, labels) if label != "Correct Answer"]
        for label in sorted(set(labels)):
            group = [s for s, lab in zip(scores, labels) if lab == label]
            print(f"  {label:17s} n={len(group):4d} mean similarity {sum(group) / len(group):.3f}")
        print(f"ROC AUC, correct vs the rest: {roc_auc(correct, other):.3f}")


if __name__ == "__main__":
    main()
