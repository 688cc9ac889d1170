"""What a reviewer is shown about one item: question, context, truth, both answers, verdicts.

:class:`QueueContext` reads a queue's runs, answers, scores and golden examples once; the
web app keeps it for a short while, since runs do not change under a review.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from agility.dataset import GoldenExample, stored_examples
from agility.errors import UnknownName
from agility.review._models import AutomatedVerdict, ItemView
from agility.review._queues import item_summaries
from agility.store import (
    AccountRecord,
    QueueItemRecord,
    QueueRecord,
    ResultRecord,
    RunRecord,
    ScoreRecord,
    Store,
)

__all__ = ["QueueContext", "answer_hash", "item_view", "load_queue_context"]


def answer_hash(text: str | None) -> str | None:
    """SHA-256 of an answer's text (None when there is no answer), tying a verdict to it."""
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class QueueContext:
    """A queue's runs, answers (first repeat), scores and golden examples."""

    queue: QueueRecord
    runs: dict[str, RunRecord]
    items: dict[str, QueueItemRecord]
    answers: dict[str, dict[str, ResultRecord]]
    scores: dict[str, dict[str, list[ScoreRecord]]]
    examples: dict[str, GoldenExample]

    def run_of(self, side: str) -> RunRecord:
        """The run of ``source`` or ``target``."""
        return self.runs[side]


def load_queue_context(store: Store, queue: QueueRecord) -> QueueContext:
    """Read what the queue's pages show from the store."""
    by_id = {r.id: r for r in store.list_runs()}
    runs = {"source": by_id[queue.source_run_id], "target": by_id[queue.target_run_id]}
    items = {i.example_id: i for i in store.queue_items(queue.id)}
    answers: dict[str, dict[str, ResultRecord]] = {}
    scores: dict[str, dict[str, list[ScoreRecord]]] = {}
    for side, run in runs.items():
        answers[side] = {}
        for r in sorted(store.results(run.id), key=lambda r: r.repeat_index):
            if r.example_id in items:
                answers[side].setdefault(r.example_id, r)
        scores[side] = {}
        for s in store.scores(run.id):
            if s.example_id in items and s.repeat_index == 0:
                scores[side].setdefault(s.example_id, []).append(s)
    examples = stored_examples(store, runs["target"].dataset_hash or runs["source"].dataset_hash)
    return QueueContext(queue=queue, runs=runs, items=items, answers=answers, scores=scores,
                        examples={k: v for k, v in examples.items() if k in items})


def _automated(scores: list[ScoreRecord]) -> list[AutomatedVerdict]:
    return [AutomatedVerdict(metric=s.metric, verdict=s.verdict, passed=s.passed,
                             score=s.score, reason=s.reason, error=s.error)
            for s in sorted(scores, key=lambda s: s.metric)]


def item_view(store: Store, context: QueueContext, account: AccountRecord,
              example_id: str) -> ItemView:
    """Everything the review page shows about one item, for this account.

    Raises:
        UnknownName: the example is not in the queue.
    """
    queue = context.queue
    item = context.items.get(example_id)
    if item is None:
        raise UnknownName("example in this queue", example_id, [], argument="example_id")
    summaries = item_summaries(store, queue, account, items=list(context.items.values()))
    order = [s.example_id for s in summaries]
    index = order.index(example_id)
    pending = [s.example_id for s in summaries if s.status == "pending"
               and s.example_id != example_id]
    after = [e for e in order[index + 1:] if e in pending]
    example = context.examples.get(example_id)
    source = context.answers["source"].get(example_id)
    target = context.answers["target"].get(example_id)
    reviews = store.queue_reviews(queue.id, example_id)
    mine = next((r for r in reversed(reviews) if r.reviewer == account.name
                 and r.side == "target"), None)
    lead = account.role == "lead"
    others = [r.model_dump(include={"id", "reviewer", "side", "verdict", "score", "comment",
                                    "flags", "adjudication", "created_at"})
              for r in reviews if lead and r.reviewer != account.name]
    flags = [f.model_dump() for f in store.flags(queue.id, example_id=example_id)
             if lead or f.raised_by == account.name]
    verdicts = {r.reviewer: r.verdict for r in reviews if r.side == "target"
                and not r.adjudication}
    adjudicated = any(r.adjudication for r in reviews)
    contexts = (target.contexts if target is not None and target.contexts is not None
                else (example.contexts if example is not None else []))
    return ItemView(
        queue=queue.name, example_id=example_id, position=index + 1, total=len(order),
        reasons=item.reasons, question=example.question if example else None,
        contexts=list(contexts), ground_truth=example.ground_truth if example else None,
        stratum=example.stratum if example else None,
        tags=list(example.tags) if example else [],
        source_answer=source.output if source else None,
        target_answer=target.output if target else None,
        source_error=source.error if source else "no answer recorded",
        target_error=target.error if target else "no answer recorded",
        automated={side: _automated(context.scores[side].get(example_id, []))
                   for side in ("source", "target")},
        my_review=None if mine is None else mine.model_dump(
            include={"verdict", "score", "comment", "flags", "side", "created_at"}),
        other_reviews=others, flags=flags,
        disagreement=not adjudicated and len(set(verdicts.values())) > 1,
        previous_id=order[index - 1] if index > 0 else None,
        next_id=order[index + 1] if index + 1 < len(order) else None,
        next_pending_id=after[0] if after else (pending[0] if pending else None),
        mine_done=sum(1 for s in summaries if s.status == "done"),
        mine_total=sum(1 for s in summaries if s.status in ("done", "pending")))
