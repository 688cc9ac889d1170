"""``example_ids``: a run calls only the examples it is given, inside the splits it is given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agility.errors import UsageError
from agility.runner import run_model
from agility.store import Store


def _golden(tmp_path: Path) -> Path:
    path = tmp_path / "g.jsonl"
    path.write_text("".join(json.dumps({
        "id": f"r{i}", "source_prompt": f"question {i}", "ground_truth": "x",
        "split": "holdout" if i == 3 else "dev"}) + "\n" for i in range(5)))
    return path


def test_only_the_given_examples_are_called_and_more_resume_the_run(tmp_path: Path) -> None:
    golden = _golden(tmp_path)
    with Store(tmp_path / "s.db") as store:
        first = run_model(golden, "mock/echo", name="t", store=store, splits=["dev"],
                          example_ids=["r2", "r0"], progress=False)
        assert first.n_done == 2
        again = run_model(golden, "mock/echo", name="t", store=store, splits=["dev"],
                          example_ids=["r0", "r1", "r2"], resume=True, progress=False)
        assert (again.n_done, again.skipped_on_resume) == (1, 2)
        done = {r.example_id for r in store.results(store.require_run("t").id)}
    assert done == {"r0", "r1", "r2"}


def test_a_holdout_id_outside_the_dev_split_is_refused_before_any_call(tmp_path: Path) -> None:
    golden = _golden(tmp_path)
    with Store(tmp_path / "s.db") as store:
        with pytest.raises(UsageError, match=r"no example 'r3' in split\(s\) dev") as info:
            run_model(golden, "mock/echo", name="t", store=store, splits=["dev"],
                      example_ids=["r0", "r3"], progress=False)
        assert info.value.argument == "example_ids"
        assert store.get_run("t") is None
