"""Canary gateway speed, side by side with the LiteLLM proxy, against an instant upstream.

    python benchmarks/canary_bench.py [--litellm /tmp/litellm-venv/bin/litellm] [--seconds 10]
                                      [--memory-requests 100000] [--load-rate 200 --load-seconds 60]
                                      [--store sqlite|postgres]

Processes: the instant upstream (``benchmarks/instant_upstream.py``), ``agility canary serve``
(one process, uvicorn + uvloop + httptools) and, when ``--litellm`` names its executable, the
LiteLLM proxy (one worker) in its own virtualenv -- never a dependency of agility::

    python3 -m venv /tmp/litellm-venv && /tmp/litellm-venv/bin/pip install 'litellm[proxy]'

The load comes from ``wrk`` (Debian package ``wrk``), which costs little CPU, so the figures
are the servers'. Both gateways forward to the same upstream, both check a client key (the
agility gateway a ``canary-client`` token, LiteLLM its master key), neither logs requests; the
agility gateway's online grading is off (LiteLLM grades nothing). Each gateway's CPU per
request (user + system, from /proc) is printed beside its throughput: on a shared machine it is
the figure the load disturbs least.
Figures:

- added latency at concurrency 1: p50 and p99 through the gateway minus p50 and p99 straight
  to the upstream, for a whole answer and for a stream (wrk times the whole response);
  goal <= 1 ms p50, <= 3 ms p99;
- throughput at concurrency 64, one gateway process: requests/s; goal >= 1,000 whole,
  >= 400 streamed;
- memory: the gateway's resident set size after each slice of the ``--memory-requests`` run;
  goal: flat (the last slice within 10% of the first after warm-up);
- a steady ``--load-rate`` req/s for ``--load-seconds`` with a stage change (promote) at one
  third and a rollback at two thirds: every request answered whole by one arm.

Prints the load average (``os.getloadavg``) before and after each part: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
CLIENT_KEY = "sk-client-bench-0123456789abcdef"
BODY = ('{"model": "bench", "messages": [{"role": "system", "content": "Answer briefly."}, '
        '{"role": "user", "content": "What was the revenue in 2024?"}], "stream": %s}')


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def start(args: list[str], env: dict[str, str] | None = None,
          ready: str = "listening") -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, **(env or {})})
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{args[0]} exited before it was ready")
        if ready in line:
            return proc, line.strip()


def wait_http(url: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def lua(folder: Path, stream: bool, token: str = CLIENT_KEY) -> Path:
    name = f"post_{'stream' if stream else 'whole'}_{abs(hash(token)) % 10**6}.lua"
    path = folder / name
    body = BODY % ("true" if stream else "false")
    path.write_text(f'wrk.method = "POST"\nwrk.body = [[{body}]]\n'
                    f'wrk.headers["Content-Type"] = "application/json"\n'
                    f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    return path


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, script: Path, connections: int, seconds: float) -> dict[str, Any]:
    done = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency",
                           "-s", str(script), url], capture_output=True, text=True, check=True)
    out = done.stdout
    figures: dict[str, Any] = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
                               "requests": int(re.search(r"(\d+) requests in", out)[1])}  # type: ignore[index]
    for pct in ("50", "99"):
        figures[f"p{pct}_ms"] = _ms(re.search(rf"\s{pct}%\s+(\S+)", out)[1])  # type: ignore[index]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["non_2xx"] = int(bad[1]) if bad else 0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    figures["socket_errors"] = sum(int(x) for x in errors.groups()) if errors else 0
    return figures


def cpu_s(pid: int | None) -> float:
    """User + system CPU seconds a process has used (0 when not known)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def threads(pid: int) -> int:
    """The process's thread count (each worker thread may get a malloc arena of its own)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return -1


def write_plan(folder: Path, upstream: str) -> Path:
    (folder / "golden.jsonl").write_text('{"id": "q", "source_prompt": "x"}\n')
    side = ('{model: openai/bench-model, provider_options: {base_url: "' + upstream +
            '"}, price: {input_per_mtok: 0.15, output_per_mtok: 0.6}}')
    plan = folder / "plan.yaml"
    plan.write_text(f"""name: bench-canary
dataset: {{path: golden.jsonl}}
source: {{name: src, {side[1:-1]}}}
target: {{name: tgt, {side[1:-1]}}}
metrics: [answered]
rollout:
  stages: [{{percent: 5, min_requests: 1000000000}}, {{percent: 25, min_requests: 1000000000}},
           {{percent: 100}}]
  grading: {{sample_rate: 0}}
""")
    return plan


def latency_and_throughput(name: str, url: str, folder: Path, seconds: float,
                           direct: dict[str, dict[str, Any]] | None,
                           pid: int | None = None, token: str = CLIENT_KEY) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for stream in (False, True):
        kind = "stream" if stream else "whole"
        script = lua(folder, stream, token)
        wrk(url, script, 1, 2)  # warm-up
        c1 = wrk(url, script, 1, seconds)
        before = cpu_s(pid)
        c64 = wrk(url, script, 64, seconds)
        cpu_ms = 1000.0 * (cpu_s(pid) - before) / max(1, c64["requests"])
        results[kind] = {"c1": c1, "c64": c64}
        added = ""
        if direct is not None:
            base = direct[kind]["c1"]
            added = (f"  added p50 {c1['p50_ms'] - base['p50_ms']:+.2f} ms, "
                     f"p99 {c1['p99_ms'] - base['p99_ms']:+.2f} ms")
        print(f"{name:<9} {kind:<6} c1 p50 {c1['p50_ms']:.2f} ms p99 {c1['p99_ms']:.2f} ms"
              f"{added} | c64 {c64['rps']:.0f} req/s"
              f"{f', {cpu_ms:.2f} ms CPU/request' if pid else ''}"
              f" (non-2xx {c1['non_2xx'] + c64['non_2xx']}"
              f", socket errors {c64['socket_errors']})  [load {load()}]", flush=True)
    return results


def memory_run(url: str, pid: int, folder: Path, total: int, token: str) -> None:
    script = lua(folder, False, token)
    done = 0
    samples = []
    while done < total:
        figures = wrk(url, script, 64, 10)
        done += figures["requests"]
        samples.append((done, rss_mb(pid)))
        print(f"memory: {done:>7} requests, RSS {samples[-1][1]:.1f} MB, "
              f"{threads(pid)} threads "
              f"({figures['rps']:.0f} req/s, non-2xx {figures['non_2xx']})  [load {load()}]",
              flush=True)
    first, last = samples[0][1], samples[-1][1]
    print(f"memory: after the first slice {first:.1f} MB, at the end {last:.1f} MB "
          f"({100.0 * (last - first) / first:+.1f}%)", flush=True)


def steady_load(url: str, plan: Path, store: Path | str, rate: int, seconds: int,
                token: str) -> None:
    import aiohttp

    from agility.canary import promote, rollback
    from agility.migrate import load_plan
    from agility.store import Store

    results: list[tuple[int, str, str, float]] = []
    rolled_back_at: list[float] = []

    async def run() -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            async def one(i: int) -> None:
                started = time.monotonic()
                try:
                    async with session.post(
                            f"{url}/v1/chat/completions",
                            headers={"x-user-id": f"u{i}", "authorization": f"Bearer {token}"},
                            data=(BODY % ("true" if i % 2 else "false")).encode(),
                            ) as response:
                        text = await response.text()
                        results.append((response.status,
                                        response.headers.get("x-agility-arm", ""), text,
                                        started))
                except aiohttp.ClientError as exc:
                    results.append((0, "", repr(exc), started))

            tasks = []
            begin = time.monotonic()
            for i in range(rate * seconds):
                await asyncio.sleep(max(0.0, begin + i / rate - time.monotonic()))
                tasks.append(asyncio.create_task(one(i)))
            await asyncio.gather(*tasks)

    def operate() -> None:
        loaded = load_plan(plan)
        with Store(store) as db:
            time.sleep(seconds / 3)
            promote(db, loaded, actor="bench", force=True)
            time.sleep(seconds / 3)
            rollback(db, loaded, actor="bench", reason="benchmark drill")
            rolled_back_at.append(time.monotonic())  # committed in the store

    def calls_logged() -> int:
        with Store(store) as db:
            return int(db.query("SELECT COUNT(*) AS n FROM events "
                                "WHERE kind='model.call'")[0]["n"])

    logged_before = calls_logged()
    operator = threading.Thread(target=operate)
    operator.start()
    asyncio.run(run())
    operator.join()
    time.sleep(1.0)  # the gateway's audit writer flushes every 50 ms
    logged = calls_logged() - logged_before
    whole = "".join(["The ", "answer ", "is ", "forty ", "two."])
    ok = sum(1 for status, arm, text, _at in results
             if status == 200 and arm in ("source", "target")
             and (whole in text or text.count('"content":') >= 5))
    arms = {arm: sum(1 for _s, a, _t, _at in results if a == arm)
            for arm in ("source", "target")}
    print(f"steady load: {len(results)} requests at {rate}/s for {seconds} s across a stage "
          f"change and a rollback: {ok} answered whole by one arm, "
          f"{len(results) - ok} lost or failed; by arm {arms}; {logged} calls in the "
          f"audit log  [load {load()}]", flush=True)
    # how long the gateway kept routing to the target after the rollback was in the store:
    # the latest request sent after that moment that the target still answered
    late = [at - rolled_back_at[0] for _s, arm, _t, at in results
            if arm == "target" and at > rolled_back_at[0]]
    print(f"rollback: {len(late)} requests sent after it was committed still went to the "
          f"target, the last {1000.0 * max(late, default=0.0):.0f} ms after the commit",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--litellm", help="the litellm executable of its own virtualenv")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--memory-requests", type=int, default=100_000)
    parser.add_argument("--load-rate", type=int, default=200)
    parser.add_argument("--load-seconds", type=int, default=60)
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["latency", "memory", "load"], help="parts to skip")
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite",
                        help="the gateway's store: a SQLite file, or a PostgreSQL server "
                             "started for the bench (durable, on this machine)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("needs wrk (apt-get install wrk)")
    print(f"load average at start: {load()}; the gateway's store: {args.store}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        folder = Path(tmp)
        procs: list[subprocess.Popen[str]] = []
        store: Path | str = folder / "agility.db"
        if args.store == "postgres":
            from agility.testing import PostgresServer

            pg = stack.enter_context(PostgresServer(durable=True))
            os.environ.update(pg.environ())  # the gateway's too (it inherits os.environ)
            store = pg.create_database("canary")
        try:
            upstream_proc, line = start([sys.executable, str(HERE / "instant_upstream.py"),
                                         "0"])
            procs.append(upstream_proc)
            upstream = f"http://127.0.0.1:{line.split()[-1]}/v1"
            plan = write_plan(folder, upstream)
            from agility.auth import add_account
            from agility.store import Store
            with Store(store) as db:  # a client account: the gateway authenticates like LiteLLM
                token = add_account(db, "bench-client", "canary-client")[1]
            gateway_proc, line = start(
                [sys.executable, "-c", "from agility.cli.main import main; main()", "canary",
                 "serve", str(plan), "--port", "0", "--store", str(store),
                 "--without-approval", "--actor", "bench"], env={"OPENAI_API_KEY": "sk-bench"})
            procs.append(gateway_proc)
            gateway = line.split()[-1]
            wait_http(f"{gateway}/healthz")
            if "latency" not in args.skip:
                direct = latency_and_throughput("upstream", f"{upstream}/chat/completions",
                                                folder, args.seconds, None)
                latency_and_throughput("agility", f"{gateway}/v1/chat/completions", folder,
                                       args.seconds, direct, gateway_proc.pid, token)
                if args.litellm:
                    config = folder / "litellm.yaml"
                    config.write_text(
                        "model_list:\n  - model_name: bench\n    litellm_params:\n"
                        f"      model: openai/bench-model\n      api_base: {upstream}\n"
                        "      api_key: sk-bench\nlitellm_settings:\n  drop_params: true\n")
                    litellm_proc = subprocess.Popen(
                        [args.litellm, "--config", str(config), "--host", "127.0.0.1",
                         "--port", "18391", "--num_workers", "1"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                        env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                             "LITELLM_LOG": "ERROR", "DISABLE_SCHEMA_UPDATE": "True",
                             "LITELLM_MASTER_KEY": CLIENT_KEY})
                    procs.append(litellm_proc)
                    wait_http("http://127.0.0.1:18391/health/liveliness", 300)
                    latency_and_throughput("litellm", "http://127.0.0.1:18391/v1/chat/"
                                           "completions", folder, args.seconds, direct,
                                           litellm_proc.pid)
                    litellm_proc.terminate()
            if "memory" not in args.skip:
                memory_run(f"{gateway}/v1/chat/completions", gateway_proc.pid, folder,
                           args.memory_requests, token)
            if "load" not in args.skip:
                steady_load(gateway, plan, store, args.load_rate, args.load_seconds, token)
        finally:
            for proc in procs:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    print(f"load average at the end: {load()}", flush=True)


if __name__ == "__main__":
    main()
