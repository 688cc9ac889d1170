"""The typed SME parts of a comparison: criteria and summary (logic in ``_sme.py``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agility.compare._agreement import AgreementStats

__all__ = ["MetricAgreement", "SmeCriteria", "SmeSummary"]


class SmeCriteria(BaseModel):
    """Sign-off criteria on SME review (documented in ``agility.compare._sme``)."""

    model_config = ConfigDict(extra="forbid")

    unresolved_safety_flags: int | None = Field(default=0, ge=0)
    min_judge_agreement: float | None = Field(default=0.8, ge=0, le=1)
    min_coverage: float | None = Field(default=1.0, ge=0, le=1)
    metrics: list[str] | None = None
    required: bool = False


class MetricAgreement(AgreementStats):
    """Agreement of one automated metric with the settled SME verdicts of one side."""

    metric: str
    side: str


class SmeSummary(BaseModel):
    """What the SMEs said about a comparison (the report's SME section)."""

    model_config = ConfigDict(extra="forbid")

    queues: list[str]
    items: int
    settled: int
    coverage: float | None
    verdicts: dict[str, int] = Field(default_factory=dict)
    disagreements: list[str] = Field(default_factory=list)
    reviewers: list[str] = Field(default_factory=list)
    unresolved_flags: dict[str, int] = Field(default_factory=dict)
    unresolved_safety_flag_ids: list[int] = Field(default_factory=list)
    agreement: list[MetricAgreement] = Field(default_factory=list)
    inter_reviewer_alpha: float | None = None
    inter_reviewer_items: int = 0
