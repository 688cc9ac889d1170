"""The audit log of model calls made on a request path (the canary gateway), kept off it.

A gateway answers each request in a few milliseconds; masking a prompt with Presidio and a
chained insert into the store take longer than that. :class:`CallLog` takes each call as it
is (:meth:`CallLog.record` appends a tuple to a list: no masking, no I/O) and a writer thread
masks the texts and writes the events in batches, one transaction per batch, each event with
the time of its call.

What can be lost: nothing on a clean shutdown (:meth:`CallLog.close` writes every call
recorded before it returns, retrying a store that refuses a write until its deadline, then
logging how many calls it could not write). A ``kill -9`` (or a power cut) loses the calls
recorded and not yet committed: those of the last ``flush_every_s`` (50 ms by default) plus
the batch being written, at most ``max_backlog`` calls when the store is slower than the
traffic. When the backlog reaches ``max_backlog``, :meth:`CallLog.wait_for_room` holds new
requests until the writer catches up: the audit trail is never thinned to keep latency.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from agility.governance._privacy import model_call_event
from agility.store import Store, utc_now

__all__ = ["CallLog"]

_log = logging.getLogger(__name__)

TextMask = Callable[[str], str]
#: (time, actor, model, messages, response, error, request_id, extra)
_Call = tuple[str, str | None, str, Sequence[Any], str | None, str | None, str | None,
              dict[str, Any]]


class CallLog:
    """Writes ``model.call`` audit events for ``subject`` from a thread, in batches.

    Args:
        store: the store (thread-safe: it serialises its connection).
        subject: the events' object (the rollout's name).
        mask: applied to every text before it is written (a privacy policy's ``store``
            mask); None: written as sent.
        flush_every_s: the longest a recorded call waits before its batch is written.
        max_batch: most events in one transaction.
        max_backlog: calls waiting to be written above which new requests wait.
        retry_s: the pause before a refused write is tried again.
    """

    def __init__(self, store: Store, subject: str, *, mask: TextMask | None = None,
                 flush_every_s: float = 0.05, max_batch: int = 512,
                 max_backlog: int = 20_000, retry_s: float = 1.0) -> None:
        self.store, self.subject = store, subject
        self.mask = None if mask is None else _Repeats(mask)
        self.flush_every_s, self.max_batch = flush_every_s, max_batch
        self.max_backlog, self.retry_s = max_backlog, retry_s
        self._pending: list[_Call] = []
        self._in_flight = 0
        # a doorbell: a plain lock held while nobody rang. Waiting on it allocates nothing
        # (a Condition makes a lock per wait), so an idle writer holds no short-lived objects
        # (the gateway freezes the objects alive when it starts out of the collector)
        self._bell = threading.Lock()
        self._bell.acquire()
        self._state = threading.Lock()  # guards _room and _closing
        self._closing = False
        self._deadline = 0.0
        self._thread: threading.Thread | None = None
        self._room: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        #: events committed so far
        self.written = 0
        #: calls that could not be written before :meth:`close`'s deadline (logged)
        self.lost = 0

    @property
    def backlog(self) -> int:
        """Calls recorded and not yet committed."""
        return len(self._pending) + self._in_flight

    def start(self) -> None:
        """Start the writer thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="agility-call-log",
                                            daemon=True)
            self._thread.start()

    def record(self, *, model: str, messages: Sequence[Any], response: str | None,
               error: str | None = None, request_id: str | None = None,
               actor: str | None = None, extra: dict[str, Any] | None = None) -> None:
        """Queue one call (cheap: the texts are masked and written by the writer thread).

        Args:
            model: ``provider/model``.
            messages: the messages as the client sent them (``Message`` objects or dicts).
            response: the answer's text (None: the call failed).
            error: the failure, if any.
            request_id: the provider's request id.
            actor: who made the call (None: the process's actor).
            extra: more payload fields (arm, stage, latency).
        """
        call = (utc_now(), actor, model, messages, response, error, request_id, extra or {})
        self._pending.append(call)  # list.append is atomic: no lock on the request path
        if len(self._pending) >= self.max_batch:
            self._ring()

    async def wait_for_room(self) -> None:
        """Return at once unless ``max_backlog`` calls wait to be written; then when the
        writer has caught up (back-pressure instead of dropping audit events)."""
        if self.backlog < self.max_backlog or self._thread is None:
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._state:
            self._room.append((loop, future))
        self._ring()
        await future

    def close(self, timeout_s: float = 30.0) -> None:
        """Write every call recorded so far and stop the thread (blocks; call it from a
        worker thread inside an event loop). A store still refusing writes after
        ``timeout_s`` leaves the rest unwritten: their number is logged and kept in
        :attr:`lost`."""
        if self._thread is None:
            self._write_all(time.monotonic() + timeout_s)
            return
        with self._state:
            self._closing = True
            self._deadline = time.monotonic() + timeout_s
        self._ring()
        self._thread.join()
        self._thread = None

    def _ring(self) -> None:
        """Wake the writer (a ring stays until the writer hears it: none is lost)."""
        try:
            self._bell.release()
        except RuntimeError:
            pass  # already rung

    # -- the writer thread -----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            if not self._closing and len(self._pending) < self.max_batch and not self._room:
                self._bell.acquire(timeout=self.flush_every_s)
            if self._closing:
                self._write_all(self._deadline)
                self._release_waiters()
                return
            if self._pending and not self._write_batch():
                # the store refused: keep the calls, try again later (or at the close)
                self._bell.acquire(timeout=self.retry_s)
            self._release_waiters()

    def _take(self) -> list[_Call]:
        batch = self._pending[:self.max_batch]
        del self._pending[:len(batch)]
        self._in_flight = len(batch)
        return batch

    def _write_batch(self) -> bool:
        """Mask and write one batch; on failure the calls go back to the front of the queue."""
        batch = self._take()
        try:
            events = [model_call_event(
                subject=self.subject, model=model, messages=messages, response=response,
                error=error, request_id=request_id, mask=self.mask, extra=extra, actor=actor,
                created_at=when)
                for when, actor, model, messages, response, error, request_id, extra in batch]
            self.store.log_events(events)
        except Exception as exc:  # noqa: BLE001 - kept and retried; the gateway serves on
            self._pending[:0] = batch
            _log.error("audit log: cannot write %d model call event(s) yet (%s); kept in "
                       "memory and retried", len(batch), exc)
            return False
        finally:
            self._in_flight = 0
        self.written += len(batch)
        return True

    def _write_all(self, deadline: float) -> None:
        while self._pending:
            if self._write_batch():
                continue
            if time.monotonic() >= deadline:
                self.lost = len(self._pending)
                self._pending.clear()
                _log.error("audit log: %d model call event(s) could not be written before "
                           "the shutdown deadline and are lost", self.lost)
                return
            time.sleep(min(self.retry_s, max(0.0, deadline - time.monotonic())))

    def _release_waiters(self) -> None:
        if not self._room or (self.backlog >= self.max_backlog and not self._closing):
            return
        with self._state:
            waiting, self._room = self._room, []
        for loop, future in waiting:
            loop.call_soon_threadsafe(_resolve, future)


class _Repeats:
    """A mask that remembers its last few hundred short texts: a gateway's system prompt
    comes with every call, and Presidio takes milliseconds per text (a mask gives the same
    text the same result: redact, a keyed hash, a pseudonym numbered once)."""

    def __init__(self, mask: TextMask, size: int = 256, longest: int = 4096) -> None:
        self.mask, self.size, self.longest = mask, size, longest
        self.seen: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        if len(text) > self.longest:
            return self.mask(text)
        masked = self.seen.get(text)
        if masked is None:
            masked = self.mask(text)
            if len(self.seen) >= self.size:
                del self.seen[next(iter(self.seen))]  # the oldest
            self.seen[text] = masked
        return masked


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
