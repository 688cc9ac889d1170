"""Which way an answer says something went, and the stance it takes on a yes/no question
(issue 13, correctness version 19): made-up answers in other families' styles. In each test
of a reading the first case fails on version 18 and the others are controls, except the
levels in different scales (the last case fails on version 18, all three on version 19 as
first landed); the controls from the regression hunt pass on version 18."""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer


def verdict(question: str, gold: object, answer: str) -> str:
    return judge_financial_answer(question, gold, answer).verdict


Q_MARGIN = "Did Norrby Paper's operating margin improve in FY2023 compared to FY2022?"
GOLD_MARGIN = "No. Operating margin declined from 10.8% in FY2022 to 8.7% in FY2023."


@pytest.mark.parametrize(("answer", "expected"), [
    # levels set against each other went the way their periods say, the later first or not
    ("Norrby's operating margin was 8.7% in FY2023 compared with 10.8% in the prior year. "
     "The decline was driven by pulp costs.", "correct"),
    ("Norrby's operating margin moved from 10.8% to 8.7%, so it did not improve.", "correct"),
    ("Norrby's operating margin was 10.8% in FY2023 compared with 8.7% in FY2022.",
     "incorrect"),
])
def test_levels_set_against_each_other_go_the_way_their_periods_say(answer: str,
                                                                     expected: str) -> None:
    assert verdict(Q_MARGIN, GOLD_MARGIN, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("In summary, Pellham's customer concentration risk is not insignificant: its largest "
     "customer was 23% of revenue.", "correct"),
    ("Pellham's customer concentration risk is not significant.", "incorrect"),
])
def test_a_negated_negative_affirms(answer: str, expected: str) -> None:
    question = "Does Pellham Instruments face customer concentration risk?"
    assert verdict(question, "Yes. Its largest customer accounted for 23% of revenue.",
                   answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("FY2022 quick ratio = (510 + 1,500) / 3,000 = 0.67\nFY2023 quick ratio = (590 + 1,540) / "
     "3,000 = 0.71\n\nTherefore, Ashby Retail's quick ratio declined from FY2022 to FY2023.",
     "incorrect"),
    ("FY2022 quick ratio = 0.67; FY2023 quick ratio = 0.71. Therefore, the quick ratio "
     "improved.", "correct"),
])
def test_which_way_is_what_the_answer_concludes(answer: str, expected: str) -> None:
    question = "Did Ashby Retail's quick ratio improve or decline between FY2022 and FY2023?"
    assert verdict(question, "It improved, from 0.67 in FY2022 to 0.71 in FY2023.",
                   answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Yes, Branwell increased its debt. Total debt rose from $1.3 billion to $2.75 billion, "
     "mainly to fund the Delmar acquisition.", "incorrect"),
    ("Yes, Branwell's total debt increased to $1.75 billion in FY2022 from $1.30 billion in "
     "FY2021.", "correct"),
])
def test_a_change_from_the_gold_s_level_to_another_gives_another_value(answer: str,
                                                                       expected: str) -> None:
    question = "Has Branwell Auto increased its debt on balance sheet between FY2021 and FY2022?"
    gold = "Yes. Total debt rose from $1.30B to $1.75B."
    assert verdict(question, gold, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Ruthby Foods' net income for FY2023 was $6.18 billion ($618 million).", "incorrect"),
    ("Ruthby Foods' net income for FY2023 was $0.618 billion ($618 million).", "correct"),
])
def test_two_scales_that_disagree_are_two_figures(answer: str, expected: str) -> None:
    question = "What was Ruthby Foods' FY2023 net income in USD millions?"
    assert verdict(question, "$618 million", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Based on the financial data provided, Danbury's total debt was $910 million in FY2022 and "
     "$860 million in FY2023. Therefore, Danbury has increased its debt.", "incorrect"),
    ("Based on the financial data provided, Danbury's total debt was $910 million in FY2022 and "
     "$860 million in FY2023. Therefore, Danbury has reduced its debt.", "correct"),
])
def test_a_conclusion_saying_which_way_answers(answer: str, expected: str) -> None:
    question = ("Has Danbury Logistics increased its debt on balance sheet between FY2022 and "
                "FY2023?")
    assert verdict(question, "No. Total debt decreased from $910M to $860M.", answer) == expected


def test_may_or_may_not_takes_no_stance() -> None:
    question = "Is Marlby Retail's dividend sustainable?"
    gold = "No. Marlby paid $150M in dividends against free cash flow of $60M."
    answer = ("Marlby Retail's dividend may or may not be sustainable depending on future "
              "earnings and cash flow.")
    assert verdict(question, gold, answer) == "incorrect"


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # "not minor" denies a question asking whether it was minor
    ("Was Orlby Logistics' FY2023 restructuring charge minor?", "No.",
     "The restructuring charge was not minor relative to operating income.", "correct"),
    # for a cost ratio, down is the improvement
    ("Did Wexby Bank's cost-to-income ratio improve in 2023?", "Yes.",
     "The cost-to-income ratio was 57% in 2023 compared with 61% in 2022.", "correct"),
    # a conclusion about another quantity or the outlook says nothing of the way asked
    ("Did Norrby Energy's capital expenditures increase or decrease in FY2023?",
     "Increased, from $1.2 billion to $1.5 billion.",
     "Capex increased to $1.5 billion in FY2023 from $1.2 billion. Therefore, with the "
     "build-out nearly complete, management expects capex to decrease in FY2024.", "correct"),
    ("Did Pryby Logistics' accounts receivable increase or decrease in FY2023?",
     "Increased, from $810 million to $970 million.",
     "Accounts receivable increased from $810 million to $970 million. So working capital "
     "absorbed cash, and operating cash flow decreased as a result.", "correct"),
])
def test_the_readings_leave_alone_what_they_do_not_judge(question: str, gold: str, answer: str, expected: str) -> None:
    assert verdict(question, gold, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    # levels are compared with their scales read: $850 million is below $1.2 billion
    ("Based on the filing, Harlow Foods' revenue moved from $850 million in FY2022 to $1.2 "
     "billion in FY2023.", "correct"),
    ("Harlow Foods' revenue was $1.2 billion in FY2023 compared with $850 million in FY2022.",
     "correct"),
    ("Harlow Foods' revenue moved from $1.2 billion in FY2022 to $850 million in FY2023.",
     "incorrect"),
])
def test_levels_in_different_scales_are_compared_by_value(answer: str, expected: str) -> None:
    question = "Did Harlow Foods increase its revenue between FY2022 and FY2023?"
    gold = "Yes. Revenue rose from $850 million to $1.2 billion."
    assert verdict(question, gold, answer) == expected
