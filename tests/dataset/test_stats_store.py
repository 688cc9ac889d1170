"""`agility dataset stats`, and recording a dataset in the store."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from agility.dataset import canonical_json, dataset_stats, estimate_tokens, load_dataset, row_hash
from agility.store import Store


def test_stats_count_strata_splits_missing_fields_and_tokens(tmp_path: Path,
                                                             write_jsonl: Callable) -> None:
    rows = [
        {"id": "1", "source_prompt": "x" * 40, "ground_truth": "y" * 8, "stratum": "a",
         "split": "dev", "source_output": "z" * 12, "input_tokens": 10},
        {"id": "2", "source_prompt": "x" * 80, "ground_truth": "y" * 4, "stratum": "a",
         "split": "holdout", "input_tokens": 5},
        {"id": "3", "source_prompt": "x" * 4, "ground_truth": "y", "stratum": "b"},
    ]
    stats = dataset_stats(write_jsonl(tmp_path / "g.jsonl", rows))
    assert stats.counts.by_stratum == {"a": 2, "b": 1}
    assert stats.counts.by_split == {"(none)": 1, "dev": 1, "holdout": 1}
    assert stats.counts.by_split_stratum["holdout"] == {"a": 1}
    assert stats.missing["source_output"] == 2
    assert stats.missing["split"] == 1
    assert stats.missing["stratum"] == 0
    assert stats.tokens["prompt"].total == 10 + 20 + 1
    assert stats.tokens["source_output"].rows == 1
    assert stats.recorded_input_tokens == 15
    # nothing recorded is "not measured", not zero
    assert stats.recorded_output_tokens is None


def test_estimate_tokens_is_about_four_characters_each() -> None:
    assert [estimate_tokens(t) for t in ("", "abcd", "abcde")] == [0, 1, 2]


def test_cli_stats_prints_tables(tmp_path: Path, cli: Callable, golden_rows: Callable,
                                 write_jsonl: Callable) -> None:
    path = write_jsonl(tmp_path / "g.jsonl", golden_rows({"alpha": 3, "beta": 2}))
    result = cli("dataset", "stats", path)
    assert result.exit_code == 0, result.output
    assert "alpha" in result.stdout and "beta" in result.stdout
    assert "rough token counts" in result.stdout


def test_save_to_store_records_canonical_rows_once(tmp_path: Path, tmp_store: Store,
                                                   golden_rows: Callable,
                                                   write_jsonl: Callable) -> None:
    path = write_jsonl(tmp_path / "g.jsonl", golden_rows({"a": 3}))
    ds = load_dataset(path)
    ds.save_to_store(tmp_store)
    ds.save_to_store(tmp_store)
    header = tmp_store.get_dataset(ds.hash)
    assert header is not None and header["row_count"] == 3
    assert header["manifest"]["dataset_hash"] == ds.hash
    assert tmp_store.dataset_rows(ds.hash) == [json.loads(canonical_json(ex))
                                               for ex in ds.examples]
    stored = tmp_store.query("SELECT example_id, row_hash, stratum FROM dataset_rows "
                             "WHERE dataset_hash=? ORDER BY position", (ds.hash,))
    assert [tuple(r) for r in stored] == [(ex.id, row_hash(ex), "a") for ex in ds.examples]
    assert tmp_store.query("SELECT COUNT(*) FROM datasets")[0][0] == 1
