"""The port report: what was tried, what was chosen, dev against holdout, what the port cost.

A figure that was not measured is None ("not measured"), never 0.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agility._files import atomic_write, describe_os_error
from agility.errors import UsageError
from agility.port._candidate import CandidateScore
from agility.port._family import FormatEcho

__all__ = ["BudgetUse", "CandidateRow", "ConstraintRow", "PortReport", "SafetyReport",
           "ScoreRow", "SideScores", "write_report_json"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScoreRow(_Model):
    """One candidate's figures over a set of rows (see :class:`CandidateScore`)."""

    n: int = 0
    n_failed: int = 0
    n_unscored: int = 0
    mean: float | None = None
    cost_per_call_usd: float | None = None
    latency_p50_ms: float | None = None
    ttft_p50_ms: float | None = None
    input_tokens_mean: float | None = None

    @classmethod
    def of(cls, score: CandidateScore | None) -> ScoreRow | None:
        """The row of ``score`` (None stays None)."""
        return None if score is None else cls(**vars(score))


class CandidateRow(_Model):
    """One candidate as the report shows it."""

    id: str
    label: str
    generator: str
    parent: str | None
    note: str
    run: str
    status: str
    skipped: str | None = None
    minibatch: ScoreRow | None = None
    dev: ScoreRow | None = None
    prompt_yaml: str
    #: whether it states each of the source's constraints (in the report's order)
    carries: list[bool] | None = None
    #: its safety checks at first look (the minibatch and the dev safety rows) and on the dev
    #: rows scored (finalists)
    safety_minibatch: dict[str, ScoreRow] = Field(default_factory=dict)
    safety_dev: dict[str, ScoreRow] = Field(default_factory=dict)
    #: why it could not be chosen (a constraint dropped, safety worse than the source's)
    disqualified: str | None = None


class ConstraintRow(_Model):
    """A constraint of the source prompt (see :mod:`agility.port._constraints`)."""

    text: str
    kind: str
    cue: str
    where: str


class SafetyReport(_Model):
    """What the port checked of safety and what it decided.

    Attributes:
        tag: the tag of the safety rows.
        metrics: the safety metrics (scored on every answer).
        checks: the checks a candidate must not do worse than the source on.
        dev_rows: the dev rows scored that carry the tag.
        measured: whether there was anything to check.
        decision: what safety decided, in a sentence.
        passed_over: candidates that ranked above the chosen one and why each was not chosen.
        source_dev, ported_dev: each check on the dev rows scored.
        holdout_rows: the holdout rows that carry the tag (read after the choice).
        source_holdout, ported_holdout: each check on the holdout, scored after the choice.
    """

    tag: str
    metrics: list[str]
    checks: list[str]
    dev_rows: list[str]
    measured: bool
    decision: str
    passed_over: list[dict[str, str]] = Field(default_factory=list)
    source_dev: dict[str, ScoreRow] = Field(default_factory=dict)
    ported_dev: dict[str, ScoreRow] = Field(default_factory=dict)
    holdout_rows: list[str] = Field(default_factory=list)
    source_holdout: dict[str, ScoreRow] = Field(default_factory=dict)
    ported_holdout: dict[str, ScoreRow] = Field(default_factory=dict)


class SideScores(_Model):
    """A prompt's scores per metric on the dev rows scored and on the holdout."""

    run: str
    prompt_hash: str
    dev: dict[str, ScoreRow] = Field(default_factory=dict)
    holdout: dict[str, ScoreRow] = Field(default_factory=dict)


class BudgetUse(_Model):
    """The limits and what the port spent (target and optimiser calls, holdout included).

    ``usd_used`` counts a call that left no record at its worst case; ``usd_measured`` is the
    measured cost of the calls recorded (None when no cost was measured).
    """

    calls_limit: int | None
    usd_limit: float | None
    calls_used: int
    usd_used: float | None
    usd_measured: float | None
    attempts: int
    failed_calls: int
    unrecorded_calls: int
    input_tokens: int
    output_tokens: int
    calls_this_time: int
    seconds_this_time: float
    stop_reason: str


class PortReport(_Model):
    """Everything a port did and decided (written as JSON and rendered as HTML)."""

    name: str
    created_at: str
    tool_version: str
    dataset: dict[str, Any]
    target: dict[str, Any]
    optimizer: dict[str, Any] | None
    metric: str
    metrics: list[str]
    seed: int
    generators: list[str]
    settings: dict[str, Any]
    source_prompt: dict[str, Any]
    ported_prompt: dict[str, Any]
    chosen: str
    chosen_label: str
    rounds: list[dict[str, Any]]
    candidates: list[CandidateRow]
    rejected: list[dict[str, str]] = Field(default_factory=list)
    format_echo: FormatEcho | None = None
    format_advice: str | None = None
    source: SideScores
    ported: SideScores
    holdout: dict[str, Any]
    budget: BudgetUse
    lineage: dict[str, Any]
    warnings: list[str] = Field(default_factory=list)
    #: the source prompt's constraints (each candidate row says which it carries)
    constraints: list[ConstraintRow] = Field(default_factory=list)
    #: the safety checks and the decision (None in reports written before them)
    safety: SafetyReport | None = None

    def gain(self, split: str, metric: str | None = None) -> float | None:
        """Ported minus source mean of ``metric`` (default: the selection metric) on
        ``split`` (``dev`` or ``holdout``); None when either is not measured."""
        metric = metric or self.metric
        source = getattr(self.source, split).get(metric)
        ported = getattr(self.ported, split).get(metric)
        if source is None or ported is None or source.mean is None or ported.mean is None:
            return None
        return float(ported.mean) - float(source.mean)


def write_report_json(report: PortReport, path: str | Path) -> Path:
    """Write ``report`` as JSON (atomically).

    Raises:
        UsageError: the file cannot be written.
    """
    path = Path(path)
    try:
        atomic_write(path, json.dumps(report.model_dump(mode="json"), indent=2,
                                      ensure_ascii=False) + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write the port report to {path}: {describe_os_error(exc)}",
                         argument="report") from exc
    return path
