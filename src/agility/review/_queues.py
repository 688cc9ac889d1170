"""Review queues: create one from a comparison, assign reviewers, list what a reviewer sees.

A reviewer sees only the queues assigned to them; a lead sees every queue. Within a queue,
each reviewer works through the items in an order of their own (seeded by queue, reviewer
and example), so reviewers sharing a queue rarely judge the same single-review item at once.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

from agility.errors import PermissionDenied, UnknownName, UsageError
from agility.review._models import ItemSummary, QueueInfo, ReviewPolicy
from agility.review._sample import draw_sample
from agility.store import (
    AccountRecord,
    NewEvent,
    QueueItemRecord,
    QueueRecord,
    Store,
)

__all__ = [
    "assign_reviewer",
    "create_queue",
    "item_summaries",
    "queue_info",
    "require_queue",
    "reviewer_order",
    "visible_queues",
]


def create_queue(store: Store, name: str, source_run: str, target_run: str,
                 policy: ReviewPolicy | None = None, *, actor: str | None = None,
                 exist_ok: bool = False, splits: Sequence[str] | None = None) -> QueueRecord:
    """Draw the playbook sample of a comparison into a new review queue.

    Args:
        store: the store holding both runs.
        name: the queue's name.
        source_run: the source run's name.
        target_run: the target run's name.
        policy: the sampling policy (default: the playbook's).
        actor: who created it (recorded in the ``review.queue_created`` event).
        exist_ok: return the existing queue of that name, when it was drawn from the same
            runs, instead of failing (``migrate`` re-runs).
        splits: draw only answers to examples of these splits (None: every answer), as the
            comparison reads them (a port's run also holds the dev rows it searched on).

    Returns:
        The queue.

    Raises:
        RunNotFound: a run does not exist.
        NameTaken: the name is taken (and not ``exist_ok`` for the same runs).
        UsageError: the runs are the same, or the target lacks the policy's metric.
    """
    from agility.auth import check_name
    from agility.compare import load_comparison

    check_name(name)
    policy = policy or ReviewPolicy()
    existing = store.get_queue(name)
    inputs = load_comparison(store, source_run, target_run, None, splits=splits)
    if existing is not None and exist_ok:
        if (existing.source_run_id, existing.target_run_id) != (inputs.source.id,
                                                                inputs.target.id):
            raise UsageError(f"review queue '{name}' exists for other runs: pick another name",
                             argument="name")
        return existing
    target_scores = {metric: pair[1] for metric, pair in inputs.scores.items()}
    if policy.metric not in target_scores:
        target_scores[policy.metric] = store.scores(inputs.target.id, policy.metric)
    if splits is not None:
        kept = {i for i, e in inputs.examples.items() if (e.split or "dev") in set(splits)}
        target_scores = {m: [s for s in scores if s.example_id in kept]
                         for m, scores in target_scores.items()}
    items = draw_sample(target_scores, inputs.examples, policy)
    settings = {"policy": policy.model_dump(), "source_run": source_run,
                "target_run": target_run}
    return store.create_queue(name, inputs.source.id, inputs.target.id, items,
                              settings=settings, created_by=actor, event=NewEvent(
                                  kind="review.queue_created", subject=name, actor=actor,
                                  payload={**settings, "items": len(items)}))


def _queue(store: Store, name: str) -> QueueRecord:
    queue = store.get_queue(name)
    if queue is None:
        raise UnknownName("review queue", name, [q.name for q in store.list_queues()],
                          argument="queue")
    return queue


def assign_reviewer(store: Store, queue: str, account: str, *, actor: str | None = None) -> bool:
    """Give an account access to a queue; False when it had it already.

    Raises:
        UnknownName: no such queue or account.
    """
    record = _queue(store, queue)
    user = store.get_account(account)
    if user is None:
        raise UnknownName("account", account, [a.name for a in store.list_accounts()],
                          argument="name")
    return store.assign_reviewer(record.id, user.id, event=NewEvent(
        kind="review.assigned", subject=queue, actor=actor, payload={"account": account}))


def visible_queues(store: Store, account: AccountRecord) -> list[QueueRecord]:
    """The queues an account may see: all for a lead, the assigned ones for a reviewer."""
    queues = store.list_queues()
    if account.role == "lead":
        return queues
    mine = store.assigned_queue_ids(account.id)
    return [q for q in queues if q.id in mine]


def require_queue(store: Store, account: AccountRecord, name: str) -> QueueRecord:
    """The queue ``name`` when the account may see it.

    Raises:
        UnknownName: no such queue (leads only; others get PermissionDenied, which does not
            say whether it exists).
        PermissionDenied: the queue is not assigned to this reviewer.
    """
    queue = store.get_queue(name)
    if account.role == "lead":
        if queue is None:
            raise UnknownName("review queue", name, [q.name for q in store.list_queues()],
                              argument="queue")
        return queue
    if queue is None or queue.id not in store.assigned_queue_ids(account.id):
        raise PermissionDenied(account.name, f"open review queue '{name}' (not assigned)")
    return queue


def reviewer_order(queue: QueueRecord, reviewer: str,
                   items: list[QueueItemRecord]) -> list[QueueItemRecord]:
    """The items in the order this reviewer works through them (stable per reviewer)."""
    def key(item: QueueItemRecord) -> str:
        return hashlib.sha256(f"{queue.id}\0{reviewer}\0{item.example_id}".encode()).hexdigest()

    return sorted(items, key=key)


class _State:
    """Who judged what in a queue (target side), computed once per request."""

    def __init__(self, verdicts: list[tuple[str, str, str | None, bool]]) -> None:
        self.latest: dict[str, dict[str, str]] = defaultdict(dict)
        self.adjudicated: set[str] = set()
        for example_id, reviewer, verdict, adjudication in verdicts:
            if verdict is None:
                continue
            if adjudication:
                self.adjudicated.add(example_id)
            else:
                self.latest[example_id][reviewer] = verdict

    def reviewers(self, example_id: str) -> dict[str, str]:
        return self.latest.get(example_id, {})

    def disagreement(self, example_id: str) -> bool:
        return example_id not in self.adjudicated \
            and len(set(self.reviewers(example_id).values())) > 1

    def settled(self, item: QueueItemRecord) -> bool:
        if item.example_id in self.adjudicated:
            return True
        verdicts = self.reviewers(item.example_id)
        return len(verdicts) >= item.required_reviews and len(set(verdicts.values())) == 1


def _quota(queue: QueueRecord) -> int | None:
    return (queue.settings.get("policy") or {}).get("per_reviewer")


def item_summaries(store: Store, queue: QueueRecord, account: AccountRecord,
                   status: str = "all", *,
                   items: list[QueueItemRecord] | None = None) -> list[ItemSummary]:
    """The queue's items as this account sees them, in its own order.

    ``pending`` lists what the account still has to judge: items it has not judged that
    still need a reviewer, up to its ``per_reviewer`` quota. ``done`` lists what it judged,
    ``all`` everything; leads also get ``disagreements`` and ``flagged``. ``items`` are the
    queue's items when the caller has them already (they never change).

    Raises:
        InvalidArgument: an unknown status.
    """
    from agility.errors import InvalidArgument

    allowed = ("pending", "done", "all", "disagreements", "flagged")
    if status not in allowed:
        raise InvalidArgument("status", status, f"must be one of {', '.join(allowed)}")
    items = reviewer_order(queue, account.name,
                           store.queue_items(queue.id) if items is None else items)
    state = _State(store.queue_verdicts(queue.id))
    open_flags: dict[str, int] = defaultdict(int)
    for flag in store.flags(queue.id, unresolved_only=True):
        open_flags[flag.example_id] += 1
    done = sum(1 for i in items if account.name in state.reviewers(i.example_id))
    quota = _quota(queue)
    room = None if quota is None else max(0, quota - done)
    out = []
    for item in items:
        mine = state.reviewers(item.example_id).get(account.name)
        needs = len(state.reviewers(item.example_id)) < item.required_reviews \
            and item.example_id not in state.adjudicated
        item_status: Literal["pending", "done", "closed"] = (
            "done" if mine is not None else ("pending" if needs else "closed"))
        if item_status == "pending" and room is not None:
            if room <= 0:
                item_status = "closed"
            else:
                room -= 1
        summary = ItemSummary(
            example_id=item.example_id, position=item.position, reasons=item.reasons,
            required_reviews=item.required_reviews,
            reviews=len(state.reviewers(item.example_id)), my_verdict=mine,
            status=item_status, disagreement=state.disagreement(item.example_id),
            unresolved_flags=open_flags.get(item.example_id, 0))
        if status == "all" or status == item_status \
                or (status == "disagreements" and summary.disagreement) \
                or (status == "flagged" and summary.unresolved_flags):
            out.append(summary)
    return out


def queue_info(store: Store, queue: QueueRecord, account: AccountRecord) -> QueueInfo:
    """A queue's headline figures and this account's progress in it."""
    items = store.queue_items(queue.id)
    state = _State(store.queue_verdicts(queue.id))
    summaries = item_summaries(store, queue, account, items=items)
    mine_done = sum(1 for s in summaries if s.status == "done")
    mine_pending = sum(1 for s in summaries if s.status == "pending")
    return QueueInfo(
        name=queue.name, source_run=queue.settings.get("source_run", ""),
        target_run=queue.settings.get("target_run", ""), items=len(items),
        settled=sum(1 for i in items if state.settled(i)), mine_done=mine_done,
        mine_total=mine_done + mine_pending,
        unresolved_flags=len(store.flags(queue.id, unresolved_only=True)),
        disagreements=sum(1 for i in items if state.disagreement(i.example_id)),
        reviewers=store.queue_reviewers(queue.id), created_at=queue.created_at)
