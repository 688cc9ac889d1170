"""A plain opening claim stands although a caveat with refusal language follows
(correctness version 8).

"Kestrel Ridge does maintain a stable dividend. ... The filing does not include dividends
before 2021, so ..." answers the yes/no question in its first statement; the caveat
qualifies the answer, it does not take it back. Version 7 (and earlier) read only a concluding or
evidential statement as a stance once the answer had refusal language anywhere, and called
such answers refusals. An opening that is hedged, conditional, a statement of the task or
method, or about what the sources mention is still no stance. Synthetic answers.
"""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer

QUESTION = "Does Kestrel Ridge maintain a stable trend of dividend distribution?"
CAVEAT = ("It raised its quarterly dividend by 2% in March 2024 and kept it unchanged in "
          "June 2024. The filing does not include dividend amounts before 2021, so the "
          "longer history cannot be confirmed from it.")


@pytest.mark.parametrize(("opening", "gold", "verdict"), [
    ("Kestrel Ridge does maintain a stable trend of dividend distribution.",
     "Yes, it has raised its dividend for 30 consecutive years.", "correct"),
    ("Based on the evidence provided, Kestrel Ridge does maintain a stable trend of dividend "
     "distribution.", "Yes, it has raised its dividend for 30 consecutive years.", "correct"),
    ("Kestrel Ridge does not maintain a stable trend of dividend distribution.",
     "Yes, it has raised its dividend for 30 consecutive years.", "incorrect"),
    ("Kestrel Ridge does maintain a stable trend of dividend distribution.",
     "No, it cut its dividend twice in three years.", "incorrect"),
])
def test_an_opening_claim_is_the_answer_despite_a_caveat(opening: str, gold: str,
                                                         verdict: str) -> None:
    judgement = judge_financial_answer(QUESTION, gold, f"{opening} {CAVEAT}")
    assert judgement.verdict == verdict, judgement.reason
    assert "statement 1" in judgement.reason


@pytest.mark.parametrize("opening", [
    "Kestrel Ridge may maintain a stable trend of dividend distribution.",
    "If the pattern held, Kestrel Ridge would maintain a stable trend of dividend "
    "distribution.",
    "Based on the data, we can assess whether Kestrel Ridge maintains a stable trend of "
    "dividend distribution by comparing the dividends declared.",
    "There is no stable trend of dividend distribution for Kestrel Ridge explicitly stated "
    "in the filing.",
])
def test_a_hedged_conditional_or_method_opening_is_no_stance(opening: str) -> None:
    answer = (f"{opening} The filing does not include dividend amounts for the years asked, "
              "so it cannot be confirmed from it.")
    judgement = judge_financial_answer(
        QUESTION, "Yes, it has raised its dividend for 30 consecutive years.", answer)
    assert judgement.verdict == "refusal", judgement.reason


ACCELERATE = "Is growth in Kestrel Ridge's adjusted EPS expected to accelerate in FY2025?"


@pytest.mark.parametrize(("conclusion", "verdict"), [
    ("Growth in Kestrel Ridge's adjusted EPS will decelerate in FY2025, from 4.1% in "
     "FY2024.", "correct"),
    ("Growth in Kestrel Ridge's adjusted EPS will accelerate in FY2025, from 3.2% in "
     "FY2024.", "incorrect"),
    # the conclusion names the subject by a word of its own ("the growth rate")
    ("This is slightly lower than the growth rate of 4.1% in 2024, suggesting that the "
     "growth rate may not accelerate in 2025.", "correct"),
])
def test_the_statement_that_speaks_of_the_predicate_answers(conclusion: str,
                                                            verdict: str) -> None:
    # the evidential statement about the subject alone ("indicates adjusted EPS growth of
    # 3.9%") says nothing of accelerating; the one that does is the answer
    answer = ("The company guides FY2025 adjusted EPS of $10.50, which indicates adjusted "
              f"EPS growth of 3.9% for Kestrel Ridge in FY2025. {conclusion}")
    gold = "No, adjusted EPS growth is expected to slow from 4.1% in FY2024 to 3.9% in FY2025."
    judgement = judge_financial_answer(ACCELERATE, gold, answer)
    assert judgement.verdict == verdict, judgement.reason
    assert "statement 2" in judgement.reason
