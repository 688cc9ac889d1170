"""Bytes that used to crash the dataset reader, or change a row silently, are named problems.

Each case was found by fuzzing or by hand: deep nesting, huge integers and lone surrogate
escapes crashed with a traceback; duplicate keys kept the last value; NaN and Infinity were
accepted and hashed as null; CSV cells over 131,072 characters stopped the reader; the CSV
writer let a cell start a spreadsheet formula.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from agility.dataset import GoldenExample, read_examples, write_examples
from agility.dataset._validate import validate_file

_BASE = '"id": "q1", "source_prompt": "What?", "ground_truth": "42"'


def problems_of(path: Path) -> list[str]:
    """The error problems of a dataset file, as ``file:line: field: message`` strings."""
    _, problems = validate_file(path)
    return [str(p) for p in problems if p.severity == "error"]


@pytest.mark.parametrize(("line", "field", "words"), [
    ('{' + _BASE + ', "metadata": {"x": ' + "[" * 300 + "]" * 300 + '}}', "-", "nested 302"),
    ('{' + _BASE + ', "metadata": {"x": ' + "[" * 100_000 + "]" * 100_000 + '}}', "-",
     "nested 100002"),
    ('{' + _BASE + ', "metadata": {"n": ' + "9" * 5000 + '}}', "metadata.n", "5,000 digits"),
    ('{' + _BASE + ', "notes": "bad \\ud800 text"}', "notes", "lone UTF-16 surrogate"),
    ('{' + _BASE + ', "metadata": {"\\udc00": 1}}', "metadata", "lone UTF-16 surrogate"),
    ('{' + _BASE + ', "id": "q2"}', "id", "appears more than once"),
    ('{' + _BASE + ', "metadata": {"a": {"b": 1, "b": 2}}}', "metadata.a.b",
     "appears more than once"),
    ('{' + _BASE + ', "automated_score": NaN}', "automated_score", "NaN is not a number"),
    ('{' + _BASE + ', "metadata": {"s": [1, -Infinity]}}', "metadata.s[1]", "-Infinity"),
    ('{' + _BASE + ', "human_score": 1e999}', "human_score", "too large for a float"),
], ids=["deep-300", "deep-100000", "huge-int", "lone-surrogate", "surrogate-key",
        "duplicate-id", "duplicate-nested", "nan-score", "infinity-metadata", "overflow"])
def test_hostile_jsonl_rows_are_problems_with_line_and_field(tmp_path: Path, line: str,
                                                             field: str, words: str) -> None:
    path = tmp_path / "golden.jsonl"
    path.write_text(json.dumps({"id": "q0", "source_prompt": "ok?", "ground_truth": "1"})
                    + "\n" + line + "\n", encoding="utf-8")
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:2: {field}: "), problems
    assert words in problems[0]


def test_the_cli_names_the_problem_and_exits_2(tmp_path: Path,
                                               cli: Callable[..., Result]) -> None:
    path = tmp_path / "golden.jsonl"
    path.write_text('{' + _BASE + ', "metadata": {"n": ' + "9" * 5000 + '}}\n', encoding="utf-8")
    result = cli("dataset", "validate", str(path))
    assert result.exit_code == 2
    assert f"{path}:1: metadata.n: an integer of 5,000 digits" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_invalid_utf8_in_a_csv_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "golden.csv"
    path.write_bytes(b"id,source_prompt,ground_truth\nq1,What?,42\nq2,caf\xe9?,1\n")
    from agility.errors import DatasetError

    with pytest.raises(DatasetError, match=r"golden.csv:3: not valid UTF-8 \(byte 0xe9\)"):
        read_examples(path)


def test_nan_in_csv_and_parquet_cells_is_refused(tmp_path: Path) -> None:
    csv_path = tmp_path / "golden.csv"
    csv_path.write_text('id,source_prompt,ground_truth,automated_score,metadata\r\n'
                        'q1,What?,42,nan,{}\r\nq2,Why?,1,0.5,"{""x"": NaN}"\r\n', encoding="utf-8")
    problems = problems_of(csv_path)
    assert any(p.startswith(f"{csv_path}:2: automated_score: ") for p in problems), problems
    assert any(p.startswith(f"{csv_path}:3: metadata.x: NaN") for p in problems), problems

    import pyarrow as pa
    import pyarrow.parquet as pq

    pq_path = tmp_path / "golden.parquet"
    pq.write_table(pa.table({"id": ["q1"], "source_prompt": ["What?"], "ground_truth": ["42"],
                             "human_score": [float("inf")]}), pq_path)
    assert [p.split(": ")[1] for p in problems_of(pq_path)] == ["human_score"]


def test_csv_cells_longer_than_131072_characters_are_read(tmp_path: Path) -> None:
    context = "long context " * 20_000  # 260,000 characters
    path = tmp_path / "golden.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "source_prompt", "ground_truth", "input_context"])
        writer.writerow(["q1", "What?", "42", context])
    [example] = read_examples(path)
    assert example.input_context == context
    assert csv.field_size_limit() == 131_072  # the process-wide limit is left as it was


def test_a_frozen_row_edited_from_null_to_nan_fails_verify(
        tmp_path: Path, cli: Callable[..., Result]) -> None:
    # NaN used to be hashed as null, so this edit went unnoticed by `verify`
    path = tmp_path / "golden.jsonl"
    path.write_text('{' + _BASE + ', "automated_score": null}\n', encoding="utf-8")
    assert cli("dataset", "freeze", str(path)).exit_code == 0
    path.write_text('{' + _BASE + ', "automated_score": NaN}\n', encoding="utf-8")
    result = cli("dataset", "verify", str(path))
    assert result.exit_code != 0
    assert "automated_score" in result.stdout + result.stderr


_FORMULAS: dict[str, Any] = {
    "id": "=HYPERLINK(\"http://evil\",\"x\")", "source_prompt": "+cmd|' /C calc'!A0",
    "ground_truth": "-2+3", "notes": "@SUM(A1:A9)", "stratum": "\tTAB",
    "source_output": "\r=1+1",
}


def test_the_csv_writer_guards_formulas_and_reads_them_back_unchanged(tmp_path: Path) -> None:
    example = GoldenExample.model_validate(_FORMULAS)
    path = write_examples(tmp_path / "out.csv", [example])
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    cells = [cell for row in rows[1:] for cell in row]
    starts = [c[:1] for c in cells if c]
    assert not set(starts) & {"=", "+", "-", "@", "\t", "\r"}, rows
    [back] = read_examples(path)
    assert back == example


def test_a_parquet_string_that_is_not_utf8_is_a_dataset_error(tmp_path: Path) -> None:
    # found by tests/test_fuzz_inputs.py: pyarrow raised UnicodeDecodeError while converting
    import pyarrow as pa
    import pyarrow.parquet as pq

    from agility.errors import DatasetError

    path = tmp_path / "golden.parquet"
    pq.write_table(pa.table({"id": ["q1"], "source_prompt": ["What was revenue?"],
                             "ground_truth": ["42"]}), path, compression="none")
    raw = path.read_bytes()
    assert raw.count(b"What was revenue?") >= 1
    path.write_bytes(raw.replace(b"What was revenue?", b"\xffhat was revenue?"))
    with pytest.raises(DatasetError, match="cannot read it as Parquet"):
        read_examples(path)
