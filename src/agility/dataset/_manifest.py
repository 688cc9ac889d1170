"""Freeze manifests: what a dataset held when it was frozen, to catch later edits.

The manifest ``<file>.manifest.json`` sits beside the data file and records the schema
version, the content hash (sha256 over the canonical rows in id order, so reordering rows
is not a change), one hash per row id, counts per split and stratum, and the time.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ValidationError

from agility.dataset._schema import SCHEMA_VERSION, GoldenExample, canonical_json
from agility.errors import DatasetError

__all__ = [
    "DatasetCounts",
    "Manifest",
    "RowDiff",
    "build_manifest",
    "canonical_rows",
    "content_hash",
    "count_rows",
    "diff_rows",
    "hash_canonical",
    "manifest_path",
    "read_manifest",
]

#: ``(example id, canonical row JSON)`` pairs, computed once per dataset and reused
CanonicalRows = Sequence[tuple[str, str]]

_NONE = "(none)"


class DatasetCounts(BaseModel):
    """Row counts overall, per split, per stratum and per split/stratum pair."""

    total: int
    by_split: dict[str, int]
    by_stratum: dict[str, int]
    by_split_stratum: dict[str, dict[str, int]]


class Manifest(BaseModel):
    """The content of ``<file>.manifest.json``."""

    schema_version: int
    file: str
    format: str
    dataset_hash: str
    row_count: int
    row_hashes: dict[str, str]
    counts: DatasetCounts
    frozen_at: str | None = None


class RowDiff(BaseModel):
    """Row ids that differ between a frozen manifest and the file now."""

    added: list[str]
    removed: list[str]
    edited: list[str]

    @property
    def changed(self) -> bool:
        """True when any row was added, removed or edited."""
        return bool(self.added or self.removed or self.edited)


def manifest_path(path: str | Path) -> Path:
    """The manifest file beside a data file: ``<file>.manifest.json``."""
    path = Path(path)
    return path.with_name(path.name + ".manifest.json")


def _row_hashes(canonical: CanonicalRows) -> dict[str, str]:
    return {i: hashlib.sha256(text.encode("utf-8")).hexdigest() for i, text in canonical}


def canonical_rows(examples: Sequence[GoldenExample]) -> list[tuple[str, str]]:
    """``(id, canonical row)`` for each example, in the order given."""
    return [(ex.id, canonical_json(ex)) for ex in examples]


def hash_canonical(canonical: CanonicalRows) -> str:
    """sha256 over canonical rows in id order (row order in the file does not matter)."""
    digest = hashlib.sha256()
    for _, text in sorted(canonical):
        digest.update(text.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def content_hash(examples: Sequence[GoldenExample]) -> str:
    """sha256 over the examples' canonical rows in id order (what manifests record)."""
    return hash_canonical(canonical_rows(examples))


def count_rows(examples: Sequence[GoldenExample]) -> DatasetCounts:
    """Counts of ``examples`` per split and stratum (rows without one count as ``(none)``)."""
    pairs = Counter((ex.split or _NONE, ex.stratum or _NONE) for ex in examples)
    nested: dict[str, dict[str, int]] = {}
    for (split, stratum), count in sorted(pairs.items()):
        nested.setdefault(split, {})[stratum] = count
    return DatasetCounts(
        total=len(examples),
        by_split=dict(sorted(Counter(ex.split or _NONE for ex in examples).items())),
        by_stratum=dict(sorted(Counter(ex.stratum or _NONE for ex in examples).items())),
        by_split_stratum=nested,
    )


def build_manifest(path: Path, fmt: str, examples: Sequence[GoldenExample],
                   frozen_at: str | None, canonical: CanonicalRows | None = None) -> Manifest:
    """The manifest describing ``examples`` as read from ``path``."""
    canonical = canonical if canonical is not None else canonical_rows(examples)
    hashes = _row_hashes(canonical)
    return Manifest(
        schema_version=SCHEMA_VERSION, file=path.name, format=fmt,
        dataset_hash=hash_canonical(canonical), row_count=len(examples),
        row_hashes=dict(sorted(hashes.items())), counts=count_rows(examples), frozen_at=frozen_at,
    )


def read_manifest(path: str | Path) -> Manifest | None:
    """The manifest beside ``path``, or None when the dataset is not frozen.

    Raises:
        DatasetError: the manifest exists but is unreadable or from a newer schema.
    """
    target = manifest_path(path)
    if not target.exists():
        return None
    try:
        manifest = Manifest.model_validate(json.loads(target.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as exc:
        raise DatasetError(f"{target}: unreadable freeze manifest ({exc}). Restore it, or "
                           f"re-freeze with `agility dataset freeze {path}`.") from exc
    if manifest.schema_version > SCHEMA_VERSION:
        raise DatasetError(f"{target}: schema version {manifest.schema_version} is newer than "
                           f"this agility's {SCHEMA_VERSION}. Upgrade agility.")
    return manifest


def diff_rows(manifest: Manifest, examples: Sequence[GoldenExample],
              canonical: CanonicalRows | None = None) -> RowDiff:
    """Which row ids were added, removed or edited since the manifest was written."""
    now = _row_hashes(canonical if canonical is not None else canonical_rows(examples))
    then = manifest.row_hashes
    return RowDiff(
        added=sorted(set(now) - set(then)),
        removed=sorted(set(then) - set(now)),
        edited=sorted(i for i in set(now) & set(then) if now[i] != then[i]),
    )
