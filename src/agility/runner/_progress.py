"""The run's progress bar (Rich): done/total, errors, running cost, ETA. Quiet when not a TTY."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

__all__ = ["RunProgress"]


class RunProgress:
    """A progress bar that does nothing when disabled or when stdout is not a terminal."""

    def __init__(self, total: int, label: str, enabled: bool = True) -> None:
        console = Console()
        self.enabled = enabled and console.is_terminal
        self.errors, self.cost_usd, self.cost_known = 0, 0.0, False
        self._progress: Progress | None = None
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("errors {task.fields[errors]}"),
                TextColumn("cost {task.fields[cost]}"),
                TimeRemainingColumn(), console=console, transient=False)
            self._task = self._progress.add_task(label, total=total, errors=0, cost="n/a")

    def __enter__(self) -> RunProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, *, error: bool, cost_usd: float | None) -> None:
        """Count one finished example."""
        self.errors += int(error)
        if cost_usd is not None:
            self.cost_usd += cost_usd
            self.cost_known = True
        if self._progress is not None:
            cost = (f"${self.cost_usd:.2f}" if self.cost_usd >= 1 else f"${self.cost_usd:.6f}"
                    ) if self.cost_known else "n/a"
            self._progress.update(self._task, advance=1, errors=self.errors, cost=cost)
