"""FinanceBench replay comparisons: the human-label difference beside the offline grader's.

For each pair of recorded FinanceBench runs (source -> target, the same 150 questions), the
answers are replayed into a real store (``replay/``), the experts' labels are recorded as SME
reviews (``Store.add_review``), the offline ``correctness`` grader scores both runs, and
``agility.compare.compare_runs`` compares them. The comparison reports, beside the grader's
difference, the human difference on the same questions (Newcombe's interval), the grader's own
difference there and its agreement (and Cohen's kappa) with the experts on each side: how far
to trust the grader's difference.

Data: FinanceBench, Islam et al. 2023, arXiv:2311.11944, licence CC BY-NC 4.0, read in place
from ``../shared/datasets/financebench``.

Run: ``python benchmarks/financebench_replay.py [--resamples 4000] [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from agility.compare import Comparison, compare_runs
from agility.dataset import import_dataset
from agility.runner import run_model
from agility.store import NewReview, Store

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "financebench"
PAIRS = [
    ("gpt-4_oracle", "gpt-4-1106-preview_oracle"),
    ("gpt-4_oracle_reverse", "gpt-4-1106-preview_oracle_reverse"),
    ("gpt-4_singleStore", "gpt-4-1106-preview_singleStore"),
    ("gpt-4_sharedStore", "gpt-4-1106-preview_sharedStore"),
    ("gpt-4_closedBook", "gpt-4-1106-preview_closedBook"),
    ("llama2_singleStore", "gpt-4_singleStore"),
    ("llama2_sharedStore", "gpt-4_sharedStore"),
]


def _replay(store: Store, golden: Path, name: str) -> None:
    path = DATA / "results" / f"{name}.jsonl"
    run_model(golden, f"replay/{path}", name=name, store=store, progress=False,
              provider_options={"id_field": "financebench_id", "output_field": "model_answer"})
    run = store.require_run(name)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            store.add_review(NewReview(run_id=run.id, example_id=row["financebench_id"],
                                       reviewer="financebench-experts", verdict=row["label"]))


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:+.1f}"


def _row(source: str, target: str, result: Comparison) -> dict[str, Any]:
    metric = next(m for m in result.metrics if m.metric == "correctness")
    human = metric.human
    assert human is not None
    quality = next(c for c in result.criteria_results if c.name == "quality: correctness")
    n = human.n
    return {
        "pair": f"{source} -> {target}", "n": n,
        "human_correct": (round((human.source_rate or 0) * n), round((human.target_rate or 0) * n)),
        "human_diff": human.diff, "human_ci": (human.ci_low, human.ci_high),
        "grader_correct": (round(metric.overall.source_mean * metric.overall.n),
                           round(metric.overall.target_mean * metric.overall.n)),
        "grader_diff": metric.overall.diff,
        "grader_ci": (metric.overall.score_ci_low, metric.overall.score_ci_high),
        "agreement": (human.source_agreement.agreement if human.source_agreement else None,
                      human.target_agreement.agreement if human.target_agreement else None),
        "kappa": (human.source_agreement.kappa if human.source_agreement else None,
                  human.target_agreement.kappa if human.target_agreement else None),
        "grader_gate": quality.status, "verdict": result.verdict,
    }


def _table(rows: list[dict[str, Any]]) -> str:
    lines = ["| source -> target | humans: correct of 150 | human diff, points [95% CI] | "
             "grader: correct | grader diff, points [95% CI] | grader agrees (kappa) src / tgt | "
             "grader's quality gate |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        agree = " / ".join("-" if a is None else f"{100 * a:.1f}% ({k:.2f})"
                           for a, k in zip(r["agreement"], r["kappa"], strict=True))
        lines.append(
            f"| {r['pair']} | {r['human_correct'][0]} -> {r['human_correct'][1]} | "
            f"{_pct(r['human_diff'])} [{_pct(r['human_ci'][0])}, {_pct(r['human_ci'][1])}] | "
            f"{r['grader_correct'][0]} -> {r['grader_correct'][1]} | "
            f"{_pct(r['grader_diff'])} [{_pct(r['grader_ci'][0])}, {_pct(r['grader_ci'][1])}] | "
            f"{agree} | {r['grader_gate']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=4000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if not (DATA / "financebench_open_source.jsonl").is_file():
        raise SystemExit(f"needs FinanceBench in {DATA}")
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        golden = Path(tmp) / "fb.jsonl"
        import_dataset(DATA / "financebench_open_source.jsonl", golden, preset="financebench")
        store = Store(Path(tmp) / "agility.db")
        replayed: set[str] = set()
        for source, target in PAIRS:
            for name in (source, target):
                if name not in replayed:
                    _replay(store, golden, name)
                    replayed.add(name)
            result = compare_runs(store, source, target, seed=0, n_resamples=args.resamples,
                                  metrics=["correctness"])
            rows.append(_row(source, target, result))
        store.close()
    print(_table(rows))
    print(f"\n{len(PAIRS)} comparisons in {time.perf_counter() - started:.1f} s")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
