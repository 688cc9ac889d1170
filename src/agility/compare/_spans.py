"""Tail latency by call: each span name's percentiles on both sides, its share of end-to-end
time, and which call drives the slowest queries.

Latency figures read answered, non-cached results only (as every latency figure does). A span's
percentiles are over its calls (a query that calls ``generate`` three times gives three
durations); shares are over queries: the time a query spent in spans of that name, over its
end-to-end time. A span's calls and failures count the failed queries' spans too, so a step
that failed a query (a retrieval that raised) shows as that span's failure.

The *tail driver* of a side is found among its slowest queries (end-to-end at or above that
side's p95, nearest rank, at least one query): the innermost span name (one with no spans
inside it) taking the largest mean part of their end-to-end time. When the target slows one call,
the driver moves to that call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from agility._quantile import nearest_rank
from agility.compare._latency import latency_side
from agility.compare._models import LatencySide, SpanLatency
from agility.store import ResultRecord

__all__ = ["compare_spans", "end_to_end_ms", "tail_driver"]

_SIDES = ("source", "target")


def end_to_end_ms(result: ResultRecord) -> float | None:
    """A query's whole time: its recorded end-to-end time, else the model call's latency."""
    return result.end_to_end_ms if result.end_to_end_ms is not None else result.latency_ms


def _timed(results: Sequence[ResultRecord]) -> list[ResultRecord]:
    return [r for r in results if r.error is None and not r.cached]


@dataclass
class _Side:
    """One run's spans, gathered by name."""

    durations: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    kinds: dict[str, str] = field(default_factory=dict)
    #: per query: {name: time spent in it}, and its end-to-end time
    per_query: list[tuple[dict[str, float], float | None]] = field(default_factory=list)
    costs: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    leaves: set[str] = field(default_factory=set)
    queries: int = 0


def _count_failed(side: _Side, result: ResultRecord) -> None:
    """A failed query's spans: counted as calls (and failures), never timed."""
    for record in result.spans:
        side.kinds.setdefault(record.name, record.kind)
        side.calls[record.name] += 1
        if record.error is not None:
            side.errors[record.name] += 1


def _gather(results: Sequence[ResultRecord]) -> _Side:
    side = _Side()
    for result in _timed(results):
        side.queries += 1
        spent: dict[str, float] = defaultdict(float)
        cost: dict[str, float] = {}
        parents = {s.parent_id for s in result.spans if s.parent_id is not None}
        for record in result.spans:
            side.kinds.setdefault(record.name, record.kind)
            side.calls[record.name] += 1
            if record.id is None or record.id not in parents:
                side.leaves.add(record.name)
            if record.error is not None:
                side.errors[record.name] += 1
                continue
            if record.duration_ms is not None:
                side.durations[record.name].append(record.duration_ms)
                spent[record.name] += record.duration_ms
            if record.cost_usd is not None:
                cost[record.name] = cost.get(record.name, 0.0) + record.cost_usd
        for name, value in cost.items():
            side.costs[name].append(value)
        side.per_query.append((dict(spent), end_to_end_ms(result)))
    for result in results:
        if result.error is not None and not result.cached:
            _count_failed(side, result)
    return side


def _share(side: _Side, name: str) -> float | None:
    pairs = [(spent.get(name, 0.0), total) for spent, total in side.per_query
             if total is not None and total > 0]
    total = sum(t for _, t in pairs)
    if not pairs or not side.durations.get(name):  # never timed (only failed): not measured
        return None
    return sum(s for s, _ in pairs) / total


def _tail(side: _Side) -> list[tuple[dict[str, float], float]]:
    timed = [(spent, total) for spent, total in side.per_query
             if total is not None and total > 0]
    if not timed:
        return []
    cut = nearest_rank([t for _, t in timed], 0.95)
    return [(spent, total) for spent, total in timed if cut is not None and total >= cut]


def _tail_shares(side: _Side) -> dict[str, float]:
    tail = _tail(side)
    if not tail:
        return {}
    return {name: sum(spent.get(name, 0.0) / total for spent, total in tail) / len(tail)
            for name in side.kinds}


def tail_driver(results: Sequence[ResultRecord]) -> tuple[str | None, int]:
    """The innermost span name taking the largest part of the slowest queries of one run,
    and how many queries that tail holds (see the module docstring)."""
    side = _gather(results)
    shares = {name: share for name, share in _tail_shares(side).items()
              if name in side.leaves and share > 0}
    driver = max(sorted(shares), key=lambda name: shares[name]) if shares else None
    return driver, len(_tail(side))


def _mean_cost(side: _Side, name: str) -> float | None:
    values = side.costs.get(name)
    return None if not values else sum(values) / side.queries


def compare_spans(source: Sequence[ResultRecord], target: Sequence[ResultRecord],
                  confidence: float = 0.95, seed: int = 0
                  ) -> tuple[list[SpanLatency], LatencySide | None, dict[str, str | None],
                             dict[str, int]]:
    """Tail latency by call of both runs.

    Args:
        source: the source run's results.
        target: the target run's results.
        confidence: coverage of the intervals.
        seed: seed of the intervals of the differences.

    Returns:
        The span comparisons (in the order the spans first ran on the source, then the
        target's own), end-to-end latency (None when no result recorded it), the tail driver
        and the size of the tail, per side.
    """
    sides = {"source": _gather(source), "target": _gather(target)}
    names = list(dict.fromkeys([*sides["source"].kinds, *sides["target"].kinds]))
    spans = []
    for offset, name in enumerate(names):
        values = [np.asarray(sides[s].durations.get(name, []), dtype=float) for s in _SIDES]
        tail = {s: _tail_shares(sides[s]).get(name) for s in _SIDES}
        spans.append(SpanLatency(
            name=name,
            kind=sides["source"].kinds.get(name) or sides["target"].kinds.get(name, "other"),
            latency=latency_side(values[0], values[1], confidence, seed + 17 * (offset + 1),
                                 histogram=False),
            calls={s: sides[s].calls.get(name, 0) for s in _SIDES},
            errors={s: sides[s].errors.get(name, 0) for s in _SIDES},
            share={s: _share(sides[s], name) for s in _SIDES},
            tail_share=tail,
            cost_per_query_usd={s: _mean_cost(sides[s], name) for s in _SIDES}))
    end_to_end = None
    if any(r.end_to_end_ms is not None for r in [*source, *target]):
        values = [np.asarray([v for r in _timed(rs) if (v := end_to_end_ms(r)) is not None],
                             dtype=float) for rs in (source, target)]
        end_to_end = latency_side(values[0], values[1], confidence, seed + 2,
                                  answered=(len(_timed(source)), len(_timed(target))))
    drivers, sizes = {}, {}
    for label, results in (("source", source), ("target", target)):
        drivers[label], sizes[label] = tail_driver(results)
    return spans, end_to_end, drivers, sizes
