"""Review app under 20 concurrent reviewers: page and API latency p50/p99, server memory.

    python benchmarks/review_bench.py [--reviewers 20] [--examples 1000] [--rounds 40]
        [--store sqlite|postgres|postgresql://…]

Builds a store (two runs over ``--examples`` golden rows, scored, a review queue drawn by the
playbook's sample with every failure in it), creates one account per reviewer, and starts the
real server (``agility review serve``) in its own process on 127.0.0.1. Each reviewer logs in
(session cookie) and, ``--rounds`` times, opens an item page, posts a verdict to
``POST /api/reviews`` (with its CSRF header) and lists its pending items
(``GET /api/queues/NAME/items``), all reviewers at once (aiohttp, one task each). Prints
p50/p99 per request kind, requests per second, the server's peak resident memory (VmHWM) and
the load average. Goal: p99 < 50 ms on 2 cores. With ``--think-ms`` the reviewers start at
random moments within one pause and pause 0.5-1.5x as long (``--lockstep``: all at once).

``--store``: ``sqlite`` (default, a file in a temporary folder), ``postgres`` (Debian's
PostgreSQL server started in a temporary folder on 127.0.0.1 with its default durability, as
``scale_bench.py`` does; issue 19's goal is the same p99 < 50 ms there), or the URL of a
PostgreSQL database of your own (its password from ``PGPASSWORD`` or the passfile).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import numpy as np

from agility.auth import add_account
from agility.review import ReviewPolicy, assign_reviewer, create_queue
from agility.store import NewRun, ResultRecord, ScoreRecord, Store, utc_now


def build_store(path: Path | str, examples: int,
                reviewers: int) -> tuple[str, list[str], dict[str, str]]:
    store = Store(path)
    rows = [{"id": f"q{i:05d}", "source_prompt": f"What was revenue in FY{i}?",
             "ground_truth": f"${i} million", "stratum": "lookup", "split": "dev",
             "input_context": f"Revenue in FY{i} was ${i} million. " * 20,
             "tags": ["safety"] if i % 50 == 0 else []} for i in range(examples)]
    digest = hashlib.sha256(json.dumps(rows).encode()).hexdigest()
    store.save_dataset(digest, "golden", None, 1, {}, [
        (r["id"], hashlib.sha256(json.dumps(r).encode()).hexdigest(), "dev", "lookup",
         json.dumps(r)) for r in rows])
    for name in ("src", "tgt"):
        run = store.create_run(NewRun(name=name, dataset_hash=digest, model_spec=f"mock/{name}",
                                      tool_version="bench", started_at=utc_now(),
                                      status="finished"))
        results, scores = [], []
        for i in range(examples):
            wrong = name == "tgt" and i % 20 == 0
            results.append(ResultRecord(example_id=f"q{i:05d}", output=(
                "I cannot say." if wrong else f"Revenue was ${i} million, as the filing shows.")))
            scores.append(ScoreRecord(example_id=f"q{i:05d}", metric="correctness",
                                      verdict="incorrect" if wrong else "correct",
                                      passed=not wrong, score=0.0 if wrong else 1.0,
                                      reason="the figure matches" if not wrong else "no figure"))
        store.save_results(run.id, results)
        store.save_scores(run.id, scores)
    queue = create_queue(store, "bench", "src", "tgt",
                         ReviewPolicy(failure_share=1.0, pass_share=0.02, overlap=0.1))
    items = [i.example_id for i in store.queue_items(queue.id)]
    secrets = {}
    for r in range(reviewers):
        name = f"rev{r:02d}"
        _, secrets[name] = add_account(store, name, "reviewer")
        assign_reviewer(store, "bench", name)
    store.close()
    return "bench", items, secrets


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
    hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
    return rss, hwm


async def reviewer(base: str, name: str, secret: str, queue: str, items: list[str],
                   rounds: int, timings: dict[str, list[float]], start: asyncio.Event,
                   ready: list[int], think_s: float, lockstep: bool) -> None:
    # people do not act in lockstep: unless --lockstep, a reviewer starts at a random moment
    # within one pause and pauses 0.5-1.5x the given time (seeded: the same run every time)
    rng = random.Random(name)
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(base, cookie_jar=jar) as session:
        async with session.get("/login") as page:
            token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)
        async with session.post("/login", data={"name": name, "secret": secret,
                                                "csrf_token": token, "next": "/"},
                                allow_redirects=False) as done:
            assert done.status == 303, await done.text()
        async with session.get(f"/queues/{queue}/items/{items[0]}") as page:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)
        ready[0] += 1
        await start.wait()
        if think_s and not lockstep:
            await asyncio.sleep(rng.uniform(0, think_s))
        for i in range(rounds):
            example_id = items[(i + hash(name)) % len(items)]
            t0 = time.perf_counter()
            async with session.get(f"/queues/{queue}/items/{example_id}") as r:
                await r.read()
                assert r.status == 200, r.status
            t1 = time.perf_counter()
            async with session.post("/api/reviews", headers={"X-CSRF-Token": csrf}, json={
                    "queue": queue, "example_id": example_id, "verdict": "correct",
                    "score": 4, "flags": [], "notes": f"{name} round {i}"}) as r:
                await r.read()
                assert r.status == 200, await r.text()
            t2 = time.perf_counter()
            async with session.get(f"/api/queues/{queue}/items", params={"status": "pending"}
                                   ) as r:
                await r.read()
                assert r.status == 200, r.status
            t3 = time.perf_counter()
            timings["page GET /queues/Q/items/ID"].append((t1 - t0) * 1000)
            timings["API POST /api/reviews"].append((t2 - t1) * 1000)
            timings["API GET /api/queues/Q/items"].append((t3 - t2) * 1000)
            if think_s:
                await asyncio.sleep(think_s if lockstep else think_s * rng.uniform(0.5, 1.5))


async def drive(base: str, queue: str, items: list[str], secrets: dict[str, str],
                rounds: int, think_s: float, lockstep: bool) -> tuple[dict[str, list[float]], float]:
    timings: dict[str, list[float]] = {"page GET /queues/Q/items/ID": [],
                                       "API POST /api/reviews": [],
                                       "API GET /api/queues/Q/items": []}
    start = asyncio.Event()
    ready = [0]
    tasks = [asyncio.create_task(reviewer(base, n, s, queue, items, rounds, timings, start,
                                          ready, think_s, lockstep))
             for n, s in secrets.items()]
    while ready[0] < len(tasks):  # logins (one scrypt each) finish before the clock starts
        await asyncio.sleep(0.05)
    began = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    return timings, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="pause of each reviewer after an item (0: back to back, a stress "
                             "test; a person takes seconds per item)")
    parser.add_argument("--lockstep", action="store_true",
                        help="with --think-ms: every reviewer starts at once and pauses exactly "
                             "--think-ms (the default staggers starts and varies pauses)")
    parser.add_argument("--store", default="sqlite",
                        help="sqlite, postgres (a temporary server) or a postgresql:// URL")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="review-bench-"))
    with contextlib.ExitStack() as stack:
        if args.store == "sqlite":
            db: str = str(folder / "agility.db")
        elif args.store == "postgres":
            from agility.testing import PostgresServer

            pg = stack.enter_context(PostgresServer(durable=True))
            os.environ.update(pg.environ())  # the password, for the server process too
            db = pg.create_database("review_bench")
        elif args.store.startswith("postgresql://"):
            db = args.store
        else:
            raise SystemExit("--store: give sqlite, postgres or a postgresql:// URL")
        bench(db, args)


def bench(db: str, args: argparse.Namespace) -> None:
    queue, items, secrets = build_store(db, args.examples, args.reviewers)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "agility.cli.main", "review", "serve",
                               "--store", db, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)
        idle_rss, _ = peak_rss_mb(server.pid)
        load_before = os.getloadavg()
        timings, wall = asyncio.run(drive(f"http://127.0.0.1:{port}", queue, items, secrets,
                                          args.rounds, args.think_ms / 1000,
                                          args.lockstep))
        load_after = os.getloadavg()
        rss, hwm = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    total = sum(len(v) for v in timings.values())
    backend = "PostgreSQL" if db.startswith("postgresql://") else "SQLite"
    print(f"{backend} store; {args.reviewers} reviewers x {args.rounds} rounds "
          f"(think {args.think_ms:.0f} ms), "
          f"queue of {len(items)} items "
          f"from {args.examples} examples; {total} requests in {wall:.1f} s "
          f"({total / wall:.0f} req/s)"
          + (", lockstep" if args.lockstep and args.think_ms else ""))
    print("| request | n | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for kind, values in timings.items():
        a = np.array(values)
        print(f"| {kind} | {a.size} | {np.percentile(a, 50):.1f} | {np.percentile(a, 99):.1f} "
              f"| {a.max():.1f} |")
    print(f"server memory: {idle_rss:.0f} MB resident idle, {rss:.0f} MB after, "
          f"peak {hwm:.0f} MB (VmHWM)")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"(1 min), {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
