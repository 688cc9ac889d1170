"""Validating raw rows against the golden example schema, collecting every problem."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from agility.dataset._io import RawRow, read_rows
from agility.dataset._schema import GoldenExample
from agility.errors import Problem

__all__ = ["MIN_STRATUM_SIZE", "RECOMMENDED_SIZE", "validate_file", "validate_rows"]

#: a stratum with fewer examples than this gets a warning (too few to compare)
MIN_STRATUM_SIZE = 10
#: the playbook asks for 500-2,000 examples per use case
RECOMMENDED_SIZE = (500, 2000)


def _message(error: ErrorDetails) -> str:
    kind, msg = error["type"], str(error["msg"])
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field; put extra information under 'metadata'"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    given = error.get("input")
    shown = repr(given) if len(repr(given)) <= 40 else repr(given)[:37] + "..."
    return f"{msg} (got {shown})"


def _field(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]" if parts else f"[{item}]"]
        else:
            parts.append(str(item))
    return ".".join(parts) or "-"


def validate_rows(
    rows: Iterable[RawRow], where: str
) -> tuple[list[tuple[int, GoldenExample]], list[Problem]]:
    """Check each row against :class:`GoldenExample` and the ids against each other.

    Args:
        rows: raw rows with their line numbers.
        where: the file name to put in problems.

    Returns:
        ``(line, example)`` for every valid row, and every problem found (errors, then
        warnings about small strata and dataset size).
    """
    valid: list[tuple[int, GoldenExample]] = []
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for row in rows:
        # ids of invalid rows count too: a duplicate is reported whichever row is broken
        raw_id = row.data.get("id")
        key = str(raw_id) if isinstance(raw_id, (str, int)) and raw_id != "" else None
        duplicate = key is not None and key in first_line
        if key is not None and duplicate:
            problems.append(Problem(where, row.line, "id", f"duplicate id {key!r} "
                                    f"(first used on line {first_line[key]})"))
        elif key is not None:
            first_line[key] = row.line
        try:
            example = GoldenExample.model_validate(row.data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                problems.append(Problem(where, row.line, _field(error["loc"]), _message(error)))
            continue
        if not duplicate:
            valid.append((row.line, example))
    problems.extend(_warnings(valid, where))
    return valid, problems


def _warnings(valid: list[tuple[int, GoldenExample]], where: str) -> list[Problem]:
    warnings: list[Problem] = []
    sizes = Counter(ex.stratum for _, ex in valid if ex.stratum is not None)
    first: dict[str | None, int] = {}
    for line, ex in valid:
        first.setdefault(ex.stratum, line)
    for stratum, count in sorted(sizes.items()):
        if count < MIN_STRATUM_SIZE:
            warnings.append(Problem(where, first[stratum], "stratum",
                                    f"stratum {stratum!r} has only {count} example(s); "
                                    f"aim for at least {MIN_STRATUM_SIZE} per stratum",
                                    severity="warning"))
    low, high = RECOMMENDED_SIZE
    if valid and len(valid) < low:
        warnings.append(Problem(where, None, None, f"{len(valid)} examples; the playbook asks "
                                f"for {low:,}-{high:,} per use case", severity="warning"))
    return warnings


def validate_file(path: str | Path) -> tuple[list[tuple[int, GoldenExample]], list[Problem]]:
    """Read and validate a dataset file, collecting every problem (nothing is skipped silently).

    Args:
        path: a .jsonl, .csv or .parquet golden dataset.

    Returns:
        ``(line, example)`` for every valid row, and every problem, errors before warnings.

    Raises:
        DatasetError: the file is missing or not in a supported format.
    """
    rows, read_problems = read_rows(path)
    valid, problems = validate_rows(rows, str(path))
    if not rows and not read_problems:
        problems.append(Problem(str(path), None, None, "the dataset has no rows"))
    errors = sorted((p for p in [*read_problems, *problems] if p.severity == "error"),
                    key=lambda p: (p.line or 0))
    return valid, [*errors, *(p for p in problems if p.severity == "warning")]
