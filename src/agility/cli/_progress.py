"""The scoring progress bars the CLI shows: one consumer of the library's progress callback."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

__all__ = ["ScoreBars"]


class ScoreBars:
    """Rich bars on stderr, one per metric, driven by ``on_progress(metric, done, total)``.

    Pass the instance as ``on_progress`` (it is an :class:`agility.metrics.ScoreProgress`).
    The bars appear with the first report and go once every metric is done, so a command
    that scores between other steps (``migrate``: run, score, run, score) never shows them
    alongside another live display. Used as a context manager, leaving it stops any bar still
    shown (scoring interrupted). Shows nothing when ``enabled`` is false.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop()

    def __call__(self, metric: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._progress is None:
            self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                      MofNCompleteColumn(), TimeElapsedColumn(),
                                      console=Console(stderr=True))
            self._progress.start()
        task = self._tasks.get(metric)
        if task is None:
            # a metric name is shown as given, never read as markup
            task = self._tasks[metric] = self._progress.add_task(escape(metric), total=total)
        self._progress.update(task, completed=done, total=total)
        if all(t.finished for t in self._progress.tasks) and done >= total:
            self._stop()

    def _stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
        self._progress, self._tasks = None, {}
