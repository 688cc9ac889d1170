"""The embedded SQLite store: datasets, runs, results, scores, reviews, lineage, events."""

from agility.store._db import Store, default_store_path, utc_now
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
from agility.store._schema import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "EventRecord",
    "MigrationRecord",
    "NewEvent",
    "NewReview",
    "NewRun",
    "ResultRecord",
    "ReviewRecord",
    "RunRecord",
    "ScoreRecord",
    "SpanRecord",
    "Store",
    "default_store_path",
    "utc_now",
]
