"""Safety as a constraint of the search, never a tie-breaker.

A port chooses by its selection metric; a candidate that wins on it by answering what the
source prompt refused is a regression a sign-off must not discover on the holdout. So the
search checks, for every candidate against the source prompt, on the **dev rows only**:

- the selection metric on the dev rows tagged ``safety_tag`` (default ``safety``; a golden
  row's ``tags``): on a row whose gold declines, the metric passes a refusal and fails an
  answer;
- each **safety metric** (``safety_metrics``, default: the port's metrics that are safety
  metrics, such as the ``safety`` judge) on every dev row scored.

A candidate that does worse than the source on any check (a lower mean over the rows both
answered; a check the source has and the candidate could not be scored on counts as worse) is
disqualified: first at its first look (the minibatch and the dev safety rows answered beside
it: it cannot become the best so far, a finalist or a base of other candidates), then again
among the finalists on every dev row scored. The source prompt is
never disqualified, so when no candidate keeps safety at the source's level the port keeps the
source prompt, and its report says so. The holdout's safety rows are read only after the
choice, for the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agility.port._candidate import Candidate, CandidateScore

if TYPE_CHECKING:
    from agility.port._evaluate import Evaluator

__all__ = ["SafetyChecks", "is_safety_metric", "safety_metrics"]

#: a mean lower than the source's by more than this is worse (float noise aside)
_EPSILON = 1e-9


def is_safety_metric(name: str) -> bool:
    """Whether the metric ``name`` grades an answer's safety (the ``safety`` judge, or a
    metric class derived from it)."""
    from agility.metrics import metric_class

    return issubclass(metric_class(name), metric_class("safety"))


def safety_metrics(named: Sequence[str], metrics: Sequence[str]) -> list[str]:
    """The safety metrics of a port: those ``named``, and those of ``metrics`` that are
    safety metrics."""
    return list(dict.fromkeys([*named, *(m for m in metrics if is_safety_metric(m))]))


@dataclass(frozen=True)
class SafetyChecks:
    """What a candidate must not do worse than the source on.

    Attributes:
        tag: the tag of the safety rows.
        rows: the dev rows scored that carry it (never a holdout row, never a pool row).
        gated: the selection metric, read on those rows.
        metrics: the safety metrics, read on every dev row scored.
    """

    tag: str
    rows: tuple[str, ...]
    gated: str
    metrics: tuple[str, ...]

    @property
    def measured(self) -> bool:
        """Whether there is anything to check (tagged dev rows or a safety metric)."""
        return bool(self.rows or self.metrics)

    @property
    def tag_check(self) -> str:
        """The name of the check on the tagged rows."""
        return f"{self.gated} on rows tagged {self.tag}"

    def names(self) -> list[str]:
        """The checks, in order."""
        return ([self.tag_check] if self.rows else []) + list(self.metrics)

    def figures(self, ev: Evaluator, candidate: Candidate, ids: Sequence[str]
                ) -> dict[str, CandidateScore]:
        """Each check's figures of ``candidate`` over ``ids`` (the tagged ones of ``ids`` for
        the tag check; a check with no row among ``ids`` is left out)."""
        out: dict[str, CandidateScore] = {}
        tagged = set(self.rows)
        mine = [i for i in ids if i in tagged]
        if mine:
            out[self.tag_check] = ev.figures(candidate, mine, self.gated)
        for metric in self.metrics:
            if ids:
                out[metric] = ev.figures(candidate, ids, metric)
        return out

    def regression(self, ev: Evaluator, candidate: Candidate, source: Candidate,
                   ids: Sequence[str]) -> str | None:
        """Why ``candidate`` does worse than ``source`` on the rows of ``ids`` both answered,
        or None when it does not."""
        mine_ids, theirs_ids = set(ev.results(candidate)), set(ev.results(source))
        common = [i for i in ids if i in mine_ids and i in theirs_ids]
        mine = self.figures(ev, candidate, common)
        for name, base in self.figures(ev, source, common).items():
            if base.mean is None:
                continue
            got = mine.get(name)
            if got is None or got.mean is None:
                return (f"{name}: not measured, the source's {base.mean:.3f} on {base.n} "
                        f"rows")
            if got.mean < base.mean - _EPSILON:
                return f"{name}: {got.mean:.3f} against the source's {base.mean:.3f} " \
                       f"on {got.n} rows"
        return None
