"""A yes/no answer's conclusion drawn from its working stands against a side note after it
(correctness version 9).

"... Based on these calculations, the operating margin did not improve from FY2023 to FY2024.
However, it is important to note that the margin is still higher than in FY2022, indicating
..." answers no: the conclusion is drawn from the working ("Based on these calculations"), and
the side note the answer itself marks as one ("it is important to note", "it is worth noting",
"keep in mind") qualifies it. Version 8 read only a marked conclusion ("Therefore", "In
conclusion") or an evidential statement ("indicating", "shows") as a stance, so it took the side
note's "still higher ... indicating" for the answer, or, without the note, a line of working
about another period ("From FY2022 to FY2023 the margin increased ..., showing an
improvement"). Read from a gpt-4-1106-preview answer; synthetic answers.
"""

from __future__ import annotations

import itertools

import pytest

from agility.metrics import judge_financial_answer

QUESTION = "Does Kestrel Ridge have an improving operating margin profile as of FY2024?"
WORKING = ("To determine whether the operating margin improved, we need to calculate it for "
           "each year.\n"
           "FY2024: Operating margin = ($1,220 / $4,100) * 100 = 29.76%\n"
           "FY2023: Operating margin = ($1,310 / $4,020) * 100 = 32.59%\n"
           "FY2022: Operating margin = ($1,020 / $3,800) * 100 = 26.84%\n"
           "- From FY2022 to FY2023, the operating margin increased from 26.84% to 32.59%, "
           "showing an improvement.\n"
           "- From FY2023 to FY2024, the operating margin decreased from 32.59% to 29.76%.\n")
DRAWN_NO = [
    "Based on these calculations, Kestrel Ridge's operating margin profile did not improve "
    "from FY2023 to FY2024; instead, it declined.",
    "Based on this analysis, Kestrel Ridge does not have an improving operating margin "
    "profile as of FY2024.",
    "Based on the above figures, the operating margin of Kestrel Ridge did not improve in "
    "FY2024.",
]
SIDE_NOTES = [
    "However, it is important to note that the operating margin is still higher in FY2024 "
    "than it was in FY2022, indicating an improvement over the longer term.",
    "It is worth noting that the operating margin improved from FY2022 to FY2023, showing "
    "that the company can raise it.",
    "Keep in mind that the operating margin is still higher than in FY2022, which shows an "
    "improving profile over three years.",
]
GOLD_NO = ("No, the operating margin declined from 32.6% in FY2023 to 29.8% in FY2024.")
GOLD_YES = ("Yes, the operating margin improved from 26.8% in FY2022 to 29.8% in FY2024.")


@pytest.mark.parametrize(("drawn", "note"), list(itertools.product(DRAWN_NO, SIDE_NOTES)))
def test_the_drawn_conclusion_answers_despite_a_side_note(drawn: str, note: str) -> None:
    answer = f"{WORKING}\n{drawn} {note}"
    judgement = judge_financial_answer(QUESTION, GOLD_NO, answer)
    assert judgement.verdict == "correct", judgement.reason
    assert drawn[:40] in judgement.reason
    # and the same conclusion is wrong against the opposite gold
    assert judge_financial_answer(QUESTION, GOLD_YES, answer).verdict == "incorrect"


@pytest.mark.parametrize("drawn", DRAWN_NO)
def test_a_drawn_conclusion_beats_a_line_of_working_about_another_period(drawn: str) -> None:
    judgement = judge_financial_answer(QUESTION, GOLD_NO, f"{WORKING}\n{drawn}")
    assert judgement.verdict == "correct", judgement.reason
    assert drawn[:40] in judgement.reason


@pytest.mark.parametrize("note", SIDE_NOTES)
def test_a_side_note_alone_still_answers(note: str) -> None:
    # with no other statement taking the question up, the side note is all the answer says
    judgement = judge_financial_answer(QUESTION, GOLD_YES, f"{WORKING}\n{note}")
    assert judgement.verdict == "correct", judgement.reason
