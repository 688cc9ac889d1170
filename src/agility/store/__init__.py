"""The store (embedded SQLite, or PostgreSQL for a team): datasets, runs, results, scores, reviews, lineage, events,
web accounts and their sessions."""

from agility.store._accounts import AccountRecord, SessionRecord
from agility.store._audit import AuditFinding, AuditReport, current_actor, set_actor
from agility.store._batch_writer import BatchWriter
from agility.store._canary_tables import RolloutCountsRecord, RolloutRecord
from agility.store._copy import StoreCopy, TableCopy, copy_store
from agility.store._db import (
    LEASE_HEARTBEAT_S,
    LEASE_STALE_AFTER_S,
    Store,
    default_store_location,
    default_store_path,
    new_lease_owner,
    shown_status,
    utc_now,
)
from agility.store._purge import PurgeReport
from agility.store._records import (
    EventRecord,
    MigrationRecord,
    NewEvent,
    NewReview,
    NewRun,
    ResultRecord,
    ReviewRecord,
    RunRecord,
    ScoreRecord,
    SpanRecord,
)
from agility.store._review_tables import FlagRecord, NewQueueItem, QueueItemRecord, QueueRecord
from agility.store._schema import SCHEMA_VERSION

__all__ = [
    "LEASE_HEARTBEAT_S",
    "LEASE_STALE_AFTER_S",
    "SCHEMA_VERSION",
    "AccountRecord",
    "AuditFinding",
    "AuditReport",
    "BatchWriter",
    "EventRecord",
    "FlagRecord",
    "MigrationRecord",
    "NewEvent",
    "NewQueueItem",
    "NewReview",
    "NewRun",
    "PurgeReport",
    "QueueItemRecord",
    "QueueRecord",
    "ResultRecord",
    "ReviewRecord",
    "RolloutCountsRecord",
    "RolloutRecord",
    "RunRecord",
    "ScoreRecord",
    "SessionRecord",
    "SpanRecord",
    "Store",
    "StoreCopy",
    "TableCopy",
    "copy_store",
    "current_actor",
    "default_store_location",
    "default_store_path",
    "new_lease_owner",
    "set_actor",
    "shown_status",
    "utc_now",
]
