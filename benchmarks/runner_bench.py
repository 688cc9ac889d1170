"""Runner speed and memory: harness overhead, throughput, TTFT accuracy, peak memory.

    python benchmarks/runner_bench.py [--examples 2000] [--concurrency 64] [--latency-ms 50]

The fake OpenAI server runs in a separate process (so its CPU is not counted as ours); the
runner talks to it over real HTTP on 127.0.0.1 with the real openai/ provider and writes every
result to a real SQLite store. Figures and goals:

- harness overhead: this process's CPU per example against an instant local server (the
  runner's scheduling, rendering, pricing and one committed store write per result, plus the
  openai/ provider and aiohttp); goal <= 1 ms. Printed beside it: the same with the in-process
  mock model (no HTTP client at all), and what a bare aiohttp client needs for the requests.
- throughput: examples / wall time at --concurrency against a server with --latency-ms
  time to first token; goal >= 90% of the ideal (examples / concurrency x latency).
- TTFT accuracy: |measured TTFT - injected TTFT| at p99 over the throughput run; goal <= 5 ms.
  Printed beside it: the same at a lower request rate, and what a minimal raw-asyncio HTTP/1.1
  client measures against the same servers (the floor the machine and the fake server allow).
- event loop: run_model uses uvloop when it is installed; the throughput and TTFT runs are
  repeated on plain asyncio for comparison.
- peak memory: maximum resident set size of this process after all runs; goal <= 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import aiohttp

from agility.runner import RetryPolicy, arun_model, percentile, run_model
from agility.store import Store


def _start_server(ttft_ms: float) -> tuple[subprocess.Popen[str], str]:
    code = "from agility.testing.fake_openai import main; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, "--ttft-ms", str(ttft_ms)],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    return proc, line.split()[-1]


def _dataset(folder: Path, n: int, name: str = "bench.jsonl") -> Path:
    path = folder / name
    path.write_text("".join(json.dumps({
        "id": f"b{i:05d}", "source_prompt": f"Filing {i}?",
        "ground_truth": "x"}) + "\n" for i in range(n)), encoding="utf-8")
    return path


def _run(dataset: Path, store: Store, base_url: str | None, name: str, concurrency: int,
         ttft_ms: float = 0.0, plain_asyncio: bool = False):
    """Over HTTP to ``base_url``, or with the in-process mock model when it is None.
    ``run_model`` picks uvloop when installed; ``plain_asyncio`` forces asyncio's own loop."""
    model, options = (("openai/gpt-4o-mini", {"base_url": base_url}) if base_url
                      else ("mock/echo", {"ttft_ms": ttft_ms}))
    kwargs: dict = {"name": name, "store": store, "provider_options": options,
                    "concurrency": concurrency, "progress": False,
                    "retry": RetryPolicy(max_attempts=2, base_delay_s=0.05)}
    if plain_asyncio:
        return asyncio.run(arun_model(dataset, model, **kwargs))
    return run_model(dataset, model, **kwargs)


def _ttft_errors(store: Store, run_id: int, expected_ms: float) -> list[float]:
    return [abs(r.ttft_ms - expected_ms) for r in store.results(run_id) if r.ttft_ms is not None]


def _errors_text(errors: list[float]) -> str:
    return (f"{percentile(errors, 99):.2f} / {percentile(errors, 50):.2f} / {max(errors):.2f} ms "
            f"({len(errors)} results)")


async def _bare_client(base_url: str, n: int, concurrency: int) -> None:
    """The same streamed requests with a bare aiohttp client: the floor the runner sits on."""
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as client:
        pending = iter(range(n))

        async def worker() -> None:
            for i in pending:
                body = {"model": "gpt-4o-mini", "stream": True,
                        "stream_options": {"include_usage": True},
                        "messages": [{"role": "user", "content":
                                      f"Filing {i}?"}]}
                async with client.post(f"{base_url}/chat/completions", json=body) as response:
                    async for line in response.content:
                        if line.startswith(b"data:") and line.strip() != b"data: [DONE]":
                            json.loads(line[5:])

        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _raw_client_ttft_errors(base_url: str, n: int, concurrency: int,
                                  ttft_ms: float) -> list[float]:
    """TTFT errors seen by a minimal keep-alive HTTP/1.1 client on raw asyncio streams: the
    floor this machine allows, whatever HTTP library a provider uses."""
    url = urlparse(base_url)
    pending, errors = iter(range(n)), []

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        for i in pending:
            body = json.dumps({"model": "m", "stream": True, "messages": [
                {"role": "user", "content": f"Filing {i}?"}]}).encode()
            started, first = time.perf_counter(), None
            writer.write(b"POST %s/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: "
                         b"application/json\r\ncontent-length: %d\r\n\r\n%s"
                         % (url.path.encode(), len(body), body))
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
            while size := int((await reader.readline()).strip(), 16):
                data = await reader.readexactly(size + 2)
                if first is None and b'"content": "' in data and b'"content": ""' not in data:
                    first = time.perf_counter()
            await reader.readline()
            if first is not None:
                errors.append(abs((first - started) * 1000.0 - ttft_ms))
        writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return errors


def _throughput(n: int, wall_s: float, ideal_s: float) -> str:
    return (f"{n / wall_s:.0f}/s = {ideal_s / wall_s:.1%} of ideal "
            f"({wall_s:.2f} s vs {ideal_s:.2f} s)")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description="runner benchmark")
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--ttft-ms", type=float, default=500.0,
                        help="server TTFT of the extra TTFT-accuracy run (a lower request rate)")
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-real-key")
    n, conc, latency = args.examples, args.concurrency, args.latency_ms
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dataset = _dataset(folder, n)
        store = Store(folder / "bench.db")
        instant, instant_url = _start_server(0.0)
        slow, slow_url = _start_server(latency)
        calm, calm_url = _start_server(args.ttft_ms)
        try:
            _run(dataset, store, instant_url, "warm-up", 8)  # imports, pools, page cache
            start = _cpu()
            _run(dataset, store, instant_url, "overhead", 16)
            run_cpu = _cpu() - start
            start = _cpu()
            asyncio.run(_bare_client(instant_url, n, 16))
            bare_cpu = _cpu() - start
            start = _cpu()
            _run(dataset, store, None, "overhead-mock", 16)
            mock_cpu = _cpu() - start
            http = _run(dataset, store, slow_url, "throughput-http", conc)
            errors = _ttft_errors(store, http.run_id, latency)
            plain = _run(dataset, store, slow_url, "throughput-http-asyncio", conc,
                         plain_asyncio=True)
            plain_errors = _ttft_errors(store, plain.run_id, latency)
            alone = _run(dataset, store, None, "throughput-mock", conc, ttft_ms=latency)
            calm_run = _run(_dataset(folder, conc * 10, "calm.jsonl"), store, calm_url,
                            "ttft-calm", conc)
            calm_errors = _ttft_errors(store, calm_run.run_id, args.ttft_ms)
            raw_errors = asyncio.run(_raw_client_ttft_errors(slow_url, n, conc, latency))
            raw_calm = asyncio.run(_raw_client_ttft_errors(calm_url, conc * 10, conc,
                                                           args.ttft_ms))
        finally:
            for proc in (instant, slow, calm):
                proc.kill()
                proc.wait()
        ideal = n / conc * latency / 1000.0
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        figures = [
            (("harness overhead: client CPU per example over HTTP, instant server "
              "(runner + store + openai/ + aiohttp)"), f"{run_cpu / n * 1000:.3f} ms", "<= 1 ms"),
            ("  runner + store alone (in-process mock model, no HTTP)",
             f"{mock_cpu / n * 1000:.3f} ms", ""),
            ("  a bare aiohttp client doing the same requests", f"{bare_cpu / n * 1000:.3f} ms",
             ""),
            (f"throughput over HTTP ({n} examples, concurrency {conc}, {latency:g} ms server)",
             _throughput(n, http.wall_time_s, ideal), ">= 90%"),
            ("  the same on plain asyncio (no uvloop)", _throughput(n, plain.wall_time_s, ideal),
             ""),
            (f"throughput of the runner alone (mock model, {latency:g} ms TTFT)",
             _throughput(n, alone.wall_time_s, ideal), ">= 90%"),
            (f"TTFT error over HTTP at concurrency {conc}: p99 / p50 / max",
             _errors_text(errors) + f", {http.n_errors} errors", "<= 5 ms at p99"),
            ("  the same on plain asyncio (no uvloop)", _errors_text(plain_errors), ""),
            (f"TTFT error over HTTP at concurrency {conc}, {args.ttft_ms:g} ms server",
             _errors_text(calm_errors), "<= 5 ms at p99"),
            (f"  reference: raw asyncio HTTP/1.1 client, concurrency {conc}, {latency:g} ms",
             _errors_text(raw_errors), ""),
            ((f"  reference: raw asyncio HTTP/1.1 client, concurrency {conc}, "
              f"{args.ttft_ms:g} ms"), _errors_text(raw_calm), ""),
            (f"peak memory (RSS after all runs, {n} examples each)", f"{peak_mb:.0f} MB",
             "<= 300 MB"),
        ]
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        figures.append((f"machine: {os.cpu_count()} CPUs, load average (1/5/15 min)", load, ""))
        figures.append(("event loop of run_model", _loop_name(), ""))
        width = max(len(label) for label, _, _ in figures)
        for label, value, goal in figures:
            print(f"{label:<{width}}  {value}" + (f"   [goal {goal}]" if goal else ""))


def _loop_name() -> str:
    try:
        import uvloop
    except ImportError:
        return "asyncio (uvloop not installed)"
    return f"uvloop {uvloop.__version__}"


if __name__ == "__main__":
    main()
