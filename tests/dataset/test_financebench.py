"""The dataset commands on FinanceBench (Islam et al. 2023, arXiv:2311.11944, CC BY-NC 4.0).

Reads ``../shared/datasets/financebench/``; skips when it is absent.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from agility.dataset import FINANCEBENCH_SYSTEM_PROMPT, load_dataset

pytestmark = pytest.mark.financebench


@pytest.fixture()
def source(financebench_dir: Path) -> Path:
    return financebench_dir / "financebench_open_source.jsonl"


@pytest.fixture()
def imported(source: Path, tmp_path: Path, cli: Callable) -> Path:
    out = tmp_path / "financebench.jsonl"
    result = cli("dataset", "import", "--preset", "financebench", source, "-o", out)
    assert result.exit_code == 0, result.output
    return out


def test_preset_keeps_ids_answers_evidence_and_question_type(source: Path,
                                                             imported: Path) -> None:
    raw = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
    ds = load_dataset(imported)
    assert len(ds.examples) == len(raw)
    for row in raw:
        ex = ds.by_id(row["financebench_id"])
        assert ex.ground_truth == row["answer"]
        assert ex.stratum == row["question_type"]
        assert ex.contexts == [e["evidence_text"] for e in row["evidence"]]
        assert ex.question == row["question"]
        assert ex.metadata["company"] == row["company"]
        assert ex.metadata["doc_name"] == row["doc_name"]
        assert ex.metadata["justification"] == row["justification"]
        assert ex.metadata["question_reasoning"] == row["question_reasoning"]
    first = ds.by_id(raw[0]["financebench_id"]).prompt_messages()
    assert first[0].content == FINANCEBENCH_SYSTEM_PROMPT
    assert first[1].content.startswith("Context:\n[1] ")
    assert first[1].content.endswith(raw[0]["question"])


def test_validate_split_freeze_verify_and_stats_on_financebench(imported: Path, tmp_path: Path,
                                                                cli: Callable) -> None:
    result = cli("dataset", "validate", imported)
    assert result.exit_code == 0, result.output
    assert all(": warning: " in line for line in result.stdout.splitlines())

    split = tmp_path / "split.parquet"
    assert cli("dataset", "split", imported, "--holdout", "0.2", "--seed", "42",
               "-o", split).exit_code == 0
    ds = load_dataset(split)
    holdout = Counter(ex.stratum for ex in ds.examples if ex.split == "holdout")
    strata = Counter(ex.stratum for ex in ds.examples)
    assert holdout == {name: round(size * 0.2) for name, size in strata.items()}

    assert cli("dataset", "freeze", split).exit_code == 0
    assert cli("dataset", "verify", split).exit_code == 0
    stats = cli("dataset", "stats", split, "--json")
    assert stats.exit_code == 0
    data = json.loads(stats.stdout)
    assert data["counts"]["total"] == len(ds.examples)
    assert data["frozen"] is True
    assert data["tokens"]["prompt"]["total"] > data["tokens"]["ground_truth"]["total"] > 0
    assert data["tokens"]["source_output"]["total"] is None
