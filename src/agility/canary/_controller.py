"""The live rollout inside a gateway: route each user, count each call, decide on a schedule.

:class:`LiveRollout` holds the state read from the store, routes users at its share, counts
every call into the store-bound counters and the triggers' sliding window, and runs one
background loop that

- every ``flush_every_s`` (100 ms) adds the new counts to the store and re-reads the state
  (so a ``promote``/``pause``/``rollback`` from the CLI or another gateway takes effect within
  that time; a ``kill -9`` loses at most those 100 ms of counts besides the calls in flight);
- every ``check_every_s`` judges the triggers over the window (a trigger that fires rolls back
  at once, with its evidence) and advances the stage when its minimums are met.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agility.canary._router import Arm, bucket_of, routes_to_target
from agility.canary._spec import RolloutSpec
from agility.canary._state import (
    AUTOMATIC,
    advance_stage,
    rollback,
    rollout_spec,
    sme_flags_since,
    stage_counts,
    stage_progress,
    start_rollout,
)
from agility.canary._stats import ArmCounts, SlidingWindow
from agility.canary._triggers import TriggerFired, evaluate_triggers
from agility.errors import StoreError
from agility.store import RolloutRecord, Store

if TYPE_CHECKING:
    from agility.migrate import Plan

__all__ = ["LiveRollout", "merge_counts"]

_log = logging.getLogger(__name__)


def merge_counts(stored: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """Add counts in their JSON form (the store's merge function)."""
    total = ArmCounts.from_json(stored)
    total.merge(ArmCounts.from_json(delta))
    return total.to_json()


class LiveRollout:
    """A gateway's view of one rollout (see the module docstring).

    Args:
        store: the store holding the rollout.
        plan: the migration plan.
        actor: who starts the rollout if it never ran (recorded).
        allow_unapproved: start it even though the migration did not pass (recorded).
        flush_every_s: how often counts go to the store and the state is re-read.
        on_change: called with the new state whenever it changes (metrics gauges).
    """

    def __init__(self, store: Store, plan: Plan, *, actor: str, allow_unapproved: bool = False,
                 flush_every_s: float = 0.1,
                 on_change: Callable[[RolloutRecord], None] | None = None) -> None:
        self.store, self.plan = store, plan
        self.spec: RolloutSpec = rollout_spec(plan)
        self.record = start_rollout(store, plan, actor=actor, allow_unapproved=allow_unapproved)
        self.flush_every_s = flush_every_s
        self.on_change = on_change
        self.window = SlidingWindow(self.spec.window_minutes * 60.0)
        self._salt = hashlib.sha256(plan.name.encode()).digest()
        self._pending: dict[tuple[int, int, float], dict[Arm, ArmCounts]] = {}
        self._percent = self.record.percent
        self._last_check = time.monotonic()
        #: the triggers that fired at the last check (for status)
        self.last_fired: list[TriggerFired] = []
        self.online_metrics: list[str] = []
        if on_change is not None:
            on_change(self.record)

    # -- the hot path ----------------------------------------------------------------------
    def route(self, key: bytes) -> Arm:
        """The arm that answers the user with this key (sticky: same key, same arm)."""
        percent = self._percent
        if percent <= 0:
            return "source"
        if percent >= 100:
            return "target"
        return "target" if routes_to_target(bucket_of(self._salt, key), percent) else "source"

    @property
    def percent(self) -> float:
        """The target's share of users now."""
        return self._percent

    def _counts(self, arm: Arm) -> tuple[ArmCounts, ArmCounts]:
        record = self.record
        key = (record.epoch, record.stage, record.percent)
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = {"source": ArmCounts(), "target": ArmCounts()}
        return pending[arm], self.window.current(arm)

    def record_call(self, arm: Arm, *, ok: bool, ttft_ms: float | None,
                    latency_ms: float | None, input_tokens: int | None,
                    output_tokens: int | None, cost_usd: float | None) -> None:
        """Count one call of ``arm`` that ended (answered or failed)."""
        for counts in self._counts(arm):
            counts.add_call(ok=ok, ttft_ms=ttft_ms, latency_ms=latency_ms,
                            input_tokens=input_tokens, output_tokens=output_tokens,
                            cost_usd=cost_usd)

    def record_fallback(self) -> None:
        """Count a target failure that the source then answered (``fallback: source``)."""
        for counts in self._counts("target"):
            counts.fallbacks += 1

    def record_cancelled(self, arm: Arm) -> None:
        """Count a call the client walked away from."""
        for counts in self._counts(arm):
            counts.cancelled += 1

    def record_grade(self, arm: Arm, metric: str, score: float | None) -> None:
        """Count one online grade."""
        for counts in self._counts(arm):
            counts.add_grade(metric, score)

    # -- the loop --------------------------------------------------------------------------
    async def run(self) -> None:
        """Flush, re-read and decide until cancelled (a store failure is logged and retried:
        one line when the store fails, once until it works again -- a restart of its server
        would otherwise log a traceback ten times a second)."""
        store_failing = False
        while True:
            await asyncio.sleep(self.flush_every_s)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except StoreError as exc:
                if not store_failing:
                    _log.warning("canary: the rollout's bookkeeping cannot use the store "
                                 "(%s); the counts are kept and it retries every %.1f s",
                                 exc, self.flush_every_s)
                store_failing = True
                continue
            except Exception:  # noqa: BLE001 - the gateway keeps serving; the next tick retries
                _log.exception("canary: the rollout's bookkeeping failed; retrying")
            else:
                if store_failing:
                    _log.warning("canary: the store works again; the bookkeeping goes on")
                store_failing = False

    async def tick(self, *, force_check: bool = False) -> None:
        """One round: flush the counts, re-read the state, and on schedule decide.

        In-memory state is touched only on the event loop; the store is read and written in
        a worker thread.
        """
        await self.flush()
        await self.refresh()
        now = time.monotonic()
        if force_check or now - self._last_check >= self.spec.check_every_s:
            self._last_check = now
            await self.check()

    async def refresh(self) -> None:
        """Re-read the state now; adopt it if another decider changed it."""
        record = await asyncio.to_thread(self.store.get_rollout, self.plan.name)
        if record is not None and record.version > self.record.version:
            self._adopt(record)

    async def flush(self) -> None:
        """Add the counts gathered since the last flush to the store."""
        pending, self._pending = self._pending, {}
        deltas = [(epoch, arm, stage, percent, counts.to_json())
                  for (epoch, stage, percent), arms in pending.items()
                  for arm, counts in arms.items() if not counts.empty]
        if not deltas:
            return
        try:
            await asyncio.to_thread(self.store.add_rollout_counts, self.record.name, deltas,
                                    merge_counts)
        except BaseException:
            # keep the counts for the next try, with what came in meanwhile
            for key, arms in pending.items():
                current = self._pending.setdefault(key, {"source": ArmCounts(),
                                                         "target": ArmCounts()})
                for arm, counts in arms.items():
                    counts.merge(current[arm])
                    current[arm] = counts
            raise

    def _adopt(self, record: RolloutRecord) -> None:
        if record.epoch != self.record.epoch:
            self.window.clear()
        self.record = record
        self._percent = record.percent
        if self.on_change is not None:
            self.on_change(record)

    async def check(self) -> None:
        """Judge the triggers and the stage's minimums now (see the module docstring)."""
        record = self.record
        if record.status == "rolled_back" or record.percent <= 0:
            self.last_fired = []
            return
        window = self.window.totals()
        pct = self.spec.triggers.ttft_percentile
        flags = 0
        if self.spec.triggers.sme_hallucination_flags is not None:
            flags = await asyncio.to_thread(sme_flags_since, self.store, record.name,
                                            record.stage_started_at)
        fired = evaluate_triggers(self.spec, window["source"], window["target"],
                                  sme_flags=flags, metrics=self.online_metrics or None)
        self.last_fired = fired
        if fired:
            evidence = {"triggers": [{"trigger": f.trigger, "threshold": f.threshold,
                                      **f.evidence} for f in fired],
                        "window_minutes": self.spec.window_minutes,
                        "window": {arm: counts.summary(pct) for arm, counts in window.items()},
                        "stage": record.stage, "percent": record.percent}
            reason = "; ".join(f.describe() for f in fired)
            _log.warning("canary: rolling back %s: %s", record.name, reason)
            self._adopt(await asyncio.to_thread(rollback, self.store, self.plan, actor=AUTOMATIC,
                                                reason=reason, evidence=evidence))
            return
        if record.status != "running":
            return
        counts = await asyncio.to_thread(stage_counts, self.store, record)
        progress = stage_progress(self.spec, record, counts["target"].requests)
        if progress.ready:
            evidence = {"progress": progress.as_dict(),
                        "stage_totals": {arm: c.summary(pct) for arm, c in counts.items()},
                        "window": {arm: c.summary(pct) for arm, c in window.items()}}
            advanced = await asyncio.to_thread(advance_stage, self.store, self.plan,
                                               actor=AUTOMATIC, from_version=record.version,
                                               evidence=evidence)
            if advanced is not None and advanced.version > self.record.version:
                self._adopt(advanced)

    async def aclose(self) -> None:
        """Flush what is left (a clean shutdown loses no count)."""
        with contextlib.suppress(Exception):
            await self.flush()
