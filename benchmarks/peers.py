"""The same small job through agility and through its peers, each a whole process.

    python benchmarks/peers.py [--examples 500] [--concurrency 32] [--repeats 3]
                               [--peers-python PYTHON] [--promptfoo PROMPTFOO] [--ref REV]

The job (issue 20): ``--examples`` one-turn prompts at ``--concurrency`` against a local
OpenAI-compatible server (``agility.testing.fake_openai`` in its own process) that sends the
first token after 50 ms and the whole answer after 145 ms (20 streamed words 5 ms apart); the
ideal wall time is examples / concurrency x 0.145 s. A harness that does not stream gets its
whole answer after the same 145 ms (the server's ``--delay-whole-answers``), so every row does
the same job. Each harness runs as a fresh process, the way a user starts it, so start-up
counts: wall time is measured around the process, CPU time is its user + system time (its
children's included) and the peak resident set its ``ru_maxrss`` (``os.wait4``). The harnesses
run interleaved, ``--repeats`` times, after one unmeasured warm-up each; the table shows the
medians. Byte-code is cached as in an installed package (``PYTHONDONTWRITEBYTECODE`` is
dropped and the harnesses share a ``PYTHONPYCACHEPREFIX`` in the run's temporary folder, which
the warm-up fills): with it set, every process compiled agility's source again, about a fifth
of a 200-call run's instructions.

Harnesses: a bare aiohttp client streaming the answers (the floor); the openai SDK in a loop
(non-streaming and streaming); ``agility run`` (streams, records TTFT, tokens and cost in a
SQLite store); ``agility run`` then ``agility score --metrics contains`` (two processes,
summed); and the peers when installed (a row says "not installed" otherwise): a litellm SDK
loop, an inspect-ai eval (``generate()`` then the ``includes()`` scorer: it scores as it goes,
like run + score) and a promptfoo eval (a ``contains`` assertion per test). The peers are
benchmark-only tools, not agility dependencies: install them in a separate environment and
name its interpreter with ``--peers-python`` (litellm, inspect-ai) and the promptfoo command
with ``--promptfoo`` (default: ``promptfoo`` on the PATH). With ``--ref REV`` the two agility
rows run again with the ``src/`` tree of git revision REV, interleaved with the rest (before
and after a change, in one run).
Goals: ``agility run`` within 1.3x the bare client's wall time and <= 1.2 ms CPU per sample
for the whole process; run + score within 1.5x.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

TTFT_MS, TOKEN_DELAY_MS, WORDS = 50.0, 5.0, 20  # 50 + 19 x 5 = 145 ms per answer

BARE_AIOHTTP = """
import asyncio, json, sys
import aiohttp

async def main(base_url, dataset, concurrency):
    rows = [json.loads(line) for line in open(dataset, encoding="utf-8")]
    pending = iter(rows)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as client:
        async def worker():
            for row in pending:
                body = {"model": "gpt-4o-mini", "stream": True,
                        "stream_options": {"include_usage": True},
                        "messages": [{"role": "user", "content": row["source_prompt"]}]}
                async with client.post(base_url + "/chat/completions", json=body) as response:
                    async for line in response.content:
                        if line.startswith(b"data:") and line.strip() != b"data: [DONE]":
                            json.loads(line[5:])
        await asyncio.gather(*(worker() for _ in range(concurrency)))

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""

OPENAI_SDK = """
import asyncio, json, sys
from openai import AsyncOpenAI

async def main(base_url, dataset, concurrency, stream):
    rows = [json.loads(line) for line in open(dataset, encoding="utf-8")]
    pending = iter(rows)
    client = AsyncOpenAI(base_url=base_url, api_key="sk-bench", max_retries=0)
    async def worker():
        for row in pending:
            messages = [{"role": "user", "content": row["source_prompt"]}]
            if stream:
                answer = await client.chat.completions.create(
                    model="gpt-4o-mini", messages=messages, stream=True,
                    stream_options={"include_usage": True})
                async for _chunk in answer:
                    pass
            else:
                await client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    await client.close()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "stream"))
"""

LITELLM = """
import asyncio, json, sys
import litellm
litellm.telemetry = False

async def main(base_url, dataset, concurrency):
    rows = [json.loads(line) for line in open(dataset, encoding="utf-8")]
    pending = iter(rows)
    async def worker():
        for row in pending:
            await litellm.acompletion(model="openai/gpt-4o-mini", api_base=base_url,
                                      api_key="sk-bench",
                                      messages=[{"role": "user",
                                                 "content": row["source_prompt"]}])
    await asyncio.gather(*(worker() for _ in range(concurrency)))

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""

INSPECT_AI = """
import json, sys
from inspect_ai import Task, eval as inspect_eval
from inspect_ai.dataset import Sample
from inspect_ai.scorer import includes
from inspect_ai.solver import generate

rows = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
task = Task(dataset=[Sample(id=r["id"], input=r["source_prompt"], target=r["ground_truth"])
                     for r in rows], solver=generate(), scorer=includes())
logs = inspect_eval(task, model="openai-api/bench/gpt-4o-mini", model_base_url=sys.argv[1],
                    max_connections=int(sys.argv[3]), log_dir=sys.argv[4], display="none",
                    max_retries=0)
if logs[0].status != "success" or len(logs[0].samples or []) != len(rows):
    sys.exit(f"inspect-ai eval ended {logs[0].status}")
"""


def _promptfoo_config(folder: Path, base_url: str, dataset: Path, conc: int) -> Path:
    """A promptfoo config for the job: the prompt as the whole message, ``contains``."""
    tests = [{"vars": {"source_prompt": row["source_prompt"]},
              "assert": [{"type": "contains", "value": row["ground_truth"]}]}
             for row in map(json.loads, dataset.read_text(encoding="utf-8").splitlines())]
    config = {"description": "peers", "prompts": ["{{source_prompt}}"],
              "providers": [{"id": "openai:chat:gpt-4o-mini",
                             "config": {"apiBaseUrl": base_url, "apiKey": "sk-bench"}}],
              "tests": tests, "evaluateOptions": {"maxConcurrency": conc, "cache": False}}
    path = folder / "promptfooconfig.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@dataclass
class Figures:
    """One harness, one repetition: its processes' wall, CPU and peak memory."""

    wall_s: float
    cpu_s: float
    rss_mb: float
    ok: bool


def _process(argv: list[str], env: dict[str, str]) -> Figures:
    began = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - began
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        print(f"  {argv[:4]} exited {proc.returncode}: {err.strip()[-400:]}", file=sys.stderr)
    return Figures(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                   proc.returncode == 0)


def _sum(parts: list[Figures]) -> Figures:
    return Figures(sum(p.wall_s for p in parts), sum(p.cpu_s for p in parts),
                   max(p.rss_mb for p in parts), all(p.ok for p in parts))


def _dataset(folder: Path, n: int) -> Path:
    path = folder / "peers.jsonl"
    words = ("revenue margin segment growth cash flow capital fiscal company reported net sales "
             "compared prior period driven higher lower costs year").split()
    path.write_text("".join(json.dumps({
        "id": f"p{i:05d}", "source_prompt": " ".join([f"q{i}", *words[:WORDS - 1]]),
        "ground_truth": "revenue"}) + "\n" for i in range(n)), encoding="utf-8")
    return path


def _extract(ref: str, into: Path) -> Path:
    """The ``src/`` tree of git revision ``ref``, written under ``into``."""
    root = Path(__file__).resolve().parents[1]
    data = subprocess.run(["git", "-C", str(root), "archive", ref, "src"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def _start_server(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    code = "from agility.testing.fake_openai import main; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, "--ttft-ms", str(TTFT_MS),
                             "--token-delay-ms", str(TOKEN_DELAY_MS), "--delay-whole-answers"],
                            stdout=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    return proc, line.split()[-1]


def _installed(python: str, module: str) -> bool:
    """Whether ``python`` can import ``module`` (found, not imported)."""
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return subprocess.run([python, "-c", code], capture_output=True).returncode == 0


def _harnesses(base_url: str, dataset: Path, conc: int, folder: Path, env: dict[str, str],
               peers_python: str, promptfoo: str | None,
               ref: tuple[str, Path] | None = None) -> dict[str, object]:
    py = sys.executable
    counter = iter(range(10**6))

    def agility_run(score: bool, src: Path | None = None) -> Figures:
        store = folder / f"s{next(counter)}.db"
        run_env = env if src is None else {**env, "PYTHONPATH": str(src)}
        run = [py, "-m", "agility", "run", "--dataset", str(dataset), "--model",
               "openai/gpt-4o-mini", "--base-url", base_url, "--name", "peers", "--concurrency",
               str(conc), "--store", str(store)]
        parts = [_process(run, run_env)]
        if score:
            parts.append(_process([py, "-m", "agility", "score", "peers", "--metrics",
                                   "contains", "--store", str(store)], run_env))
        store.unlink(missing_ok=True)
        return _sum(parts)

    common = [base_url, str(dataset), str(conc)]
    harnesses: dict[str, object] = {
        "bare aiohttp client (the floor)": lambda: _process([py, "-c", BARE_AIOHTTP, *common],
                                                            env),
        "openai SDK loop, non-stream": lambda: _process([py, "-c", OPENAI_SDK, *common, "whole"],
                                                        env),
        "openai SDK loop, stream": lambda: _process([py, "-c", OPENAI_SDK, *common, "stream"],
                                                    env),
        "**agility run** (streams, records TTFT, tokens, cost)": lambda: agility_run(False),
        "agility run + score (`contains`), two processes": lambda: agility_run(True),
    }
    if ref is not None:
        label, src = ref
        harnesses[f"agility run, code of {label}"] = lambda: agility_run(False, src)
        harnesses[f"agility run + score, code of {label}"] = lambda: agility_run(True, src)
    where = "" if peers_python == py else f" in {peers_python}"
    harnesses["litellm SDK loop, non-stream"] = (
        (lambda: _process([peers_python, "-c", LITELLM, *common], env))
        if _installed(peers_python, "litellm") else f"not installed{where}")
    harnesses["inspect-ai eval (generate, `includes` scorer)"] = (
        (lambda: _process([peers_python, "-c", INSPECT_AI, *common,
                           str(folder / f"inspect{next(counter)}")], env))
        if _installed(peers_python, "inspect_ai") else f"not installed{where}")
    if promptfoo is None:
        harnesses["promptfoo eval (`contains` assertion)"] = "not installed"
    else:
        config = _promptfoo_config(folder, base_url, dataset, conc)
        harnesses["promptfoo eval (`contains` assertion)"] = lambda: _process(
            [promptfoo, "eval", "--config", str(config), "--no-cache", "--no-table",
             "--no-progress-bar", "--max-concurrency", str(conc), "--output",
             str(folder / f"promptfoo{next(counter)}.json")],
            {**env, "PROMPTFOO_CONFIG_DIR": str(folder / "promptfoo"),
             "PROMPTFOO_DISABLE_TELEMETRY": "1", "PROMPTFOO_DISABLE_UPDATE": "1",
             "PROMPTFOO_DISABLE_SHARING": "1"})
    return harnesses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peers-python", default=sys.executable,
                        help="the interpreter that has litellm and inspect-ai (default: this one)")
    parser.add_argument("--ref", help="also run agility with the src/ tree of this git revision "
                                      "(before/after in one run)")
    parser.add_argument("--promptfoo", default=shutil.which("promptfoo"),
                        help="the promptfoo command (default: promptfoo on the PATH)")
    args = parser.parse_args()
    promptfoo = args.promptfoo if args.promptfoo and shutil.which(args.promptfoo) else None
    ideal = args.examples / args.concurrency * (TTFT_MS + (WORDS - 1) * TOKEN_DELAY_MS) / 1000
    env = {**os.environ, "OPENAI_API_KEY": "sk-bench", "BENCH_API_KEY": "sk-bench",
           "COLUMNS": "100",
           "PYTHONPATH": os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[1]
                                                         / "src"),
                                                     os.environ.get("PYTHONPATH")) if p)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    load_before = os.getloadavg()
    server, base_url = _start_server(env)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
            dataset = _dataset(folder, args.examples)
            ref = None if args.ref is None else (args.ref, _extract(args.ref, folder / "ref"))
            harnesses = _harnesses(base_url, dataset, args.concurrency, folder, env,
                                   args.peers_python, promptfoo, ref)
            runnable = {k: v for k, v in harnesses.items() if callable(v)}
            for job in runnable.values():  # warm byte-code caches and the server, unmeasured
                job()
            figures: dict[str, list[Figures]] = {name: [] for name in runnable}
            for _ in range(args.repeats):
                for name, job in runnable.items():
                    figures[name].append(job())  # type: ignore[operator]
    finally:
        server.terminate()
        server.wait()
    load_after = os.getloadavg()
    print(f"{args.examples} prompts, concurrency {args.concurrency}, server {TTFT_MS:.0f} ms to "
          f"first token and {TTFT_MS + (WORDS - 1) * TOKEN_DELAY_MS:.0f} ms per answer; ideal "
          f"{ideal:.2f} s; median of {args.repeats} interleaved repetitions")
    print(f"load average (1, 5, 15 min): before {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f}; after {load_after[0]:.2f} {load_after[1]:.2f} "
          f"{load_after[2]:.2f}; {os.cpu_count()} cores\n")
    bare = statistics.median(f.wall_s for f in figures["bare aiohttp client (the floor)"])
    print("| harness | wall s | wall / ideal | wall / bare client | CPU ms per sample "
          "(whole process) | peak RSS MB | all runs ok |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, job in harnesses.items():
        if not callable(job):
            print(f"| {name} | {job} | | | | | |")
            continue
        runs = figures[name]
        wall = statistics.median(f.wall_s for f in runs)
        cpu = statistics.median(f.cpu_s for f in runs)
        rss = statistics.median(f.rss_mb for f in runs)
        print(f"| {name} | {wall:.2f} | {wall / ideal:.2f}x | {wall / bare:.2f}x | "
              f"{cpu / args.examples * 1000:.2f} | {rss:.0f} | "
              f"{'yes' if all(f.ok for f in runs) else 'NO'} |")


if __name__ == "__main__":
    main()
