"""A stored run of given answers, for metric tests (not a test module)."""

from __future__ import annotations

import json

from agility.store import NewRun, ResultRecord, Store


def store_run(store: Store, answers: dict[str, str | None], *, name: str = "run",
              truth: str = "x") -> int:
    """A run called ``name`` of ``answers`` (example id -> output; None: a failed call) over a
    dataset of the same ids whose ground truth is ``truth``. Returns the run's id."""
    rows = [(i, f"h{i}", "dev", None, json.dumps({"id": i, "source_prompt": f"Say {i}",
                                                  "ground_truth": truth})) for i in answers]
    store.save_dataset("ds", "golden", None, 1, {}, rows)
    run = store.create_run(NewRun(name=name, dataset_hash="ds", model_spec="mock/x",
                                  tool_version="t", started_at="2026-01-01T00:00:00Z"))
    store.save_results(run.id, [
        ResultRecord(example_id=i, output=a) if a is not None
        else ResultRecord(example_id=i, error="ProviderTimeout: no answer")
        for i, a in answers.items()])
    return run.id
