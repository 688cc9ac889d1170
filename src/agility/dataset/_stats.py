"""Dataset statistics: counts per split and stratum, missing fields, rough token counts."""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel

from agility.dataset._dataset import load_dataset
from agility.dataset._manifest import DatasetCounts, count_rows
from agility.dataset._schema import GoldenExample

__all__ = ["DatasetStats", "TokenEstimate", "dataset_stats", "estimate_tokens"]

#: optional fields whose absence is counted
_OPTIONAL = ("input_context", "model_config", "source_output", "latency_ms", "input_tokens",
             "output_tokens", "automated_score", "human_score", "notes", "stratum", "split")


def estimate_tokens(text: str) -> int:
    """A rough token count (about four characters per token for English text)."""
    return math.ceil(len(text) / 4)


class TokenEstimate(BaseModel):
    """Rough token counts of one kind of text over the rows that have it (None if none do)."""

    rows: int
    total: int | None
    mean: float | None
    max: int | None


class DatasetStats(BaseModel):
    """What :func:`dataset_stats` reports."""

    path: str
    dataset_hash: str
    frozen: bool
    counts: DatasetCounts
    #: optional field -> number of rows without it
    missing: dict[str, int]
    #: "prompt" (with context), "ground_truth", "source_output" -> rough token counts
    tokens: dict[str, TokenEstimate]
    #: sums of the recorded source-run token counts (None when no row records them)
    recorded_input_tokens: int | None
    recorded_output_tokens: int | None


def _estimate(texts: list[str]) -> TokenEstimate:
    if not texts:
        return TokenEstimate(rows=0, total=None, mean=None, max=None)
    counts = [estimate_tokens(t) for t in texts]
    return TokenEstimate(rows=len(counts), total=sum(counts),
                         mean=round(sum(counts) / len(counts), 1), max=max(counts))


def _missing(example: GoldenExample, name: str) -> bool:
    return name not in example.to_row()


def _recorded(values: list[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def dataset_stats(path: str | Path) -> DatasetStats:
    """Summarise a dataset file (verified first when frozen).

    Raises:
        DatasetError, FrozenDatasetChanged: the file is invalid or changed since frozen.
    """
    dataset = load_dataset(path, verify=True)
    rows = dataset.examples
    prompts = ["\n".join(m.content for m in ex.prompt_messages()) for ex in rows]
    return DatasetStats(
        path=str(dataset.path),
        dataset_hash=dataset.hash,
        frozen=dataset.frozen,
        counts=count_rows(rows),
        missing={name: sum(_missing(ex, name) for ex in rows) for name in _OPTIONAL},
        tokens={
            "prompt": _estimate(prompts),
            "ground_truth": _estimate([ex.ground_truth for ex in rows]),
            "source_output": _estimate([ex.source_output for ex in rows
                                        if ex.source_output is not None]),
        },
        recorded_input_tokens=_recorded([ex.input_tokens for ex in rows]),
        recorded_output_tokens=_recorded([ex.output_tokens for ex in rows]),
    )
