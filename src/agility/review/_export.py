"""Export a queue's verdicts: one row per verdict, with reviewer, time and answer hash."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from agility._files import atomic_write, describe_os_error
from agility.errors import InvalidArgument, UnknownName, UsageError
from agility.runner._report import _csv_safe
from agility.store import Store

__all__ = ["EXPORT_COLUMNS", "export_reviews", "review_rows"]

EXPORT_COLUMNS = ("queue", "review_id", "example_id", "repeat_index", "side", "run",
                  "reviewer", "verdict", "score", "flags", "notes", "adjudication",
                  "answer_hash", "sampled_because", "created_at")


def review_rows(store: Store, queue: str) -> list[dict[str, Any]]:
    """The queue's verdicts as rows (oldest first), one per verdict given.

    Raises:
        UnknownName: no such queue.
    """
    record = store.get_queue(queue)
    if record is None:
        raise UnknownName("review queue", queue, [q.name for q in store.list_queues()],
                          argument="queue")
    runs = {r.id: r.name for r in store.list_runs()}
    return [{"queue": queue, "review_id": r.id, "example_id": r.example_id,
             "repeat_index": r.repeat_index, "side": r.side, "run": runs.get(r.run_id),
             "reviewer": r.reviewer, "verdict": r.verdict,
             "score": None if r.score is None else int(r.score), "flags": list(r.flags),
             "notes": r.comment, "adjudication": r.adjudication, "answer_hash": r.answer_hash,
             "sampled_because": r.sampled_because, "created_at": r.created_at}
            for r in store.queue_reviews(record.id)]


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def _csv(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in rows:  # notes and ids are people's text: never let a cell run as a formula
        writer.writerow({k: _csv_safe(v) for k, v in {**r, "flags": ";".join(r["flags"])}.items()})
    return buffer.getvalue().encode("utf-8")


def _parquet(rows: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([
        ("queue", pa.string()), ("review_id", pa.int64()), ("example_id", pa.string()),
        ("repeat_index", pa.int64()), ("side", pa.string()), ("run", pa.string()),
        ("reviewer", pa.string()), ("verdict", pa.string()), ("score", pa.int64()),
        ("flags", pa.list_(pa.string())), ("notes", pa.string()),
        ("adjudication", pa.bool_()), ("answer_hash", pa.string()),
        ("sampled_because", pa.string()), ("created_at", pa.string())])
    table = pa.Table.from_pylist(rows, schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


_WRITERS = {".jsonl": _jsonl, ".csv": _csv, ".parquet": _parquet}


def export_reviews(store: Store, queue: str, path: str | Path) -> int:
    """Write a queue's verdicts to ``path`` (``.jsonl``, ``.csv`` or ``.parquet``), atomically.

    Returns:
        How many verdicts were written.

    Raises:
        UnknownName: no such queue.
        InvalidArgument: an unknown file extension.
        UsageError: the file cannot be written.
    """
    path = Path(path)
    writer = _WRITERS.get(path.suffix.lower())
    if writer is None:
        raise InvalidArgument("output", str(path), "must end in .jsonl, .csv or .parquet")
    rows = review_rows(store, queue)
    try:
        atomic_write(path, writer(rows))
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {describe_os_error(exc)}",
                         argument="output") from exc
    return len(rows)
