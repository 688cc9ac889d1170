"""Builds runs, results and scores in a real store for the compare and report tests."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from agility.store import NewRun, ResultRecord, RunRecord, ScoreRecord, Store, utc_now


def save_dataset(store: Store, rows: list[dict[str, Any]], name: str = "golden") -> str:
    """Store golden rows (dicts with id, stratum, split, ground_truth, ...); returns the hash."""
    text = json.dumps(rows, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()
    store.save_dataset(digest, name, None, 1, {}, [
        (r["id"], hashlib.sha256(json.dumps(r, sort_keys=True).encode()).hexdigest(),
         r.get("split"), r.get("stratum"), json.dumps(r)) for r in rows])
    return digest


def add_run(store: Store, name: str, dataset_hash: str | None,
            results: Iterable[Mapping[str, Any]], model: str = "mock/model",
            meta: Mapping[str, Any] | None = None) -> RunRecord:
    """Create a run with its results and scores.

    Each item holds ResultRecord fields plus ``scores``: {metric: (score, passed)} or
    {metric: {"error": "..."}} for a failed judgment. ``meta`` is the run's meta (e.g. its
    ``parallel_calls``, as the runner records it).
    """
    run = store.create_run(NewRun(name=name, dataset_hash=dataset_hash, model_spec=model,
                                     tool_version="test", started_at=utc_now(), status="finished",
                                     meta=dict(meta or {})))
    assert run.id is not None
    records, scores = [], []
    for item in results:
        fields = {k: v for k, v in item.items() if k != "scores"}
        records.append(ResultRecord(**fields))
        for metric, value in (item.get("scores") or {}).items():
            base = dict(example_id=fields["example_id"],
                        repeat_index=fields.get("repeat_index", 0), metric=metric)
            if isinstance(value, dict):
                scores.append(ScoreRecord(**base, error=value["error"]))
            else:
                score, passed = value
                scores.append(ScoreRecord(**base, score=score, passed=passed))
    store.save_results(run.id, records)
    store.save_scores(run.id, scores)
    return run
