"""Prometheus metrics of the gateway, per arm and stage (``GET /metrics``).

``stage`` is the stage number (1 for the first) or ``rolled_back``. Label children are looked
up once per (arm, stage) and kept, so counting a request costs a few dictionary lookups.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from agility.store import RolloutRecord

__all__ = ["CONTENT_TYPE_LATEST", "GatewayMetrics", "stage_label"]

_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
_STATUSES = ("running", "paused", "rolled_back", "complete")


def stage_label(record: RolloutRecord) -> str:
    """The ``stage`` label of a rollout's state."""
    return "rolled_back" if record.status == "rolled_back" else str(record.stage + 1)


class GatewayMetrics:
    """The gateway's Prometheus registry and its metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ("arm", "stage")
        self.requests = Counter("agility_canary_requests", "Calls answered or failed, by "
                                "outcome (ok, error, fallback, cancelled)",
                                (*labels, "outcome"), registry=self.registry)
        self.ttft = Histogram("agility_canary_ttft_seconds", "Time to first token",
                              labels, buckets=_SECONDS, registry=self.registry)
        self.latency = Histogram("agility_canary_latency_seconds", "Time to the last token",
                                 labels, buckets=_SECONDS, registry=self.registry)
        self.tokens = Counter("agility_canary_tokens", "Tokens, by kind (input, output)",
                              (*labels, "kind"), registry=self.registry)
        self.cost = Counter("agility_canary_cost_usd", "Cost of the calls whose cost was "
                            "measured, USD", labels, registry=self.registry)
        self.grades = Counter("agility_canary_grades", "Online grades", ("arm", "metric"),
                              registry=self.registry)
        self.grade_score = Counter("agility_canary_grade_score", "Sum of online grade scores",
                                   ("arm", "metric"), registry=self.registry)
        self.percent = Gauge("agility_canary_target_percent", "The target's share of users",
                             registry=self.registry)
        self.stage = Gauge("agility_canary_stage", "The stage number (1 for the first)",
                           registry=self.registry)
        self.status = Gauge("agility_canary_status", "1 for the rollout's status",
                            ("status",), registry=self.registry)
        self._stage = "1"
        self._children: dict[tuple[str, str], tuple[Any, ...]] = {}

    def set_state(self, record: RolloutRecord) -> None:
        """Follow a new rollout state."""
        self._stage = stage_label(record)
        self.percent.set(record.percent)
        self.stage.set(record.stage + 1)
        for status in _STATUSES:
            self.status.labels(status).set(1.0 if record.status == status else 0.0)

    def _for(self, arm: str) -> tuple[Any, ...]:
        key = (arm, self._stage)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(arm, self._stage, "ok"),
                self.requests.labels(arm, self._stage, "error"),
                self.requests.labels(arm, self._stage, "fallback"),
                self.requests.labels(arm, self._stage, "cancelled"),
                self.ttft.labels(arm, self._stage), self.latency.labels(arm, self._stage),
                self.tokens.labels(arm, self._stage, "input"),
                self.tokens.labels(arm, self._stage, "output"),
                self.cost.labels(arm, self._stage))
        return children

    def observe_call(self, arm: str, *, ok: bool, ttft_ms: float | None,
                     latency_ms: float | None, input_tokens: int | None,
                     output_tokens: int | None, cost_usd: float | None) -> None:
        """Count one call that ended."""
        ok_c, error_c, _f, _c, ttft, latency, tokens_in, tokens_out, cost = self._for(arm)
        if not ok:
            error_c.inc()
            return
        ok_c.inc()
        if ttft_ms is not None:
            ttft.observe(ttft_ms / 1000.0)
        if latency_ms is not None:
            latency.observe(latency_ms / 1000.0)
        if input_tokens:
            tokens_in.inc(input_tokens)
        if output_tokens:
            tokens_out.inc(output_tokens)
        if cost_usd:
            cost.inc(cost_usd)

    def observe_fallback(self) -> None:
        """Count a target failure the source answered."""
        self._for("target")[2].inc()

    def observe_cancelled(self, arm: str) -> None:
        """Count a call the client walked away from."""
        self._for(arm)[3].inc()

    def observe_grade(self, arm: str, metric: str, score: float | None) -> None:
        """Count one online grade."""
        if score is None:
            return
        self.grades.labels(arm, metric).inc()
        self.grade_score.labels(arm, metric).inc(score)

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)
