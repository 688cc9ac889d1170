"""Three figure rules of correctness version 9, on synthetic answers.

1. A bare figure below one ("0.69 times") is a ratio, not an amount: version 8 read it in an
   unstated scale against money, so "$689 million" (cash, an operand of the answer's quick
   ratio) stated the gold's 0.69.
2. The unnamed result of the answer's own calculation ("FY2024: (689 + 1,875) / 4,476 =
   0.57") measures the quantity the question asks; against a gold figure named by the
   question's words ("the quick ratio improved from 0.67 to 0.69") it is another value, so an
   answer that only gets the direction right is incorrect. Version 8 took only figures named
   by words as values of a quantity.
3. A number hyphenated to a word ("COVID-19") is part of a name: version 8 read "-19" as a
   figure of the gold and credited an answer that mentions COVID-19, saying it "states the
   gold's -19".

Read from gpt-4 and gpt-4-1106-preview answers (llama2 held out); the answers below are
synthetic.
"""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer, parse_financial_numbers
from agility.metrics._numbers import figures_match

QUICK = ("Has Kestrel Ridge's quick ratio improved or declined between FY2023 and FY2024? If "
         "the quick ratio is not relevant for a company like this, state that and explain why.")
GOLD_QUICK = "The quick ratio has slightly improved from 0.67 times to 0.69 times."


@pytest.mark.parametrize(("answer_figure", "gold_figure"), [
    ("$689 million", "0.69"), ("689", "0.69"), ("$690 million", "0.69 times"),
    ("$0.5 billion", "0.5"), ("USD 79 thousand", "0.079"),
])
def test_a_bare_figure_below_one_is_no_amount(answer_figure: str, gold_figure: str) -> None:
    answer = parse_financial_numbers(answer_figure)[0]
    gold = parse_financial_numbers(gold_figure)[0]
    assert not figures_match(answer, gold)


@pytest.mark.parametrize(("answer_figure", "gold_figure"), [
    ("$1,577 million", "1577"), ("1,577", "$1.577 billion"), ("0.69", "0.69 times"),
    ("69%", "0.69"), ("$0.69 billion", "$690 million"),
])
def test_amounts_and_ratios_still_match_their_own_kind(answer_figure: str,
                                                       gold_figure: str) -> None:
    answer = parse_financial_numbers(answer_figure)[0]
    gold = parse_financial_numbers(gold_figure)[0]
    assert figures_match(answer, gold)


WORKED = ("The quick ratio is (cash + receivables) / current liabilities.\n\n"
          "FY2024: ($689 million + $1,875 million) / $4,476 million = {new}\n"
          "FY2023: ($775 million + $1,935 million) / $5,103 million = {old}\n\n"
          "Therefore, Kestrel Ridge's quick ratio has improved from FY2023 to FY2024. This "
          "indicates that its ability to meet short-term obligations has improved.")


@pytest.mark.parametrize(("new", "old"), [("0.57", "0.53"), ("0.573", "0.531"),
                                          ("0.6", "0.5")])
def test_another_value_for_the_asked_ratio_is_incorrect(new: str, old: str) -> None:
    judgement = judge_financial_answer(QUICK, GOLD_QUICK, WORKED.format(new=new, old=old))
    assert judgement.verdict == "incorrect", judgement.reason
    assert "for the quantity the gold gives" in judgement.reason


def test_the_gold_values_worked_out_are_correct() -> None:
    answer = WORKED.format(new="0.69", old="0.67")
    judgement = judge_financial_answer(QUICK, GOLD_QUICK, answer)
    assert judgement.verdict == "correct", judgement.reason


def test_an_unnamed_result_of_another_quantity_is_no_conflict() -> None:
    # the gold's figure is not named by the question's words (it measures something the
    # question does not ask): an unnamed result of the answer's is not another value for it
    question = "Did Kestrel Ridge's liquidity improve between FY2023 and FY2024?"
    gold = "Yes. Its cash conversion cycle shortened from 41 days to 37 days."
    answer = ("Current ratio FY2024: $2,564 million / $2,100 million = 1.22\n"
              "Current ratio FY2023: $2,710 million / $2,400 million = 1.13\n"
              "Yes, Kestrel Ridge's liquidity improved between FY2023 and FY2024.")
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict == "correct", judgement.reason


COVID_QUESTION = "What drove the change in Kestrel Ridge's gross margin in FY2022?"
COVID_GOLD = ("One-time COVID-19 vaccine manufacturing exit costs and currency impacts in the "
              "pharmaceutical segment.")


@pytest.mark.parametrize("word", ["COVID-19", "Form S-1", "Series A-2"])
def test_a_number_hyphenated_to_a_word_is_no_figure(word: str) -> None:
    figures = parse_financial_numbers(f"The {word} costs were noted.")
    assert all(f.value >= 0 for f in figures), figures


def test_covid_19_in_gold_and_answer_is_not_a_matching_figure() -> None:
    answer = ("The filing does not state what drove the change in gross margin. It mentions "
              "the COVID-19 pandemic only in its risk factors.")
    judgement = judge_financial_answer(COVID_QUESTION, COVID_GOLD, answer)
    assert judgement.verdict != "correct", judgement.reason
    assert "-19" not in judgement.reason


def test_a_minus_sign_still_makes_a_figure_negative() -> None:
    assert [f.value for f in parse_financial_numbers("Net income was -$546 million.")] == \
        [-546e6]
    assert [f.value for f in parse_financial_numbers("ROA was -1.53%.")] == [-1.53]
    assert [f.value for f in parse_financial_numbers("a change of -19 basis points")] == \
        [-0.19]
