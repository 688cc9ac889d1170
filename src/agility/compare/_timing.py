"""Were the two sides timed together? Read from each run's ``timing_sessions``.

The runner appends a session to a run's meta each time it executes (see
:mod:`agility.runner._timing`): its window, the load average at each call start, the runs it
was interleaved with and how many of its calls started while they were still in the rotation.
A compared call was *timed together* with the other side when its result was stored inside a
session of its run that was interleaved with the other run, and is not among the session's
calls that started after the other run had left the rotation (``alone``). Both sides are timed
together when every one of their timed calls was; only then does a throughput-derived cost (a per-hour item) compare the
models rather than the load of two windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from agility.compare._roi_models import TimingConditions, TimingSide
from agility.store import ResultRecord, RunRecord

__all__ = ["timing_conditions"]


def _at(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def _session_of(sessions: Sequence[dict[str, Any]], when: datetime) -> dict[str, Any] | None:
    for session in sessions:
        start, end = _at(session.get("started_at")), _at(session.get("ended_at"))
        if start is not None and end is not None and start <= when <= end:
            return session
    return None


def _side(run: RunRecord, results: Sequence[ResultRecord], other: str) -> TimingSide:
    timed = [r for r in results if r.error is None and not r.cached and r.latency_ms
             and r.created_at]
    out = TimingSide(run=run.name, timed_calls=len(timed))
    sessions = [s for s in run.meta.get("timing_sessions", []) if isinstance(s, dict)]
    used: dict[int, dict[str, Any]] = {}
    stamps = sorted(t for t in (_at(r.created_at) for r in timed) if t is not None)
    if stamps:
        out.first_at, out.last_at = stamps[0].isoformat(), stamps[-1].isoformat()
    recorded = 0
    alone: dict[int, set[str]] = {}
    for result in timed:
        when = _at(result.created_at)
        session = _session_of(sessions, when) if when is not None else None
        if session is None or when is None:
            continue
        recorded += 1
        used[id(session)] = session
        if other not in session.get("interleaved_with", []):
            continue
        started_alone = alone.setdefault(id(session), set(session.get("alone", ())))
        if f"{result.example_id}#{result.repeat_index}" not in started_alone:
            out.interleaved_calls += 1
    out.recorded_calls = recorded
    out.recorded = bool(timed) and recorded == len(timed)
    loads = [(s["load_1m"]["mean"], s["load_1m"].get("samples", 1)) for s in used.values()
             if isinstance(s.get("load_1m"), dict) and s["load_1m"].get("mean") is not None]
    if loads:
        out.load_1m_mean = round(sum(m * n for m, n in loads) / sum(n for _, n in loads), 2)
    cpus = {s.get("cpus") for s in used.values() if s.get("cpus")}
    out.cpus = cpus.pop() if len(cpus) == 1 else None
    return out


def _window(side: TimingSide, name: str) -> str:
    if side.first_at is None or side.last_at is None:
        return f"the {name} has no timed call"
    first, last = _at(side.first_at), _at(side.last_at)
    assert first is not None and last is not None
    text = (f"the {name} {first:%Y-%m-%d %H:%M:%S}.{first.microsecond // 1000:03d} to "
            f"{last:%H:%M:%S}.{last.microsecond // 1000:03d} UTC")
    if side.load_1m_mean is not None:
        cpus = f" on {side.cpus} CPUs" if side.cpus else ""
        text += f" (load average {side.load_1m_mean:.2f}{cpus})"
    elif not side.recorded:
        text += " (no timing record)"
    return text


def _apart(side: TimingSide, name: str) -> str:
    """How many of a side's calls were not shown to be made in turn, and why."""
    if not side.timed_calls:
        return f"the {name} has no timed call"
    parts = []
    if side.recorded_calls < side.timed_calls:  # unknown, not "apart"
        parts.append(f"{side.timed_calls - side.recorded_calls} have no timing record")
    apart = side.recorded_calls - side.interleaved_calls
    if apart:
        parts.append(f"{apart} were not made in turn with the other side's")
    return f"of {side.timed_calls} {name} calls, " + (" and ".join(parts) or "all in turn")


def timing_conditions(source_run: RunRecord, source_results: Sequence[ResultRecord],
                      target_run: RunRecord, target_results: Sequence[ResultRecord]
                      ) -> TimingConditions:
    """How both sides' compared calls were timed, and whether together.

    Args:
        source_run, target_run: the runs (their ``timing_sessions`` are read).
        source_results, target_results: the compared results of each.

    Returns:
        The conditions; ``interleaved`` only when every timed call of both sides was made in
        rotation with the other run's.
    """
    src = _side(source_run, source_results, target_run.name)
    tgt = _side(target_run, target_results, source_run.name)
    together = (src.timed_calls > 0 and tgt.timed_calls > 0
                and src.interleaved_calls == src.timed_calls
                and tgt.interleaved_calls == tgt.timed_calls)
    if together:
        text = (f"timed together: the source's and the target's calls started in turn (A B B "
                f"A), so load drift hit both alike: {_window(src, 'source')}; "
                f"{_window(tgt, 'target')}")
    else:
        text = (f"not timed together ({_apart(src, 'source')}; {_apart(tgt, 'target')}): "
                f"{_window(src, 'source')}; {_window(tgt, 'target')}")
    return TimingConditions(interleaved=together, source=src, target=tgt, text=text)
