"""The fake OpenAI server as a separate process that appends each request's example id to a file.

Used by the kill -9 test: ``python _logging_server.py LOGFILE --ttft-ms 30`` prints
``listening URL`` once it serves.
"""

from __future__ import annotations

import argparse
import re
import threading
from typing import Any

from agility.testing import FakeOpenAIServer

ID_PATTERN = re.compile(r"\bex-\d{3}\b")


class LoggingServer(FakeOpenAIServer):
    def __init__(self, log_path: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._log = open(log_path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        self._log_lock = threading.Lock()

    async def handle(self, request: Any, responder: Any) -> None:
        text = request.body.decode("utf-8", "replace") if request.body else ""
        match = ID_PATTERN.search(text)
        if match:
            with self._log_lock:
                self._log.write(match.group(0) + "\n")
                self._log.flush()
        await super().handle(request, responder)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("--ttft-ms", type=float, default=0.0)
    args = parser.parse_args()
    server = LoggingServer(args.log, ttft_ms=args.ttft_ms)
    server.serve_forever(lambda: print(f"listening {server.base_url}", flush=True))


if __name__ == "__main__":
    main()
