"""A loaded golden dataset: validated rows, content hash, freeze state and holdout guard."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

from agility._files import atomic_write, describe_os_error
from agility.dataset._io import detect_format
from agility.dataset._manifest import (
    Manifest,
    RowDiff,
    build_manifest,
    canonical_rows,
    diff_rows,
    hash_canonical,
    manifest_path,
    read_manifest,
)
from agility.dataset._schema import SCHEMA_VERSION, GoldenExample
from agility.dataset._validate import validate_file
from agility.errors import (
    DatasetError,
    FrozenDatasetChanged,
    HoldoutAccessError,
    StoreError,
    UsageError,
)
from agility.store import NewEvent, Store, utc_now

__all__ = ["Dataset", "freeze_dataset", "load_dataset", "read_examples", "stored_examples",
           "verify_dataset"]

_SPLITS = ("dev", "holdout")
#: fields of a golden row that are identifiers, not text (never masked)
_ROW_KEYS_KEPT = frozenset({"id", "split", "stratum", "tags"})


class Dataset:
    """A validated golden dataset read from a file.

    Attributes:
        path: the data file.
        hash: sha256 content hash of the canonical rows (the manifest's ``dataset_hash``).
        examples: every row, in file order.
        lines: each example id's line in the file.
        manifest: the freeze manifest beside the file, or None.
    """

    def __init__(self, path: Path, examples: list[GoldenExample], lines: dict[str, int],
                 manifest: Manifest | None) -> None:
        self.path = path
        self.examples = examples
        self.lines = lines
        self.manifest = manifest
        self._canonical = canonical_rows(examples)
        self.hash = hash_canonical(self._canonical)
        self._by_id = {ex.id: ex for ex in examples}

    def __len__(self) -> int:
        return len(self.examples)

    def __repr__(self) -> str:
        return f"Dataset({str(self.path)!r}, rows={len(self)}, hash={self.hash[:12]})"

    @property
    def frozen(self) -> bool:
        """True when a freeze manifest sits beside the file."""
        return self.manifest is not None

    @property
    def has_holdout(self) -> bool:
        """True when any row is in the holdout split."""
        return any(ex.split == "holdout" for ex in self.examples)

    def select(self, splits: Iterable[str] = ("dev",),
               allow_holdout: bool = False) -> list[GoldenExample]:
        """The rows of the given splits, in file order. Rows without a split count as dev.

        Args:
            splits: any of "dev" and "holdout".
            allow_holdout: must be True to receive holdout rows; the holdout is for final
                sign-off only.

        Raises:
            HoldoutAccessError: "holdout" was asked for without ``allow_holdout=True``.
            UsageError: an unknown split name.
        """
        wanted = set(splits)
        unknown = sorted(wanted - set(_SPLITS))
        if unknown:
            raise UsageError(f"unknown split(s) {', '.join(unknown)}: use dev or holdout.")
        if "holdout" in wanted and not allow_holdout:
            raise HoldoutAccessError(
                f"{self.path}: the holdout split is kept for final sign-off. Ask for it "
                f"explicitly (allow_holdout=True in code; on the command line, name the "
                f"holdout split, e.g. --split holdout)."
            )
        return [ex for ex in self.examples if (ex.split or "dev") in wanted]

    def by_turn(self) -> Dataset:
        """This dataset turn by turn: each conversation row becomes one row per assistant
        turn (:func:`agility.dataset.conversation_turns`), other rows stay as they are. Its
        hash is that of the turn rows; the manifest stays with the file.

        Raises:
            DatasetError: a turn row's id is already the id of another row.
        """
        from agility.dataset._turns import expand_turns

        examples = expand_turns(self.examples)
        lines = {ex.id: self.lines.get(str(ex.metadata.get("conversation_id", ex.id)), 0)
                 for ex in examples}
        return Dataset(self.path, examples, lines, None)

    def by_id(self, example_id: str) -> GoldenExample:
        """The example with this id.

        Raises:
            DatasetError: no row has this id.
        """
        try:
            return self._by_id[example_id]
        except KeyError:
            raise DatasetError(f"{self.path}: no example with id {example_id!r}.") from None

    def build_manifest(self, frozen_at: str | None = None) -> Manifest:
        """The manifest that describes the rows as they are now."""
        return build_manifest(self.path, detect_format(self.path), self.examples, frozen_at,
                              self._canonical)

    def diff(self) -> RowDiff:
        """Row ids added, removed or edited since the freeze (all empty if not frozen)."""
        if self.manifest is None:
            return RowDiff(added=[], removed=[], edited=[])
        return diff_rows(self.manifest, self.examples, self._canonical)

    def save_to_store(self, store: Store, mask: Callable[[str], str] | None = None) -> None:
        """Record the dataset and its canonical rows in the store (idempotent by hash).

        Args:
            store: the store.
            mask: applied to every text field of each row before it is stored (a privacy
                policy's masking; ids, split, stratum and tags are kept); the row hashes stay
                those of the dataset's own rows.
        """
        manifest = self.manifest or self.build_manifest()
        rows = [(ex.id, hashlib.sha256(text.encode("utf-8")).hexdigest(), ex.split, ex.stratum,
                 text if mask is None else _mask_row_json(text, mask))
                for ex, (_, text) in zip(self.examples, self._canonical, strict=True)]
        store.save_dataset(self.hash, self.path.name, str(self.path), SCHEMA_VERSION,
                           manifest.model_dump(mode="json"), rows)


def stored_examples(store: Store, dataset_hash: str | None,
                    ids: Collection[str] | None = None) -> dict[str, GoldenExample]:
    """The golden examples a store holds for a dataset, by id (empty for no dataset); only
    those of ``ids`` when given (scoring a large run reads a chunk's examples at a time).

    Rows were validated when they were stored; they are typed again here so every reader
    (scoring, comparison, review) sees the same :class:`GoldenExample`, not a dict.

    Raises:
        StoreError: a stored row no longer validates (a store written by another version).
    """
    if not dataset_hash:
        return {}
    examples: dict[str, GoldenExample] = {}
    for row in store.dataset_rows(dataset_hash, ids):
        try:
            example = GoldenExample.model_validate(row)
        except ValueError as exc:
            raise StoreError(f"the store at {store.path} holds a row of dataset "
                             f"{dataset_hash[:12]} that is not a valid golden example "
                             f"({row.get('id')!r}): {exc}", path=str(store.path)) from exc
        examples[example.id] = example
    return examples


def load_dataset(path: str | Path, verify: bool = True) -> Dataset:
    """Read, validate and (when frozen) verify a golden dataset.

    Args:
        path: a .jsonl, .csv or .parquet file.
        verify: check the rows against the freeze manifest beside the file, if there is one.

    Returns:
        The dataset with every row in file order.

    Raises:
        DatasetError: the file is unreadable or any row is invalid (carries every problem).
        FrozenDatasetChanged: the file was frozen and no longer matches its manifest.
    """
    path = Path(path)
    valid, problems = validate_file(path)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DatasetError(
            f"{path} has {len(errors)} problem(s); run `agility dataset validate {path}` "
            f"for the full list", errors)
    examples = [ex for _, ex in valid]
    manifest = read_manifest(path)
    dataset = Dataset(path, examples, {ex.id: line for line, ex in valid}, manifest)
    if verify and manifest is not None and manifest.dataset_hash != dataset.hash:
        diff = dataset.diff()
        raise FrozenDatasetChanged(str(path), diff.added, diff.removed, diff.edited)
    return dataset


def read_examples(path: str | Path) -> list[GoldenExample]:
    """Every example of a dataset file, validated, in file order (no freeze check).

    Raises:
        DatasetError: the file is unreadable or any row is invalid.
    """
    return load_dataset(path, verify=False).examples


def _mask_row_json(text: str, mask: Callable[[str], str]) -> str:
    """A row's canonical JSON text with every text field masked (identifiers kept)."""
    row = json.loads(text)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return mask(value)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    masked = {k: (v if k in _ROW_KEYS_KEPT else walk(v)) for k, v in row.items()}
    return json.dumps(masked, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _log_decision(store: Store | None, kind: str, dataset: Dataset,
                  payload: dict[str, Any]) -> None:
    """The audit event of a freeze or a verification (no store: nothing is recorded)."""
    if store is not None:
        store.log_event(NewEvent(kind=kind, subject=dataset.hash, payload={
            "path": str(dataset.path), "rows": len(dataset), **payload}))


def freeze_dataset(path: str | Path, *, store: Store | None = None) -> Manifest:
    """Validate a dataset and write its manifest ``<file>.manifest.json`` beside it.

    Re-freezing an already frozen file replaces its manifest.

    Args:
        path: the dataset file.
        store: records the freeze as a ``dataset.freeze`` event in its audit trail.

    Returns:
        The manifest written.

    Raises:
        DatasetError: the file is unreadable or invalid, or the manifest cannot be written.
    """
    dataset = load_dataset(path, verify=False)
    manifest = dataset.build_manifest(frozen_at=utc_now())
    target = manifest_path(dataset.path)
    try:
        # atomically: a 0-byte or truncated manifest would block every command on the dataset
        atomic_write(target, manifest.model_dump_json(indent=2) + "\n")
    except OSError as exc:
        raise DatasetError(f"{target}: cannot write the manifest ({describe_os_error(exc)}); "
                           f"the dataset is not frozen.") from exc
    _log_decision(store, "dataset.freeze", dataset, {"frozen": True,
                                                     "manifest": str(target)})
    return manifest


def verify_dataset(path: str | Path, *, store: Store | None = None) -> RowDiff:
    """Compare a frozen dataset with its manifest.

    Args:
        path: the dataset file.
        store: records the outcome as a ``dataset.verify`` event in its audit trail.

    Returns:
        The ids added, removed and edited since the freeze (all empty when it matches).

    Raises:
        UsageError: the dataset has no manifest (it was never frozen).
        DatasetError: the file is unreadable or a row is invalid.
    """
    dataset = load_dataset(path, verify=False)
    if dataset.manifest is None:
        raise UsageError(f"{path} is not frozen (no {manifest_path(path).name} beside it). "
                         f"Freeze it with `agility dataset freeze {path}`.")
    diff = dataset.diff()
    _log_decision(store, "dataset.verify", dataset, {
        "frozen": True, "matches": not diff.changed, "added": diff.added,
        "removed": diff.removed, "edited": diff.edited})
    return diff
