"""How long `agility demo` takes, and what one local retrieval costs in time.

    python benchmarks/demo_and_retrieval.py                 # retrieval only (about 30 s)
    python benchmarks/demo_and_retrieval.py --demo          # + the whole demo (minutes)
    python benchmarks/demo_and_retrieval.py --demo --rows 24
    python benchmarks/demo_and_retrieval.py --from agility-demo  # a demo you ran yourself

Retrieval: builds the MiniLM index of the example filing (cold, then from the cached .npy) and
times one query per golden question (p50/p95 of the retriever's own latency_ms). Demo: runs
`agility demo` in a fresh temporary folder as a subprocess and reports its wall time and the
per-call latency of each candidate from the store, then the port the demo ran (its
``report/port.json``): the legacy and the ported prompt's correctness on the dev rows scored and
on the holdout, and the port's cost in calls and seconds, and the gate's verdict per criterion.
``--from DIR`` reads those figures from a demo folder already run (``time agility demo``).
Goal: the demo under 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agility.dataset import load_dataset
from agility.migrate import example_path
from agility.retrieval import EmbeddingRetriever
from agility.store import Store


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_retrieval(folder: Path) -> None:
    shutil.copy(example_path() / "filing.md", folder / "filing.md")
    started = time.perf_counter()
    retriever = EmbeddingRetriever(folder / "filing.md", top_k=2)
    retriever.build_index()
    cold = time.perf_counter() - started
    started = time.perf_counter()
    EmbeddingRetriever(folder / "filing.md", top_k=2).build_index()
    warm = time.perf_counter() - started
    dataset = load_dataset(example_path() / "golden.jsonl", verify=False)
    latencies = [retriever.retrieve_sync(ex).latency_ms or 0.0 for ex in dataset.examples]
    print(f"index: {len(retriever.chunks)} chunks; cold build (model load + embed) {cold:.1f} s, "
          f"from cache {warm * 1000:.0f} ms")
    print(f"query latency over {len(latencies)} questions: p50 {_pct(latencies, 0.5):.1f} ms, "
          f"p95 {_pct(latencies, 0.95):.1f} ms")


def bench_demo(folder: Path, rows: int | None) -> None:
    script = Path(sys.executable).parent / "agility"
    command = [str(script), "demo", "--dir", str(folder / "demo"), "--no-progress"] + ([] if rows is None else ["--rows", str(rows)])
    print(f"load before: {_load()}", flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    print(done.stdout)
    if done.returncode != 0:
        print(done.stderr[-2000:])
    print(f"agility demo{'' if rows is None else f' --rows {rows}'}: {wall:.0f} s wall, exit "
          f"{done.returncode}; load after: {_load()}")
    demo_figures(folder / "demo")


def demo_figures(demo: Path) -> None:
    """Per-run call latency from the demo's store, the port's figures and the verdict."""
    with Store(demo / ".agility" / "agility.db") as store:
        for run in store.list_runs():
            latencies = [r.latency_ms for r in store.results(run.id) if r.latency_ms]
            tokens = [r.input_tokens for r in store.results(run.id) if r.input_tokens]
            if not latencies:
                continue
            print(f"  {run.name}: {len(latencies)} calls, latency p50 "
                  f"{statistics.median(latencies) / 1000:.2f} s, max "
                  f"{max(latencies) / 1000:.2f} s, input tokens p50 {statistics.median(tokens):.0f}")
    report = json.loads((demo / "report" / "port.json").read_text(encoding="utf-8"))
    metric = report["metric"]
    print(f"port: chose {report['chosen_label']}; stopped: {report['budget']['stop_reason']}")
    for side in ("source", "ported"):
        dev = report[side]["dev"].get(metric) or {}
        hold = report[side]["holdout"].get(metric) or {}
        print(f"  {side:<7} {metric} dev {dev.get('mean')} (n={dev.get('n')})  holdout "
              f"{hold.get('mean')} (n={hold.get('n')})")
    b = report["budget"]
    print(f"port cost: {b['calls_used']} calls ({b['attempts']} attempts, {b['failed_calls']} "
          f"failed), {b['input_tokens']:,} tokens in, {b['output_tokens']:,} out, "
          f"{b['seconds_this_time']:.0f} s")
    migration = json.loads((demo / "report" / "migration.json").read_text(encoding="utf-8"))
    print(f"verdict: {migration.get('verdict')}")
    for c in migration.get("comparison", {}).get("criteria_results", []):
        print(f"  {c['status']:<13} {c['name']}")


def _load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true", help="also time the whole demo")
    parser.add_argument("--rows", type=int, default=None, help="demo rows (default: all)")
    parser.add_argument("--from", dest="source", type=Path, default=None,
                        help="print the figures of a demo folder already run, and stop")
    args = parser.parse_args()
    if args.source is not None:
        demo_figures(args.source)
        return
    with tempfile.TemporaryDirectory() as tmp:
        bench_retrieval(Path(tmp))
        if args.demo:
            bench_demo(Path(tmp), args.rows)


if __name__ == "__main__":
    main()
