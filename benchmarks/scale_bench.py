"""Scale: PostgreSQL store write speed against SQLite, and the Ray executor against the local one.

    python benchmarks/scale_bench.py store [--examples 2000] [--concurrency 64] [--repeats 5]
    python benchmarks/scale_bench.py batch [--batch-size 28] [--batches 100] [--repeats 5]
    python benchmarks/scale_bench.py ray [--examples 20000] [--concurrency 64]
    python benchmarks/scale_bench.py workers [--workers 1,2,4,8] [--per-worker 40]
        [--per-worker-concurrency 2] [--latency-ms 1000]

Both start Debian's PostgreSQL server in a temporary folder on 127.0.0.1 with its default
durability (fsync and synchronous commit on, as a team server would run) and the fake OpenAI
server in a separate process (an instant answer), and run the real runner over real HTTP.

- ``store``: a run of --examples results at --concurrency written to a SQLite file and to
  PostgreSQL, --repeats times each, alternating (each first in every other pair, after a
  warm-up run of each that is not counted); prints wall seconds and results/s, the best and
  the median of each and each pair's ratio. Goal (issue 19): PostgreSQL >= 90% of SQLite's
  speed.
- ``batch``: one writer's batches alone, no runner: ``Store.save_results`` of --batch-size
  results with their call events (what the runner's writer sends; 28 is the mean batch of a
  2,000-result run at concurrency 64), --batches of them, on each backend --repeats times;
  prints wall, this process's CPU and the PostgreSQL server's CPU per batch.
- ``ray``: a run of --examples on the local executor, then on a 2-CPU local Ray cluster (a
  raylet and two worker processes), both writing to the same PostgreSQL store; prints wall
  seconds with and without the cluster's start. Goal (issue 19): Ray within 1.3x of local.

- ``workers``: a simulation of N Ray workers on this one machine: a local Ray cluster that
  declares N logical CPUs (so N worker actors, however many cores there are) runs
  --per-worker examples per worker (weak scaling: the work grows with N) at
  --per-worker-concurrency calls in flight per worker, against a fake server that answers
  each call after --latency-ms. A run bound by the model's latency, as a hosted model's is,
  then finishes in the same time whatever N if the executor scales linearly (sharding, the
  actors, the shared store and the driver add no serial cost); prints examples/s per N and
  the efficiency against N=1. Its limit: the N workers share this machine's cores, so it
  measures the executor's overhead, not CPU-bound work (a local model): that cannot go
  faster than the cores there are.

The load average is printed with each figure: the build machine's 2 cores are shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agility.runner import run_model
from agility.store import Store
from agility.testing import PostgresServer

MODEL = "openai/gpt-4o-mini"


def _start_fake(*args: str) -> tuple[subprocess.Popen[str], str]:
    code = "from agility.testing.fake_openai import main; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    return proc, line.split()[-1]


def _dataset(folder: Path, n: int) -> Path:
    path = folder / f"bench-{n}.jsonl"
    path.write_text("".join(json.dumps({"id": f"b{i:05d}", "source_prompt": f"Filing {i}?",
                                        "ground_truth": "x"}) + "\n" for i in range(n)),
                    encoding="utf-8")
    return path


def _load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def _timed_run(dataset: Path, store: Store, base_url: str, name: str, concurrency: int,
               **kw: object) -> float:
    started = time.perf_counter()
    summary = run_model(dataset, MODEL, name=name, store=store, concurrency=concurrency,
                        provider_options={"base_url": base_url}, progress=False, **kw)
    wall = time.perf_counter() - started
    assert summary.n_done == summary.n_examples and summary.n_errors == 0, summary
    return wall


def bench_store(examples: int, concurrency: int, repeats: int) -> None:
    folder = Path(tempfile.mkdtemp())
    dataset = _dataset(folder, examples)
    fake, base_url = _start_fake()
    with PostgresServer(durable=True) as pg:
        os.environ.update(pg.environ())
        url = pg.create_database("bench")
        walls: dict[str, list[float]] = {"sqlite": [], "postgres": []}
        where_of = {"sqlite": str(folder / "bench.db"), "postgres": url}
        try:
            warm = _dataset(folder, concurrency)  # imports, connections: not counted
            for backend, where in where_of.items():
                with Store(where) as store:
                    _timed_run(warm, store, base_url, f"{backend}-warm", concurrency)
            for i in range(repeats):
                # alternated, and each backend first in every other pair
                for backend in ("sqlite", "postgres")[::1 if i % 2 == 0 else -1]:
                    where = where_of[backend]
                    with Store(where) as store:
                        wall = _timed_run(dataset, store, base_url, f"{backend}-{i}",
                                          concurrency)
                    walls[backend].append(wall)
                    print(f"{backend:<9} run {i + 1}: {examples} results at concurrency "
                          f"{concurrency} in {wall:.2f} s = {examples / wall:,.0f} results/s "
                          f"({_load()})", flush=True)
        finally:
            fake.terminate()
    best = {k: min(v) for k, v in walls.items()}
    median = {k: statistics.median(v) for k, v in walls.items()}
    pairs = sorted(s / p for s, p in zip(walls["sqlite"], walls["postgres"], strict=True))
    print(f"best of {repeats}: sqlite {examples / best['sqlite']:,.0f}/s, postgres "
          f"{examples / best['postgres']:,.0f}/s; postgres at "
          f"{best['sqlite'] / best['postgres']:.0%} of SQLite's speed (goal >= 90%)")
    print(f"median of {repeats}: sqlite {examples / median['sqlite']:,.0f}/s, postgres "
          f"{examples / median['postgres']:,.0f}/s; postgres at "
          f"{median['sqlite'] / median['postgres']:.0%}; run by run (each pair alternated) "
          f"{', '.join(f'{r:.0%}' for r in pairs)}")


def bench_ray(examples: int, concurrency: int) -> None:
    import ray

    folder = Path(tempfile.mkdtemp())
    dataset = _dataset(folder, examples)
    fake, base_url = _start_fake()
    with PostgresServer(durable=True) as pg:
        os.environ.update(pg.environ())
        url = pg.create_database("bench")
        try:
            with Store(url) as store:
                local = _timed_run(dataset, store, base_url, "local", concurrency)
                print(f"local executor: {examples} examples in {local:.1f} s ({_load()})",
                      flush=True)
                started = time.perf_counter()
                ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                         logging_level="ERROR")
                boot = time.perf_counter() - started
                on_ray = _timed_run(dataset, store, base_url, "ray", concurrency,
                                    executor="ray")
                ray.shutdown()
                print(f"ray executor (2-CPU local cluster): {examples} examples in "
                      f"{on_ray:.1f} s, plus {boot:.1f} s to start the cluster ({_load()})")
                print(f"ray / local = {on_ray / local:.2f}x without the cluster's start, "
                      f"{(on_ray + boot) / local:.2f}x with it (goal <= 1.3x)")
        finally:
            fake.terminate()


def _steady_rate(store: Store, name: str) -> float:
    """Results per second from the first call's start (a result's write time less its
    latency) to the last result's write: the run's calls without the driver's set-up and the
    first worker's start (paid once per run, not per example)."""
    from datetime import datetime, timedelta

    run = store.require_run(name)
    results = store.results(run.id)
    written = [datetime.fromisoformat(r.created_at) for r in results if r.created_at]
    began = min(datetime.fromisoformat(r.created_at) - timedelta(milliseconds=r.latency_ms)
                for r in results if r.created_at and r.latency_ms is not None)
    return len(results) / (max(written) - began).total_seconds()


def bench_workers(counts: list[int], per_worker: int, per_worker_concurrency: int,
                  latency_ms: float) -> None:
    import ray

    folder = Path(tempfile.mkdtemp())
    fake, base_url = _start_fake("--ttft-ms", str(latency_ms))
    ideal = per_worker_concurrency / (latency_ms / 1000)  # examples/s of one worker
    print(f"{per_worker} examples and {per_worker_concurrency} calls in flight per worker, "
          f"{latency_ms:.0f} ms per call: one worker's ideal is {ideal:.1f} examples/s",
          flush=True)
    print("| workers | examples | wall s (with the workers' start) | examples/s over the wall | "
          "examples/s from the first call | per worker | efficiency vs 1 | load |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    with PostgresServer(durable=True) as pg:
        os.environ.update(pg.environ())
        url = pg.create_database("bench")
        first: float | None = None
        try:
            with Store(url) as store:
                for n in counts:
                    examples = per_worker * n
                    dataset = _dataset(folder, examples)
                    ray.init(num_cpus=n, include_dashboard=False, log_to_driver=False,
                             logging_level="ERROR")
                    try:
                        wall = _timed_run(dataset, store, base_url, f"workers-{n}",
                                          per_worker_concurrency * n, executor="ray")
                    finally:
                        ray.shutdown()
                    rate = examples / wall
                    steady = _steady_rate(store, f"workers-{n}")
                    first = first or steady
                    print(f"| {n} | {examples} | {wall:.1f} | {rate:.1f} | {steady:.1f} | "
                          f"{steady / n:.2f} | {steady / (first * n):.0%} | {_load()} |",
                          flush=True)
        finally:
            fake.terminate()


def _server_cpu_s() -> float:
    """CPU seconds used so far by every PostgreSQL process of this machine (Linux /proc)."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if "(postgres)" in stat:
            fields = stat.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def bench_batch(size: int, batches: int, repeats: int) -> None:
    """One writer's batches alone: ``Store.save_results`` of ``size`` results with their call
    events (as the runner's writer sends them), per batch: wall, this process's CPU and, on
    PostgreSQL, the server's CPU."""
    from agility.store import NewEvent, NewRun, ResultRecord, utc_now

    def made(run: str) -> list[tuple[list[ResultRecord], list[NewEvent]]]:
        out = []
        for k in range(batches):
            results, events = [], []
            for j in range(size):
                eid = f"e{k:04d}-{j:03d}"
                prompt = [{"role": "user", "content": f"Filing {k * size + j}?"}]
                results.append(ResultRecord(example_id=eid, output="An answer of a few words.",
                                            ttft_ms=1.0, latency_ms=2.0, input_tokens=10,
                                            output_tokens=5, cost_usd=1e-5, prompt=prompt))
                events.append(NewEvent(kind="model.call", subject=run, payload={
                    "example_id": eid, "repeat_index": 0, "model": MODEL, "prompt": prompt,
                    "response": "An answer of a few words.", "error": None,
                    "request_id": "r", "cached": False}))
            out.append((results, events))
        return out

    folder = Path(tempfile.mkdtemp())
    print("| store | batch | wall ms | client CPU ms | server CPU ms | load |\n"
          "|---|---:|---:|---:|---:|---|")
    with PostgresServer(durable=True) as pg:
        os.environ.update(pg.environ())
        where_of = {"sqlite": str(folder / "bench.db"), "postgres": pg.create_database("bench")}
        for i in range(repeats):
            for backend, where in where_of.items():
                with Store(where) as store:
                    name = f"{backend}-{i}"
                    run = store.create_run(NewRun(name=name, model_spec=MODEL, tool_version="b",
                                                  started_at=utc_now()))
                    work = made(name)
                    wall, cpu, server = time.perf_counter(), time.process_time(), _server_cpu_s()
                    for results, events in work:
                        store.save_results(run.id, results, events)
                    wall = (time.perf_counter() - wall) / batches * 1000
                    cpu = (time.process_time() - cpu) / batches * 1000
                    server = (_server_cpu_s() - server) / batches * 1000
                shown = f"{server:.2f}" if backend == "postgres" else "-"
                print(f"| {backend} | {size} results + events | {wall:.2f} | {cpu:.2f} | "
                      f"{shown} | {_load()} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["store", "batch", "ray", "workers"])
    parser.add_argument("--batch-size", type=int, default=28)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--per-worker", type=int, default=40)
    parser.add_argument("--per-worker-concurrency", type=int, default=2)
    parser.add_argument("--latency-ms", type=float, default=1000.0)
    parser.add_argument("--examples", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.what == "store":
        bench_store(args.examples or 2000, args.concurrency, args.repeats)
    elif args.what == "batch":
        bench_batch(args.batch_size, args.batches, args.repeats)
    elif args.what == "ray":
        bench_ray(args.examples or 20000, args.concurrency)
    else:
        bench_workers([int(n) for n in args.workers.split(",")], args.per_worker,
                      args.per_worker_concurrency, args.latency_ms)


if __name__ == "__main__":
    main()
