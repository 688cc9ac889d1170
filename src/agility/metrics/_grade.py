"""Grade answers recorded elsewhere: the library behind ``agility grade``.

Reads JSONL rows with ``id``, ``question``, ``ground_truth`` and ``output`` (optionally
``context``), grades each answer ``correct``, ``incorrect`` or ``refusal`` and writes every row
back with ``verdict``, ``score`` and ``reason`` added. Offline by default (the deterministic
``correctness`` grader); with ``judge="provider/model"`` an LLM judge (``llm_correctness``)
grades instead. A ``mapping`` renames columns, so files in other layouts (FinanceBench's
``gold_answer``/``model_answer``) are read directly.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from agility._files import atomic_open, describe_os_error
from agility._sync import run_sync
from agility.dataset import read_rows as read_dataset_rows
from agility.errors import DatasetError, Problem, UsageError
from agility.metrics._base import Metric, MetricInput, MetricResult, get_metric
from agility.metrics._correctness import CorrectnessMetric

__all__ = ["GRADE_FIELDS", "grade_file", "grade_rows", "parse_mapping", "read_rows"]

#: the fields a row must (or may) carry, after the mapping is applied
GRADE_FIELDS = ("id", "question", "ground_truth", "output", "context")
_REQUIRED = ("id", "question", "ground_truth", "output")


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """Parse ``field=column`` strings (the CLI's ``--map``) into a mapping.

    Raises:
        UsageError: for a malformed pair or an unknown field.
    """
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            raise UsageError(f"--map {pair!r}: expected FIELD=COLUMN, e.g. --map output=model_answer")
        if field not in GRADE_FIELDS:
            raise UsageError(f"--map {pair!r}: unknown field {field!r}; fields are "
                             + ", ".join(GRADE_FIELDS))
        mapping[field] = column
    return mapping


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSONL, CSV or Parquet file, each with its line under ``__line__``.

    Raises:
        DatasetError: the file is missing or not a supported format, or listing every line
            that could not be read.
    """
    raw, problems = read_dataset_rows(path, decode_nested=False)
    if problems:
        raise DatasetError(f"{path} has {len(problems)} unreadable line(s)", problems)
    return [{**r.data, "__line__": r.line} for r in raw]


def _to_input(row: Mapping[str, Any], mapping: Mapping[str, str], where: str,
              line: int | None) -> tuple[MetricInput | None, list[Problem]]:
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for field in GRADE_FIELDS:
        column = mapping.get(field, field)
        value = row.get(column)
        label = field if column == field else f"{column} (as {field})"
        if field in _REQUIRED and (value is None or (field != "output" and value == "")):
            problems.append(Problem(where, line, label, "missing; add it to the row or map "
                                    f"another column with --map {field}=COLUMN"))
        elif field == "context":
            if value is not None and not isinstance(value, str | list):
                problems.append(Problem(where, line, label, "expected text or a list of texts"))
            values[field] = [] if value is None else ([value] if isinstance(value, str) else value)
        elif (value is not None and not isinstance(value, str | int | float)) or isinstance(value, bool):
            problems.append(Problem(where, line, label,
                                    f"expected text or a number, got {type(value).__name__}"))
        else:
            values[field] = value
    if problems:
        return None, problems
    item = MetricInput(
        example_id=str(values["id"]), question=str(values["question"]),
        ground_truth=str(values["ground_truth"]), output=str(values["output"]),
        contexts=[str(c) for c in values["context"]],
    )
    return item, []


def _inputs(rows: list[dict[str, Any]], mapping: Mapping[str, str],
            source: str) -> list[MetricInput]:
    items: list[MetricInput] = []
    problems: list[Problem] = []
    for index, row in enumerate(rows, start=1):
        item, found = _to_input(row, mapping, source, row.get("__line__", index))
        problems.extend(found)
        if item is not None:
            items.append(item)
    if problems:
        raise DatasetError(f"{source}: {len(problems)} problem(s) in the rows to grade", problems)
    return items


def _grade_offline(items: list[MetricInput]) -> list[MetricResult]:
    metric = CorrectnessMetric()
    return [metric.score(item) for item in items]


async def _grade_with_judge(metric: Metric, items: list[MetricInput],
                            concurrency: int) -> list[MetricResult]:
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(item: MetricInput) -> MetricResult:
        async with gate:
            return await metric.ascore(item)

    try:
        return list(await asyncio.gather(*(one(i) for i in items)))
    finally:
        await metric.aclose()


def grade_rows(rows: list[dict[str, Any]], *, mapping: Mapping[str, str] | None = None,
               judge: str | None = None, judge_options: Mapping[str, Any] | None = None,
               judge_repeats: int = 1, judge_settings: Mapping[str, Any] | None = None,
               concurrency: int = 4, source: str = "<rows>") -> list[dict[str, Any]]:
    """Grade answers and return each row with ``verdict``, ``score`` and ``reason`` added.

    Args:
        rows: dicts with ``id``, ``question``, ``ground_truth``, ``output`` (``context``
            optional), under the column names ``mapping`` gives.
        mapping: our field → the row's column (``{"output": "model_answer"}``).
        judge: ``provider/model`` of an LLM judge; None grades offline.
        judge_options: the judge provider's options (``base_url``, ...).
        judge_repeats: ask the judge this many times per answer (majority verdict).
        judge_settings: other options of the judge metric (``max_tokens``, ``timeout_s``,
            ...: :class:`~agility.metrics.JudgeOptions`).
        concurrency: parallel judge calls.
        source: the rows' file name, for error messages.

    Returns:
        New dicts: the input row plus ``verdict`` (``correct``, ``incorrect``, ``refusal``, or
        None when the judge failed), ``score`` (1.0, 0.0 or None), ``reason``, and ``error``
        when the answer could not be graded.

    Raises:
        DatasetError: naming ``source:LINE: field`` for every row lacking a field.
    """
    mapping = dict(mapping or {})
    items = _inputs(rows, mapping, source)
    if judge is None:
        results = _grade_offline(items)
    else:
        metric = get_metric("llm_correctness", dict(judge_settings or {}), judge=judge,
                            judge_options=dict(judge_options or {}), repeats=judge_repeats)
        results = run_sync(_grade_with_judge(metric, items, concurrency))
    graded: list[dict[str, Any]] = []
    for row, result in zip(rows, results, strict=True):
        out = {k: v for k, v in row.items() if k != "__line__"}
        out["verdict"] = result.verdict if result.error is None else None
        out["score"] = result.score if result.error is None else None
        out["reason"] = result.error or result.reason
        if result.error is not None:
            out["error"] = result.error
        if result.judge_model:
            out["judge_model"] = result.judge_model
        graded.append(out)
    return graded


def grade_file(input_path: Path, output_path: Path, *, mapping: Mapping[str, str] | None = None,
               judge: str | None = None, judge_options: Mapping[str, Any] | None = None,
               judge_repeats: int = 1, concurrency: int = 4) -> list[dict[str, Any]]:
    """Grade a JSONL file of answers and write the graded rows as JSONL.

    Args:
        input_path: rows to grade (see :func:`grade_rows`).
        output_path: where to write the graded rows (parent directories are created).
        mapping, judge, judge_options, judge_repeats, concurrency: as for :func:`grade_rows`.

    Returns:
        The graded rows.

    Raises:
        UsageError: when the input cannot be read or the output cannot be written.
        DatasetError: for rows that are not JSON objects or lack a field.
    """
    rows = read_rows(input_path)
    graded = grade_rows(rows, mapping=mapping, judge=judge, judge_options=judge_options,
                        judge_repeats=judge_repeats, concurrency=concurrency,
                        source=str(input_path))
    try:
        with atomic_open(output_path, "w", encoding="utf-8") as handle:
            for row in graded:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write {output_path}: {describe_os_error(exc)}. "
                         f"Check the path.") from exc
    return graded
