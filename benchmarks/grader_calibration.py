"""Calibrate the offline correctness grader on FinanceBench's human labels.

Grades the 1,800 labelled answers in ``../shared/datasets/financebench/results/`` with
``agility.metrics.grade_rows`` (the library behind ``agility grade``, reading the raw files
through a column mapping) and reports three-class agreement and Cohen's kappa against the
human expert labels: overall, per model file, per eval_mode, with a held-out check (the one
tunable threshold chosen on one model's files, reported on the other's), next to a naive
baseline (the gold's first number within 1.5% in the answer, a refusal regex).

Data: FinanceBench, Islam et al. 2023, arXiv:2311.11944, licence CC BY-NC 4.0.

Run: ``python benchmarks/grader_calibration.py [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

from agility.metrics import calibrate, grade_rows, judge_financial_answer
from agility.metrics._grade import read_rows

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT.parent / "shared" / "datasets" / "financebench" / "results"
MAPPING = {"id": "financebench_id", "ground_truth": "gold_answer", "output": "model_answer"}
THRESHOLDS = [0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.50, 0.60]

_NAIVE_REFUSAL = re.compile(r"(?i)\b(sorry|cannot|can't|unable|as an ai|not (?:provided|available|"
                            r"mentioned)|does not (?:contain|provide|include|mention)|no information)\b")
# a number not glued to letters (FY2022, Q2) and not a bare year
_FIRST_NUMBER = re.compile(r"(?<![A-Za-z\d.])-?(?!(?:19|20)\d\d\b)\d[\d,]*(?:\.\d+)?")


def naive_verdict(gold: object, answer: object, *, first_only: bool = False) -> str:
    """The naive baseline: a refusal regex, else the gold's first number within 1.5% anywhere
    in the answer (``first_only``: the answer's first number); text golds without a number
    count as correct."""
    text = str(answer)
    if not text.strip() or _NAIVE_REFUSAL.search(text):
        return "refusal"
    gold_number = _FIRST_NUMBER.search(str(gold))
    if gold_number is None:
        return "correct"  # nothing to check against: the naive grader gives the benefit of doubt
    g = float(gold_number.group().replace(",", ""))
    said = [float(m.group().replace(",", "")) for m in _FIRST_NUMBER.finditer(text)]
    said = said[:1] if first_only else said
    # any number of the answer; scale (millions vs billions) and % vs ratio are forgiven
    ok = any(abs(a - g * f) <= 0.015 * abs(g * f) if g else a == 0
             for a in said for f in (1, 1e3, 1e-3, 100, 0.01))
    return "correct" if ok else "incorrect"


def _fmt(report_rows: list[tuple[str, object]]) -> str:
    lines = [f"{'subset':42s} {'n':>5s} {'agree':>6s} {'kappa':>6s}"]
    for name, report in report_rows:
        kappa = "n/a" if report.kappa is None else f"{report.kappa:.3f}"
        lines.append(f"{name:42s} {report.n:5d} {report.agreement:6.3f} {kappa:>6s}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also save the figures as JSON")
    args = parser.parse_args()
    files = sorted(RESULTS.glob("*.jsonl"))
    if not files:
        print(f"FinanceBench results not found in {RESULTS}; nothing to calibrate.", file=sys.stderr)
        return 1
    rows = [dict(row, __file__=path.stem) for path in files for row in read_rows(path)]
    started = time.perf_counter()
    graded = grade_rows(rows, mapping=MAPPING, source="financebench/results")
    elapsed = time.perf_counter() - started

    groups: dict[str, list[dict]] = defaultdict(list)
    for row in graded:
        groups["all"].append(row)
        groups[f"file {row['__file__']}"].append(row)
        groups[f"mode {row['eval_mode']}"].append(row)
        groups[f"model {row['model_name']}"].append(row)
    reports = [(name, calibrate((r["label"], r["verdict"]) for r in group))
               for name, group in sorted(groups.items(), key=lambda kv: (kv[0] != "all", kv[0]))]
    naive = calibrate((r["label"], naive_verdict(r["gold_answer"], r["model_answer"])) for r in rows)
    naive_first = calibrate((r["label"], naive_verdict(r["gold_answer"], r["model_answer"],
                                                       first_only=True)) for r in rows)

    print(f"FinanceBench (Islam et al. 2023, arXiv:2311.11944, CC BY-NC 4.0): {len(rows)} "
          f"human-labelled answers from {len(files)} files; graded in {elapsed:.2f} s\n")
    print(_fmt(reports))
    overall = reports[0][1]
    print("\nconfusion (human rows x grader columns):", json.dumps(overall.confusion))
    for stats in overall.per_class:
        print(f"  {stats.label:9s} precision {stats.precision:.3f} recall {stats.recall:.3f} "
              f"f1 {stats.f1:.3f}")
    print(f"\nnaive baseline (gold's number anywhere in the answer): agreement "
          f"{naive.agreement:.3f}, kappa {naive.kappa:.3f}")
    print(f"naive baseline (the answer's first number): agreement {naive_first.agreement:.3f}, "
          f"kappa {naive_first.kappa:.3f}")
    held_out = _held_out(rows)
    print("\nheld-out (threshold chosen on one model's files, reported on the other's):")
    for line in held_out["lines"]:
        print("  " + line)
    if args.json:
        args.json.write_text(json.dumps({
            "overall": overall.model_dump(), "naive": naive.model_dump(),
            "naive_first_number": naive_first.model_dump(),
            "subsets": {name: {"n": r.n, "agreement": r.agreement, "kappa": r.kappa}
                        for name, r in reports},
            "held_out": held_out["figures"], "seconds": elapsed}, indent=2), encoding="utf-8")
    return 0


def _agreement_at(rows: list[dict], threshold: float) -> object:
    return calibrate((r["label"], judge_financial_answer(
        r["question"], r["gold_answer"], r["model_answer"], text_threshold=threshold).verdict)
        for r in rows)


def _held_out(rows: list[dict]) -> dict:
    by_model: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_model[row["model_name"]].append(row)
    lines, figures = [], {}
    for tune, test in (("gpt-4", "gpt-4-1106-preview"), ("gpt-4-1106-preview", "gpt-4")):
        scored = [(t, _agreement_at(by_model[tune], t)) for t in THRESHOLDS]
        best, tuned = max(scored, key=lambda s: s[1].agreement)
        report = _agreement_at(by_model[test], best)
        figures[f"{tune}->{test}"] = {"threshold": best, "tune_agreement": tuned.agreement,
                                      "test_agreement": report.agreement, "test_kappa": report.kappa}
        lines.append(f"tune on {tune} (threshold {best:.2f}, agreement {tuned.agreement:.3f}) -> "
                     f"{test}: agreement {report.agreement:.3f}, kappa {report.kappa:.3f}")
    return {"lines": lines, "figures": figures}


if __name__ == "__main__":
    sys.exit(main())
