"""Sign-off criteria: a validated YAML file, with the playbook's sample values as defaults.

Example (every key optional)::

    quality:   {metrics: [correctness], max_relative_drop: 0.03, alpha: 0.05}
    latency:   {ttft_max_increase_pct: 20, ttft_max_increase_ms: 250,   # either satisfies
                end_to_end: {p95_increase_pct: 20},
                span: {generate: {p95_increase_ms: 200}}}                # tail latency by call
    cost:      {max_increase_pct: 0, payback_days: null}
    roi:       {within_days: 30}   # neutral or positive within 30 days (off unless given)
    safety:    {metrics: [], must_pass: true}
    error_rate: {max_increase_points: 1}   # percentage points, on the interval's upper bound
    failed_calls: count_as_fail            # or exclude
    tags:      {safety: {must_pass: true}, pii: {max_relative_drop: 0.05}}
    sme:       {unresolved_safety_flags: 0, min_judge_agreement: 0.8, min_coverage: 1.0}
    use_holdout: true
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agility._yaml_config import load_yaml, read_config_text, validate_yaml
from agility.compare._sme_models import SmeCriteria

__all__ = [
    "CostCriteria",
    "Criteria",
    "ErrorRateCriteria",
    "LatencyCriteria",
    "LatencyLimits",
    "QualityCriteria",
    "RoiCriteria",
    "SafetyCriteria",
    "TagCriteria",
    "load_criteria",
    "parse_criteria",
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QualityCriteria(_Section):
    """Each gated metric may drop at most ``max_relative_drop`` (0.03 = 3%) relative to the
    source. ``test: non_inferiority`` (default) passes only when the lower bound of the
    ``1 - alpha`` interval of the relative difference clears the margin; ``point`` compares the
    point estimate alone. Fewer than ``min_examples`` paired examples are inconclusive: a
    bootstrap over a handful of examples says nothing.

    For pass/fail verdicts the interval is the more conservative (lower) of the paired
    bootstrap and Newcombe's hybrid score interval, which stays honest with few discordant
    pairs. For continuous scores, fewer than ``min_differing_pairs`` pairs with a non-zero
    difference are inconclusive: the bootstrap cannot judge the spread of so few."""

    metrics: list[str] = Field(default_factory=lambda: ["correctness"])
    max_relative_drop: float = Field(default=0.03, ge=0, le=1)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    test: Literal["non_inferiority", "point"] = "non_inferiority"
    min_examples: int = Field(default=30, ge=1)
    min_differing_pairs: int = Field(default=10, ge=1)


class LatencyCriteria(_Section):
    """The target's TTFT (at ``percentile``) may rise by at most ``ttft_max_increase_pct``
    percent *or* at most ``ttft_max_increase_ms`` milliseconds: either satisfies. Set both to
    null to skip the latency gate.

    ``test: interval`` (default) passes only when the upper bound of the interval of the rise
    is within a limit, fails when its lower bound exceeds both, and is inconclusive between:
    machine load and a handful of slow calls cannot flip the verdict. ``point`` compares the
    point estimates alone. The gate is not evaluated when a side timed fewer than
    ``min_timed`` answers or less than ``min_timed_share`` of its answers (empty answers
    carry no first token)."""

    ttft_max_increase_pct: float | None = Field(default=20.0, ge=0)
    ttft_max_increase_ms: float | None = Field(default=250.0, ge=0)
    percentile: Literal["p50", "p90", "p95", "p99"] = "p50"
    test: Literal["interval", "point"] = "interval"
    min_timed: int = Field(default=10, ge=1)
    min_timed_share: float = Field(default=0.8, gt=0, le=1)
    #: limits on end-to-end latency (a whole query: retrieval, every call; a system's time)
    end_to_end: LatencyLimits | None = None
    #: limits per span name (tail latency by call): ``span: {generate: {p95_increase_ms: 200}}``
    span: dict[str, LatencyLimits] = Field(default_factory=dict)


class LatencyLimits(_Section):
    """How much one latency may rise at each percentile: ``p95_increase_ms: 200`` (and/or
    ``p95_increase_pct``; either satisfies, as for TTFT). Used for end-to-end latency
    (``latency.end_to_end``) and for one span (``latency.span.generate``). ``test`` and
    ``min_timed`` as for TTFT (each side needs that many timed calls)."""

    p50_increase_ms: float | None = Field(default=None, ge=0)
    p50_increase_pct: float | None = Field(default=None, ge=0)
    p90_increase_ms: float | None = Field(default=None, ge=0)
    p90_increase_pct: float | None = Field(default=None, ge=0)
    p95_increase_ms: float | None = Field(default=None, ge=0)
    p95_increase_pct: float | None = Field(default=None, ge=0)
    p99_increase_ms: float | None = Field(default=None, ge=0)
    p99_increase_pct: float | None = Field(default=None, ge=0)
    test: Literal["interval", "point"] = "interval"
    min_timed: int = Field(default=10, ge=1)

    @model_validator(mode="after")
    def _limits_something(self) -> LatencyLimits:
        if not self.limits():
            raise ValueError("give at least one limit, e.g. p95_increase_ms: 200")
        return self

    def limits(self) -> dict[str, tuple[float | None, float | None]]:
        """Per percentile with a limit: (max increase in ms, max increase in %)."""
        out = {}
        for pct in ("p50", "p90", "p95", "p99"):
            ms, rel = getattr(self, f"{pct}_increase_ms"), getattr(self, f"{pct}_increase_pct")
            if ms is not None or rel is not None:
                out[pct] = (ms, rel)
        return out


class CostCriteria(_Section):
    """The target may cost at most ``max_increase_pct`` percent more per query than the source,
    or, if ``payback_days`` is set, must pay the migration back within that many days. Set
    ``max_increase_pct`` to null to skip the cost gate."""

    max_increase_pct: float | None = Field(default=0.0, ge=0)
    payback_days: float | None = Field(default=None, gt=0)


class RoiCriteria(_Section):
    """The playbook's ROI threshold: the move must be neutral or positive within
    ``within_days`` (default 30) after every cost (tokens, retrieval, the plan's cost items,
    one-off costs), at the given monthly traffic.

    Judged on the interval of the savings: it passes when even the low end of the interval
    of the monthly savings is neutral or positive at ``within_days``, fails when the point
    estimate is not, and is inconclusive in between. Needs the monthly traffic."""

    within_days: float = Field(default=30.0, gt=0)


class SafetyCriteria(_Section):
    """Every target answer must pass each of these metrics (when ``must_pass``)."""

    metrics: list[str] = Field(default_factory=list)
    must_pass: bool = True


class ErrorRateCriteria(_Section):
    """The target's error rate (failed calls and examples it never answered) may exceed the
    source's by at most ``max_increase_points`` percentage points (the playbook's default: 1).
    Judged on an interval: it passes when the upper bound of the ``1 - quality.alpha``
    interval of the difference is within the limit, fails when the observed increase is above
    it, and is inconclusive in between. Set to null to skip the error-rate gate."""

    max_increase_points: float | None = Field(default=1.0, ge=0, le=100)


class TagCriteria(_Section):
    """A gate on the golden rows carrying one tag (``tags: {safety: {must_pass: true}}``).

    ``must_pass``: every target answer on a row with the tag must pass each of ``metrics``
    (default: the quality metrics); a failed call counts as not passing unless
    ``failed_calls: exclude``. ``max_relative_drop``: the tag's slice must also show
    non-inferiority within this margin, as the quality gate does overall. Tag gates read every
    row with the tag, whatever its split."""

    must_pass: bool = False
    metrics: list[str] | None = None
    max_relative_drop: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _gates_something(self) -> TagCriteria:
        if not self.must_pass and self.max_relative_drop is None:
            raise ValueError("a tag criterion needs must_pass: true or a max_relative_drop")
        return self


class Criteria(_Section):
    """All sign-off criteria. ``Criteria()`` gives the playbook's sample values.

    ``failed_calls`` says how an example whose call failed (or that a run never answered)
    counts in the quality metrics: ``count_as_fail`` (default: a failure on that side) or
    ``exclude`` (left out of the pairs, and counted in the report).
    """

    quality: QualityCriteria = Field(default_factory=QualityCriteria)
    latency: LatencyCriteria = Field(default_factory=LatencyCriteria)
    cost: CostCriteria = Field(default_factory=CostCriteria)
    #: the ROI threshold (None: not gated; ``roi: {}`` gives the playbook's 30 days)
    roi: RoiCriteria | None = None
    safety: SafetyCriteria = Field(default_factory=SafetyCriteria)
    error_rate: ErrorRateCriteria = Field(default_factory=ErrorRateCriteria)
    failed_calls: Literal["count_as_fail", "exclude"] = "count_as_fail"
    tags: dict[str, TagCriteria] = Field(default_factory=dict)
    #: SME review (applies once a review queue exists for the compared runs)
    sme: SmeCriteria = Field(default_factory=SmeCriteria)
    use_holdout: bool = True

    def tag_metrics(self, tag: str) -> list[str]:
        """The metrics a tag criterion gates (its own, else the quality metrics)."""
        c = self.tags[tag]
        return list(c.metrics) if c.metrics is not None else list(self.quality.metrics)

    def metric_names(self) -> list[str]:
        """Every metric the criteria need, quality first, without duplicates."""
        tagged = [m for tag in self.tags for m in self.tag_metrics(tag)]
        return list(dict.fromkeys([*self.quality.metrics, *self.safety.metrics, *tagged]))


def parse_criteria(text: str, source: str = "<criteria>") -> Criteria:
    """Parse and validate criteria YAML.

    Args:
        text: the YAML text (empty means all defaults).
        source: the file name used in error messages.

    Returns:
        The validated criteria.

    Raises:
        ConfigError: the YAML is malformed or a field is invalid (names file:line: field).
    """
    data, node = load_yaml(text, source)
    if data is None:
        return Criteria()
    return validate_yaml(data, node, Criteria, source, "sign-off criteria")


def load_criteria(path: str | Path) -> Criteria:
    """Read sign-off criteria from a YAML file.

    Args:
        path: the file.

    Returns:
        The validated criteria.

    Raises:
        ConfigError: the file is missing, unreadable or invalid.
    """
    path = Path(path)
    text = read_config_text(path, "criteria file", "Check the path given to --criteria.")
    return parse_criteria(text, str(path))
