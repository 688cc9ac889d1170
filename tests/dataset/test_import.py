"""`agility dataset import`: field maps with dotted paths, presets, and bad input."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from agility.dataset import (
    PRESETS,
    Preset,
    import_dataset,
    load_dataset,
    parse_map,
    register_preset,
)
from agility.errors import DatasetError, UsageError

SOURCE = [
    {"qid": 1, "q": {"text": "Revenue 2022?", "lang": "en"}, "gold": "$10M",
     "docs": [{"title": "10-K", "body": "Revenue was $10M."},
              {"title": "10-Q", "body": "Q4 revenue was $3M."}],
     "level": "easy", "company": "Acme"},
    {"qid": 2, "q": {"text": "Margin 2022?", "lang": "en"}, "gold": "40%",
     "docs": [{"title": "10-K", "body": "Margin was 40%."}], "level": "hard", "company": "Beta"},
]
MAP = ["id=qid", "source_prompt=q.text", "ground_truth=gold", "input_context=docs.body",
       "stratum=level", "metadata.lang=q.lang"]


def test_dotted_map_fans_out_lists_into_documents(tmp_path: Path, write_jsonl: Callable) -> None:
    src = write_jsonl(tmp_path / "src.jsonl", SOURCE)
    report = import_dataset(src, tmp_path / "golden.jsonl", parse_map(MAP))
    assert report.rows == 2
    first = load_dataset(tmp_path / "golden.jsonl").by_id("1")
    assert first.contexts == ["Revenue was $10M.", "Q4 revenue was $3M."]
    assert first.question == "Revenue 2022?"
    assert first.stratum == "easy"
    # unmapped source fields are kept in metadata; mapped ones are not duplicated there
    assert first.metadata == {"lang": "en", "company": "Acme"}


def test_drop_unmapped_keeps_metadata_to_what_was_mapped(tmp_path: Path,
                                                         write_jsonl: Callable) -> None:
    src = write_jsonl(tmp_path / "src.jsonl", SOURCE)
    import_dataset(src, tmp_path / "g.jsonl", parse_map(MAP), keep_unmapped=False)
    assert load_dataset(tmp_path / "g.jsonl").by_id("2").metadata == {"lang": "en"}


def test_csv_source_with_identity_columns(tmp_path: Path, cli: Callable) -> None:
    src = tmp_path / "src.csv"
    with src.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "question", "answer", "extra"])
        writer.writerow(["r1", "What is 2+2?", "4", "x"])
        writer.writerow(["r2", "Capital of France?", "Paris", "y"])
    out = tmp_path / "golden.parquet"
    result = cli("dataset", "import", src, "-o", out, "--map", "source_prompt=question",
                 "--map", "ground_truth=answer")
    assert result.exit_code == 0, result.output
    ds = load_dataset(out)
    assert [(ex.id, ex.question, ex.ground_truth) for ex in ds.examples] == [
        ("r1", "What is 2+2?", "4"), ("r2", "Capital of France?", "Paris")]
    assert ds.by_id("r1").metadata == {"extra": "x"}


def test_rows_that_do_not_map_to_valid_examples_are_reported_with_source_lines(
        tmp_path: Path, write_jsonl: Callable) -> None:
    rows = [SOURCE[0], {**SOURCE[1], "gold": None}, "{broken"]
    src = write_jsonl(tmp_path / "src.jsonl", rows)
    with pytest.raises(DatasetError) as caught:
        import_dataset(src, tmp_path / "g.jsonl", parse_map(MAP))
    assert [(p.line, p.field) for p in caught.value.problems] == [(2, "ground_truth"), (3, None)]
    assert not (tmp_path / "g.jsonl").exists()


@pytest.mark.parametrize("item, message", [
    ("ground_truth", "golden_field=source_field"),
    ("answer=gold", "not a golden field"),
    ("stratum.x=level", "not a golden field"),
])
def test_bad_map_options_are_explained(item: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_map([item])


def test_map_naming_a_field_no_row_has_is_an_error(tmp_path: Path, write_jsonl: Callable) -> None:
    src = write_jsonl(tmp_path / "src.jsonl", SOURCE)
    with pytest.raises(UsageError, match="no row has the field 'golds'"):
        import_dataset(src, tmp_path / "g.jsonl", parse_map([*MAP[:2], "ground_truth=golds"]))


def test_unknown_preset_lists_the_available_ones(tmp_path: Path, cli: Callable,
                                                 write_jsonl: Callable) -> None:
    src = write_jsonl(tmp_path / "src.jsonl", SOURCE)
    result = cli("dataset", "import", src, "-o", tmp_path / "g.jsonl", "--preset", "nope")
    assert result.exit_code == 2
    assert "unknown preset 'nope'" in result.stderr and "financebench" in result.stderr


def test_registered_preset_applies_its_map_and_transform(tmp_path: Path,
                                                         write_jsonl: Callable) -> None:
    def transform(source: dict, row: dict) -> dict:
        row["source_prompt"] = {"system": "Answer briefly.", "user": source["q"]["text"]}
        return row

    register_preset(Preset(name="test-toy", description="toy", transform=transform,
                           mapping={"id": "qid", "ground_truth": "gold"}))
    try:
        src = write_jsonl(tmp_path / "src.jsonl", SOURCE)
        import_dataset(src, tmp_path / "g.jsonl", preset="test-toy", keep_unmapped=False)
        ex = load_dataset(tmp_path / "g.jsonl").by_id("2")
        assert [m.role for m in ex.prompt_messages()] == ["system", "user"]
        assert ex.question == "Margin 2022?"
    finally:
        PRESETS.pop("test-toy")
