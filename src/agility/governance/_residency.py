"""Data residency: where each model runs, checked against the plan's ``residency.allowed``.

Providers report their own location (:meth:`agility.providers.Provider.location`): a Bedrock
region or cross-region profile, this host for local models and loopback servers. OpenAI,
Azure and Anthropic do not say where a call is served, so the user declares it per API host,
*outside* the plan (a plan from a pull request must not vouch for a host's region):
``$AGILITY_PROVIDER_REGIONS="api.openai.com=us-*,myres.openai.azure.com=swedencentral"``.
A model whose location is unknown is refused under a residency policy, with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from agility.errors import PolicyViolation
from agility.governance._policy import ResidencyPolicy
from agility.providers import Location, Provider, get_provider

__all__ = [
    "ENV_PROVIDER_REGIONS",
    "check_residency",
    "declared_regions",
    "plan_models",
    "residency_mapping",
    "resolve_location",
]

ENV_PROVIDER_REGIONS = "AGILITY_PROVIDER_REGIONS"


def declared_regions(text: str | None = None) -> dict[str, tuple[str, ...]]:
    """Regions declared per API host (``host=region[|region...]``, comma-separated); from
    ``$AGILITY_PROVIDER_REGIONS`` when ``text`` is None."""
    text = os.environ.get(ENV_PROVIDER_REGIONS, "") if text is None else text
    out: dict[str, tuple[str, ...]] = {}
    for item in text.split(","):
        host, sep, regions = item.strip().partition("=")
        if sep and host.strip() and regions.strip():
            out[host.strip().lower()] = tuple(r.strip() for r in regions.split("|") if r.strip())
    return out


def resolve_location(provider: Provider,
                     declared: Mapping[str, tuple[str, ...]] | None = None) -> Location:
    """The provider's location, with the user's declaration for its host when it reports none."""
    location = provider.location()
    if location.regions or location.host is None:
        return location
    regions = (declared if declared is not None else declared_regions()).get(location.host)
    if regions:
        return Location(regions, f"declared for {location.host} ({ENV_PROVIDER_REGIONS})",
                        host=location.host)
    return location


def _allowed(region: str, allowed: list[str]) -> bool:
    for rule in allowed:
        if rule == "*" or rule == region:
            return True
        if rule.endswith("-*") and not region.endswith("-*") \
                and region.startswith(rule[:-1]):
            return True
    return False


def check_residency(provider: Provider, policy: ResidencyPolicy | None, *, role: str,
                    declared: Mapping[str, tuple[str, ...]] | None = None) -> Location:
    """Refuse ``provider`` when it may run outside ``policy.allowed`` (no call is made here).

    Args:
        provider: the model (built, not called).
        policy: the plan's residency policy (None: everything is allowed).
        role: what the model is for (``source``, ``target``, ``judge``, a gateway arm).
        declared: regions declared per host (default: ``$AGILITY_PROVIDER_REGIONS``).

    Returns:
        the model's location.

    Raises:
        PolicyViolation: the model may run outside the allowed regions, or where it runs is
            not known; the reason names the model, its location and the allowed regions.
    """
    location = resolve_location(provider, declared)
    if policy is None:
        return location
    allowed = ", ".join(policy.allowed)
    if not location.regions:
        raise PolicyViolation("residency", (
            f"{role} {provider.spec}: where it runs is not known ({location.basis}); the plan "
            f"allows only {allowed}. Declare the host's region outside the plan "
            f"({ENV_PROVIDER_REGIONS}={location.host or 'HOST'}=REGION) if it is one of them"))
    outside = [r for r in location.regions if not _allowed(r, policy.allowed)]
    if outside:
        raise PolicyViolation("residency", (
            f"{role} {provider.spec} may run in {', '.join(outside)} ({location.basis}), "
            f"outside the allowed {allowed}; no call was made"))
    return location


def plan_models(plan: Any, *, judges: bool = True) -> dict[str, Provider]:
    """The models a migration plan calls, built but not called: ``source``, ``target`` (when
    the side names a model: a system may not), and
    with ``judges`` the plan's ``judge`` and any judge a metric names (``judge of NAME``)."""
    models: dict[str, Provider] = {}
    for side in ("source", "target"):
        candidate = getattr(plan, side)
        if candidate.model_spec is not None:  # a system may name no model
            models[side] = get_provider(candidate.model_spec,
                                        dict(candidate.provider_options))
    if not judges:
        return models
    if plan.judge:
        models["judge"] = get_provider(plan.judge, dict(plan.judge_options))
    for metric in plan.metrics:  # a metric may name a judge of its own
        if isinstance(metric, dict) and isinstance(metric.get("judge"), str):
            models[f"judge of {metric.get('name')}"] = get_provider(
                metric["judge"], dict(metric.get("judge_options") or plan.judge_options))
    return models


def residency_mapping(models: Mapping[str, Provider], policy: ResidencyPolicy | None,
                      declared: Mapping[str, tuple[str, ...]] | None = None,
                      ) -> dict[str, Any]:
    """The lineage's residency section: each model's regions and how they are known."""
    out: dict[str, Any] = {"allowed": None if policy is None else list(policy.allowed)}
    for role, provider in models.items():
        location = resolve_location(provider, declared)
        out[role] = {"model": provider.spec, "regions": list(location.regions),
                     "basis": location.basis}
    return out
