"""Rule 5 applied to a gold that rejects the question's metric (correctness version 8).

"The filing does not give the gross margin change. However, gross margin might not be the
most relevant metric for a bank." declines, then only muses that the metric may not apply:
a hedged claim does not commit an answer that has declined (as for figures and yes/no). An
unhedged rejection ("gross margin is not a relevant metric for a bank") still answers the
gold "Gross margin is not a relevant metric for this company." Synthetic answers.
"""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer

QUESTION = ("What drove the gross margin change for Harbor Trust Bank in FY2024? If gross "
            "margin is not a useful metric for a company like this, then please state that and "
            "explain why.")
GOLD = "Gross margin is not a relevant metric for a bank; performance is measured otherwise."
DECLINE = ("The provided context does not contain specific information about Harbor Trust "
           "Bank's gross margin for FY2024.")


@pytest.mark.parametrize("hedged", [
    "However, gross margin might not be the most relevant metric for a bank like Harbor Trust.",
    "However, for a company like Harbor Trust, gross margin may not be a useful metric.",
    "Gross margin could possibly be less useful for a bank such as Harbor Trust.",
])
def test_a_hedged_rejection_after_a_decline_commits_nothing(hedged: str) -> None:
    judgement = judge_financial_answer(QUESTION, GOLD, f"{DECLINE} {hedged}")
    assert judgement.verdict != "correct", judgement.reason


@pytest.mark.parametrize("plain", [
    "However, gross margin is not a relevant metric for a bank like Harbor Trust.",
    "For a company like Harbor Trust, gross margin is not a useful metric.",
])
def test_a_plain_rejection_still_answers(plain: str) -> None:
    assert judge_financial_answer(QUESTION, GOLD, f"{DECLINE} {plain}").verdict == "correct"


def test_a_hedged_rejection_without_a_decline_is_an_answer() -> None:
    # no refusal language: the hedge is the answer's own judgement
    answer = "Gross margin might not be the most relevant metric for a bank like Harbor Trust."
    assert judge_financial_answer(QUESTION, GOLD, answer).verdict == "correct"
