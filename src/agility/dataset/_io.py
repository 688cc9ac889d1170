"""Reading and writing dataset files: JSONL, CSV and Parquet.

Reading returns raw rows (dicts) with the line each came from, and every problem met on the
way; validation against the schema happens in :mod:`agility.dataset._validate`. In CSV and
Parquet the nested fields are JSON-encoded strings. "Line" is the physical line in JSONL,
the line where the record starts in CSV, and the 1-based data row number in Parquet.

JSON is read strictly (:mod:`agility.dataset._json`): duplicate keys, NaN/Infinity, huge
integers, lone surrogate escapes and deep nesting are problems naming the line and field, not
crashes or silent changes. CSV cells may hold up to :data:`MAX_CSV_CELL` characters.

Files are written atomically (a temporary file renamed over the target), and CSV cells that a
spreadsheet would run as a formula (leading ``=``, ``+``, ``-``, ``@``, tab or carriage return)
are written JSON-encoded (``"=1+1"`` in quotes): shown as text, read back unchanged.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agility._files import atomic_open, atomic_path, describe_os_error
from agility.dataset._json import JsonRefused, loads_strict
from agility.dataset._schema import GoldenExample
from agility.errors import DatasetError, Problem

__all__ = ["FIELD_ORDER", "FORMATS", "MAX_CSV_CELL", "RawRow", "detect_format", "read_rows",
           "write_examples"]

#: the longest CSV cell read, in characters (the csv module's default stops at 131,072)
MAX_CSV_CELL = 64 * 1024 * 1024
#: leading characters that make a spreadsheet run a cell as a formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: file suffix -> format name
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet",
           ".pq": "parquet"}
#: column order of written CSV/Parquet files (the file names of GoldenExample's fields)
FIELD_ORDER = [f.alias or name for name, f in GoldenExample.model_fields.items()]
#: fields always JSON-encoded in CSV/Parquet cells
_JSON_FIELDS = ("model_config", "tags", "metadata")
#: fields JSON-encoded only when they are not plain strings
_MAYBE_JSON_FIELDS = ("source_prompt", "input_context")
#: text fields, JSON-encoded only when a plain cell could not say them ("" or a leading quote)
_TEXT_FIELDS = ("id", "ground_truth", "source_output", "notes", "stratum")
_FLOAT_FIELDS = ("latency_ms", "automated_score", "human_score")
_INT_FIELDS = ("input_tokens", "output_tokens")


@dataclass(frozen=True)
class RawRow:
    """A row as read from a file, before validation."""

    line: int
    data: dict[str, Any]


def detect_format(path: Path) -> str:
    """The format of ``path`` from its suffix.

    Raises:
        DatasetError: the suffix is not one of .jsonl, .ndjson, .csv, .parquet, .pq.
    """
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DatasetError(
            f"{path}: unsupported dataset format '{path.suffix or '(no suffix)'}'. "
            f"Use a .jsonl, .csv or .parquet file."
        )
    return fmt


def read_rows(path: str | Path, decode_nested: bool = True) -> tuple[list[RawRow], list[Problem]]:
    """Read every row of a dataset file.

    Args:
        path: a .jsonl, .csv or .parquet file.
        decode_nested: decode the JSON-encoded nested fields of CSV/Parquet golden files
            (off when importing a foreign file, whose cells are taken as they are).

    Returns:
        The rows that could be read, and a problem for each one that could not.

    Raises:
        DatasetError: the file is missing, unreadable, or not in a supported format.
    """
    path = Path(path)
    fmt = detect_format(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file. Check the path.")
    reader = {"jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet}[fmt]
    try:
        rows, problems = reader(path)
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read it ({describe_os_error(exc)}).") from exc
    if decode_nested and fmt != "jsonl":
        decoded = [_decode_cells(row, str(path), problems) for row in rows]
        rows = [row for row in decoded if row is not None]
    return rows, problems


def _read_jsonl(path: Path) -> tuple[list[RawRow], list[Problem]]:
    rows: list[RawRow] = []
    problems: list[Problem] = []
    where = str(path)
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                problems.append(Problem(where, number, None, f"not valid UTF-8 ({exc.reason})"))
                continue
            if not text.strip():
                continue
            try:
                data = loads_strict(text.rstrip("\r\n"))
            except json.JSONDecodeError as exc:
                problems.append(Problem(where, number, None,
                                        f"malformed JSON: {exc.msg} (column {exc.pos + 1})"))
                continue
            except JsonRefused as exc:
                problems.append(Problem(where, number, exc.field, exc.reason))
                continue
            if not isinstance(data, dict):
                kind = type(data).__name__
                problems.append(Problem(where, number, None,
                                        f"each line must be a JSON object, got {kind}"))
                continue
            rows.append(RawRow(number, data))
    return rows, problems


def _read_csv(path: Path) -> tuple[list[RawRow], list[Problem]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read it ({describe_os_error(exc)}).") from exc
    try:
        text = data.decode("utf-8-sig")  # no newline translation: \r inside cells is kept
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DatasetError(f"{path}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x}). "
                           f"Save the CSV as UTF-8.") from None
    previous_limit = csv.field_size_limit(MAX_CSV_CELL)
    try:
        return _parse_csv(path, text)
    finally:
        csv.field_size_limit(previous_limit)


def _parse_csv(path: Path, text: str) -> tuple[list[RawRow], list[Problem]]:
    where = str(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise DatasetError(f"{path}: empty CSV file; "
                           f"the first line must name the columns.") from None
    except csv.Error as exc:
        raise DatasetError(f"{path}:1: unreadable CSV header: {exc}") from exc
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        raise DatasetError(f"{path}:1: duplicate column(s) {', '.join(duplicates)}; "
                           f"name each column once.")
    rows: list[RawRow] = []
    problems: list[Problem] = []
    start = reader.line_num + 1
    while True:
        line = start
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(where, line, None, f"unreadable CSV record: {exc}"))
            break
        start = reader.line_num + 1
        if not cells:
            continue
        if len(cells) != len(header):
            problems.append(Problem(where, line, None, f"the record has {len(cells)} cells but "
                                    f"the header names {len(header)} columns"))
            continue
        rows.append(RawRow(line, {k: v for k, v in zip(header, cells, strict=True) if v != ""}))
    return rows, problems


def _read_parquet(path: Path) -> tuple[list[RawRow], list[Problem]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        # converting checks the values too: a string column may hold bytes that are not UTF-8
        records = table.to_pylist()
    except (pa.ArrowException, OSError, ValueError, OverflowError) as exc:
        detail = " ".join(str(exc).split())[:300]
        raise DatasetError(f"{path}: cannot read it as Parquet ({detail}). "
                           f"Check that the file is a Parquet file.") from exc
    rows = [RawRow(i, {k: v for k, v in data.items() if v is not None})
            for i, data in enumerate(records, start=1)]
    return rows, []


def _decode_cells(row: RawRow, where: str, problems: list[Problem]) -> RawRow | None:
    """The row with its JSON cells decoded, or None (and a problem) if a cell is not JSON."""
    data = dict(row.data)
    readable = True
    for key in (*_JSON_FIELDS, *_MAYBE_JSON_FIELDS):
        value = data.get(key)
        if not isinstance(value, str) or not _looks_encoded(key, value):
            continue
        try:
            data[key] = loads_strict(value)
        except json.JSONDecodeError as exc:
            if key in _JSON_FIELDS:
                problems.append(Problem(where, row.line, key, f"is not valid JSON ({exc.msg}); "
                                        f"nested fields are JSON-encoded in CSV and Parquet cells"))
                readable = False
        except JsonRefused as exc:
            problems.append(Problem(where, row.line, _inside(key, exc.field), exc.reason))
            readable = False
    for key in _TEXT_FIELDS:
        value = data.get(key)
        if isinstance(value, str) and _looks_encoded(key, value):
            try:
                decoded = loads_strict(value)
            except json.JSONDecodeError:
                continue
            except JsonRefused as exc:
                problems.append(Problem(where, row.line, key, exc.reason))
                readable = False
                continue
            if isinstance(decoded, str):
                data[key] = decoded
    return RawRow(row.line, data) if readable else None


def _inside(key: str, field: str | None) -> str:
    """The field path of ``field`` inside the JSON-encoded cell of column ``key``."""
    if field is None:
        return key
    return f"{key}{field}" if field.startswith("[") else f"{key}.{field}"


def _looks_encoded(key: str, text: str) -> bool:
    """Whether a cell of this field holding ``text`` is read (and so written) as JSON."""
    if key in _JSON_FIELDS:
        return True
    starts = ('[', '{', '"') if key in _MAYBE_JSON_FIELDS else ('"',)
    return text == "" or text.lstrip()[:1] in starts


def _encode_cell(key: str, value: Any, guard_formulas: bool = False) -> Any:
    if value is None:
        return None
    if key in _JSON_FIELDS:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and key in (*_MAYBE_JSON_FIELDS, *_TEXT_FIELDS):
        # a string that would read back as JSON (or as "absent") is itself JSON-encoded, and
        # so, in CSV, is one a spreadsheet would run as a formula: '"=1+1"' shows as text
        if _looks_encoded(key, value) or (guard_formulas and value.startswith(_FORMULA_START)):
            return json.dumps(value, ensure_ascii=False)
        return value
    if key in _MAYBE_JSON_FIELDS:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def write_examples(path: str | Path, examples: Iterable[GoldenExample],
                   format: str | None = None) -> Path:
    """Write examples to a JSONL, CSV or Parquet file, deterministically (same rows, same bytes).

    Args:
        path: the output file; its suffix picks the format unless ``format`` is given.
        examples: the rows, written in the order given.
        format: "jsonl", "csv" or "parquet" to override the suffix.

    Returns:
        The path written.

    The file is replaced atomically: a failed write (a full disk) leaves the old file intact.

    Raises:
        DatasetError: the format is not supported or the file cannot be written.
    """
    path = Path(path)
    fmt = format or detect_format(path)
    rows = [ex.to_row() for ex in examples]
    try:
        if fmt == "jsonl":
            with atomic_open(path, "w", encoding="utf-8", newline="\n") as handle:
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        elif fmt == "csv":
            _write_csv(path, rows)
        elif fmt == "parquet":
            _write_parquet(path, rows)
        else:
            raise DatasetError(f"unsupported dataset format {fmt!r}: use jsonl, csv or parquet.")
    except OSError as exc:
        raise DatasetError(f"{path}: cannot write the dataset ({describe_os_error(exc)})."
                           ) from exc
    return path


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    used = {key for row in rows for key in row}
    columns = [c for c in FIELD_ORDER if c in used or c in ("id", "source_prompt", "ground_truth")]
    with atomic_open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")  # RFC 4180; quotes any \r in cells
        writer.writerow(columns)
        for row in rows:
            cells = [_encode_cell(c, row.get(c), guard_formulas=True) for c in columns]
            writer.writerow(["" if v is None else v for v in cells])


def _write_parquet(path: Path, rows: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    def kind(column: str) -> pa.DataType:
        if column in _FLOAT_FIELDS:
            return pa.float64()
        return pa.int64() if column in _INT_FIELDS else pa.string()

    schema = pa.schema([(c, kind(c)) for c in FIELD_ORDER])
    encoded = [{c: _encode_cell(c, row.get(c)) for c in FIELD_ORDER} for row in rows]
    with atomic_path(path) as tmp:
        pq.write_table(pa.Table.from_pylist(encoded, schema=schema), tmp)
