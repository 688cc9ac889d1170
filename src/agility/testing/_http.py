"""A tiny HTTP/1.1 server on a background thread, the base of the fake provider servers.

Hand-written on :func:`asyncio.start_server` so the fakes need no web framework and their
timing is precise: delays are ``asyncio.sleep`` calls on the server's own event loop, which
runs in its own thread, so a busy client loop cannot skew them. Supports keep-alive,
``Content-Length`` and chunked request bodies, and chunked (streamed) responses.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["BackgroundHTTPServer", "HTTPRequest", "HTTPResponder"]

_REASONS = {
    200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable", 529: "Overloaded",
}


@dataclass
class HTTPRequest:
    """One parsed request: method, path (without query), query, lower-case headers, body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    extras: dict[str, Any] = field(default_factory=dict)

    def json(self) -> Any:
        """The body decoded as JSON (``{}`` when empty)."""
        return json.loads(self.body) if self.body else {}


class HTTPResponder:
    """Writes one response on a connection: whole, or streamed with chunked encoding."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.aborted = False

    def _head(self, status: int, headers: dict[str, str]) -> bytes:
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def send(self, status: int, body: bytes | str | Any,
                   headers: dict[str, str] | None = None,
                   content_type: str = "application/json") -> None:
        """Send a complete response; a non-bytes, non-str ``body`` is encoded as JSON."""
        if isinstance(body, str):
            data = body.encode()
        elif isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body).encode()
        head = {"content-type": content_type, "content-length": str(len(data)), **(headers or {})}
        self._writer.write(self._head(status, head) + data)
        await self._writer.drain()

    async def start_stream(self, status: int, headers: dict[str, str] | None = None,
                           content_type: str = "text/event-stream") -> None:
        """Send the status line and headers of a chunked response."""
        head = {"content-type": content_type, "transfer-encoding": "chunked",
                "cache-control": "no-cache", **(headers or {})}
        self._writer.write(self._head(status, head))
        await self._writer.drain()

    async def write_chunk(self, data: bytes | str) -> None:
        """Send one chunk of a streamed response (flushed at once)."""
        raw = data.encode() if isinstance(data, str) else data
        if raw:
            self._writer.write(b"%x\r\n%s\r\n" % (len(raw), raw))
            await self._writer.drain()

    async def end_stream(self) -> None:
        """Send the terminating zero-length chunk."""
        self._writer.write(b"0\r\n\r\n")
        await self._writer.drain()

    def abort(self) -> None:
        """Drop the connection without finishing the response."""
        self.aborted = True
        self._writer.transport.abort()


class BackgroundHTTPServer:
    """An HTTP server on 127.0.0.1 served by its own event loop in a daemon thread.

    Subclasses implement :meth:`handle`. Use as a context manager, or call :meth:`start` and
    :meth:`stop`. ``port=0`` picks a free port; :attr:`port` holds the one bound.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._ready = threading.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._startup_error: BaseException | None = None
        #: TCP connections accepted so far (a client that reuses connections keeps it low)
        self.connections_opened = 0
        #: responses the client walked away from: the connection was gone before the last byte
        #: could be written (a client that cancels a stream shows up here)
        self.responses_abandoned = 0

    async def handle(self, request: HTTPRequest, responder: HTTPResponder) -> None:
        """Answer one request (subclasses override)."""
        await responder.send(404, {"error": {"message": f"no route {request.path}"}})

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> BackgroundHTTPServer:
        """Start serving; returns once the port is bound."""
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._startup_error is not None:
            raise self._startup_error
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection. Safe to call twice."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def serve_forever(self, on_ready: Callable[[], None] | None = None) -> None:
        """Serve on the calling thread until interrupted (for ``python -m`` use).

        Args:
            on_ready: called once the port is bound (e.g. to print the address).
        """
        asyncio.run(self._serve_until_cancelled(on_ready))

    async def _serve_until_cancelled(self, on_ready: Callable[[], None] | None) -> None:
        await self._bind()
        if on_ready is not None:
            on_ready()
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._bind())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._startup_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    async def _bind(self) -> None:
        self._server = await asyncio.start_server(self._on_connection, self.host, self.port,
                                                  backlog=1024, limit=2**22)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        asyncio.get_running_loop().call_soon(asyncio.get_running_loop().stop)

    # -- connections -----------------------------------------------------------------------
    async def _on_connection(self, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections_opened += 1  # only the server's loop thread writes it
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                responder = HTTPResponder(writer)
                try:
                    await self.handle(request, responder)
                except ConnectionError:
                    self.responses_abandoned += 1  # only the server's loop thread writes it
                    raise
                if responder.aborted or request.headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            # shutting down; returning (not re-raising) keeps asyncio from logging the task
            writer.transport.abort()
        finally:
            self._tasks.discard(task)
            if not writer.transport.is_closing():
                writer.close()


async def _read_request(reader: asyncio.StreamReader) -> HTTPRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
    parts = urlsplit(target)
    return HTTPRequest(method=method, path=parts.path, query=parse_qs(parts.query),
                       headers=headers, body=body)
