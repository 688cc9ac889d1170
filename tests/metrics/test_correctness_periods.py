"""Rule 8 of correctness version 8: a question that offers years as its options.

"Which year had higher revenue, 2022 or 2023?" states two years and names neither as the
period of a figure: they are the options, and the year picked is the answer. Version 7 (and earlier) read a
gold "2023" as the number 2,023 (so every answer was "incorrect: states no figure"), and a
gold sentence "Revenue was higher in 2023." on its words (so "It was higher in 2022." was
credited for sharing "higher"). Synthetic questions and answers, built from these shapes.
"""

from __future__ import annotations

import itertools

import pytest

from agility.metrics import judge_financial_answer

QUESTIONS = [
    "Which year had higher revenue for Kestrel Ridge, 2022 or 2023?",
    "In which of FY2022 and FY2023 was Kestrel Ridge's operating margin higher?",
    "Was Kestrel Ridge's free cash flow larger in 2022 or in 2023?",
    "Which fiscal year, FY2022 or FY2023, saw the larger share buyback at Kestrel Ridge?",
]
GOLDS = ["2023", "FY2023", "It was higher in 2023.", "2023 ($5.1 billion against $4.8 billion)"]
PICKS_2023 = [
    "2023",
    "Fiscal 2023.",
    "It was higher in 2023.",
    "In 2023 ($5.1 billion, against $4.8 billion in 2022).",
    "The figure was $4.8 billion in 2022 and $5.1 billion in 2023, so 2023 was higher.",
    "Looking at both years, FY2023 comes out ahead of FY2022.",
]
PICKS_2022 = [
    "2022",
    "It was higher in 2022.",
    "FY2022 had the higher figure ($5.1 billion against $4.8 billion in FY2023).",
    "The figure was $5.1 billion in 2022 and $4.8 billion in 2023, so 2022 was higher.",
]


@pytest.mark.parametrize(("question", "gold", "answer"),
                         list(itertools.product(QUESTIONS, GOLDS, PICKS_2023)))
def test_the_gold_year_picked_is_correct(question: str, gold: str, answer: str) -> None:
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict == "correct", judgement.reason
    assert "picks 2023" in judgement.reason


@pytest.mark.parametrize(("question", "gold", "answer"),
                         list(itertools.product(QUESTIONS, GOLDS, PICKS_2022)))
def test_the_other_year_picked_is_incorrect(question: str, gold: str, answer: str) -> None:
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict == "incorrect", judgement.reason
    assert "picks 2022" in judgement.reason


def test_an_answer_that_picks_no_year_is_incorrect_or_a_refusal() -> None:
    question, gold = QUESTIONS[0], "2023"
    assert judge_financial_answer(question, gold, "Revenue grew steadily.").verdict == \
        "incorrect"
    assert judge_financial_answer(
        question, gold, "The filing does not provide revenue for either year.").verdict == \
        "refusal"


@pytest.mark.parametrize("question", [
    "What was the change in Kestrel Ridge's revenue between 2022 and 2023? Which segment "
    "drove it?",
    "When comparing 2022 and 2023, what was Kestrel Ridge's revenue growth?",
    "What were Kestrel Ridge's total liabilities in 2022 and 2023?",
])
def test_years_that_are_periods_of_figures_are_not_options(question: str) -> None:
    # two years stated, but as the periods of the figures asked: the figures are judged
    gold = "Revenue rose 6.3% in 2023, driven by the turbine blades segment"
    judgement = judge_financial_answer(question, gold, "It was higher in 2023.")
    assert "picks" not in judgement.reason


@pytest.mark.parametrize(("question", "gold", "wrong", "right"), [
    # version 13 read "(FY2022): 36.8%" without a year and took the first figure
    ("What is Kestrel Ridge's FY2022 operating margin?", "34.6%",
     "Operating margin (FY2021): 34.6%; operating margin (FY2022): 36.8%.",
     "Operating margin (FY2021): 36.8%; operating margin (FY2022): 34.6%."),
    # version 14 found no year for "$442 million" when its year named the quantity earlier
    # in the clause, and credited the other year's figure
    ("What is Kestrel Ridge's FY2024 capital expenditure in USD millions?", "$442.00",
     "Kestrel Ridge's FY2023 capital expenditure was $442 million; FY2024 was $348 million.",
     "Kestrel Ridge's FY2024 capital expenditure was $442 million; FY2023 was $348 million."),
    # a year the figure is compared with is not its year ("since FY2023")
    ("What is Kestrel Ridge's FY2024 capital expenditure in USD millions?", "$442.00",
     "Kestrel Ridge's FY2023 capital expenditure was $442 million, from $348 million.",
     "Capex has grown since FY2023 to $442 million, from $348 million."),
])
def test_the_year_a_figure_is_given_for_picks_it(question: str, gold: str, wrong: str,
                                                  right: str) -> None:
    judgement = judge_financial_answer(question, gold, wrong)
    assert judgement.verdict == "incorrect", judgement.reason
    judgement = judge_financial_answer(question, gold, right)
    assert judgement.verdict == "correct", judgement.reason
