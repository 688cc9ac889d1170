"""The cost criterion under induced load drift: does the verdict follow the models or the load?

    python benchmarks/cost_load_drift.py [--rows 12] [--repeats 2] [--hogs 1]
        [--schedules seq-source,seq-target,int-source,int-target] [--hog-after 30]

Both sides are the same model with the same prompt (the packaged Gemma 3 270M through llama.cpp,
in process, one call at a time, over the worked example's questions), so the right answer is
"no difference". Each side's cost per query is a per-hour item ($1/hour, both sides) spread over
the throughput its run measured, as a self-hosted endpoint's is. Load drift is induced: ``--hogs``
busy-looping processes start partway through (when the first run of a sequential pair ends; after
the same time into an interleaved pair) and stop at the end of the pair.

Four schedules, each ``--repeats`` times, in a fresh store each: sequential source first,
sequential target first (one run after the other, as two ``agility run``s), interleaved (the
calls in turn, as ``agility migrate``, ``agility demo`` and the port's holdout scoring run them)
in either job order. For each: the mean latency of each side, the point difference in cost per
query all in, the cost criterion at ``max_increase_pct`` 0 and 10 under the point rule (main
before this change: pass when the point difference is within the allowance) and as the gate
decides now, and the load average (``os.getloadavg``) before and after the pair.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from agility.chat import GenerationConfig
from agility.compare import Criteria, compare_runs, parse_cost_items
from agility.migrate import example_path
from agility.runner import run_interleaved, run_model
from agility.store import Store

COSTS = parse_cost_items("per_hour: [{name: CPU host, side: both, usd_per_hour: 1.0}]")
LIMITS = (0.0, 10.0)


def _dataset(folder: Path, rows: int) -> Path:
    lines = (example_path() / "golden.jsonl").read_text(encoding="utf-8").splitlines()[:rows]
    path = folder / "golden.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _job(dataset: Path, store: Store, name: str) -> dict[str, Any]:
    return {"dataset": dataset, "model": "llamacpp/gemma3-270m", "name": name, "store": store,
            "provider_options": {"n_ctx": 1024, "n_threads": 2, "seed": 7},
            "config": GenerationConfig(temperature=0, max_tokens=16, seed=7),
            "concurrency": 1, "progress": False, "warmup": 1}


class Hogs:
    """``count`` busy-looping processes, started after ``delay_s`` and stopped on exit."""

    def __init__(self, count: int, delay_s: float) -> None:
        self.count, self.delay_s = count, delay_s
        self.procs: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()
        self._timer = threading.Thread(target=self._start, daemon=True)

    def _start(self) -> None:
        if self._stop.wait(self.delay_s):
            return
        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                      for _ in range(self.count)]

    def __enter__(self) -> Hogs:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._timer.join()
        for proc in self.procs:
            proc.kill()
            proc.wait()


def _pair(folder: Path, schedule: str, hogs: int, first_s: float | None) -> dict[str, Any]:
    dataset = _dataset(folder, ARGS.rows)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with Store(folder / "agility.db") as store:
        src, tgt = _job(dataset, store, "src"), _job(dataset, store, "tgt")
        if schedule.startswith("sequential"):
            order = [src, tgt] if schedule.endswith("source first") else [tgt, src]
            run_model(**order[0])
            first = time.perf_counter() - started
            with Hogs(hogs, 0.0):  # the machine gets busier between the two runs
                run_model(**order[1])
        else:
            jobs = [src, tgt] if schedule.endswith("source first") else [tgt, src]
            # the load rises after the time a first run took, halfway through the pair
            with Hogs(hogs, first_s or 0.0):
                run_interleaved(jobs)
            first = None
        out: dict[str, Any] = {"schedule": schedule, "wall_s": time.perf_counter() - started,
                               "first_s": first, "load_before": load_before}
        for limit in LIMITS:
            criteria = Criteria.model_validate({"quality": {"metrics": []},
                                                "cost": {"max_increase_pct": limit}})
            result = compare_runs(store, "src", "tgt", criteria, costs=COSTS,
                                  score_missing=False, n_resamples=4000)
            cost = next(c for c in result.criteria_results if c.name == "cost")
            roi = result.cost.roi
            assert roi is not None and roi.diff_per_query_pct is not None
            point = "pass" if roi.diff_per_query_pct <= limit else "fail"
            out[f"point_{limit:g}"], out[f"gate_{limit:g}"] = point, cost.status
        assert roi.source.throughput is not None and roi.target.throughput is not None
        out.update(src_mean_s=roi.source.throughput.mean_call_s,
                   tgt_mean_s=roi.target.throughput.mean_call_s,
                   diff_pct=roi.diff_per_query_pct,
                   interval=roi.diff_per_query_pct_interval,
                   together=roi.timing.interleaved if roi.timing else None)
    out["load_after"] = os.getloadavg()[0]
    return out


def main() -> None:
    print(f"load average at the start: {os.getloadavg()}; {os.cpu_count()} CPUs; rows "
          f"{ARGS.rows}, repeats {ARGS.repeats}, hogs {ARGS.hogs}")
    names = {"seq-source": "sequential, source first", "seq-target": "sequential, target first",
             "int-source": "interleaved, source first", "int-target": "interleaved, target first"}
    schedules = [names[key] for key in ARGS.schedules.split(",")]
    rows = []
    first_s: float | None = ARGS.hog_after
    for repeat in range(ARGS.repeats):
        for schedule in schedules:
            with tempfile.TemporaryDirectory() as tmp:
                row = _pair(Path(tmp), schedule, ARGS.hogs, first_s)
            if row["first_s"] is not None and ARGS.hog_after is None:
                first_s = row["first_s"]
            rows.append(row)
            low, high = row["interval"] or (float("nan"), float("nan"))
            print(f"{repeat} {schedule:26} src {row['src_mean_s']:.3f} s tgt "
                  f"{row['tgt_mean_s']:.3f} s diff {row['diff_pct']:+6.1f}% "
                  f"[{low:+.1f}, {high:+.1f}] | 0%: point {row['point_0']:4} gate "
                  f"{row['gate_0']:12} | 10%: point {row['point_10']:4} gate "
                  f"{row['gate_10']:12} | together {row['together']} | load "
                  f"{row['load_before']:.2f}->"
                  f"{row['load_after']:.2f} | {row['wall_s']:.0f} s", flush=True)
    print("\nsummary (verdicts of the cost criterion per schedule):")
    for schedule in schedules:
        mine = [r for r in rows if r["schedule"] == schedule]
        for limit in LIMITS:
            key = f"{limit:g}"
            counts: dict[str, dict[str, int]] = {"point": {}, "gate": {}}
            for r in mine:
                for rule in counts:
                    status = r[f"{rule}_{key}"]
                    counts[rule][status] = counts[rule].get(status, 0) + 1
            print(f"  {schedule:26} allowed +{key}%: point rule {counts['point']}, gate now "
                  f"{counts['gate']}")
    if ARGS.json:
        Path(ARGS.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--hogs", type=int, default=1)
    parser.add_argument("--json", default=None, help="write every pair's figures here")
    parser.add_argument("--schedules", default="seq-source,seq-target,int-source,int-target")
    parser.add_argument("--hog-after", type=float, default=None,
                        help="seconds into an interleaved pair before the load rises (default: "
                             "the time the last sequential pair's first run took)")
    ARGS = parser.parse_args()
    # a timeout's SIGTERM unwinds through the hogs' context, which stops them
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
