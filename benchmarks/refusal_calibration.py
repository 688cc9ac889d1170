"""The ``answered`` metric (refusal detection) against FinanceBench's expert refusal labels.

Scores the 2,100 expert-labelled answers in ``../shared/datasets/financebench/results/`` with
the ``answered`` metric (``agility.metrics.get_metric("answered")``, given the question) and
reports, per model family and overall, the precision and recall of its ``refusal`` verdicts
against the answers the experts labelled ``Refusal``. Beside it: the plain refusal-language
test (:func:`agility.metrics.is_refusal`, what version 2 of the former ``refusal`` metric
flagged) and the correctness grader's ``refusal`` class. Goal: precision >= 0.9 at recall
>= 0.8 on each family.

Data: FinanceBench, Islam et al. 2023, arXiv:2311.11944, licence CC BY-NC 4.0.

Run: ``python benchmarks/refusal_calibration.py``
"""

from __future__ import annotations

import sys
import time
from collections import Counter, defaultdict

from _financebench import RESULTS, load_rows

from agility.metrics import MetricInput, get_metric, is_refusal, judge_financial_answer


def _pr(counts: Counter) -> str:
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    precision = f"{tp / (tp + fp):.3f}" if tp + fp else "  n/a"
    recall = f"{tp / (tp + fn):.3f}" if tp + fn else "  n/a"
    return f"{precision:>9s} {recall:>7s} {tp + fn:>6d} {tp + fp:>8d}"


def main() -> int:
    rows = load_rows()
    if not rows:
        print(f"FinanceBench results not found in {RESULTS}", file=sys.stderr)
        return 1
    metric = get_metric("answered")
    detectors = {
        f"answered v{metric.version} (refusal verdict)": lambda r: metric.score(MetricInput(
            example_id=r["financebench_id"], question=r["question"],
            output=str(r["model_answer"]))).verdict == "refusal",
        "refusal language only (former v2)": lambda r: is_refusal(str(r["model_answer"])),
        "correctness grader's refusal class": lambda r: judge_financial_answer(
            r["question"], r["gold_answer"], r["model_answer"]).verdict == "refusal",
    }
    print(f"FinanceBench (Islam et al. 2023, arXiv:2311.11944, CC BY-NC 4.0): {len(rows)} "
          f"answers, {sum(r['label'] == 'Refusal' for r in rows)} labelled Refusal by experts\n")
    for name, flags in detectors.items():
        counts: dict[str, Counter] = defaultdict(Counter)
        started = time.perf_counter()
        for row in rows:
            flagged, human = flags(row), row["label"] == "Refusal"
            outcome = "tp" if flagged and human else "fp" if flagged else "fn" if human else "tn"
            counts[row["family"]][outcome] += 1
            counts["all"][outcome] += 1
        elapsed = time.perf_counter() - started
        print(f"{name} ({elapsed:.2f} s)")
        print(f"  {'family':22s} {'precision':>9s} {'recall':>7s} {'expert':>6s} {'flagged':>8s}")
        for family in sorted(counts, key=lambda f: (f == "all", f)):
            print(f"  {family:22s} {_pr(counts[family])}")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
