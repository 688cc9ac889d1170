"""A gold written with trailing zeros: a coarser answer may round it, but an answer written to
the gold's own decimals is held to them (a wrong dividend must not pass as the gold)."""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer

DIVIDEND = "What quarterly dividend per share did the company pay in 2024?"
REVENUE = "What was the company's net revenue in 2024?"


@pytest.mark.parametrize(("question", "gold", "answer", "verdict"), [
    (DIVIDEND, "$0.10 per share", "$0.12 per share", "incorrect"),  # passed: 0.12 rounds to 0.1
    (DIVIDEND, "$0.10 per share", "0.12", "incorrect"),
    (REVENUE, "$1,284.0 million", "$1,284.4 million", "incorrect"),  # passed: rounds to 1,284
    (DIVIDEND, "$0.10 per share", "$0.10 per share", "correct"),
    (DIVIDEND, "$0.10 per share", "$0.1", "correct"),               # coarser: a rounding
    (REVENUE, "$1577.00", "$1,577", "correct"),
    (REVENUE, "$8.70", "$8.7", "correct"),
    (REVENUE, "$1,284.0 million", "$1,284 million", "correct"),
    (REVENUE, "$1,284.0 million", "Net revenue was $1,284.0 million.", "correct"),
])
def test_trailing_zeros_of_the_gold(question: str, gold: str, answer: str,
                                    verdict: str) -> None:
    judged = judge_financial_answer(question, gold, answer)
    assert judged.verdict == verdict, judged.reason
