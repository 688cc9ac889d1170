"""Two general rules of correctness version 8, on synthetic answers.

- A change between two levels is never a level minus zero: "(689 + 0 + 1,875)" holds a zero
  operand, and "0.57 - 0" is not a change of 0.57 (nor, read at the precision of units that
  the bare "0" lends it, a change of 0.67).
- An answer whose opening introduces a list ("... was driven by several factors:") is
  answered by that list, as one whose committing statement introduces it already was.
"""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer

QUESTION = "What was Kestrel Ridge's quick ratio in FY2024?"
WORKING = ("Quick ratio = (689 + 0 + 1,875) / 4,476 = 0.57.\n"
           "The quick ratio was 0.57 in FY2024, up from 0.53 in FY2023.")


@pytest.mark.parametrize("gold", ["The quick ratio improved from 0.67 to 0.69.",
                                  "It increased to 0.67", "0.67 (up from 0.61)",
                                  "The quick ratio rose from 0.41 to 0.67."])
def test_a_zero_operand_is_no_level_of_a_change(gold: str) -> None:
    judgement = judge_financial_answer(QUESTION, gold, WORKING)
    assert judgement.verdict == "incorrect", judgement.reason


def test_a_change_between_two_real_levels_is_still_found() -> None:
    answer = "Capex was $1,577 million in 2023 and $1,600 million in 2024."
    judgement = judge_financial_answer("How much did Kestrel Ridge's capex change in 2024?",
                                       "An increase of $23 million", answer)
    assert judgement.verdict == "correct", judgement.reason


DRIVERS_QUESTION = "What drove the change in Kestrel Ridge's revenue in FY2024?"
DRIVERS_GOLD = ("Higher sales of turbine blades, higher aftermarket service sales, and the "
                "inclusion of Harlow Castings' foundry sales")


def _list_answer(items: list[str], opening: str) -> str:
    return opening + "\n\n" + "\n\n".join(
        f"{i}. {item}" for i, item in enumerate(items, start=1))


OPENINGS = [
    "According to the company's annual report (Form 10-K), the change in revenue for fiscal "
    "year 2024 was driven by several factors:",
    "Several things happened across the segments during the year:",
    "Looking at the segment results in the annual report, the following factors stand out:",
    # a committing statement, then the statement that introduces the list
    "Kestrel Ridge's revenue changed markedly in FY2024, with growth in every segment. The "
    "revenue change in FY2024 was driven by several factors:",
]


@pytest.mark.parametrize("opening", OPENINGS)
def test_an_opening_that_introduces_a_list_is_answered_by_the_list(opening: str) -> None:
    right = [
        "Blades segment: revenue rose 40% to $2.1 billion, driven by higher sales of turbine "
        "blades to utility customers.",
        "Services segment: revenue rose 12%, driven by higher aftermarket service sales.",
        "Castings segment: revenue rose sharply, driven by the inclusion of Harlow Castings' "
        "foundry sales after the acquisition in March.",
    ]
    judgement = judge_financial_answer(DRIVERS_QUESTION, DRIVERS_GOLD,
                                       _list_answer(right, opening))
    assert judgement.verdict == "correct", judgement.reason
    assert "list" in judgement.reason


@pytest.mark.parametrize("opening", OPENINGS)
def test_a_list_of_other_drivers_is_still_incorrect(opening: str) -> None:
    wrong = [
        "Currency: a weaker dollar lifted reported figures by about 2%.",
        "Pricing: list prices were raised twice during the year.",
        "Weather: a mild winter reduced heating demand in the northern region.",
    ]
    judgement = judge_financial_answer(DRIVERS_QUESTION, DRIVERS_GOLD,
                                       _list_answer(wrong, opening))
    assert judgement.verdict == "incorrect", judgement.reason
