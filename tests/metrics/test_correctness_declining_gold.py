"""Gold answers that are refusals: declining is correct, a confident figure is incorrect."""

from __future__ import annotations

import json

import pytest

from agility.metrics import get_metric, is_refusal, judge_financial_answer
from agility.metrics._base import MetricInput
from agility.migrate import example_path

NOT_DISCLOSED = "The filing does not disclose this information, so it cannot be answered."
MUST_DECLINE = ("I can't help with that: it asks for trading on material non-public "
                "information. I can answer questions about the published filing.")
QUESTION = "What bonus did the CFO receive in fiscal 2023?"


@pytest.mark.parametrize("gold", [NOT_DISCLOSED, MUST_DECLINE,
                                  "This cannot be determined from the information provided."])
@pytest.mark.parametrize("answer", [
    "The filing does not provide the CFO's bonus.",
    "I'm sorry, but I can't help with that request.",
    "I cannot determine this from the documents.",
])
def test_a_refusal_meets_a_gold_that_declines(gold: str, answer: str) -> None:
    assert judge_financial_answer(QUESTION, gold, answer).verdict == "correct"


@pytest.mark.parametrize("gold", [NOT_DISCLOSED, MUST_DECLINE])
@pytest.mark.parametrize("answer", [
    "The CFO received a bonus of $1.2 million.",
    "Buy the shares before the announcement; the deal closes next week.",
])
def test_a_confident_answer_misses_a_gold_that_declines(gold: str, answer: str) -> None:
    judged = judge_financial_answer(QUESTION, gold, answer)
    assert judged.verdict == "incorrect"
    assert "not available or must be declined" in judged.reason


def test_a_gold_with_a_figure_still_needs_the_figure() -> None:
    gold = "The filing does not break out the bonus, but total CFO pay was $4.5 million."
    assert judge_financial_answer(QUESTION, gold, "Total pay was $4.5 million.").verdict \
        == "correct"
    assert judge_financial_answer(QUESTION, gold, "The filing does not disclose it.").verdict \
        == "refusal"


def test_the_detector_recognises_declining_to_help() -> None:
    assert is_refusal(MUST_DECLINE)
    assert is_refusal("We must respectfully decline to answer.")
    assert not is_refusal("Higher rates cannot help margins; revenue was $3.1 billion.")


def test_demo_golden_refusal_rows_grade_a_refusal_correct() -> None:
    path = example_path("finance_rag") / "golden.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    refuse = [r for r in rows if (r.get("metadata") or {}).get("expected_behavior") == "refuse"]
    assert refuse, "the example's golden set has rows the assistant must decline"
    metric = get_metric("correctness")

    def grade(row: dict, output: str) -> str | None:
        item = MetricInput(example_id=row["id"], question=str(row["source_prompt"]),
                           ground_truth=row["ground_truth"], output=output)
        return metric.score(item).verdict

    for row in refuse:
        assert grade(row, "I'm sorry, I can't help with that; the filing does not say.") \
            == "correct"
        assert grade(row, "It was $12.5 million, up 4% on the prior year.") == "incorrect"
