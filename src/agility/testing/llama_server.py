"""A real OpenAI-compatible server for tests and benchmarks: llama.cpp's, with the packaged
model.

:func:`llama_cpp_server` starts ``python -m llama_cpp.server`` (the ``local`` extra with
``llama-cpp-python[server]``) as :func:`agility.providers.llamacpp.server_command` sets it up,
on a free port of 127.0.0.1 with the packaged Gemma 3 270M GGUF, waits until ``/v1/models``
answers, yields the base URL, and stops the server. The server logs to a file, not a pipe
(llama.cpp logs a lot and a full pipe would block it).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

__all__ = ["LlamaServerError", "llama_cpp_server"]


class LlamaServerError(RuntimeError):
    """The llama.cpp server exited or did not answer in time; ``log`` holds its output."""

    def __init__(self, message: str, log: Path) -> None:
        super().__init__(f"{message}; its log is {log}")
        self.log = log


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def llama_cpp_server(*, n_ctx: int = 4096, alias: str = "gemma3-270m",
                     timeout_s: float = 180.0, log_dir: Path | None = None) -> Iterator[str]:
    """Run llama.cpp's OpenAI-compatible server with the packaged model.

    Args:
        n_ctx: the context window, in tokens.
        alias: the model name the server answers to (``openai/<alias>``).
        timeout_s: how long to wait for the server to answer.
        log_dir: where to write the server's log (a temporary folder by default).

    Yields:
        The base URL, ``http://127.0.0.1:<port>/v1``.

    Raises:
        LlamaServerError: the server exited or did not answer within ``timeout_s``.
    """
    from agility.providers.llamacpp import server_command

    port = _free_port()
    folder = log_dir or Path(tempfile.mkdtemp(prefix="llama-server-"))
    log_path = folder / "server.log"
    # the project's own command (chat format, context window, requests queue instead of
    # cutting each other's streams), as `agility serve-local` runs it
    command = server_command(port=port, n_ctx=n_ctx, alias=alias)
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "HF_HUB_OFFLINE": "1"})
        base_url = f"http://127.0.0.1:{port}/v1"
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    raise LlamaServerError("llama_cpp.server exited", log_path)
                if time.monotonic() > deadline:
                    raise LlamaServerError(f"llama_cpp.server did not answer within "
                                           f"{timeout_s:.0f} s", log_path)
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base_url}/models", timeout=1).status_code == 200:
                        break
                # the server gives no event to await while it loads the model: poll
                time.sleep(0.3)
            yield base_url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
