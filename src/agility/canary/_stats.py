"""Per-arm counters: requests, errors, TTFT and latency histograms, tokens, cost, grades.

:class:`ArmCounts` is one arm's counts over a period; they add up, so the gateway keeps one per
arm for the slice of time being flushed to the store and one per bucket of the sliding window
the triggers read. Latencies go into log-spaced histograms (about 2% wide), so percentiles
need bounded memory whatever the traffic: memory stays flat over any number of requests.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from agility.canary._router import Arm

__all__ = ["ArmCounts", "Histogram", "SlidingWindow"]

#: histogram bins per factor e of the value: bins are e**(1/50) ~ 2% wide
_BINS_PER_E = 50.0


class Histogram:
    """A sparse log-spaced histogram of milliseconds (values below 0.01 ms share one bin)."""

    __slots__ = ("bins", "count")

    def __init__(self, bins: dict[int, int] | None = None) -> None:
        self.bins: dict[int, int] = bins if bins is not None else {}
        self.count = sum(self.bins.values())

    def add(self, value_ms: float) -> None:
        """Count one value."""
        index = int(math.log(max(value_ms, 0.01)) * _BINS_PER_E)
        self.bins[index] = self.bins.get(index, 0) + 1
        self.count += 1

    def merge(self, other: Histogram) -> None:
        """Add ``other``'s counts to this one."""
        for index, n in other.bins.items():
            self.bins[index] = self.bins.get(index, 0) + n
        self.count += other.count

    def percentile(self, pct: float) -> float | None:
        """The value at percentile ``pct`` (nearest rank, the bin's middle), None when empty."""
        if not self.count:
            return None
        rank = max(1, math.ceil(pct / 100.0 * self.count))
        seen = 0
        for index in sorted(self.bins):
            seen += self.bins[index]
            if seen >= rank:
                return math.exp((index + 0.5) / _BINS_PER_E)
        return None  # unreachable: the counts add up to self.count

    def to_json(self) -> dict[str, int]:
        """The bins as a JSON object."""
        return {str(k): v for k, v in self.bins.items()}

    @classmethod
    def from_json(cls, data: dict[str, int] | None) -> Histogram:
        """The histogram :meth:`to_json` wrote."""
        return cls({int(k): int(v) for k, v in (data or {}).items()})


@dataclass(slots=True)
class ArmCounts:
    """One arm's counts over a period.

    ``requests`` counts calls that ended (answered or failed; a call the client abandoned is
    counted in ``cancelled`` only). ``fallbacks`` counts target failures that the source then
    answered. Cost sums cover the ``cost_n`` calls whose cost was measured. ``quality`` maps a
    metric to ``[sum of scores, grades, failed gradings]``.
    """

    requests: int = 0
    errors: int = 0
    fallbacks: int = 0
    cancelled: int = 0
    ttft: Histogram = field(default_factory=Histogram)
    latency: Histogram = field(default_factory=Histogram)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_n: int = 0
    quality: dict[str, list[float]] = field(default_factory=dict)

    def add_call(self, *, ok: bool, ttft_ms: float | None, latency_ms: float | None,
                 input_tokens: int | None, output_tokens: int | None,
                 cost_usd: float | None) -> None:
        """Count one call that ended."""
        self.requests += 1
        if not ok:
            self.errors += 1
            return
        if ttft_ms is not None:
            self.ttft.add(ttft_ms)
        if latency_ms is not None:
            self.latency.add(latency_ms)
        self.input_tokens += input_tokens or 0
        self.output_tokens += output_tokens or 0
        if cost_usd is not None:
            self.cost_usd += cost_usd
            self.cost_n += 1

    def add_grade(self, metric: str, score: float | None) -> None:
        """Count one online grade (``None``: the metric could not grade the answer)."""
        entry = self.quality.setdefault(metric, [0.0, 0, 0])
        if score is None:
            entry[2] += 1
        else:
            entry[0] += score
            entry[1] += 1

    def merge(self, other: ArmCounts) -> None:
        """Add ``other``'s counts to these."""
        self.requests += other.requests
        self.errors += other.errors
        self.fallbacks += other.fallbacks
        self.cancelled += other.cancelled
        self.ttft.merge(other.ttft)
        self.latency.merge(other.latency)
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cost_usd += other.cost_usd
        self.cost_n += other.cost_n
        for metric, (total, n, failed) in other.quality.items():
            entry = self.quality.setdefault(metric, [0.0, 0, 0])
            entry[0] += total
            entry[1] += n
            entry[2] += failed

    @property
    def empty(self) -> bool:
        """Nothing was counted."""
        return not (self.requests or self.cancelled or self.fallbacks or self.quality)

    @property
    def error_rate(self) -> float | None:
        """Failed calls over calls, None before any call."""
        return self.errors / self.requests if self.requests else None

    @property
    def cost_per_request_usd(self) -> float | None:
        """Mean cost of the calls whose cost was measured (None: not measured)."""
        return self.cost_usd / self.cost_n if self.cost_n else None

    def quality_mean(self, metric: str) -> tuple[float | None, int]:
        """The mean grade of ``metric`` and how many grades it rests on."""
        total, n, _failed = self.quality.get(metric, (0.0, 0, 0))
        return (total / n if n else None), int(n)

    def summary(self, ttft_percentile: float = 50.0) -> dict[str, Any]:
        """The counts as figures for a person (status, evidence); None: not measured."""
        return {
            "requests": self.requests, "errors": self.errors,
            "error_rate": self.error_rate, "fallbacks": self.fallbacks,
            "cancelled": self.cancelled,
            f"ttft_p{ttft_percentile:g}_ms": _round(self.ttft.percentile(ttft_percentile)),
            "ttft_p95_ms": _round(self.ttft.percentile(95)),
            "latency_p50_ms": _round(self.latency.percentile(50)),
            "latency_p95_ms": _round(self.latency.percentile(95)),
            "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd if self.cost_n else None,
            "cost_per_request_usd": self.cost_per_request_usd,
            "quality": {metric: {"mean": self.quality_mean(metric)[0], "graded": int(n),
                                 "failed": int(failed)}
                        for metric, (_total, n, failed) in sorted(self.quality.items())},
        }

    def to_json(self) -> dict[str, Any]:
        """Everything, as JSON (the store's form)."""
        return {"requests": self.requests, "errors": self.errors, "fallbacks": self.fallbacks,
                "cancelled": self.cancelled, "ttft": self.ttft.to_json(),
                "latency": self.latency.to_json(), "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens, "cost_usd": self.cost_usd,
                "cost_n": self.cost_n, "quality": self.quality}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ArmCounts:
        """The counts :meth:`to_json` wrote (an empty one for None)."""
        data = data or {}
        return cls(requests=int(data.get("requests", 0)), errors=int(data.get("errors", 0)),
                   fallbacks=int(data.get("fallbacks", 0)),
                   cancelled=int(data.get("cancelled", 0)),
                   ttft=Histogram.from_json(data.get("ttft")),
                   latency=Histogram.from_json(data.get("latency")),
                   input_tokens=int(data.get("input_tokens", 0)),
                   output_tokens=int(data.get("output_tokens", 0)),
                   cost_usd=float(data.get("cost_usd", 0.0)), cost_n=int(data.get("cost_n", 0)),
                   quality={k: [float(v[0]), int(v[1]), int(v[2])]
                            for k, v in (data.get("quality") or {}).items()})


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


class SlidingWindow:
    """Both arms' counts over the last ``seconds``, kept in ``buckets`` slices of time.

    Old slices fall out as time moves on, so memory is bounded by the number of slices.
    """

    def __init__(self, seconds: float, buckets: int = 30) -> None:
        self.seconds = seconds
        self.slice_s = seconds / buckets
        self.buckets = buckets
        self._slices: deque[tuple[int, dict[Arm, ArmCounts]]] = deque()

    def current(self, arm: Arm, now: float | None = None) -> ArmCounts:
        """The counts of ``arm`` in the slice of time ``now`` falls in (made on first use)."""
        slot = int((time.monotonic() if now is None else now) / self.slice_s)
        if not self._slices or self._slices[-1][0] != slot:
            self._slices.append((slot, {"source": ArmCounts(), "target": ArmCounts()}))
            self._expire(slot)
        return self._slices[-1][1][arm]

    def _expire(self, slot: int) -> None:
        oldest = slot - self.buckets + 1
        while self._slices and self._slices[0][0] < oldest:
            self._slices.popleft()

    def totals(self, now: float | None = None) -> dict[Arm, ArmCounts]:
        """Each arm's counts over the window ending ``now``."""
        slot = int((time.monotonic() if now is None else now) / self.slice_s)
        self._expire(slot)
        out: dict[Arm, ArmCounts] = {"source": ArmCounts(), "target": ArmCounts()}
        for _slot, arms in self._slices:
            for arm, counts in arms.items():
                out[arm].merge(counts)
        return out

    def clear(self) -> None:
        """Forget everything (a new stage compares the arms afresh)."""
        self._slices.clear()
