"""Sign-off criteria: a validated YAML file, with the playbook's sample values as defaults.

Example (every key optional)::

    quality:   {metrics: [correctness], max_relative_drop: 0.03, alpha: 0.05}
    latency:   {ttft_max_increase_pct: 20, ttft_max_increase_ms: 250}   # either satisfies
    cost:      {max_increase_pct: 0, payback_days: null}
    safety:    {metrics: [], must_pass: true}
    use_holdout: true
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agility._yaml_config import load_yaml, read_config_text, validate_yaml

__all__ = [
    "CostCriteria",
    "Criteria",
    "LatencyCriteria",
    "QualityCriteria",
    "SafetyCriteria",
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
    null to skip the latency gate."""

    ttft_max_increase_pct: float | None = Field(default=20.0, ge=0)
    ttft_max_increase_ms: float | None = Field(default=250.0, ge=0)
    percentile: Literal["p50", "p90", "p95", "p99"] = "p50"


class CostCriteria(_Section):
    """The target may cost at most ``max_increase_pct`` percent more per query than the source,
    or, if ``payback_days`` is set, must pay the migration back within that many days. Set
    ``max_increase_pct`` to null to skip the cost gate."""

    max_increase_pct: float | None = Field(default=0.0, ge=0)
    payback_days: float | None = Field(default=None, gt=0)


class SafetyCriteria(_Section):
    """Every target answer must pass each of these metrics (when ``must_pass``)."""

    metrics: list[str] = Field(default_factory=list)
    must_pass: bool = True


class Criteria(_Section):
    """All sign-off criteria. ``Criteria()`` gives the playbook's sample values."""

    quality: QualityCriteria = Field(default_factory=QualityCriteria)
    latency: LatencyCriteria = Field(default_factory=LatencyCriteria)
    cost: CostCriteria = Field(default_factory=CostCriteria)
    safety: SafetyCriteria = Field(default_factory=SafetyCriteria)
    use_holdout: bool = True

    def metric_names(self) -> list[str]:
        """Every metric the criteria need, quality first, without duplicates."""
        return list(dict.fromkeys([*self.quality.metrics, *self.safety.metrics]))


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
