"""`agility dataset validate`: every problem, one per line, located by file, line and field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from agility.dataset import MIN_STRATUM_SIZE, load_dataset, validate_file
from agility.errors import DatasetError

OK = {"source_prompt": "q?", "ground_truth": "a"}


def test_jsonl_problems_are_all_reported_with_line_and_field(tmp_path: Path, cli: Callable,
                                                            write_jsonl: Callable) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [
        {"id": "a", **OK},                                          # 1 fine
        '{"id": "b", "source_prompt": "q?", ',                       # 2 malformed JSON
        {"id": "c", "ground_truth": "a"},                            # 3 missing prompt
        {"id": "d", **OK, "latency_ms": "fast"},                     # 4 wrong type
        {"id": "a", **OK},                                           # 5 duplicate of line 1
        '[1, 2]',                                                    # 6 not an object
        {"id": "e", **OK, "colour": "red"},                          # 7 unknown field
        {"id": "f", "source_prompt": 3, "ground_truth": "a"},        # 8 wrong prompt type
        {"id": "g", **OK, "split": "train"},                         # 9 bad split
    ])
    result = cli("dataset", "validate", path)
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    p = str(path)
    assert lines[0].startswith(f"{p}:2: -: malformed JSON: Expecting property name")
    assert lines[1:8] == [
        f"{p}:3: source_prompt: required field is missing",
        f"{p}:4: latency_ms: Input should be a valid number, unable to parse string as a number "
        f"(got 'fast')",
        f"{p}:5: id: duplicate id 'a' (first used on line 1)",
        f"{p}:6: -: each line must be a JSON object, got list",
        f"{p}:7: colour: unknown field; put extra information under 'metadata'",
        f"{p}:8: source_prompt: must be a string, an object {{system, user}} or a list of "
        f"{{role, content}} messages, got an integer",
        f"{p}:9: split: Input should be 'dev' or 'holdout' (got 'train')",
    ]
    assert "Traceback" not in result.output


def test_valid_file_exits_zero_and_warnings_do_not_fail(tmp_path: Path, cli: Callable,
                                                        write_jsonl: Callable,
                                                        golden_rows: Callable) -> None:
    path = write_jsonl(tmp_path / "ok.jsonl", golden_rows({"easy": 12, "hard": 2}))
    result = cli("dataset", "validate", path)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{path}:13: stratum: warning: stratum 'hard' has only 2 example(s); "
        f"aim for at least {MIN_STRATUM_SIZE} per stratum",
        f"{path}: -: warning: 14 examples; the playbook asks for 500-2,000 per use case",
    ]


def test_csv_problems_name_the_line_where_the_record_starts(tmp_path: Path, cli: Callable) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        'id,source_prompt,ground_truth,tags\n'
        'a,"first line\nsecond line",x,"[""t""]"\n'     # record on lines 2-3
        'b,q,,\n'                                        # line 4: empty ground truth
        'c,q,x,not-json\n'                               # line 5: tags not JSON
        'd,q\n',                                         # line 6: too few cells
        encoding="utf-8")
    result = cli("dataset", "validate", path)
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"{path}:4: ground_truth: required field is missing",
        f"{path}:5: tags: is not valid JSON (Expecting value); nested fields are JSON-encoded "
        f"in CSV and Parquet cells",
        f"{path}:6: -: the record has 2 cells but the header names 4 columns",
        f"{path}: -: warning: 1 examples; the playbook asks for 500-2,000 per use case",
    ]


def test_parquet_problems_use_the_data_row_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pylist([
        {"id": "a", "source_prompt": "q", "ground_truth": "x", "input_tokens": 3},
        {"id": "b", "source_prompt": "q", "ground_truth": None, "input_tokens": -1},
    ]), path)
    _, problems = validate_file(path)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert errors == [f"{path}:2: ground_truth: required field is missing",
                      f"{path}:2: input_tokens: Input should be greater than or equal to 0 "
                      f"(got -1)"]


def test_load_dataset_raises_with_every_problem(tmp_path: Path, write_jsonl: Callable) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [{"id": "a"}, {"id": "a", **OK}])
    with pytest.raises(DatasetError) as caught:
        load_dataset(path)
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (1, "source_prompt"), (1, "ground_truth"), (2, "id")]


@pytest.mark.parametrize("name, content, message", [
    ("data.txt", "hello", "unsupported dataset format '.txt'"),
    ("data.parquet", "not parquet at all", "cannot read it as Parquet"),
    ("missing.jsonl", None, "no such file"),
    ("empty.csv", "", "empty CSV file"),
])
def test_unreadable_files_get_one_clear_line(tmp_path: Path, cli: Callable, name: str,
                                             content: str | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = cli("dataset", "validate", path)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_empty_jsonl_is_an_error(tmp_path: Path, cli: Callable, write_jsonl: Callable) -> None:
    path = write_jsonl(tmp_path / "empty.jsonl", [])
    result = cli("dataset", "validate", path)
    assert result.exit_code == 2
    assert result.stdout.strip() == f"{path}: -: the dataset has no rows"
