"""Freeze manifests catch edited, added and removed rows; reordering is not a change."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from agility.dataset import (
    freeze_dataset,
    load_dataset,
    manifest_path,
    split_dataset,
    verify_dataset,
)
from agility.errors import FrozenDatasetChanged, UsageError


@pytest.fixture()
def frozen(tmp_path: Path, golden_rows: Callable, write_jsonl: Callable) -> Path:
    path = write_jsonl(tmp_path / "golden.jsonl", golden_rows({"a": 4, "b": 3}))
    freeze_dataset(path)
    return path


def rewrite(path: Path, edit: Callable[[list[dict]], list[dict]]) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    path.write_text("".join(json.dumps(r) + "\n" for r in edit(rows)))


def test_manifest_records_hashes_counts_and_time(frozen: Path) -> None:
    manifest = json.loads(manifest_path(frozen).read_text())
    assert manifest_path(frozen).name == "golden.jsonl.manifest.json"
    assert manifest["schema_version"] == 1
    assert manifest["dataset_hash"] == load_dataset(frozen).hash
    assert sorted(manifest["row_hashes"]) == [f"a-00{i}" for i in range(4)] + [
        f"b-00{i}" for i in range(3)]
    assert manifest["counts"]["by_stratum"] == {"a": 4, "b": 3}
    assert manifest["frozen_at"]
    assert load_dataset(frozen).frozen


def test_edited_added_and_removed_rows_are_named(frozen: Path) -> None:
    def edit(rows: list[dict]) -> list[dict]:
        rows[1]["ground_truth"] = "changed"
        del rows[4]
        return [*rows, {"id": "new-1", "source_prompt": "q", "ground_truth": "x"}]

    rewrite(frozen, edit)
    diff = verify_dataset(frozen)
    assert (diff.added, diff.removed, diff.edited) == (["new-1"], ["b-000"], ["a-001"])
    with pytest.raises(FrozenDatasetChanged) as caught:
        load_dataset(frozen)
    message = str(caught.value)
    assert "added: new-1" in message and "removed: b-000" in message
    assert "edited: a-001" in message and "agility dataset freeze" in message


def test_reordering_rows_is_not_a_change(frozen: Path) -> None:
    rewrite(frozen, lambda rows: list(reversed(rows)))
    assert not verify_dataset(frozen).changed
    assert load_dataset(frozen).hash == json.loads(manifest_path(frozen).read_text())[
        "dataset_hash"]


def test_cli_verify_names_each_row_and_exits_nonzero(frozen: Path, cli: Callable) -> None:
    assert cli("dataset", "verify", frozen).exit_code == 0
    rewrite(frozen, lambda rows: [{**rows[0], "notes": "edited"}, *rows[2:]])
    result = cli("dataset", "verify", frozen)
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [f"{frozen}: removed: a-001", f"{frozen}: edited: a-000"]
    assert "has changed since it was frozen" in result.stderr


def test_commands_refuse_a_changed_frozen_dataset(frozen: Path, cli: Callable,
                                                  tmp_path: Path) -> None:
    rewrite(frozen, lambda rows: rows[:-1])
    for args in (("split", frozen, "-o", tmp_path / "s.jsonl"), ("stats", frozen),
                 ("validate", frozen)):
        result = cli("dataset", *args)
        assert result.exit_code == 2, args
        assert "removed: b-002" in result.stderr
    assert not (tmp_path / "s.jsonl").exists()


def test_verify_on_an_unfrozen_file_says_how_to_freeze(tmp_path: Path, cli: Callable,
                                                       golden_rows: Callable,
                                                       write_jsonl: Callable) -> None:
    path = write_jsonl(tmp_path / "g.jsonl", golden_rows({"a": 2}))
    result = cli("dataset", "verify", path)
    assert result.exit_code == 2
    assert "is not frozen" in result.stderr and "agility dataset freeze" in result.stderr


def test_split_will_not_overwrite_a_frozen_file(frozen: Path) -> None:
    with pytest.raises(UsageError, match="is frozen"):
        split_dataset(frozen, frozen, holdout=0.5)
    assert not verify_dataset(frozen).changed


def test_freeze_and_verify_with_a_store_are_audit_events(tmp_path: Path, cli: Callable,
                                                         golden_rows: Callable,
                                                         write_jsonl: Callable,
                                                         store_location: str) -> None:
    from agility.store import Store

    path = write_jsonl(tmp_path / "g.jsonl", golden_rows({"a": 3}))
    db = store_location
    assert cli("--actor", "carol", "dataset", "freeze", path, "--store", db).exit_code == 0
    assert cli("dataset", "verify", path, "--store", db).exit_code == 0
    rewrite(path, lambda rows: [{**rows[0], "ground_truth": "edited"}, *rows[1:]])
    assert cli("dataset", "verify", path, "--store", db).exit_code == 2
    with Store(db) as store:
        events = [e for e in store.events() if e.kind.startswith("dataset.")]
        assert store.verify_audit().ok
    assert [e.kind for e in events] == ["dataset.freeze", "dataset.verify", "dataset.verify"]
    assert events[0].actor == "carol" and events[0].payload["rows"] == 3
    assert events[1].payload["matches"] is True
    assert events[2].payload["matches"] is False and events[2].payload["edited"] == ["a-000"]
