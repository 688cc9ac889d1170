"""The conditions a run's calls were timed under, recorded in the run's ``timing_sessions``.

A latency, and the throughput a per-hour cost item is spread over, say as much about the
machine and the endpoint at the time as about the model: two runs timed one after the other
can differ by load drift alone. Each time a run executes (its first start and every resume) it
appends one session to ``run.meta["timing_sessions"]``:

- ``started_at``/``ended_at``: the window its calls were made in (store timestamps; a result's
  ``created_at`` falls inside the session that made it);
- ``interleaved_with``, ``interleaved_calls``, ``alone``, ``interleaved_until``: the runs
  whose calls started in rotation with this one's (:class:`~agility.runner.Turnstile`), how
  many of this session's calls started in turn with them (every run was in the rotation at
  that start or at the start before it: the call right after a leaver's last one still
  followed it), the calls (``example_id#repeat``) that started alone (after that), and when
  the first of them left; absent for a run that ran by itself;
- ``load_1m``: the machine's 1-minute load average sampled at each call start (mean, min, max,
  samples) and ``cpus``, for the record: a local model's speed follows it, a remote
  endpoint's does not show in it.

The comparison reads the sessions (:func:`agility.compare.timing_conditions`) to tell whether
both sides' calls were timed together.
"""

from __future__ import annotations

import os
from typing import Any

from agility.runner._interleave import Turnstile
from agility.store import Store, utc_now

__all__ = ["TimingSession"]


class TimingSession:
    """One execution of a run: its window, its load samples and its interleaving."""

    def __init__(self, turnstile: Turnstile | None = None, side: int = 0) -> None:
        self.started_at = utc_now()
        self.turnstile, self.side = turnstile, side
        self.loads: list[float] = []
        self.calls = 0
        self.interleaved_calls = 0
        #: the calls (``example_id#repeat``) that started after another run had left
        self.alone: list[str] = []

    def sample(self, example_id: str, repeat_index: int = 0) -> None:
        """Note a call start (just admitted by the turnstile, if any), whether it was made in
        turn with the other runs, and the load average at that moment."""
        self.calls += 1
        if self.turnstile is not None and len(self.turnstile.names) > 1:
            if self.turnstile.last_start_in_turn:
                self.interleaved_calls += 1
            else:
                self.alone.append(f"{example_id}#{repeat_index}")
        try:
            self.loads.append(os.getloadavg()[0])
        except (AttributeError, OSError):  # not every platform has a load average
            pass

    def record(self) -> dict[str, Any]:
        """The session as stored in the run's meta (call at the end of the execution)."""
        ended = utc_now()
        out: dict[str, Any] = {"started_at": self.started_at, "ended_at": ended,
                               "calls": self.calls, "cpus": os.cpu_count()}
        if self.loads:
            out["load_1m"] = {"mean": round(sum(self.loads) / len(self.loads), 3),
                              "min": round(min(self.loads), 3),
                              "max": round(max(self.loads), 3), "samples": len(self.loads)}
        if self.turnstile is not None and len(self.turnstile.names) > 1:
            names, left = self.turnstile.partners(self.side)
            out["interleaved_with"] = names
            out["interleaved_calls"] = self.interleaved_calls
            out["alone"] = self.alone
            out["interleaved_until"] = min(left, ended) if left is not None else ended
        return out

    def save(self, store: Store, run_name: str) -> None:
        """Append the session to the run's ``timing_sessions`` (when it made any call)."""
        run = store.get_run(run_name) if self.calls else None
        if run is None:
            return
        sessions = [*run.meta.get("timing_sessions", []), self.record()]
        store.update_run(run.id, meta={**run.meta, "timing_sessions": sessions})
