"""Stratified, seeded dev/holdout split.

Each stratum gets its share of the holdout, rounded half up, and at least one holdout row
when it has any rows. Which rows go to the holdout depends only on the seed, the stratum
and the set of ids in it (not on row order), so the same input and seed give the same split.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agility.dataset._dataset import load_dataset
from agility.dataset._io import write_examples
from agility.dataset._manifest import manifest_path
from agility.dataset._schema import GoldenExample
from agility.errors import InvalidArgument, UsageError

__all__ = ["SplitReport", "StratumSplit", "field_value", "sample_examples", "split_dataset",
           "split_examples"]

_NONE = "(none)"


class StratumSplit(BaseModel):
    """How one stratum was split."""

    stratum: str
    total: int
    dev: int
    holdout: int


class SplitReport(BaseModel):
    """What :func:`split_dataset` did."""

    output: str
    by: str
    holdout_fraction: float
    seed: int
    strata: list[StratumSplit]


def field_value(example: GoldenExample, dotted: str) -> Any:
    """The value of a field of ``example`` by dotted path (``stratum``, ``metadata.company``).

    Raises:
        UsageError: the first part is not a field of the golden example schema.
    """
    head, _, rest = dotted.partition(".")
    attr = "generation_config" if head == "model_config" else head
    if attr not in type(example).model_fields:
        raise UsageError(f"--by {dotted}: '{head}' is not a golden example field; use e.g. "
                         f"stratum, split, or metadata.<key>.")
    value: Any = getattr(example, attr)
    if isinstance(value, (BaseModel, list)):
        value = example.to_row().get(head)
    for part in rest.split(".") if rest else []:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _rng(seed: int, stratum: str) -> random.Random:
    # derive one generator per stratum so strata do not influence each other's draw
    digest = hashlib.sha256(f"{seed}\x00{stratum}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def split_examples(
    examples: Sequence[GoldenExample], by: str = "stratum", holdout: float = 0.2, seed: int = 0
) -> tuple[list[GoldenExample], list[StratumSplit]]:
    """Assign ``split`` on every example, stratified by the field ``by``.

    Args:
        examples: the rows; their order is kept.
        by: field (dotted path allowed) whose value defines the strata.
        holdout: fraction of each stratum to put in the holdout, strictly between 0 and 1.
        seed: the random seed.

    Returns:
        New examples with ``split`` set, in the original order, and the per-stratum counts.

    Raises:
        UsageError: ``holdout`` is outside (0, 1) or ``by`` is not a field.
    """
    if not 0.0 < holdout < 1.0:
        raise UsageError(f"--holdout {holdout}: give a fraction between 0 and 1, e.g. 0.2.")
    groups: dict[str, list[str]] = {}
    for ex in examples:
        value = field_value(ex, by)
        groups.setdefault(_NONE if value is None else str(value), []).append(ex.id)
    chosen: set[str] = set()
    report: list[StratumSplit] = []
    for stratum in sorted(groups):
        ids = sorted(groups[stratum])
        count = min(len(ids), max(1, math.floor(len(ids) * holdout + 0.5)))
        chosen.update(_rng(seed, stratum).sample(ids, count))
        report.append(StratumSplit(stratum=stratum, total=len(ids), dev=len(ids) - count,
                                   holdout=count))
    rows = [ex.model_copy(update={"split": "holdout" if ex.id in chosen else "dev"})
            for ex in examples]
    return rows, report


def split_dataset(path: str | Path, out: str | Path, by: str = "stratum",
                  holdout: float = 0.2, seed: int = 0) -> SplitReport:
    """Split a dataset file into dev and holdout and write the result (same seed, same bytes).

    Args:
        path: the dataset (verified first if frozen).
        out: the output file; its suffix picks the format.
        by: the stratification field (dotted paths into ``metadata`` allowed).
        holdout: fraction of each stratum for the holdout.
        seed: the random seed.

    Returns:
        What was written, per stratum.

    Raises:
        DatasetError, FrozenDatasetChanged: the input is invalid or changed since frozen.
        UsageError: bad arguments, or ``out`` would overwrite a frozen dataset.
    """
    dataset = load_dataset(path, verify=True)
    out = Path(out)
    if manifest_path(out).exists():
        raise UsageError(f"{out} is frozen; write the split to a new file and freeze that one.")
    rows, strata = split_examples(dataset.examples, by=by, holdout=holdout, seed=seed)
    write_examples(out, rows)
    return SplitReport(output=str(out), by=by, holdout_fraction=holdout, seed=seed, strata=strata)


def sample_examples(examples: Sequence[GoldenExample], rows: int,
                    seed: int = 0) -> list[GoldenExample]:
    """A seeded sample of ``rows`` examples that keeps each (stratum, split) group's share.

    Each group is shuffled with its own seeded generator; the k-th of a group of n ranks at
    k/n, and the lowest ranks are kept, so every group gets its share (rounded) and small
    groups are not dropped first. The same seed gives the same sample.

    Args:
        examples: the rows.
        rows: how many to keep (all of them when there are fewer).
        seed: the sample's seed.

    Returns:
        The kept examples, in their original order.

    Raises:
        InvalidArgument: ``rows`` is less than 1.
    """
    if rows < 1:
        raise InvalidArgument("rows", rows, "must be at least 1")
    groups: dict[str, list[int]] = {}
    for index, example in enumerate(examples):
        key = f"{example.stratum or _NONE}\x00{example.split or 'dev'}"
        groups.setdefault(key, []).append(index)
    ranked: list[tuple[float, int]] = []
    for key in sorted(groups):
        members = groups[key]
        order = _rng(seed, key).sample(members, len(members))
        ranked += [(position / len(order), index) for position, index in enumerate(order)]
    keep = sorted(index for _, index in sorted(ranked)[:rows])
    return [examples[i] for i in keep]
