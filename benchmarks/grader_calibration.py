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
   (graded with the setting tuned without it);
4. where that error comes from: per configuration, the grader's count of correct answers
   against the experts' (with the same questions everywhere, a pair's error is exactly the
   difference of its two configurations' biases), taken apart into false credit (the experts
   say incorrect or refusal) and false non-credit (they say correct; the grader says incorrect
   or refusal), beside what the mean error would be if those disagreements were noise (each
   configuration keeps its number of them; each is a false credit with the same chance
   everywhere) and a chi-square of the false-credit share across configurations against the
   same null;
5. other answer styles: every answer restyled the way other model families write (figures in
   Markdown bold, LaTeX escapes, Markdown headings, courtesies before and after, a reasoning
   model's closed ``<think>`` block, inline HTML, and the statement the grader judged restated
   under "Final Answer:") and graded again: how many verdicts move. The meaning is kept, so
   every move is the grader reading style instead of substance.

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

import numpy as np
from _financebench import (
    FRAMINGS,
    MAPPING,
    RESTYLINGS,
    RESULTS,
    compare_pairs,
    config_biases,
    load_rows,
    naive_verdict,
    noise_floor,
    summarize_pairs,
)

from agility.compare import mcnemar
from agility.metrics import calibrate, grade_rows, judge_financial_answer, normalize_label

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
    if args.json is not None and not args.json.parent.is_dir():
        parser.error(f"--json {args.json}: the folder {args.json.parent} does not exist")
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
        # is the tuned setting better than the default on the tuning families, or by chance?
        margin, p_value = _margin(tune_rows, at[best], at[DEFAULT_THRESHOLD])
        folds[held] = {"threshold": best, "tune_agreement": tuned.agreement, "n": report.n,
                       "agreement": report.agreement, "kappa": report.kappa,
                       "naive_agreement": base.agreement, "naive_kappa": base.kappa,
                       "margin_over_default": margin, "margin_p_value": p_value}
        print(f"{held:22s} {best:9.2f} {tuned.agreement:11.3f} {_fmt(report)} | naive "
              f"{base.agreement:6.3f} {base.kappa:6.3f}")
    print("  the tuned setting against the default (0.25) on the tuning families: "
          + "; ".join(f"without {h}: {f['margin_over_default']:+d} answers agreeing "
                      f"(McNemar p {f['margin_p_value']:.2f})" for h, f in folds.items()))

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
    for held, fold in folds.items():
        # the same, keeping the default unless the tuned setting agrees significantly more
        # often on the tuning families (McNemar, alpha 0.05): a margin of an answer or two
        # in 1,000 or more is no evidence for a setting
        kept = (fold["threshold"] if fold["margin_p_value"] < 0.05 and fold["margin_over_default"] > 0
                else DEFAULT_THRESHOLD)
        verdicts = at[kept]
        pairs = compare_pairs(rows, lambda r, v=verdicts: v[_key(r)],
                              involving=lambda a, b, h=held: h in (family_of[a], family_of[b]))
        decisions[f"held-out {held}, {kept:.2f} unless signif."] = summarize_pairs(pairs)
    for name, summary in decisions.items():
        print(_pairs_line(name, summary))
    disagreements = [p for p in compare_pairs(rows, lambda r: default[_key(r)]) if not p.agrees]
    for p in disagreements:
        print(f"  differs: {p.source} -> {p.target}: experts {p.human_decision} "
              f"({p.human_diff_points:+.1f}), grader {p.grader_decision} "
              f"({p.grader_diff_points:+.1f})")

    # 4. where the mean error comes from
    breakdown = {"default": _bias_section("default settings (0.25)", rows, default, None)}
    for held, fold in folds.items():
        configs = sorted({r["config"] for r in by_family[held]})
        breakdown[f"held-out {held}"] = _bias_section(
            f"held-out {held} (threshold {fold['threshold']:.2f})", rows, at[fold["threshold"]],
            configs)

    # 5. other answer styles: the same answers restyled as other model families write them
    restyled = _restyled(rows, default)

    if args.json:
        args.json.write_text(json.dumps({
            "n": len(rows), "seconds": elapsed, "overall": overall.model_dump(),
            "families": {f: _report(by_family[f], default).model_dump() for f in families},
            "leave_one_family_out": folds, "decisions": decisions,
            "error_breakdown": breakdown, "restyled": restyled}, indent=2), encoding="utf-8")
    return 0


_STATEMENT = re.compile(r'statement \d+ \("[^\n]*?", characters (\d+)-(\d+)\)')


def _restyled(rows: list[dict], default: dict[tuple[str, str], str]) -> dict[str, dict]:
    """Section 5: every answer restyled (meaning kept) and graded again; the verdicts that
    move, and whether toward or away from the experts' labels."""
    print("\nother answer styles: every answer restyled, meaning kept, graded again "
          "(verdicts that move; toward / away from the experts):")
    styles = dict(RESTYLINGS)
    # the statement the grader judged, restated under "Final Answer:" at the end
    judged, judged_at = {}, {}
    for r in rows:
        reason = judge_financial_answer(r["question"], r["gold_answer"],
                                        r["model_answer"]).reason
        found = _STATEMENT.search(reason)
        judged[_key(r)] = (str(r["model_answer"])[int(found.group(1)):int(found.group(2))]
                           if found else None)
        judged_at[_key(r)] = (int(found.group(1)), int(found.group(2))) if found else None
    out = {}
    restate, first, fields = ("its judged statement restated as the final answer",
                              "its concluding statement first (answer first, working after)",
                              "JSON: the working under reasoning, the conclusion under answer")
    dashed, tldr = ("its judged statement restated after a dash (Final answer \u2014 ...)",
                    "its judged statement first as a summary (**TL;DR:** ...)")
    for name, restyle in [*styles.items(), *FRAMINGS.items(), (restate, None), (first, None),
                          (fields, None), (dashed, None), (tldr, None)]:
        changed = moved = toward = away = 0
        for r in rows:
            answer = str(r["model_answer"])
            statement = judged[_key(r)]
            if name in (restate, dashed):
                label = "**Final Answer:** " if name == restate else "Final answer \u2014 "
                new = answer.rstrip() + "\n\n" + label + statement if statement else answer
            elif name == tldr:
                stated = _OPENS_CONCLUSION.sub("", statement.strip()) if statement else ""
                new = (f"**TL;DR:** {stated[:1].upper()}{stated[1:]}\n\n{answer}" if stated
                       else answer)
            elif name == first:
                new = _answer_first(answer, judged_at[_key(r)])
            elif name == fields:
                new = _json_fields(answer, judged_at[_key(r)])
            elif name in FRAMINGS:
                new = FRAMINGS[name](answer, str(r["question"]))
            else:
                new = restyle(answer)
            if new == answer:
                continue
            changed += 1
            verdict = judge_financial_answer(r["question"], r["gold_answer"], new).verdict
            before, label = default[_key(r)], normalize_label(r["label"])
            if verdict != before:
                moved += 1
                toward += verdict == label
                away += before == label
        out[name] = {"answers": changed, "moved": moved, "toward_experts": toward,
                     "away_from_experts": away}
        print(f"  {name:48s} {changed:5d} answers  {moved:3d} moved ({toward} toward, "
              f"{away} away)")
    return out


_OPENS_CONCLUSION = re.compile(r"(?i)^(?:therefore|thus|hence|so|in conclusion|overall|"
                               r"in summary|consequently),\s*")


def _answer_first(answer: str, judged: tuple[int, int] | None) -> str:
    """The answer's concluding statement ("Therefore, X.") moved before its working as its
    first line ("X."), when the statement the grader judged ends the answer."""
    if judged is None or answer[judged[1]:].strip():
        return answer
    statement, working = answer[judged[0]:judged[1]].strip(), answer[:judged[0]].rstrip()
    if not working or not _OPENS_CONCLUSION.match(statement):
        return answer
    stated = _OPENS_CONCLUSION.sub("", statement)
    return stated[:1].upper() + stated[1:] + "\n\n" + working


def _json_fields(answer: str, judged: tuple[int, int] | None) -> str:
    """The answer as structured output: its working under "reasoning", its concluding
    statement (when it ends the answer) under "answer"."""
    moved = _answer_first(answer, judged)
    if moved == answer:
        return answer
    stated, working = moved.split("\n\n", 1)
    return json.dumps({"reasoning": working, "answer": stated}, indent=2)


def _margin(rows: list[dict], tuned: dict[tuple[str, str], str],
            default: dict[tuple[str, str], str]) -> tuple[int, float]:
    """How many more answers the tuned setting agrees on than the default, and McNemar's
    p-value of that difference (paired over the same answers)."""
    agree = [np.array([normalize_label(r["label"]) == v[_key(r)] for r in rows])
             for v in (default, tuned)]
    margin = int(agree[1].sum() - agree[0].sum())
    return margin, (1.0 if not margin and not (agree[0] != agree[1]).any()
                    else float(mcnemar(agree[0], agree[1]).p_value))


def _bias_section(name: str, rows: list[dict], verdicts: dict[tuple[str, str], str],
                  involving: list[str] | None) -> dict:
    biases = config_biases(rows, lambda r: verdicts[_key(r)])
    floor = noise_floor(biases, involving=involving)
    if involving is None:
        print("\nwhere the mean error comes from, default settings: per configuration, answers "
              "(of 150)\n"
              f"{'configuration':38s} {'experts':>7s} {'grader':>6s} {'bias':>5s} | "
              f"{'credit: inc':>11s} {'ref':>4s} | {'denied: ->inc':>13s} {'->ref':>5s}")
        for b in biases:
            print(f"{b.config:38s} {b.human_correct:7d} {b.grader_correct:6d} {b.bias:+5d} | "
                  f"{b.credit_incorrect:11d} {b.credit_refusal:4d} | {b.false_incorrect:13d} "
                  f"{b.false_refusal:5d}")
        total = {f: sum(getattr(b, f) for b in biases) for f in (
            "credit_incorrect", "credit_refusal", "false_incorrect", "false_refusal")}
        print(f"{'all':38s} {'':7s} {'':6s} {'':5s} | {total['credit_incorrect']:11d} "
              f"{total['credit_refusal']:4d} | {total['false_incorrect']:13d} "
              f"{total['false_refusal']:5d}")
    print(f"{name}: mean error {floor['observed']:.2f} points; if the disagreements were "
          f"noise (false-credit share {floor['false_credit_share']:.2f} everywhere): "
          f"{floor['expected']:.2f} [{floor['p05']:.2f}, {floor['p95']:.2f}] (5th-95th "
          f"percentile), at least as far off in {floor['p_error']:.0%} of draws; chi-square of "
          f"the false-credit share across configurations {floor['chi2']:.1f} on "
          f"{floor['df']} df (as heterogeneous under noise in {floor['p_chi2']:.0%} of draws)"
          f"; if instead the grader erred at a fixed rate per expert class (a bias following "
          f"each configuration's mix of classes): {floor['class_rate_expected']:.2f} "
          f"[{floor['class_rate_p05']:.2f}, {floor['class_rate_p95']:.2f}], as close as "
          f"observed in {floor['class_rate_p_at_most']:.0%} of draws")
    return {"configurations": [dict(vars(b), bias=b.bias) for b in biases], **floor}


if __name__ == "__main__":
    sys.exit(main())
