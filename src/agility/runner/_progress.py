"""The run's progress: a Rich bar on a terminal, plain lines otherwise.

On a terminal: done/total, errors, throttles and the current concurrency when the provider
throttled, running cost, ETA. When the output is a file or a pipe, a plain line goes to
stderr every 10% of the run or every 15 seconds, whichever comes first, so a log shows the run
moving.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

__all__ = ["RunProgress"]

_LINE_EVERY_S = 15.0


class _SharedDisplay:
    """One Rich display for the runs of a process: interleaved runs show one bar each in it
    (Rich allows a single live display at a time)."""

    progress: Progress | None = None
    users = 0

    @classmethod
    def acquire(cls, console: Console) -> Progress:
        if cls.progress is None:
            cls.progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("errors {task.fields[errors]}"),
                TextColumn("{task.fields[throttle]}"),
                TextColumn("cost {task.fields[cost]}"),
                TimeRemainingColumn(), console=console, transient=False)
            cls.progress.start()
        cls.users += 1
        return cls.progress

    @classmethod
    def release(cls) -> None:
        cls.users -= 1
        if cls.users == 0 and cls.progress is not None:
            cls.progress.stop()
            cls.progress = None


class RunProgress:
    """Progress of one run; does nothing when disabled."""

    def __init__(self, total: int, label: str, enabled: bool = True,
                 stream: TextIO | None = None) -> None:
        console = Console()
        self.total, self.label = total, label
        self.enabled = enabled
        self.done = self.errors = self.throttled = 0
        self.concurrency: int | None = None
        self.cost_usd, self.cost_known = 0.0, False
        self._progress: Progress | None = None
        self._stream = stream or sys.stderr
        self._lines = enabled and not console.is_terminal
        self._last_line = time.monotonic()
        self._next_share = 0.1
        self._shown = 0
        self._console = console if enabled and console.is_terminal else None

    def __enter__(self) -> RunProgress:
        if self._console is not None:
            self._progress = _SharedDisplay.acquire(self._console)
            self._task = self._progress.add_task(self.label, total=self.total, errors=0,
                                                 cost="n/a", throttle="")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress = None
            _SharedDisplay.release()
        elif self._lines and self.done and self._shown != self.done:
            self._line()

    def _cost_text(self) -> str:
        if not self.cost_known:
            return "n/a"
        return f"${self.cost_usd:.2f}" if self.cost_usd >= 1 else f"${self.cost_usd:.6f}"

    def _throttle_text(self) -> str:
        if not self.throttled:
            return ""
        limit = f", concurrency now {self.concurrency}" if self.concurrency is not None else ""
        return f"throttled {self.throttled}{limit}"

    def _line(self) -> None:
        parts = [f"{self.label}: {self.done}/{self.total} done", f"errors {self.errors}"]
        if self.throttled:
            parts.append(self._throttle_text())
        parts.append(f"cost {self._cost_text()}")
        print(", ".join(parts), file=self._stream, flush=True)
        self._last_line = time.monotonic()
        self._shown = self.done

    def advance(self, *, error: bool, cost_usd: float | None, throttled: int = 0,
                concurrency: int | None = None) -> None:
        """Count one finished example (``throttled``: the run's throttles so far)."""
        self.done += 1
        self.errors += int(error)
        self.throttled, self.concurrency = throttled, concurrency
        if cost_usd is not None:
            self.cost_usd += cost_usd
            self.cost_known = True
        if self._progress is not None:
            self._progress.update(self._task, advance=1, errors=self.errors,
                                  cost=self._cost_text(), throttle=self._throttle_text())
        elif self._lines and self.total:
            share = self.done / self.total
            if share >= self._next_share or time.monotonic() - self._last_line >= _LINE_EVERY_S:
                while self._next_share <= share:
                    self._next_share += 0.1
                self._line()
