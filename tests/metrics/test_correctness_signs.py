"""The sign of a figure, written or worded, and the words of a rounding instruction
(correctness version 8).

Figures are compared by size because words usually carry the sign ("a loss of $3.2 billion"
is -$3.2 billion). But a figure the answer *writes* negative ("-$3.2 billion", "$(3.2)
billion") does not state a gold the gold *calls* positive ("$3.2 billion, a profit"), and a
figure the answer calls a profit does not state a gold written negative or called a loss.
A dash followed by a space ("- $3.2 billion") is a list bullet or a separator, not a sign, so
list answers are not read as negatives. The answers are synthetic, built from these shapes.
"""

from __future__ import annotations

import itertools

import pytest

from agility.metrics import get_metric, judge_financial_answer

QUESTIONS = [
    None,
    "What was Kestrel Ridge's net result for FY2024?",
    "State Kestrel Ridge's FY2024 net result (in USD billions).",
    "Kestrel Ridge's net result in FY2024?",
]
POSITIVE_GOLDS = ["$3.2 billion, a profit", "A profit of $3.2 billion",
                  "3.2 billion dollars (a gain)", "A surplus of $3,200 million",
                  "Positive: $3.2 billion"]
NEGATIVE_GOLDS = ["A loss of $3.2 billion", "-$3.2 billion", "$(3.2) billion",
                  "A net loss of $3,200 million"]
# the gold's size written negative, in several wordings
WRITTEN_NEGATIVE = ["-$3.2 billion", "The net result for FY2024 was -$3.2 billion.",
                    "Its net result was $(3.2) billion in FY2024.", "\u2212$3.2 billion",
                    "Result: -3.2 billion dollars", "The figure was -$3,200 million."]
# the gold's size with no sign, or a dash that is a bullet
UNSIGNED = ["$3.2 billion", "The net result for FY2024 was $3.2 billion.",
            "- $3.2 billion", "Summary:\n- $3.2 billion in FY2024\n- 12% of revenue",
            "Its net result was $3,200 million in FY2024."]


@pytest.mark.parametrize(("question", "gold", "answer"),
                         list(itertools.product(QUESTIONS, POSITIVE_GOLDS, WRITTEN_NEGATIVE)))
def test_a_figure_written_negative_does_not_state_a_gold_called_positive(
        question: str | None, gold: str, answer: str) -> None:
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict == "incorrect", judgement.reason
    # the reason names the answer's own figure, as written
    assert all(answer[c.start:c.end] == c.text for c in judgement.cited)


@pytest.mark.parametrize(("question", "gold", "answer"),
                         list(itertools.product(QUESTIONS, POSITIVE_GOLDS, UNSIGNED)))
def test_an_unsigned_figure_or_a_bulleted_one_still_states_a_positive_gold(
        question: str | None, gold: str, answer: str) -> None:
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict == "correct", judgement.reason


@pytest.mark.parametrize(("question", "gold", "answer"),
                         list(itertools.product(QUESTIONS, NEGATIVE_GOLDS,
                                                WRITTEN_NEGATIVE + UNSIGNED[:2])))
def test_a_loss_is_stated_by_its_size_signed_or_not(question: str | None, gold: str,
                                                    answer: str) -> None:
    # words carry the sign: "the net result was $3.2 billion" for a loss of $3.2 billion is
    # the usual way of writing it, and a written minus agrees with a worded loss
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict == "correct", judgement.reason


@pytest.mark.parametrize(("question", "gold"), list(itertools.product(QUESTIONS,
                                                                       NEGATIVE_GOLDS)))
def test_an_answer_calling_the_figure_a_profit_does_not_state_a_loss(question: str | None,
                                                                     gold: str) -> None:
    for answer in ("Kestrel Ridge's net result was a profit of $3.2 billion in FY2024.",
                   "A gain of $3.2 billion."):
        judgement = judge_financial_answer(question, gold, answer)
        assert judgement.verdict == "incorrect", (answer, judgement.reason)


def test_a_figure_without_a_worded_or_written_sign_on_the_gold_is_compared_by_size() -> None:
    # a gold that gives no sign at all: the answer's minus is not a contradiction (a cash
    # flow "used" is often written negative in one place and positive in another)
    for answer in WRITTEN_NEGATIVE:
        assert judge_financial_answer(QUESTIONS[1], "$3.2 billion", answer).verdict == "correct"


def test_a_final_equation_with_a_spelled_out_rounding_is_about_the_question() -> None:
    # "when rounded to two decimal places": a count or precision spelled out names no
    # quantity, so the equation's result is the answer to the ratio asked
    question = ("What is Kestrel Ridge's FY2024 return on equity? Return on equity is FY2024 "
                "net income / average shareholders' equity. Round your answer to two decimal "
                "places.")
    working = ("Net income for FY2024 was $(812) million. Average equity is ($15,210 million "
               "+ $16,540 million) / 2 = $15,875 million.\n\n")
    for result, gold, verdict in (("-0.0512 or -5.12%", "-0.05", "correct"),
                                  ("-0.0512 or -5.12%", "-0.07", "incorrect"),
                                  ("0.0831 or 8.31%", "0.08", "correct")):
        answer = (working + f"= -($812 million) / $15,875 million = {result} when rounded to "
                  "two decimal places.")
        judgement = judge_financial_answer(question, gold, answer)
        assert judgement.verdict == verdict, (result, gold, judgement.reason)
        assert "not about the quantity asked" not in judgement.reason


def test_the_metric_is_versioned() -> None:
    # scores stored by earlier versions stay readable under their own version
    assert get_metric("correctness").version == "23"


def test_a_figure_written_negative_says_down_whatever_its_statements_words() -> None:
    # version 13 read "organic growth by segment" as saying up, and the gold's shrinking
    # segment as turned the other way
    question = "Which segment dragged down Kestrel Ridge's overall growth in 2024?"
    gold = "The consumer segment shrunk by 0.9% organically."
    answer = ("Looking at organic growth by segment: Industrial +1.0%, Electronics +1.2%, "
              "Health Care +3.2%, Consumer -0.9%. So Consumer was the drag.")
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict == "correct", judgement.reason
    # the words still turn an unsigned figure, and a sign turns a gold said the other way
    assert judge_financial_answer(question, gold, "Consumer organic sales grew 0.9%.").verdict \
        == "incorrect"
    assert judge_financial_answer("What was the change in Kestrel Ridge's revenue in 2024?",
                                  "An increase of $54.1 million.",
                                  "Revenue changed by -$54.1 million.").verdict == "incorrect"


@pytest.mark.parametrize(("answer", "expected"), [
    ("Organic revenue grew 0.9% in FY2024.", "incorrect"),
    ("Organic revenue increased by 0.9% in FY2024.", "incorrect"),
    ("Organic revenue declined 0.9% in FY2024.", "correct"),
    ("Organic revenue growth was (0.9)% in FY2024.", "correct"),
    ("FY2024 organic growth: a 0.9% decrease.", "correct"),
    ("Organic growth was -0.9% in FY2024.", "correct"),
])
def test_a_gold_change_written_negative_says_down(answer: str, expected: str) -> None:
    # version 14 compared a bare "-0.9%" by size only: "grew 0.9%" was credited
    question = "What was Kestrel Ridge's organic revenue growth in FY2024?"
    judgement = judge_financial_answer(question, "-0.9%", answer)
    assert judgement.verdict == expected, judgement.reason


def test_a_negative_level_is_no_change() -> None:
    # words of a change do not turn a level the question asks for
    judgement = judge_financial_answer("What was Kestrel Ridge's FY2024 operating margin?",
                                       "-5.2%", "The operating margin improved to -5.2% in FY2024.")
    assert judgement.verdict == "correct", judgement.reason
