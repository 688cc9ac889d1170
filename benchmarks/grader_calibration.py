"""The offline correctness grader against FinanceBench's experts, leave one family out.

Grades the 2,100 expert-labelled answers in ``../shared/datasets/financebench/results/``
(three model families: gpt-4, gpt-4-1106-preview, llama2) with ``agility.metrics.grade_rows``
(the library behind ``agility grade``, reading the raw files through a column mapping) and
reports, against the experts' three-class labels:

1. agreement and Cohen's kappa per family, per configuration and overall (default settings);
2. leave one family out: the grader's tunable setting (``text_threshold``) chosen on the two
   other families, then the held-out family graded with it, beside the naive baseline (a
   refusal regex and the gold's first number anywhere in the answer);
3. the decision comparison: every pair of the 14 recorded configurations compared on
   correctness with agility's paired test (McNemar, alpha 0.05) once on the grader's verdicts
   and once on the experts' labels: the share of pairs whose decision (better / worse / no
   significant difference) agrees, and the mean absolute error of the difference in
   correctness (percentage points), overall and on the pairs that involve the held-out family
   (graded with the setting tuned without it).

Data: FinanceBench, Islam et al. 2023, arXiv:2311.11944, licence CC BY-NC 4.0.

Run: ``python benchmarks/grader_calibration.py [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from _financebench import (
    MAPPING,
    RESULTS,
    compare_pairs,
    load_rows,
    naive_verdict,
    summarize_pairs,
)

from agility.metrics import calibrate, grade_rows, judge_financial_answer

THRESHOLDS = [0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.50]
DEFAULT_THRESHOLD = 0.25


def _key(row: dict) -> tuple[str, str]:
    return row["config"], row["financebench_id"]


def _verdicts_at(rows: list[dict], threshold: float) -> dict[tuple[str, str], str]:
    return {_key(r): judge_financial_answer(r["question"], r["gold_answer"], r["model_answer"],
                                            text_threshold=threshold).verdict for r in rows}


def _report(rows: list[dict], verdicts: dict[tuple[str, str], str]) -> object:
    return calibrate((r["label"], verdicts[_key(r)]) for r in rows)


def _fmt(report: object) -> str:
    kappa = "n/a" if report.kappa is None else f"{report.kappa:.3f}"  # type: ignore[attr-defined]
    return f"{report.n:5d} {report.agreement:6.3f} {kappa:>6s}"  # type: ignore[attr-defined]


def _pairs_line(name: str, summary: dict) -> str:
    if not summary["pairs"]:
        return f"{name:44s}     0"
    return (f"{name:44s} {summary['pairs']:5d} {summary['agree']:7.1%} "
            f"{summary['mean_error_points']:8.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path,
                        help="also save the figures as JSON")
    args = parser.parse_args()
    rows = load_rows()
    if not rows:
        print(f"FinanceBench results not found in {RESULTS}; nothing to calibrate.",
              file=sys.stderr)
        return 1
    families = sorted({r["family"] for r in rows})
    by_family: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_family[row["family"]].append(row)

    # 1. the library path behind `agility grade`, default settings
    started = time.perf_counter()
    graded = grade_rows(rows, mapping=MAPPING, source="financebench/results")
    elapsed = time.perf_counter() - started
    default = {_key(r): g["verdict"] for r, g in zip(rows, graded, strict=True)}
    print(f"FinanceBench (Islam et al. 2023, arXiv:2311.11944, CC BY-NC 4.0): {len(rows)} "
          f"expert-labelled answers, {len({r['config'] for r in rows})} configurations, "
          f"families {', '.join(families)}; graded in {elapsed:.2f} s\n")
    print(f"{'subset (default settings)':44s} {'n':>5s} {'agree':>6s} {'kappa':>6s}")
    overall = _report(rows, default)
    print(f"{'all':44s} {_fmt(overall)}")
    for family in families:
        print(f"{'family ' + family:44s} {_fmt(_report(by_family[family], default))}")
    for config in sorted({r["config"] for r in rows}):
        subset = [r for r in rows if r["config"] == config]
        print(f"{'  ' + config:44s} {_fmt(_report(subset, default))}")
    print("\nconfusion over all (human rows x grader columns):", json.dumps(overall.confusion))

    # 2. leave one family out
    at = {t: (default if t == DEFAULT_THRESHOLD else _verdicts_at(rows, t)) for t in THRESHOLDS}
    naive = {_key(r): naive_verdict(r["gold_answer"], r["model_answer"]) for r in rows}
    print("\nleave one family out (text_threshold tuned on the other two families):")
    print(f"{'held-out family':22s} {'threshold':>9s} {'tuned agree':>11s} {'n':>5s} "
          f"{'agree':>6s} {'kappa':>6s} | naive {'agree':>6s} {'kappa':>6s}")
    folds: dict[str, dict] = {}
    for held in families:
        tune_rows = [r for r in rows if r["family"] != held]
        best = max(THRESHOLDS, key=lambda t: (_report(tune_rows, at[t]).agreement,
                                              -abs(t - DEFAULT_THRESHOLD)))
        tuned = _report(tune_rows, at[best])
        report = _report(by_family[held], at[best])
        base = _report(by_family[held], naive)
        folds[held] = {"threshold": best, "tune_agreement": tuned.agreement, "n": report.n,
                       "agreement": report.agreement, "kappa": report.kappa,
                       "naive_agreement": base.agreement, "naive_kappa": base.kappa}
        print(f"{held:22s} {best:9.2f} {tuned.agreement:11.3f} {_fmt(report)} | naive "
              f"{base.agreement:6.3f} {base.kappa:6.3f}")

    # 3. the decision the grader is for
    print(f"\ndecisions on every pair of configurations (McNemar, alpha 0.05), grader against "
          f"the experts:\n{'pairs':44s} {'n':>5s} {'agree':>7s} {'MAE pts':>8s}")
    decisions = {"all (default settings)": summarize_pairs(
        compare_pairs(rows, lambda r: default[_key(r)]))}
    decisions["all, naive baseline"] = summarize_pairs(
        compare_pairs(rows, lambda r: naive[_key(r)]))
    family_of = {r["config"]: r["family"] for r in rows}
    for held, fold in folds.items():
        verdicts = at[fold["threshold"]]
        pairs = compare_pairs(rows, lambda r, v=verdicts: v[_key(r)],
                              involving=lambda a, b, h=held: h in (family_of[a], family_of[b]))
        decisions[f"involving held-out {held}"] = summarize_pairs(pairs)
    for name, summary in decisions.items():
        print(_pairs_line(name, summary))
    disagreements = [p for p in compare_pairs(rows, lambda r: default[_key(r)]) if not p.agrees]
    for p in disagreements:
        print(f"  differs: {p.source} -> {p.target}: experts {p.human_decision} "
              f"({p.human_diff_points:+.1f}), grader {p.grader_decision} "
              f"({p.grader_diff_points:+.1f})")

    if args.json:
        args.json.write_text(json.dumps({
            "n": len(rows), "seconds": elapsed, "overall": overall.model_dump(),
            "families": {f: _report(by_family[f], default).model_dump() for f in families},
            "leave_one_family_out": folds, "decisions": decisions}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
