"""The CPU the canary gateway's audit log costs per proxied call (``governance.CallLog``).

    python benchmarks/call_log_bench.py [--calls 5000] [--store PATH_OR_URL] [--mask]

Records ``--calls`` gateway-shaped calls (the same system message, a user message and a
short answer of their own, the question naming an e-mail address and a phone number) and
measures, in CPU time of this process (``time.process_time``: what the machine's load
disturbs least):

- ``record``: what a request pays on its path (the call appended to the queue);
- ``write``: what the writer thread pays per call to build, (mask,) and commit the chained
  event, in batches of 512 (here run in the calling thread, so its CPU is counted alone).

``--mask`` masks with a Presidio policy (EMAIL_ADDRESS, PHONE_NUMBER, US_SSN, hash): the
cost a privacy policy adds to the writer. Prints the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from agility.governance import CallLog
from agility.store import Store

SYSTEM = {"role": "system", "content": "Answer briefly. Never give investment advice."}


def messages(i: int) -> list[dict[str, str]]:
    """Call ``i``'s messages: the same system prompt, a question of its own."""
    return [SYSTEM, {"role": "user", "content": f"What was the revenue in quarter {i}? Write "
                                                f"to jane.doe{i}@example.com or call "
                                                f"415-555-{i % 10000:04d}."}]


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--store", help="a store path or postgresql:// URL (default: a "
                                        "new SQLite file)")
    parser.add_argument("--mask", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {load()}")
    mask = None
    if args.mask:
        from agility.governance import PiiMasker

        mask = PiiMasker(["EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN"], "hash").mask
        mask("warm up jane@example.com")  # loads Presidio outside the measurement
    with tempfile.TemporaryDirectory() as tmp:
        location = args.store or str(Path(tmp) / "audit.db")
        with Store(location) as store:
            log = CallLog(store, "bench-rollout", mask=mask)  # not started: close() writes
            calls = [messages(i) for i in range(args.calls)]
            started = time.process_time()
            for i in range(args.calls):
                log.record(model="openai/gpt-4o-mini", messages=calls[i],
                           response=f"Revenue in quarter {i} was ${i}.5 million.",
                           request_id=f"r{i}",
                           actor="client", extra={"via": "gateway", "arm": "source",
                                                  "stage": "1", "stream": False,
                                                  "latency_ms": 1.5})
            recorded = time.process_time()
            log.close()
            written = time.process_time()
            assert log.written == args.calls and store.verify_audit().ok
    per = 1000.0 / args.calls
    print(f"calls {args.calls}, store {'given' if args.store else 'SQLite'}, "
          f"mask {'presidio' if mask else 'none'}: record "
          f"{(recorded - started) * per * 1000:.1f} us/call on the request path, write "
          f"{(written - recorded) * per:.3f} ms CPU/call in the writer thread")
    print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()
