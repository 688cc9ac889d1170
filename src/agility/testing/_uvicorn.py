"""Serve any ASGI app with uvicorn on 127.0.0.1 in a background thread, for tests.

The app runs under the same server it runs under in production (uvicorn), on a free port;
``with UvicornServer(app) as server: server.url`` is its base URL. Start-up waits for
uvicorn's own ``started`` flag rather than sleeping.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

__all__ = ["UvicornServer"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class UvicornServer:
    """An ASGI app served by uvicorn on ``127.0.0.1:<free port>`` until the block ends.

    Args:
        app: the ASGI app.
        start_timeout_s: how long to wait for the server to accept connections.
    """

    def __init__(self, app: Any, *, start_timeout_s: float = 20.0) -> None:
        import uvicorn

        self.port = _free_port()
        self._config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                      lifespan="on", access_log=False)
        self._server = uvicorn.Server(self._config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._timeout = start_timeout_s

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> UvicornServer:
        self._thread.start()
        deadline = time.monotonic() + self._timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on port {self.port}")
            time.sleep(0.01)  # uvicorn exposes a flag, not an event, for "started"
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
