"""Stratified, seeded dev/holdout split and the holdout guard."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from agility.dataset import GoldenExample, load_dataset, split_dataset, split_examples
from agility.errors import HoldoutAccessError, UsageError

STRATA = {"simple": 40, "multi-hop": 25, "numeric": 7, "rare": 1}


def examples(golden_rows: Callable) -> list[GoldenExample]:
    return [GoldenExample.model_validate(r) for r in golden_rows(STRATA)]


def test_each_stratum_gets_its_rounded_share_and_at_least_one(golden_rows: Callable) -> None:
    rows, report = split_examples(examples(golden_rows), holdout=0.2, seed=7)
    holdout = Counter(ex.stratum for ex in rows if ex.split == "holdout")
    for name, size in STRATA.items():
        assert holdout[name] == max(1, math.floor(size * 0.2 + 0.5)), name
    assert holdout == {"simple": 8, "multi-hop": 5, "numeric": 1, "rare": 1}
    assert {s.stratum: (s.dev, s.holdout) for s in report}["multi-hop"] == (20, 5)
    assert all(ex.split in ("dev", "holdout") for ex in rows)


def test_rows_keep_their_order_and_content_apart_from_split(golden_rows: Callable) -> None:
    before = examples(golden_rows)
    after, _ = split_examples(before, holdout=0.3, seed=1)
    assert [ex.id for ex in after] == [ex.id for ex in before]
    assert [ex.model_copy(update={"split": None}) for ex in after] == before


def test_same_seed_gives_same_bytes_and_other_seed_differs(tmp_path: Path, golden_rows: Callable,
                                                           write_jsonl: Callable) -> None:
    src = write_jsonl(tmp_path / "golden.jsonl", golden_rows(STRATA))
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        split_dataset(src, tmp_path / f"{name}.jsonl", holdout=0.25, seed=seed)
    a, b, c = ((tmp_path / f"{n}.jsonl").read_bytes() for n in "abc")
    assert a == b
    assert a != c


def test_split_by_a_metadata_field(golden_rows: Callable) -> None:
    rows = [GoldenExample.model_validate({**r, "metadata": {"company": f"c{i % 2}"}})
            for i, r in enumerate(golden_rows({"x": 20}))]
    out, report = split_examples(rows, by="metadata.company", holdout=0.5, seed=0)
    assert {s.stratum: s.holdout for s in report} == {"c0": 5, "c1": 5}
    assert Counter(ex.metadata["company"] for ex in out if ex.split == "holdout") == {
        "c0": 5, "c1": 5}


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_holdout_fraction_outside_zero_one_is_refused(golden_rows: Callable,
                                                     fraction: float) -> None:
    with pytest.raises(UsageError, match="between 0 and 1"):
        split_examples(examples(golden_rows), holdout=fraction)


def test_holdout_needs_explicit_permission(tmp_path: Path, golden_rows: Callable,
                                          write_jsonl: Callable) -> None:
    src = write_jsonl(tmp_path / "golden.jsonl", golden_rows(STRATA))
    split_dataset(src, tmp_path / "split.jsonl", holdout=0.2, seed=3)
    ds = load_dataset(tmp_path / "split.jsonl")
    assert ds.has_holdout
    dev = ds.select()
    assert dev and all(ex.split == "dev" for ex in dev)
    with pytest.raises(HoldoutAccessError, match="final sign-off"):
        ds.select(("dev", "holdout"))
    everything = ds.select(("dev", "holdout"), allow_holdout=True)
    assert len(everything) == len(ds.examples) == sum(STRATA.values())


def test_rows_without_split_count_as_dev(tmp_path: Path, golden_rows: Callable,
                                        write_jsonl: Callable) -> None:
    ds = load_dataset(write_jsonl(tmp_path / "g.jsonl", golden_rows({"a": 3})))
    assert not ds.has_holdout
    assert [ex.id for ex in ds.select()] == ["a-000", "a-001", "a-002"]


def test_cli_split_prints_the_table_and_writes_split(tmp_path: Path, cli: Callable,
                                                    golden_rows: Callable,
                                                    write_jsonl: Callable) -> None:
    src = write_jsonl(tmp_path / "golden.jsonl", golden_rows(STRATA))
    out = tmp_path / "split.csv"
    result = cli("dataset", "split", src, "--by", "stratum", "--holdout", "0.2", "--seed", "5",
                 "-o", out)
    assert result.exit_code == 0, result.output
    assert "multi-hop" in result.stdout
    counts = Counter(ex.split for ex in load_dataset(out).examples)
    assert counts == {"dev": 58, "holdout": 15}
