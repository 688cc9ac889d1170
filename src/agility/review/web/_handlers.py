"""What every route does, once: parse, authorise, call the library, return data.

The JSON API and the HTML pages call these same functions; a route only adds its transport
(JSON in and out, or a form in and a page or redirect out).
"""

from __future__ import annotations

import time
from typing import Any

from agility.auth import Authenticator, Principal
from agility.compare import SmeSummary
from agility.errors import InvalidArgument
from agility.review._agreement import queue_agreement
from agility.review._items import QueueContext, item_view, load_queue_context
from agility.review._models import ItemSummary, ItemView, QueueInfo
from agility.review._queues import item_summaries, queue_info, require_queue, visible_queues
from agility.review._record import record_review, resolve_flag
from agility.store import FlagRecord, ReviewRecord, Store

__all__ = ["ReviewService"]


class ReviewService:
    """The review app's operations for one store, shared by the API and the pages.

    Args:
        store: the store.
        context_ttl_s: how long a queue's runs, answers and scores stay cached (they do not
            change under a review; verdicts and flags are always read fresh).
    """

    def __init__(self, store: Store, *, context_ttl_s: float = 30.0) -> None:
        self.store = store
        self.auth = Authenticator(store)
        self._ttl = context_ttl_s
        self._contexts: dict[str, tuple[float, QueueContext]] = {}

    def context(self, principal: Principal, queue: str) -> QueueContext:
        """The queue's context, when the principal may see the queue."""
        record = require_queue(self.store, principal.account, queue)
        cached = self._contexts.get(queue)
        if cached is None or cached[0] < time.monotonic() or cached[1].queue.id != record.id:
            cached = (time.monotonic() + self._ttl, load_queue_context(self.store, record))
            self._contexts[queue] = cached
        return cached[1]

    def queues(self, principal: Principal) -> list[QueueInfo]:
        """The queues the principal sees, with progress."""
        return [queue_info(self.store, q, principal.account)
                for q in visible_queues(self.store, principal.account)]

    def queue(self, principal: Principal, queue: str) -> QueueInfo:
        """One queue's headline figures."""
        return queue_info(self.store, require_queue(self.store, principal.account, queue),
                          principal.account)

    def items(self, principal: Principal, queue: str, status: str = "pending"
              ) -> list[ItemSummary]:
        """The queue's items with this status, in the principal's order."""
        context = self.context(principal, queue)
        return item_summaries(self.store, context.queue, principal.account, status,
                              items=list(context.items.values()))

    def item(self, principal: Principal, queue: str, example_id: str) -> ItemView:
        """Everything about one item."""
        return item_view(self.store, self.context(principal, queue), principal.account,
                         example_id)

    def review(self, principal: Principal, data: Any) -> tuple[ReviewRecord, list[FlagRecord]]:
        """Record a verdict (``data`` as posted)."""
        context = None
        if isinstance(data, dict) and isinstance(data.get("queue"), str):
            queue = self.store.get_queue(data["queue"])
            cached = self._contexts.get(data["queue"])
            if queue is not None and cached is not None and cached[1].queue.id == queue.id:
                context = cached[1]
        return record_review(self.store, principal.account, data, context=context)

    def resolve(self, principal: Principal, flag_id: str, data: Any) -> FlagRecord:
        """Resolve a flag (leads)."""
        if not flag_id.isdigit() or len(flag_id) > 18:
            raise InvalidArgument("flag_id", flag_id, "must be a flag's number")
        return resolve_flag(self.store, principal.account, int(flag_id), data)

    def agreement(self, principal: Principal, queue: str) -> SmeSummary:
        """Agreement of the queue's SMEs with the automated metrics and each other."""
        return queue_agreement(self.store, require_queue(self.store, principal.account, queue))
