"""The ``rollout:`` section of a migration plan: stages, triggers, grading, routing.

Every field has the playbook's value as its default, so ``rollout: {}`` is the playbook's
canary: 5% of users for at least a day, 25% for at least two days, then 100% once someone signs
off, rolled back at once when the target errs, slows, costs or answers worse than the source::

    rollout:
      stages:
        - {percent: 5, min_requests: 500, min_minutes: 1440}
        - {percent: 25, min_requests: 2000, min_minutes: 2880}
        - {percent: 100}
      triggers:
        error_rate_increase: 0.01      # target error rate minus source's, over the window
        ttft_increase_ms: 250          # TTFT (p50) beyond BOTH of these fires ("<= 20% or
        ttft_increase_pct: 20          #   <= 250 ms", the playbook's acceptable delta)
        cost_per_request_increase_pct: 10
        quality_drop: 0.03             # mean online grade, source minus target
        sme_hallucination_flags: 1     # SME flags on target answers since the stage began
      window_minutes: 10               # triggers compare the arms over this sliding window
      fallback: none                   # or source: a failed target call is retried on the source

A trigger set to ``null`` is off. The models are strict: an unknown key is an error naming its
line (``plan.yaml:31: rollout.triggers.ttft_increse_ms: Extra inputs are not permitted``).
"""

from __future__ import annotations

import itertools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["GradingSpec", "RetrySpec", "RolloutSpec", "StageSpec", "TriggerSpec"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StageSpec(_Strict):
    """One step of the ramp: the target's share of users and how long it must hold.

    ``min_requests`` counts the requests the target answered in this stage (its evidence);
    ``min_minutes`` the time since the stage began. Both must be met before the stage advances.
    """

    percent: float = Field(gt=0, le=100)
    min_requests: int = Field(default=0, ge=0)
    min_minutes: float = Field(default=0.0, ge=0)


def _playbook_stages() -> list[StageSpec]:
    return [StageSpec(percent=5, min_requests=500, min_minutes=24 * 60),
            StageSpec(percent=25, min_requests=2000, min_minutes=48 * 60),
            StageSpec(percent=100)]


class TriggerSpec(_Strict):
    """When the gateway rolls back on its own (each ``None`` is off); see the module docstring."""

    error_rate_increase: float | None = Field(default=0.01, ge=0, le=1)
    ttft_increase_ms: float | None = Field(default=250.0, ge=0)
    ttft_increase_pct: float | None = Field(default=20.0, ge=0)
    #: the TTFT percentile compared (50: the median)
    ttft_percentile: float = Field(default=50.0, gt=0, lt=100)
    cost_per_request_increase_pct: float | None = Field(default=10.0, ge=0)
    quality_drop: float | None = Field(default=0.03, ge=0, le=1)
    sme_hallucination_flags: int | None = Field(default=1, ge=1)


class GradingSpec(_Strict):
    """Online grading of a sample of live answers with the plan's metrics.

    Only metrics that need no ground truth and no retrieved context can grade live traffic
    (answered, safety, a rubric, format checks); ``metrics`` defaults to those of the plan's
    ``metrics``. ``sample_rate`` is the share of the target's answers graded; the source's
    rate is scaled so that both arms get about as many grades.
    """

    metrics: list[str | dict[str, Any]] | None = None
    sample_rate: float = Field(default=0.05, ge=0, le=1)
    #: answers graded at once at most; more waiting than ``max_pending`` are dropped (counted)
    max_concurrency: int = Field(default=2, ge=1, le=64)
    max_pending: int = Field(default=256, ge=1)
    #: grades per arm in the window before ``quality_drop`` may fire
    min_graded: int = Field(default=20, ge=1)


class RetrySpec(_Strict):
    """How the gateway retries a failed upstream call before answering (before the first
    byte reached the client only)."""

    max_attempts: int = Field(default=2, ge=1, le=10)
    base_delay_s: float = Field(default=0.05, ge=0)
    max_delay_s: float = Field(default=2.0, ge=0)


class RolloutSpec(_Strict):
    """The ``rollout:`` section of a plan (see the module docstring)."""

    stages: list[StageSpec] = Field(default_factory=_playbook_stages, min_length=1)
    triggers: TriggerSpec = Field(default_factory=lambda: TriggerSpec())
    window_minutes: float = Field(default=10.0, gt=0, le=24 * 60)
    #: requests each arm needs in the window before the rate and latency triggers are judged
    min_window_requests: int = Field(default=50, ge=1)
    #: how often triggers and stage minimums are checked (and the state re-read), in seconds
    check_every_s: float = Field(default=5.0, gt=0, le=3600)
    #: the last step (to 100%) waits for a sign-off (``agility canary promote``)
    require_signoff: bool = True
    fallback: Literal["none", "source"] = "none"
    #: the request header naming the user (sticky routing); else the API key's hash, else the
    #: client's address
    user_header: str = Field(default="x-user-id", pattern=r"^[A-Za-z0-9-]+$")
    grading: GradingSpec = Field(default_factory=lambda: GradingSpec())
    retry: RetrySpec = Field(default_factory=lambda: RetrySpec())
    #: request bodies larger than this are refused (HTTP 413)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)

    @field_validator("stages")
    @classmethod
    def _ramp(cls, stages: list[StageSpec]) -> list[StageSpec]:
        percents = [stage.percent for stage in stages]
        if any(b <= a for a, b in itertools.pairwise(percents)):
            raise ValueError(f"stage percents must increase, got {[f'{p:g}' for p in percents]}")
        if percents[-1] != 100:
            raise ValueError(f"the last stage must be percent: 100 (the full cutover), got "
                             f"{percents[-1]:g}")
        return stages

    def stage_percent(self, index: int) -> float:
        """The target's share (percent) in stage ``index``."""
        return self.stages[index].percent

    @property
    def last_stage(self) -> int:
        """The index of the last stage (100%)."""
        return len(self.stages) - 1
