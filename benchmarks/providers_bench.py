"""How faithfully each provider adapter measures TTFT and latency, and what it costs.

Each wire-format adapter (openai/, anthropic/, bedrock/) talks to its fake server running in a
separate process (no shared GIL) that waits exactly ``--ttft-ms`` before the first content
token and ``--token-delay-ms`` between tokens. The error of a measurement is what the adapter
reports minus what the server was told to do; it includes the loopback HTTP round trip, the
client library's parsing and our own bookkeeping. Run at concurrency 1 and at
``--concurrency`` (default 64) for openai/. Then the packaged local model in process
(llamacpp/gemma3-270m): load time, TTFT and decode speed.

    python benchmarks/providers_bench.py [--calls 50] [--concurrency 64] [--no-local]

Goal: median TTFT error <= 5 ms for every adapter at concurrency 1, and for openai/ at
concurrency 64 (p95 reported).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from agility.chat import ChatRequest, GenerationConfig, Message
from agility.providers import get_provider

TEXT = " ".join(f"word{i}" for i in range(20))
SHORT = "one two three"


def _start(api: str, ttft_ms: float, token_delay_ms: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "agility.testing.fake_openai", "--api", api, "--ttft-ms",
         str(ttft_ms), "--token-delay-ms", str(token_delay_ms)],
        stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().split()[-1]


def _provider(api: str, url: str) -> Any:
    if api == "openai":
        return get_provider("openai/fake", base_url=url)
    if api == "anthropic":
        return get_provider("anthropic/fake", base_url=url)
    return get_provider("bedrock/us.fake.model-v1:0", endpoint_url=url, region="us-east-1")


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _measure(api: str, url: str, calls: int, concurrency: int, ttft_ms: float,
                   token_delay_ms: float, text: str, server_pid: int) -> dict[str, float]:
    provider = _provider(api, url)
    request = ChatRequest(messages=[Message(role="user", content=text)])
    # warm-up: connections and pooled clients for this concurrency
    await asyncio.gather(*(provider.complete(request) for _ in range(concurrency)))
    gate = asyncio.Semaphore(concurrency)

    async def one() -> Any:
        async with gate:
            return await provider.complete(request)

    start, cpu_start, server_start = time.perf_counter(), time.process_time(), _cpu_s(server_pid)
    results = await asyncio.gather(*(one() for _ in range(calls)))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    server_cpu = _cpu_s(server_pid) - server_start
    await provider.aclose()
    expected_latency = ttft_ms + token_delay_ms * (len(text.split()) - 1)
    ttft_err = sorted(r.ttft_ms - ttft_ms for r in results)
    lat_err = sorted(r.latency_ms - expected_latency for r in results)
    return {"ttft_err_median": statistics.median(ttft_err),
            "ttft_err_p95": ttft_err[int(0.95 * (len(ttft_err) - 1))],
            "latency_err_median": statistics.median(lat_err), "calls_per_s": calls / wall,
            "cpu_ms_per_call": cpu * 1000 / calls,
            "server_cpu_ms_per_call": server_cpu * 1000 / calls}


async def _local() -> dict[str, float]:
    start = time.perf_counter()
    provider = get_provider("llamacpp/gemma3-270m", n_ctx=512)
    request = ChatRequest(messages=[Message(role="user", content="Write about the sea.")],
                          config=GenerationConfig(max_tokens=32, temperature=0.0))
    first = await provider.complete(request)  # includes assembling/loading the model
    load_s = time.perf_counter() - start - (first.latency_ms or 0) / 1000
    runs = [await provider.complete(request) for _ in range(3)]
    decode = [(r.output_tokens - 1) / ((r.latency_ms - r.ttft_ms) / 1000)
              for r in runs if r.output_tokens and r.output_tokens > 1]
    return {"load_s": load_s, "ttft_ms_median": statistics.median(r.ttft_ms for r in runs),
            "decode_tokens_per_s": statistics.median(decode) if decode else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--ttft-ms", type=float, default=50.0)
    parser.add_argument("--token-delay-ms", type=float, default=2.0)
    parser.add_argument("--no-local", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("ANTHROPIC_API_KEY", "bench-key")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    print("| adapter | concurrency | tokens | TTFT error median ms | TTFT error p95 ms | "
          "latency error median ms | calls/s | client CPU ms/call | fake server CPU ms/call |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    plan = [("openai", 1, TEXT), ("anthropic", 1, TEXT), ("bedrock", 1, TEXT),
            ("openai", args.concurrency, SHORT), ("openai", args.concurrency, TEXT),
            ("anthropic", args.concurrency, SHORT), ("bedrock", args.concurrency, SHORT)]
    for api, concurrency, text in plan:
        proc, url = _start(api, args.ttft_ms, args.token_delay_ms)
        try:
            calls = args.calls if concurrency == 1 else max(args.calls, 16 * concurrency)
            row = asyncio.run(_measure(api, url, calls, concurrency, args.ttft_ms,
                                       args.token_delay_ms, text, proc.pid))
        finally:
            proc.terminate()
            proc.wait()
        print(f"| {api}/ | {concurrency} | {len(text.split())} | {row['ttft_err_median']:.2f} | "
              f"{row['ttft_err_p95']:.2f} | {row['latency_err_median']:.2f} | "
              f"{row['calls_per_s']:.0f} | {row['cpu_ms_per_call']:.2f} | "
              f"{row['server_cpu_ms_per_call']:.2f} |", flush=True)
    if not args.no_local:
        local = asyncio.run(_local())
        print(f"\nllamacpp/gemma3-270m: load {local['load_s']:.2f} s, TTFT median "
              f"{local['ttft_ms_median']:.0f} ms, decode {local['decode_tokens_per_s']:.1f} "
              f"tokens/s")


if __name__ == "__main__":
    main()
