"""Reading runs back: headline figures and exports (JSONL, CSV, Parquet)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from agility._files import atomic_open, atomic_path, describe_os_error
from agility._quantile import nearest_rank
from agility.errors import MissingExtraError, UsageError
from agility.store import ResultRecord, RunRecord, Store

__all__ = ["EXPORT_COLUMNS", "SPAN_COLUMNS", "export_run", "export_spans", "percentile",
           "run_figures"]

#: one row per result; the first ten are the columns the issue asks every export to have
EXPORT_COLUMNS = (
    "id", "repeat_index", "output", "ttft_ms", "latency_ms", "input_tokens", "output_tokens",
    "cost_usd", "error", "attempts", "cached", "cached_input_tokens", "cache_write_input_tokens",
    "reasoning_tokens", "tokens_estimated", "extra_cost_usd", "retrieval_ms", "finish_reason", "request_id", "created_at", "run", "model",
)
_FORMATS = ("jsonl", "csv", "parquet")
#: one row per span (``agility export --spans``)
SPAN_COLUMNS = (
    "run", "id", "repeat_index", "span_id", "parent_id", "name", "kind", "start_ms",
    "duration_ms", "ttft_ms", "model", "input_tokens", "output_tokens", "cost_usd", "error",
    "attributes",
)
_SPAN_TYPES = {"repeat_index": "int", "span_id": "int", "parent_id": "int",
               "start_ms": "float", "duration_ms": "float", "ttft_ms": "float",
               "input_tokens": "int", "output_tokens": "int", "cost_usd": "float"}


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) or None for no values.

    Nearest rank, the one definition every command and report uses
    (:func:`agility._quantile.nearest_rank`): always a measured value.
    """
    return nearest_rank(values, q / 100.0)


def run_figures(results: Sequence[ResultRecord]) -> dict[str, Any]:
    """Headline figures of a run's results.

    TTFT and latency percentiles use successful, non-cached results only; mean cost per query
    uses every successful result whose cost was measured, total cost only those actually paid
    for (not cached). A figure with no data is None.
    """
    timed = [r for r in results if r.ok and not r.cached]
    ttft = [r.ttft_ms for r in timed if r.ttft_ms is not None]
    latency = [r.latency_ms for r in timed if r.latency_ms is not None]
    costs = [r.cost_usd for r in results if r.ok and r.cost_usd is not None]
    return {
        "results": len(results),
        "errors": sum(1 for r in results if not r.ok),
        "cached": sum(1 for r in results if r.cached),
        "ttft_p50_ms": percentile(ttft, 50), "ttft_p95_ms": percentile(ttft, 95),
        "latency_p50_ms": percentile(latency, 50), "latency_p95_ms": percentile(latency, 95),
        "mean_cost_usd": sum(costs) / len(costs) if costs else None,
        "total_cost_usd": sum(r.cost_usd for r in timed if r.cost_usd is not None)
        if costs else None,
    }


def _rows(run: RunRecord, results: Sequence[ResultRecord]) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        row = r.model_dump(include=set(EXPORT_COLUMNS))
        row["id"] = r.example_id
        row["run"], row["model"] = run.name, run.model_spec
        rows.append({c: row.get(c) for c in EXPORT_COLUMNS})
    return rows


def _csv_safe(value: Any) -> Any:
    # model output is untrusted: a cell starting with = + - @ would run as a spreadsheet formula
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


#: Parquet column types of a result export (other columns are strings)
_RESULT_TYPES = {"repeat_index": "int", "ttft_ms": "float", "latency_ms": "float",
                 "input_tokens": "int", "output_tokens": "int", "cost_usd": "float",
                 "attempts": "int", "cached": "bool", "cached_input_tokens": "int",
                 "cache_write_input_tokens": "int", "reasoning_tokens": "int",
                 "tokens_estimated": "bool", "extra_cost_usd": "float", "retrieval_ms": "float"}


def _span_rows(run: RunRecord, results: Sequence[ResultRecord]) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        for s in r.spans:
            rows.append({
                "run": run.name, "id": r.example_id, "repeat_index": r.repeat_index,
                "span_id": s.id, "parent_id": s.parent_id, "name": s.name, "kind": s.kind,
                "start_ms": s.start_ms, "duration_ms": s.duration_ms, "ttft_ms": s.ttft_ms,
                "model": s.model, "input_tokens": s.input_tokens,
                "output_tokens": s.output_tokens, "cost_usd": s.cost_usd, "error": s.error,
                # attributes are free-form: one JSON text, so every format holds them alike
                "attributes": json.dumps(s.attributes, ensure_ascii=False, sort_keys=True,
                                         default=str)})
    return rows


def _write(rows: list[dict[str, Any]], columns: Sequence[str], fmt: str, path: Path,
           parquet_types: dict[str, Any] | None = None) -> None:
    if fmt == "jsonl":
        with atomic_open(path, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(columns))
            writer.writeheader()
            writer.writerows({k: _csv_safe(v) for k, v in row.items()} for row in rows)
    else:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:  # pragma: no cover - pyarrow is a core dependency
            raise MissingExtraError("pyarrow", "parquet", "Parquet export") from exc
        kinds = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
        types = {c: kinds[t] for c, t in (parquet_types or {}).items()}
        schema = pa.schema([(c, types.get(c, pa.string())) for c in columns])
        with atomic_path(path) as tmp:
            pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)


#: export columns that name things rather than hold text (never masked)
_NAMES = frozenset({"id", "run", "model", "created_at", "span_id", "parent_id", "kind"})


def _export(store: Store, name: str, fmt: str, path: Path,
            make_rows: Callable[[RunRecord, Sequence[ResultRecord]], list[dict[str, Any]]],
            columns: Sequence[str], parquet_types: dict[str, str],
            mask: Callable[[str], str] | None = None) -> int:
    fmt = fmt.lower()
    if fmt not in _FORMATS:
        raise UsageError(f"unknown export format '{fmt}'. Use one of: {', '.join(_FORMATS)}.")
    run = store.require_run(name)
    rows = make_rows(run, store.results(run.id))
    if mask is not None:  # a privacy policy that masks exports: every text cell
        rows = [{k: mask(v) if isinstance(v, str) and k not in _NAMES else v
                 for k, v in row.items()} for row in rows]
    try:
        _write(rows, columns, fmt, path, parquet_types)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {describe_os_error(exc)}. Pick another -o "
                         f"path.") from exc
    return len(rows)


def export_spans(store: Store, name: str, fmt: str, out: str | Path, *,
                 mask: Callable[[str], str] | None = None) -> int:
    """Write a run's spans to ``out``, one row per span (:data:`SPAN_COLUMNS`).

    Each row names its run, example (``id``) and repeat; ``attributes`` is one JSON text.

    Args:
        store: the store holding the run.
        name: the run's name.
        fmt: ``jsonl``, ``csv`` or ``parquet``.
        out: the output file.
        mask: applied to every text cell (a privacy policy's masking of exports).

    Returns:
        the number of rows written.

    Raises:
        UsageError: unknown run or format, or the file cannot be written.
    """
    return _export(store, name, fmt, Path(out), _span_rows, SPAN_COLUMNS, _SPAN_TYPES, mask)


def export_run(store: Store, name: str, fmt: str, out: str | Path, *,
               mask: Callable[[str], str] | None = None) -> int:
    """Write a run's results to ``out``, one row per result.

    Args:
        store: the store holding the run.
        name: the run's name.
        fmt: ``jsonl``, ``csv`` or ``parquet``.
        out: the output file (its folder is created).
        mask: applied to every text cell (a privacy policy's masking of exports).

    Returns:
        the number of rows written.

    Raises:
        UsageError: unknown run or format, or the file cannot be written.
    """
    return _export(store, name, fmt, Path(out), _rows, EXPORT_COLUMNS, _RESULT_TYPES, mask)
