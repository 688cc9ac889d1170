"""Dataset files on a disk that is really full (a small tmpfs): old files survive, no debris.

`dataset freeze` on a full disk used to leave a 0-byte manifest that then blocked every
command on the dataset.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from agility.dataset import GoldenExample, load_dataset, write_examples
from agility.errors import DatasetError


def rows(n: int) -> list[dict[str, str]]:
    return [{"id": f"q{i:04d}", "source_prompt": f"question {i}?", "ground_truth": f"a{i}"}
            for i in range(n)]


def debris(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_freeze_on_a_full_disk_says_so_and_leaves_no_manifest(
        tiny_disk: object, cli: Callable[..., Result]) -> None:
    folder: Path = tiny_disk.path  # type: ignore[attr-defined]
    data = folder / "golden.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows(300)), encoding="utf-8")
    tiny_disk.fill()  # type: ignore[attr-defined]
    result = cli("dataset", "freeze", str(data))
    assert not (folder / "golden.jsonl.manifest.json").exists()
    assert debris(folder) == []
    assert result.exit_code == 2
    assert "the disk is full" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    tiny_disk.free()  # type: ignore[attr-defined]
    assert len(load_dataset(data)) == 300  # nothing blocks the dataset
    assert cli("dataset", "freeze", str(data)).exit_code == 0


def test_refreezing_on_a_full_disk_keeps_the_old_manifest(
        tiny_disk: object, cli: Callable[..., Result]) -> None:
    folder: Path = tiny_disk.path  # type: ignore[attr-defined]
    data = folder / "golden.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows(300)), encoding="utf-8")
    assert cli("dataset", "freeze", str(data)).exit_code == 0
    manifest = folder / "golden.jsonl.manifest.json"
    before = manifest.read_bytes()
    tiny_disk.fill()  # type: ignore[attr-defined]
    assert cli("dataset", "freeze", str(data)).exit_code == 2
    assert manifest.read_bytes() == before
    assert debris(folder) == []


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_rewriting_a_dataset_on_a_full_disk_keeps_the_old_file(tiny_disk: object,
                                                               suffix: str) -> None:
    folder: Path = tiny_disk.path  # type: ignore[attr-defined]
    target = folder / f"golden{suffix}"
    write_examples(target, [GoldenExample.model_validate(r) for r in rows(20)])
    before = target.read_bytes()
    tiny_disk.fill()  # type: ignore[attr-defined]
    bigger = [GoldenExample.model_validate({**r, "notes": "n" * 5000}) for r in rows(400)]
    with pytest.raises(DatasetError, match="the disk is full"):
        write_examples(target, bigger)
    assert target.read_bytes() == before
    assert debris(folder) == []
