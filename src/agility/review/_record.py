"""Record an SME verdict and resolve a flag: validated, authorised, one transaction each."""

from __future__ import annotations

from typing import Any

from agility.errors import InvalidArgument, PermissionDenied, UnknownName
from agility.review._items import QueueContext, answer_hash
from agility.review._models import ResolveInput, ReviewInput, parse_input
from agility.review._queues import require_queue
from agility.store import AccountRecord, FlagRecord, NewEvent, NewReview, ReviewRecord, Store

__all__ = ["record_review", "resolve_flag"]


def record_review(store: Store, account: AccountRecord, review: ReviewInput | dict[str, Any],
                  *, context: QueueContext | None = None
                  ) -> tuple[ReviewRecord, list[FlagRecord]]:
    """Record one verdict on one answer of a queue (and its flags and event, atomically).

    The verdict is tied to the SHA-256 of the answer it judged. A reviewer may judge an
    item again; the latest verdict counts.

    Args:
        store: the store.
        account: who gives the verdict.
        review: the verdict (a :class:`ReviewInput` or its JSON form).
        context: the queue's context already loaded (the web app's cache), to find the
            answer without reading the run.

    Returns:
        The stored review and the flags it raised.

    Raises:
        InvalidArgument: a field is invalid (verdict, score, flags, notes, ...).
        PermissionDenied: the queue is not the reviewer's, or a reviewer tried to adjudicate.
        UnknownName: no such queue (leads), or the example is not in the queue.
    """
    data = review if isinstance(review, ReviewInput) else parse_input(ReviewInput, review)
    if len(set(data.flags)) != len(data.flags):
        raise InvalidArgument("flags", data.flags, "must not repeat a flag")
    queue = require_queue(store, account, data.queue)
    if data.adjudicate and account.role != "lead":
        raise PermissionDenied(account.name, "adjudicate a disagreement (leads only)")
    if context is not None and context.queue.id == queue.id:
        item = context.items.get(data.example_id)
    else:
        item = next((i for i in store.queue_items(queue.id)
                     if i.example_id == data.example_id), None)
    if item is None:
        raise UnknownName("example in this queue", data.example_id, [],
                          argument="example_id")
    run_id = queue.source_run_id if data.side == "source" else queue.target_run_id
    if context is not None and context.queue.id == queue.id:
        found = context.answers[data.side].get(data.example_id)
        results = [] if found is None else [found]
    else:
        results = [r for r in store.results(run_id) if r.example_id == data.example_id]
    if not results:
        raise InvalidArgument("example_id", data.example_id,
                              f"must have a recorded {data.side} answer")
    answer = min(results, key=lambda r: r.repeat_index)
    digest = answer_hash(answer.output)
    record, flags = store.add_queue_review(NewReview(
        run_id=run_id, example_id=data.example_id, repeat_index=answer.repeat_index,
        reviewer=account.name, verdict=data.verdict, score=float(data.score),
        comment=data.notes or None, sampled_because=",".join(item.reasons) or None,
        queue_id=queue.id, side=data.side, flags=list(data.flags), answer_hash=digest,
        adjudication=data.adjudicate,
    ), event=NewEvent(kind="review.verdict", subject=queue.name, actor=account.name, payload={
        "example_id": data.example_id, "side": data.side, "verdict": data.verdict,
        "score": data.score, "flags": list(data.flags), "answer_hash": digest,
        "adjudication": data.adjudicate}))
    return record, flags


def resolve_flag(store: Store, account: AccountRecord, flag_id: int,
                 resolution: ResolveInput | dict[str, Any] | None = None) -> FlagRecord:
    """Resolve a flag (leads only), with the lead's note, and log it.

    Raises:
        PermissionDenied: the account is not a lead.
        UnknownName: no such flag.
        InvalidArgument: the flag was resolved already, or the note is too long.
    """
    data = resolution if isinstance(resolution, ResolveInput) \
        else parse_input(ResolveInput, resolution or {})
    if account.role != "lead":
        raise PermissionDenied(account.name, "resolve flags (leads only)")
    flag = store.get_flag(flag_id)
    if flag is None:
        raise UnknownName("flag", str(flag_id), [], argument="flag_id")
    queue = next((q for q in store.list_queues() if q.id == flag.queue_id), None)
    return store.resolve_flag(flag_id, account.name, data.resolution, event=NewEvent(
        kind="review.flag_resolved", subject=queue.name if queue else None, actor=account.name,
        payload={"flag_id": flag_id, "kind": flag.kind, "example_id": flag.example_id,
                 "side": flag.side, "resolution": data.resolution}))
