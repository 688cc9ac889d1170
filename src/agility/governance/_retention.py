"""Retention: delete what a plan's ``retention:`` says is past its time, or one run on request.

The store does the deleting (:meth:`agility.store.Store.purge`) and leaves a tombstone event;
payloads are emptied, not their digests, so ``agility audit verify`` still proves the chain.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agility.errors import UsageError
from agility.governance._policy import RetentionPolicy
from agility.store import PurgeReport, Store

__all__ = ["purge_store", "retention_cutoffs"]


def retention_cutoffs(retention: RetentionPolicy | None,
                      now: datetime | None = None) -> dict[str, str]:
    """Each kind's cut-off time (ISO 8601 UTC): data created before it is past retention."""
    if retention is None:
        return {}
    now = now or datetime.now(UTC)
    return {kind: (now - timedelta(days=days)).isoformat(timespec="milliseconds")
            for kind, days in retention.model_dump().items() if days is not None}


def purge_store(store: Store, retention: RetentionPolicy | None = None, *,
                run: str | None = None, now: datetime | None = None) -> PurgeReport:
    """Delete what is past ``retention`` (and the run ``run``), leaving a tombstone event.

    Args:
        store: the store.
        retention: days kept per kind (``raw_outputs``, ``prompts``, ``reviews``, ``audit``).
        run: a run to delete now, whatever its age (its calls' payloads are emptied too).
        now: the time the purge counts from (default: now).

    Raises:
        UsageError: neither a retention policy nor a run was given.
        RunNotFound: ``run`` names no run.
    """
    cutoffs = retention_cutoffs(retention, now)
    if not cutoffs and run is None:
        raise UsageError("nothing to purge: give a plan with a retention: section, or a run "
                         "to delete", argument="run")
    when = (now or datetime.now(UTC)).isoformat(timespec="milliseconds")
    return store.purge(cutoffs=cutoffs, run=run, now=when,
                       retention=None if retention is None else retention.model_dump())
