"""Process settings for a long-running server (the canary gateway, the review app).

Two of CPython's and glibc's defaults suit a batch job and hurt a server:

- the GIL switch interval (5 ms): the servers' bookkeeping threads (the audit writer, the
  store's flushes, the slow-hash pool) take the interpreter lock from the event loop, and
  CPython hands it back only after the interval, so a request waits up to 5 ms behind them
  (the gateway's streamed p99; figures in benchmarks/README.md). 0.5 ms bounds that wait.
- glibc's sliding mmap threshold: a freed 16 MiB scrypt buffer (a token or password check)
  raises the threshold past its size, so the next one comes from the thread's arena and stays
  resident after it is freed: each slow-hash thread then kept 16 MiB for good. A fixed
  threshold keeps such buffers mapped on their own and returned to the system when freed.

Both servers also bind their port with :func:`bind` before they print that they listen or
start uvicorn, so a taken port is one clear error, not a success line followed by uvicorn's.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import socket
import sys
from collections.abc import Iterator

from agility.errors import InvalidArgument

__all__ = ["SWITCH_INTERVAL_S", "bind", "serving"]

#: the GIL switch interval while serving (seconds; CPython's default is 0.005)
SWITCH_INTERVAL_S = 0.0005
#: allocations of at least this many bytes are mapped on their own (glibc's default start)
_MMAP_THRESHOLD = 1 << 20
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def _fix_mmap_threshold() -> bool:
    """Stop glibc's sliding mmap threshold; False where there is no glibc (musl, macOS)."""
    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD))
    except (OSError, AttributeError):
        return False


def bind(host: str, port: int, *, backlog: int = 2048) -> socket.socket:
    """A listening socket on ``host:port`` (``port=0`` picks a free one), for uvicorn's
    ``sockets=``; connections wait in the backlog until uvicorn accepts them.

    Raises:
        InvalidArgument: ``host`` is not an address of this machine, or the port is taken.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise InvalidArgument("host", host, "must be an address of this machine") from exc
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRNOTAVAIL:  # a real address, of another machine
            raise InvalidArgument("host", host, "must be an address of this machine") from exc
        reason = exc.strerror or str(exc)
        raise InvalidArgument("port", port, f"must be free on {host} ({reason})") from exc
    return sock


def url_of(host: str, sock: socket.socket) -> str:
    """``http://HOST:PORT`` of a bound socket (an IPv6 host in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{sock.getsockname()[1]}"


@contextlib.contextmanager
def serving() -> Iterator[None]:
    """Apply the server settings above for the block (the switch interval is restored after;
    the allocator's threshold stays fixed, which costs a batch job nothing)."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    _fix_mmap_threshold()
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
