"""What an answer opens with, and an input its working sets aside (correctness version 10,
third part).

Read from gpt-4 and gpt-4-1106-preview disagreements with FinanceBench's experts, stated
generally; the answers below are synthetic, about a made-up company.

- A fragment without a verb ("Kestrel Ridge Holdings, Inc." cut at its period) states
  nothing: when no statement takes the question up, the answer's opening statements are the
  first two that state something.
- An answer that opens with a list ("1. Microprocessors: ...") answers with the list, as an
  opening that introduces a list already did (version 8).
- An input the working sets aside and goes on without ("the balance sheet does not mention
  any marketable securities, so we will exclude them from the calculation") is working, not
  refusal language.
"""

from __future__ import annotations

import time

import pytest

from agility.metrics import judge_financial_answer
from agility.metrics._refusal_language import refusal_phrases

PRODUCTS = "What are the major products and services that Kestrel Ridge sells as of FY2024?"
PRODUCTS_GOLD = ("Kestrel Ridge sells server microprocessors (CPUs) and graphics processing units "
                 "(GPUs), data processing units (DPUs), field programmable gate arrays (FPGAs) "
                 "and adaptive system-on-chip (SoC) products for data centers; chipsets for "
                 "desktop and notebook personal computers; and semi-custom SoC products and "
                 "development services.")


def test_a_fragment_cut_at_inc_is_not_an_opening_statement() -> None:
    answer = ("Kestrel Ridge Holdings, Inc. (Kestrel) is a global semiconductor company. Its "
              "offerings include server microprocessors (CPUs) and graphics processing units "
              "(GPUs), data processing units (DPUs), field programmable gate arrays (FPGAs), "
              "adaptive SoC products, chipsets for desktop and notebook personal computers, "
              "and semi-custom SoC products and development services.")
    judgement = judge_financial_answer(PRODUCTS, PRODUCTS_GOLD, answer)
    assert judgement.verdict == "correct", judgement.reason


@pytest.mark.parametrize("marker", ["1.", "-", "*", "1)"])
def test_an_answer_that_opens_with_a_list_answers_with_the_list(marker: str) -> None:
    items = [
        "Microprocessors: high-performance processors used in personal computers.",
        "Graphics: discrete graphics processing units for gaming.",
        "Data center: server microprocessors, data processing units and field programmable "
        "gate arrays.",
        "Adaptive computing: adaptive system-on-chip products and chipsets for desktop and "
        "notebook computers.",
        "Semi-custom: semi-custom SoC products and development services for game consoles.",
    ]
    numbered = marker[0].isdigit()
    answer = "\n\n".join(f"{i + 1}{marker[1:]} {item}" if numbered else f"{marker} {item}"
                         for i, item in enumerate(items))
    judgement = judge_financial_answer(PRODUCTS, PRODUCTS_GOLD, answer)
    assert judgement.verdict == "correct", judgement.reason
    assert "list" in judgement.reason


def test_a_list_of_other_things_is_still_incorrect() -> None:
    answer = ("1. Consulting: advisory services for retailers.\n"
              "2. Software: inventory management applications.\n"
              "3. Training: courses for store managers.")
    assert judge_financial_answer(PRODUCTS, PRODUCTS_GOLD, answer).verdict == "incorrect"


# --- an input set aside ---------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Note that the balance sheet does not mention any marketable securities, so we will "
    "exclude them from the calculation.",
    "The filing does not provide a separate figure for short-term investments, so I will "
    "treat them as zero.",
    "The excerpt does not state the tax rate, therefore we assume the statutory 21%.",
])
def test_an_input_set_aside_is_not_refusal_language(text: str) -> None:
    assert refusal_phrases(text) == []


def test_a_missing_answer_is_still_refusal_language() -> None:
    assert refusal_phrases("The balance sheet does not mention marketable securities, so the "
                           "quick ratio cannot be calculated.")


def test_a_ratio_worked_out_without_a_set_aside_input_is_graded() -> None:
    question = ("Does Kestrel Ridge have a reasonably healthy liquidity profile based on its "
                "quick ratio for FY2024? If the quick ratio is not relevant to measure "
                "liquidity, please state that and explain why.")
    gold = ("No. The quick ratio was approximately 0.54 for Kestrel Ridge. It indicated that "
            "Kestrel Ridge does not have a healthy liquidity profile.")
    answer = ("To assess the liquidity profile, we calculate the quick ratio.\n"
              "- Cash and cash equivalents: $2,605 million\n"
              "- Accounts receivable, net: $24,506 million\n"
              "- Current liabilities: $50,171 million\n"
              "Note that the balance sheet does not mention any marketable securities, so we "
              "will exclude them from the calculation.\n"
              "Quick Ratio = ($2,605 million + $24,506 million) / $50,171 million\n"
              "Quick Ratio \u2248 0.54\n"
              "A quick ratio of 0.54 means Kestrel Ridge's most liquid assets cover only about "
              "half of its current liabilities, which may suggest liquidity challenges.")
    assert judge_financial_answer(question, gold, answer).verdict != "refusal"


def test_reading_a_long_answer_without_sentence_ends_stays_fast() -> None:
    # the set-aside clause is bounded: a first draft rescanned the whole text from every
    # position and took minutes on a 20,000-character answer without a full stop
    text = "the filing does not state the figure " * 600 + ", so we will exclude it"
    started = time.perf_counter()
    refusal_phrases(text)
    judge_financial_answer(PRODUCTS, PRODUCTS_GOLD, text.replace("figure", "figure,"))
    assert time.perf_counter() - started < 5.0


# --- inputs first, the result last without a marker (version 14) ----------------------------

MARGIN = "What is Kestrel Ridge's FY2024 operating margin?"
CAPEX = "What is the FY2024 capital expenditure amount (in USD millions) for Kestrel Ridge?"
INPUTS = "Operating income was $6,098 million on revenue of $17,606 million."


@pytest.mark.parametrize("result", [
    "The margin is {}.", "The operating margin is {}.", "Kestrel Ridge's FY2024 operating "
    "margin is {}.", "\n\nThe margin is {}.",
])
def test_inputs_first_and_the_result_last_is_judged_on_the_result(result: str) -> None:
    # version 13 took the opening statement for the answer (answer first, working after) and
    # graded the answer incorrect on its inputs
    answer = INPUTS + " " + result.format("34.6%")
    judgement = judge_financial_answer(MARGIN, "34.6%", answer)
    assert judgement.verdict == "correct", judgement.reason
    assert judgement.reason.startswith('concludes "34.6%"')
    wrong = judge_financial_answer(MARGIN, "34.6%", INPUTS + " " + result.format("36.8%"))
    assert wrong.verdict == "incorrect" and wrong.reason.startswith('concludes "36.8%"')


def test_label_lines_read_the_same_way() -> None:
    lines = "Operating income: $6,098 million\nRevenue: $17,606 million\nOperating margin: {}"
    judgement = judge_financial_answer(MARGIN, "34.6%", lines.format("34.6%"))
    assert judgement.verdict == "correct", judgement.reason
    assert judge_financial_answer(MARGIN, "34.6%", lines.format("36.8%")).verdict == "incorrect"


def test_the_result_last_is_the_one_that_names_the_quantity_asked() -> None:
    evidence = ("The cash flow statement shows purchases of property, plant and equipment of "
                "$1,373 million in 2023 and $1,577 million in 2024. ")
    right = evidence + "The FY2024 capital expenditure amount for Kestrel Ridge is $1,577 million."
    assert judge_financial_answer(CAPEX, 1577, right).verdict == "correct"
    wrong = judge_financial_answer(CAPEX, 1577, right.replace("is $1,577", "is $1,373"))
    assert wrong.verdict == "incorrect" and 'concludes "$1,373 million"' in wrong.reason


@pytest.mark.parametrize("answer", [
    # the answer first: what follows names less of the question, or another period
    "The margin is 34.6%. Operating income was $6,098 million on revenue of $17,606 million.",
    "Kestrel Ridge's FY2024 operating margin was 34.6%. In FY2023 it was 36.8%.",
    "The operating margin was 34.6%. Last year's operating margin was 36.8%.",
])
def test_an_answer_first_keeps_its_opening_statement(answer: str) -> None:
    judgement = judge_financial_answer(MARGIN, "34.6%", answer)
    assert judgement.verdict == "correct", judgement.reason
    assert "in statement 1 " in judgement.reason
