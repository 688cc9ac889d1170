"""Rollback triggers: compare the target with the source over the window, with evidence.

Each trigger is judged only on enough evidence (``min_window_requests`` calls per arm, or
``grading.min_graded`` grades per arm for quality); a figure that was not measured on either
arm (cost of an unpriced model) leaves its trigger unjudged, never "passed". What fired is
returned with the figures it was judged on, and those become the rollback event's evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agility.canary._spec import RolloutSpec
from agility.canary._stats import ArmCounts

__all__ = ["TriggerFired", "evaluate_triggers"]


@dataclass(frozen=True)
class TriggerFired:
    """A trigger that fired: its name, the threshold and the figures it was judged on."""

    trigger: str
    threshold: Any
    evidence: dict[str, Any]

    def describe(self) -> str:
        """One line for a person."""
        figures = ", ".join(f"{k}={_show(v)}" for k, v in self.evidence.items())
        return f"{self.trigger} (threshold {_show(self.threshold)}): {figures}"


def _show(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def evaluate_triggers(spec: RolloutSpec, source: ArmCounts, target: ArmCounts, *,
                      sme_flags: int = 0, metrics: list[str] | None = None
                      ) -> list[TriggerFired]:
    """The triggers of ``spec`` that fire for these window counts.

    Args:
        spec: the rollout section (thresholds, minimum evidence).
        source: the source's counts over the window.
        target: the target's counts over the window.
        sme_flags: SME hallucination flags on target answers since the stage began.
        metrics: the online metrics whose grades are compared (default: every metric graded).

    Returns:
        the triggers that fired (empty: none did, or there was not enough evidence yet).
    """
    triggers = spec.triggers
    fired: list[TriggerFired] = []
    if triggers.sme_hallucination_flags is not None and sme_flags >= \
            triggers.sme_hallucination_flags:
        fired.append(TriggerFired("sme_hallucination_flags", triggers.sme_hallucination_flags,
                                  {"flags": sme_flags}))
    enough = min(source.requests, target.requests) >= spec.min_window_requests
    if enough:
        fired.extend(_error_rate(spec, source, target))
        fired.extend(_ttft(spec, source, target))
        fired.extend(_cost(spec, source, target))
    fired.extend(_quality(spec, source, target, metrics))
    return fired


def _error_rate(spec: RolloutSpec, source: ArmCounts, target: ArmCounts) -> list[TriggerFired]:
    limit = spec.triggers.error_rate_increase
    if limit is None or source.error_rate is None or target.error_rate is None:
        return []
    increase = target.error_rate - source.error_rate
    if increase <= limit:
        return []
    return [TriggerFired("error_rate_increase", limit, {
        "target_errors": target.errors, "target_requests": target.requests,
        "target_error_rate": target.error_rate, "source_errors": source.errors,
        "source_requests": source.requests, "source_error_rate": source.error_rate,
        "increase": increase})]


def _ttft(spec: RolloutSpec, source: ArmCounts, target: ArmCounts) -> list[TriggerFired]:
    t = spec.triggers
    if t.ttft_increase_ms is None and t.ttft_increase_pct is None:
        return []
    pct = t.ttft_percentile
    source_ms, target_ms = source.ttft.percentile(pct), target.ttft.percentile(pct)
    if source_ms is None or target_ms is None:
        return []
    increase_ms = target_ms - source_ms
    increase_pct = 100.0 * increase_ms / source_ms if source_ms > 0 else None
    # the playbook's acceptable delta is "<= 20% or <= 250 ms": beyond both is a regression
    over_ms = t.ttft_increase_ms is None or increase_ms > t.ttft_increase_ms
    over_pct = t.ttft_increase_pct is None or increase_pct is None \
        or increase_pct > t.ttft_increase_pct
    if not (over_ms and over_pct) or increase_ms <= 0:
        return []
    return [TriggerFired("ttft_increase", {"ms": t.ttft_increase_ms, "pct": t.ttft_increase_pct},
                         {f"source_ttft_p{pct:g}_ms": round(source_ms, 2),
                          f"target_ttft_p{pct:g}_ms": round(target_ms, 2),
                          "increase_ms": round(increase_ms, 2),
                          "increase_pct": None if increase_pct is None
                          else round(increase_pct, 2),
                          "source_calls_timed": source.ttft.count,
                          "target_calls_timed": target.ttft.count})]


def _cost(spec: RolloutSpec, source: ArmCounts, target: ArmCounts) -> list[TriggerFired]:
    limit = spec.triggers.cost_per_request_increase_pct
    source_cost, target_cost = source.cost_per_request_usd, target.cost_per_request_usd
    if limit is None or source_cost is None or target_cost is None or source_cost <= 0:
        return []  # not measured on an arm (or free): judged by nobody, reported as such
    increase_pct = 100.0 * (target_cost - source_cost) / source_cost
    if increase_pct <= limit:
        return []
    return [TriggerFired("cost_per_request_increase_pct", limit, {
        "source_cost_per_request_usd": source_cost, "target_cost_per_request_usd": target_cost,
        "increase_pct": round(increase_pct, 2), "source_priced_calls": source.cost_n,
        "target_priced_calls": target.cost_n})]


def _quality(spec: RolloutSpec, source: ArmCounts, target: ArmCounts,
             metrics: list[str] | None) -> list[TriggerFired]:
    limit = spec.triggers.quality_drop
    if limit is None:
        return []
    fired = []
    for metric in metrics if metrics is not None else sorted(set(source.quality)
                                                             | set(target.quality)):
        source_mean, source_n = source.quality_mean(metric)
        target_mean, target_n = target.quality_mean(metric)
        if source_mean is None or target_mean is None \
                or min(source_n, target_n) < spec.grading.min_graded:
            continue
        drop = source_mean - target_mean
        if drop > limit:
            fired.append(TriggerFired("quality_drop", limit, {
                "metric": metric, "source_mean": round(source_mean, 4),
                "target_mean": round(target_mean, 4), "drop": round(drop, 4),
                "source_graded": source_n, "target_graded": target_n}))
    return fired
