"""TTFT error, taken apart: how much is the server's, how much the client's (issue 20, goal 5).

    python benchmarks/ttft_error.py [--examples 2000] [--concurrency 64] [--ttft-ms 50]
                                    [--workers 1 2] [--pin] [--repeats 2]

The fake OpenAI server (``agility.testing.fake_openai``, the one every other benchmark uses)
runs in ``--workers`` processes sharing one port (``SO_REUSEPORT``: the kernel spreads the
connections), each timing every request it answers: when the request was read, and when the
first content chunk was handed to the kernel. ``--pin`` puts the servers on CPU 1 and this
process (the client) on CPU 0. Clients: ``agility run`` (``run_model``, the real ``openai/``
provider over aiohttp, uvloop when installed, a real SQLite store), the ``openai/`` provider
alone (the same calls without the runner and the store) and a minimal keep-alive HTTP/1.1
client on raw asyncio streams that does nothing else (the floor). Each request is
joined to the server's record by its ``x-request-id``:

- error  = the TTFT the client measured - the delay the server was told (``--ttft-ms``);
- server = (first content chunk written - request read) - the delay: the server's own lateness
  (its event loop busy writing other responses);
- rest   = error - server: the request's way in (sending, the server reading it), the first
  chunk's way back, and the time before the client looked at the bytes.

The raw client's rest is what loopback, the kernel and the server's reading cost; agility's
rest minus the raw client's, in the same configuration, is the part that is agility's own.
Percentiles are nearest-rank over every request of the configuration's runs.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from agility.runner import RetryPolicy, percentile, run_model
from agility.store import Store
from agility.testing._http import HTTPRequest, HTTPResponder
from agility.testing.fake_openai import FakeOpenAIServer

# -- the server side (a worker process) ---------------------------------------------------

class _TimedResponder:
    """Passes everything to the real responder; notes the request id and when the first
    content chunk (the second chunk of a stream: the first carries the role) was written."""

    def __init__(self, inner: HTTPResponder) -> None:
        self._inner, self.request_id, self.first_content = inner, None, None
        self._chunks = 0

    async def start_stream(self, status: int, headers: dict[str, str] | None = None,
                           **kwargs: Any) -> None:
        self.request_id = (headers or {}).get("x-request-id")
        await self._inner.start_stream(status, headers, **kwargs)

    async def write_chunk(self, data: bytes | str) -> None:
        await self._inner.write_chunk(data)
        self._chunks += 1
        if self._chunks == 2:
            self.first_content = time.monotonic()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _TimedServer(FakeOpenAIServer):
    def __init__(self, worker: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._ids = itertools.count(worker * 10_000_000 + 1)  # ids unique across workers
        self.timings: dict[str, tuple[float, float]] = {}

    async def _bind(self) -> None:
        self._server = await asyncio.start_server(self._on_connection, self.host, self.port,
                                                  backlog=1024, limit=2**22, reuse_port=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def handle(self, request: HTTPRequest, responder: HTTPResponder) -> None:
        received = time.monotonic()
        timed = _TimedResponder(responder)
        await super().handle(request, timed)  # type: ignore[arg-type]
        if timed.request_id is not None and timed.first_content is not None:
            self.timings[timed.request_id] = (received, timed.first_content)


def _serve(port: int, worker: int, ttft_ms: float, out: Path, cpus: set[int] | None) -> None:
    if cpus:
        os.sched_setaffinity(0, cpus)
    server = _TimedServer(worker, ttft_ms=ttft_ms, port=port)

    def dump(*_: object) -> None:
        out.write_text(json.dumps(server.timings), encoding="utf-8")
        os._exit(0)

    signal.signal(signal.SIGTERM, dump)
    server.serve_forever(lambda: print(f"listening {server.port}", flush=True))


class _Servers:
    """``workers`` server processes on one port; :meth:`stop` collects their timings."""

    def __init__(self, workers: int, ttft_ms: float, folder: Path, pin: bool) -> None:
        self.procs: list[subprocess.Popen[str]] = []
        self.files = [folder / f"timings-{w}.json" for w in range(workers)]
        port = 0
        for w in range(workers):
            args = [sys.executable, __file__, "--serve", str(port), "--worker", str(w),
                    "--ttft-ms", str(ttft_ms), "--timings", str(self.files[w])]
            if pin:
                args += ["--cpus", "1"]
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
            self.procs.append(proc)
            line = proc.stdout.readline()  # type: ignore[union-attr]
            port = int(line.split()[-1])
        self.base_url = f"http://127.0.0.1:{port}/v1"
        self.port = port

    def stop(self) -> dict[str, tuple[float, float]]:
        timings: dict[str, tuple[float, float]] = {}
        for proc, path in zip(self.procs, self.files, strict=True):
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
            timings.update({k: tuple(v) for k, v in json.loads(path.read_text()).items()})
        return timings


# -- the clients --------------------------------------------------------------------------

def _dataset(folder: Path, n: int) -> Path:
    path = folder / "ttft.jsonl"
    path.write_text("".join(json.dumps({"id": f"t{i:05d}", "source_prompt": f"Filing {i}?",
                                        "ground_truth": "x"}) + "\n" for i in range(n)),
                    encoding="utf-8")
    return path


def _agility(dataset: Path, base_url: str, concurrency: int, store: Store,
             name: str) -> dict[str, float]:
    """TTFT (ms) by request id, as ``agility run`` measured and stored it."""
    run_model(dataset, "openai/gpt-4o-mini", name=name, store=store,
              provider_options={"base_url": base_url}, concurrency=concurrency,
              progress=False, retry=RetryPolicy(max_attempts=1))
    run = store.require_run(name)
    return {r.request_id: r.ttft_ms for r in store.results(run.id)
            if r.request_id is not None and r.ttft_ms is not None}


def _provider(base_url: str, n: int, concurrency: int) -> dict[str, float]:
    """TTFT (ms) by request id as the ``openai/`` provider alone measures it (no runner, no
    store), on the runner's event loop (uvloop when installed)."""
    from agility._sync import run_sync
    from agility.chat import ChatRequest, Message
    from agility.providers import OpenAIProvider

    async def calls() -> dict[str, float]:
        provider = OpenAIProvider("gpt-4o-mini", {"base_url": base_url,
                                                  "max_connections": concurrency})
        pending, seen = iter(range(n)), {}

        async def worker() -> None:
            for i in pending:
                done = await provider.complete(ChatRequest(messages=[
                    Message(role="user", content=f"Filing {i}?")]))
                if done.request_id is not None and done.ttft_ms is not None:
                    seen[done.request_id] = done.ttft_ms

        try:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        finally:
            await provider.aclose()
        return seen

    return run_sync(calls())


async def _raw(port: int, n: int, concurrency: int) -> dict[str, float]:
    """TTFT (ms) by request id as a minimal raw-asyncio HTTP/1.1 client sees it."""
    pending, seen = iter(range(n)), {}

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in pending:
            body = json.dumps({"model": "m", "stream": True, "messages": [
                {"role": "user", "content": f"Filing {i}?"}]}).encode()
            started, first, request_id = time.perf_counter(), None, None
            writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: "
                         b"application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"x-request-id:"):
                    request_id = line.split(b":", 1)[1].strip().decode()
            while size := int((await reader.readline()).strip(), 16):
                data = await reader.readexactly(size + 2)
                if first is None and b'"content": "' in data and b'"content": ""' not in data:
                    first = time.perf_counter()
            await reader.readline()
            if first is not None and request_id is not None:
                seen[request_id] = (first - started) * 1000.0
        writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return seen


# -- the figures --------------------------------------------------------------------------

def _parts(measured: dict[str, float], timings: dict[str, tuple[float, float]],
           ttft_ms: float) -> dict[str, list[float]]:
    parts: dict[str, list[float]] = {"error": [], "server": [], "rest": []}
    for request_id, ttft in measured.items():
        if request_id not in timings:
            continue
        received, written = timings[request_id]
        error = ttft - ttft_ms
        server = (written - received) * 1000.0 - ttft_ms
        parts["error"].append(error)
        parts["server"].append(server)
        parts["rest"].append(error - server)
    return parts


def _p(values: Iterable[float], q: float) -> float:
    return float(percentile(list(values), q))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--ttft-ms", type=float, default=50.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--pin", action="store_true",
                        help="servers on CPU 1, this client on CPU 0")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-provider", action="store_true",
                        help="leave out the provider-alone client (e.g. to measure an older "
                             "tree, whose provider API differs, through PYTHONPATH)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--timings", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cpus", type=str, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        cpus = {int(c) for c in args.cpus.split(",")} if args.cpus else None
        _serve(args.serve, args.worker, args.ttft_ms, args.timings, cpus)
        return
    if args.pin:
        os.sched_setaffinity(0, {0})
    print(f"load average before: {_load()}  ({time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())}"
          f" UTC); {args.examples} requests at concurrency {args.concurrency}, server told "
          f"{args.ttft_ms:g} ms, {args.repeats} run(s) per client and configuration"
          f"{', servers pinned to CPU 1, client to CPU 0' if args.pin else ''}")
    header = ("| server processes | client | requests | error p50 / p99 ms | server's part "
              "p50 / p99 ms | rest p50 / p99 ms |")
    rows, own = [header, "|---|---|---:|---:|---:|---:|"], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dataset = _dataset(folder, args.examples)
        for workers in args.workers:
            servers = _Servers(workers, args.ttft_ms, folder, args.pin)
            measured: dict[str, dict[str, float]] = {"agility run": {}, "openai/ provider": {},
                                                     "raw asyncio": {}}
            if args.no_provider:
                del measured["openai/ provider"]
            try:
                with Store(folder / f"w{workers}.db") as store:
                    _agility(dataset, servers.base_url, args.concurrency, store, "warm-up")
                    for repeat in range(args.repeats):
                        measured["agility run"].update(_agility(
                            dataset, servers.base_url, args.concurrency, store, f"r{repeat}"))
                        if not args.no_provider:
                            measured["openai/ provider"].update(_provider(
                                servers.base_url, args.examples, args.concurrency))
                        measured["raw asyncio"].update(asyncio.run(
                            _raw(servers.port, args.examples, args.concurrency)))
            finally:
                timings = servers.stop()
            parts = {client: _parts(values, timings, args.ttft_ms)
                     for client, values in measured.items()}
            for client, p in parts.items():
                rows.append(
                    f"| {workers} | {client} | {len(p['error'])} | "
                    f"{_p(p['error'], 50):.2f} / {_p(p['error'], 99):.2f} | "
                    f"{_p(p['server'], 50):.2f} / {_p(p['server'], 99):.2f} | "
                    f"{_p(p['rest'], 50):.2f} / {_p(p['rest'], 99):.2f} |")
            floor = parts["raw asyncio"]["rest"]
            for client in [c for c in measured if c != "raw asyncio"]:
                mine = parts[client]["rest"]
                own.append(f"{workers} server process(es), {client}: its own (its rest minus "
                           f"the raw client's) p50 {_p(mine, 50) - _p(floor, 50):.2f} ms, "
                           f"p99 {_p(mine, 99) - _p(floor, 99):.2f} ms")
    print("\n".join(rows))
    print("\n".join(own))
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
