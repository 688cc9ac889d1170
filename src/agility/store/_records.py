"""Typed records that cross the store's boundary."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "EventRecord",
    "MigrationRecord",
    "ResultRecord",
    "ReviewRecord",
    "RunRecord",
    "ScoreRecord",
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class RunRecord(_Record):
    """One run of one model over one dataset: everything needed to reproduce it."""

    id: int | None = None
    name: str
    dataset_hash: str | None = None
    dataset_path: str | None = None
    model_spec: str
    provider_options: dict[str, Any] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)
    template_hash: str | None = None
    price_table_version: str | None = None
    prices: dict[str, Any] = Field(default_factory=dict)
    tool_version: str
    repeat: int = 1
    status: str = "running"  # running | finished | interrupted | failed
    started_at: str
    finished_at: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)


class ResultRecord(_Record):
    """One model answer to one golden example (one repeat), with its measurements.

    Figures that were not measured are ``None``, never 0.
    """

    run_id: int | None = None
    example_id: str
    repeat_index: int = 0
    output: str | None = None
    ttft_ms: float | None = None
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    tokens_estimated: bool = False
    cost_usd: float | None = None
    extra_cost_usd: float | None = None
    finish_reason: str | None = None
    request_id: str | None = None
    error: str | None = None
    attempts: int = 1
    cached: bool = False
    created_at: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


class ScoreRecord(_Record):
    """One metric's judgment of one result. ``score`` is in [0, 1] when present.

    A judgment that failed has ``error`` set and no score: it is counted apart, never as 0.
    """

    run_id: int | None = None
    example_id: str
    repeat_index: int = 0
    metric: str
    metric_version: str = "1"
    score: float | None = None
    verdict: str | None = None
    passed: bool | None = None
    reason: str | None = None
    judge_model: str | None = None
    judge_prompt_version: str | None = None
    raw: Any = None
    error: str | None = None
    created_at: str | None = None


class ReviewRecord(_Record):
    """An expert's (SME's) judgment of one result."""

    id: int | None = None
    run_id: int
    example_id: str
    repeat_index: int = 0
    reviewer: str
    verdict: str | None = None
    score: float | None = None
    comment: str | None = None
    sampled_because: str | None = None
    created_at: str | None = None


class EventRecord(_Record):
    """An append-only audit event (rollout stage, rollback, sign-off, ...)."""

    id: int | None = None
    kind: str
    subject: str | None = None
    actor: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    created_at: str | None = None


class MigrationRecord(_Record):
    """A migration plan's lineage: what was compared, with what, and the verdict."""

    name: str
    plan_path: str | None = None
    plan_hash: str
    source_run: str | None = None
    target_run: str | None = None
    lineage: dict[str, Any] = Field(default_factory=dict)
    verdict: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
