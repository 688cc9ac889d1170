"""The ``--judge MODEL`` path (an LLM judge) against FinanceBench's experts, measured the way
``grader_calibration.py`` measures the offline grader.

Takes a stratified sample of the expert-labelled answers (the first ``--per-config`` questions
of each of the 14 configurations, in question-id order), grades them with
``agility.metrics.grade_rows(..., judge=MODEL)`` (the library behind ``agility grade
--judge``) and reports agreement and Cohen's kappa with the experts per family and overall,
with the offline grader on the same sample beside it. A judgment that failed (an error, an
unparsable reply) is not dropped: it counts as a disagreement, in a ``none`` column.

``--judge openai/MODEL --base-url URL`` measures any OpenAI-compatible server; ``--local``
starts ``python -m llama_cpp.server`` on 127.0.0.1 with the packaged Gemma 3 270M GGUF and
measures that (a 270M base model: it shows the measurement path works, not what a capable
judge reaches).

Data: FinanceBench, Islam et al. 2023, arXiv:2311.11944, licence CC BY-NC 4.0.

Run: ``python benchmarks/judge_calibration.py --local [--per-config 3]``
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict

from _financebench import MAPPING, RESULTS, load_rows

from agility.metrics import calibrate, grade_rows, judge_financial_answer


def sample(rows: list[dict], per_config: int) -> list[dict]:
    """The first ``per_config`` questions (by id) of every configuration."""
    by_config: dict[str, list[dict]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r["config"], r["financebench_id"])):
        if len(by_config[row["config"]]) < per_config:
            by_config[row["config"]].append(row)
    return [row for config in sorted(by_config) for row in by_config[config]]


def _line(name: str, report: object) -> str:
    kappa = "n/a" if report.kappa is None else f"{report.kappa:.3f}"  # type: ignore[attr-defined]
    return f"{name:34s} {report.n:4d} {report.agreement:6.3f} {kappa:>6s}"  # type: ignore[attr-defined]


def measure(rows: list[dict], judge: str, base_url: str | None, concurrency: int,
            max_tokens: int) -> None:
    """Grade ``rows`` with the judge and the offline grader; print both calibrations."""
    options: dict[str, object] = {"base_url": base_url} if base_url else {}
    started = time.perf_counter()
    graded = grade_rows(rows, mapping=MAPPING, judge=judge, judge_options=options,
                        judge_settings={"max_tokens": max_tokens}, concurrency=concurrency,
                        source="financebench/results")
    elapsed = time.perf_counter() - started
    failed = sum(g["verdict"] is None for g in graded)
    print(f"judge {judge}: {len(rows)} answers in {elapsed:.0f} s, {failed} judgments failed "
          f"(counted as disagreements)")
    reasons = Counter(str(g.get("error"))[:100] for g in graded if g["verdict"] is None)
    for reason, count in reasons.most_common():
        print(f"  {count:4d} failed: {reason}")
    print()
    print(f"{'subset':34s} {'n':>4s} {'agree':>6s} {'kappa':>6s}")
    families = sorted({r["family"] for r in rows})
    for name, pick in [("all", lambda r: True)] + [
            (f"family {f}", lambda r, f=f: r["family"] == f) for f in families]:
        chosen = [(r, g) for r, g in zip(rows, graded, strict=True) if pick(r)]
        judge_report = calibrate((r["label"], g["verdict"]) for r, g in chosen)
        offline = calibrate((r["label"], judge_financial_answer(
            r["question"], r["gold_answer"], r["model_answer"]).verdict) for r, _ in chosen)
        print(_line(f"{name} (judge)", judge_report))
        print(_line(f"{name} (offline grader)", offline))
    overall = calibrate((r["label"], g["verdict"]) for r, g in zip(rows, graded, strict=True))
    print("\njudge confusion (human rows x judge columns):", overall.confusion)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judge", default="openai/gemma3-270m", help="provider/model")
    parser.add_argument("--base-url", help="the judge's OpenAI-compatible endpoint")
    parser.add_argument("--local", action="store_true",
                        help="start llama_cpp.server with the packaged Gemma 3 270M")
    parser.add_argument("--per-config", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()
    rows = load_rows()
    if not rows:
        print(f"FinanceBench results not found in {RESULTS}", file=sys.stderr)
        return 1
    chosen = sample(rows, args.per_config)
    if args.local:
        from agility.testing import llama_cpp_server

        with llama_cpp_server(n_ctx=8192) as base_url:
            measure(chosen, "openai/gemma3-270m", base_url, args.concurrency, args.max_tokens)
    else:
        measure(chosen, args.judge, args.base_url, args.concurrency, args.max_tokens)
    return 0


if __name__ == "__main__":
    sys.exit(main())
