"""SME review: queues drawn by the playbook's sample, verdicts, flags, agreement, export.

The library behind ``agility review`` and the review web app (:mod:`agility.review.web`,
which needs the ``web`` extra). Every verdict, flag resolution and assignment is a store row
plus an event with its actor, written in one transaction.
"""

from agility.review._agreement import queue_agreement
from agility.review._export import EXPORT_COLUMNS, export_reviews, review_rows
from agility.review._items import QueueContext, answer_hash, item_view, load_queue_context
from agility.review._models import (
    FLAGS,
    REVIEW_ROLES,
    VERDICTS,
    AutomatedVerdict,
    ItemSummary,
    ItemView,
    QueueInfo,
    ResolveInput,
    ReviewInput,
    ReviewPolicy,
    parse_input,
)
from agility.review._queues import (
    assign_reviewer,
    create_queue,
    item_summaries,
    queue_info,
    require_queue,
    reviewer_order,
    visible_queues,
)
from agility.review._record import record_review, resolve_flag
from agility.review._sample import draw_sample

__all__ = [
    "EXPORT_COLUMNS",
    "FLAGS",
    "REVIEW_ROLES",
    "VERDICTS",
    "AutomatedVerdict",
    "ItemSummary",
    "ItemView",
    "QueueContext",
    "QueueInfo",
    "ResolveInput",
    "ReviewInput",
    "ReviewPolicy",
    "answer_hash",
    "assign_reviewer",
    "create_queue",
    "draw_sample",
    "export_reviews",
    "item_summaries",
    "item_view",
    "load_queue_context",
    "parse_input",
    "queue_agreement",
    "queue_info",
    "record_review",
    "require_queue",
    "resolve_flag",
    "review_rows",
    "reviewer_order",
    "visible_queues",
]
