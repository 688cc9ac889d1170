"""Round trips through JSONL, CSV and Parquet keep every field and the content hash."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agility.dataset import GoldenExample, content_hash, load_dataset, read_examples, write_examples

RICH = [
    {"id": "plain", "source_prompt": "[not json] a prompt starting with a bracket",
     "ground_truth": "12", "input_context": "{looks like json} but is text",
     "notes": 'quotes "inside", commas, and\nnewlines', "latency_ms": 812.5,
     "input_tokens": 120, "output_tokens": 9, "automated_score": 0.75, "human_score": 1.0,
     "stratum": "easy", "split": "dev", "tags": ["fin", "q1"],
     "metadata": {"company": "3M", "pages": [1, 2], "nested": {"ok": True}}},
    {"id": "sysuser", "source_prompt": {"system": "Use the context.", "user": "Revenue?"},
     "ground_truth": "$10M", "input_context": ["doc one", "doc two ünïcödé"],
     "model_config": {"temperature": 0.0, "max_tokens": 256, "stop": ["###"],
                      "anthropic_top_k": 5},
     "source_output": "$10 million", "split": "holdout", "stratum": "hard"},
    {"id": "messages", "source_prompt": [{"role": "system", "content": "S"},
                                         {"role": "user", "content": "Q"}],
     "ground_truth": "A", "input_context": [{"role": "user", "content": "earlier"},
                                            {"role": "assistant", "content": "reply"}]},
    {"id": "quoted", "source_prompt": '"quoted" prompt', "ground_truth": "x"},
]


@pytest.fixture()
def examples() -> list[GoldenExample]:
    return [GoldenExample.model_validate(row) for row in RICH]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_round_trip_keeps_every_field(tmp_path: Path, examples: list[GoldenExample],
                                      suffix: str) -> None:
    path = write_examples(tmp_path / f"golden{suffix}", examples)
    back = read_examples(path)
    assert [ex.to_row() for ex in back] == [ex.to_row() for ex in examples]
    assert load_dataset(path).hash == content_hash(examples)


@pytest.mark.parametrize("first, second", [(".jsonl", ".csv"), (".csv", ".parquet"),
                                           (".parquet", ".jsonl")])
def test_conversion_between_formats_is_lossless(tmp_path: Path, examples: list[GoldenExample],
                                                first: str, second: str) -> None:
    a = write_examples(tmp_path / f"a{first}", examples)
    b = write_examples(tmp_path / f"b{second}", read_examples(a))
    assert read_examples(b) == examples


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_writing_the_same_rows_twice_gives_the_same_bytes(tmp_path: Path,
                                                          examples: list[GoldenExample],
                                                          suffix: str) -> None:
    one = write_examples(tmp_path / f"one{suffix}", examples).read_bytes()
    two = write_examples(tmp_path / f"two{suffix}", examples).read_bytes()
    assert one == two


text = st.text(max_size=30)
solid = text.filter(lambda s: s.strip() != "")
rows = st.fixed_dictionaries(
    {"id": solid, "source_prompt": solid, "ground_truth": solid},
    optional={"source_output": text, "notes": text, "stratum": text,
              "input_context": st.one_of(text, st.lists(text, max_size=3)),
              "tags": st.lists(text, max_size=3),
              "metadata": st.dictionaries(st.text(max_size=5), text, max_size=2)},
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=rows)
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_any_text_survives_csv_and_parquet(tmp_path: Path, suffix: str,
                                           row: dict[str, object]) -> None:
    example = GoldenExample.model_validate(row)
    path = write_examples(tmp_path / f"fuzz{suffix}", [example])
    assert read_examples(path)[0].to_row() == example.to_row()
