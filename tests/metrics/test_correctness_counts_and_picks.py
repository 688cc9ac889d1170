"""Counts, picks, refusal contractions and hedged claims about the company (correctness
version 10).

Four rules, each read from gpt-4 or gpt-4-1106-preview disagreements with FinanceBench's
experts and stated generally (the answers below are synthetic, about a made-up company):

- **A count is named by what it counts.** "907 Best Buy stores" is another number of the
  gold's "982 stores", whatever words precede the two; version 9 named a figure's quantity
  only by the words before it ("there were 907"), so a yes/no answer right on "was there a
  change?" was credited while it gave other store counts than the gold's.
- **A question asking which one of a kind is answered by the one named.** "Which segment
  dragged down growth?" with the gold "The consumer segment ..." is not answered by "... is
  the Safety and Industrial segment", however many of the gold's words or figures the answer
  shares (version 9 credited it on a shared figure or 33% of the gold's words).
- **A contraction says what its full form says.** "it's impossible to calculate" declines as
  "it is impossible to calculate" does, and "there's no available information" as "there is
  no specific information" (version 9 read neither as refusal language and credited the
  statement for repeating the question's words).
- **A claim about the company's own figures stands although it hedges with "generally" or
  "typically".** "Best Buy's gross margins have generally been consistent" answers yes;
  version 9 took "generally" for a general remark about metrics ("a quick ratio above 1
  generally indicates ...") and found no stance.
"""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer
from agility.metrics._refusal_language import refusal_phrases

# --- counts -------------------------------------------------------------------------------

COUNT_QUESTION = "Was there any change in the number of Kestrel Ridge stores between Q2 of FY2024 and FY2023?"
COUNT_GOLD = ("Yes, there is a decline in the number of stores by 1.32% from 982 stores in Q2 FY "
              "2023 to 969 by the end of Q2 FY2024.")
OTHER_COUNTS = [
    "Yes, there was a change. At the end of Q2 of fiscal 2024 there were 907 Kestrel Ridge "
    "stores, down from 930 at the end of Q2 of fiscal 2023.",
    "Yes, there was a change in the number of Kestrel Ridge stores between Q2 of FY2024 and "
    "FY2023.\n- Beginning of Q2 FY2024: 908 stores\n- End of Q2 FY2024: 907 stores\n"
    "- End of Q2 FY2023: 930 stores",
    "Yes. Kestrel Ridge operated 930 stores at the end of Q2 FY2023 and 907 stores at the end "
    "of Q2 FY2024, a decrease of 23 stores.",
]
SAME_COUNTS = [
    "Yes, there was a change: Kestrel Ridge had 982 stores at the end of Q2 FY2023 and 969 "
    "stores at the end of Q2 FY2024.",
    "Yes. The store count fell from 982 stores in Q2 FY2023 to 969 stores in Q2 FY2024, "
    "down 13 stores.",
]


@pytest.mark.parametrize("answer", OTHER_COUNTS)
def test_another_count_of_what_the_gold_counts_is_incorrect(answer: str) -> None:
    judgement = judge_financial_answer(COUNT_QUESTION, COUNT_GOLD, answer)
    assert judgement.verdict == "incorrect", judgement.reason
    # the reason names a count the answer states, where it states it
    assert judgement.cited
    for cited in judgement.cited:
        assert answer[cited.start:cited.end] == cited.text


@pytest.mark.parametrize("answer", SAME_COUNTS)
def test_the_gold_counts_are_still_credited(answer: str) -> None:
    assert judge_financial_answer(COUNT_QUESTION, COUNT_GOLD, answer).verdict == "correct"


def test_a_count_of_something_else_is_no_contradiction() -> None:
    # "3 regions" counts regions, not stores
    answer = ("Yes, the number of Kestrel Ridge stores declined from 982 stores in Q2 FY2023 to "
              "969 in Q2 FY2024 across 3 regions.")
    assert judge_financial_answer(COUNT_QUESTION, COUNT_GOLD, answer).verdict == "correct"


# --- picks --------------------------------------------------------------------------------

PICK_QUESTION = ("If we exclude the impact of M&A, which segment has dragged down Kestrel "
                 "Ridge's overall growth in 2022?")
PICK_GOLD = "The consumer segment shrunk by 0.9% organically."
OTHER_PICKS = [
    "The Transportation and Electronics segment has dragged down Kestrel Ridge's overall "
    "growth in 2022, as consumer electronics demand weakened.",
    "Based on the provided evidence, the segment that has dragged down Kestrel Ridge's overall "
    "growth in 2022 is the Safety and Industrial segment. Its organic sales grew 1.0%, but "
    "its total sales fell 3.2%, while the consumer segment shrunk by 0.9%.",
    "Excluding M&A, the Health Care segment dragged down Kestrel Ridge's overall growth in "
    "2022: organic sales in the consumer business were down 0.9%, but Health Care fell more.",
]
GOLD_PICKS = [
    "The Consumer segment has dragged down Kestrel Ridge's overall growth in 2022, shrinking "
    "by 0.9% organically.",
    "Excluding M&A, the segment that dragged down Kestrel Ridge's growth in 2022 was the "
    "Consumer segment, with organic sales down 0.9%.",
]


@pytest.mark.parametrize("answer", OTHER_PICKS)
def test_naming_another_segment_is_incorrect(answer: str) -> None:
    judgement = judge_financial_answer(PICK_QUESTION, PICK_GOLD, answer)
    assert judgement.verdict == "incorrect", judgement.reason
    assert "consumer" in judgement.reason


@pytest.mark.parametrize("answer", GOLD_PICKS)
def test_naming_the_gold_segment_is_correct(answer: str) -> None:
    assert judge_financial_answer(PICK_QUESTION, PICK_GOLD, answer).verdict == "correct"


def test_a_category_question_is_answered_by_the_category_named() -> None:
    question = ("Which Kestrel Ridge product category performed the best (by top line) in the "
                "domestic market during Q2 of FY2024?")
    gold = "The entertainment segment experienced the highest growth of 9% during Q2 FY2024."
    other = ("The Kestrel Ridge product category that performed the best in the domestic "
             "market during Q2 of FY2024 was the \"Services\" category, with growth of 7.6%, "
             "while Entertainment grew 9.0% with offsets.")
    same = ("The Kestrel Ridge product category that performed the best in the domestic market "
            "during Q2 of FY2024 was Entertainment, up 9.0%.")
    assert judge_financial_answer(question, gold, other).verdict == "incorrect"
    assert judge_financial_answer(question, gold, same).verdict == "correct"


RANK_QUESTION = "Which segment of Kestrel Ridge had the highest revenue in FY2024?"
RANK_GOLD = "The Industrial segment had the highest revenue, $12.1 billion."


@pytest.mark.parametrize(("answer", "expected"), [
    # a ranking word is no name: version 14 read "Kestrel Ridge's largest" as the pick
    ("Industrial was Kestrel Ridge's largest segment by revenue in FY2024.", "correct"),
    ("In FY2024, Industrial was Kestrel Ridge's biggest segment.", "correct"),
    # the subject of a ranking statement is its pick, whatever figure of the gold's follows
    ("Health Care was Kestrel Ridge's largest segment by revenue in FY2024, ahead of "
     "Industrial.", "incorrect"),
    ("Health Care was the top segment by revenue, generating $9.0 billion, while Industrial "
     "generated $12.1 billion of orders.", "incorrect"),
    # so is the name after a restatement of the question without "that" or "which"
    ("Kestrel Ridge's highest-revenue segment in FY2024 was Consumer, with sales of $5.2 "
     "billion, while Industrial had $12.1 billion in assets.", "incorrect"),
    ("The highest revenue segment in FY2024 was Industrial, at $12.1 billion, followed by "
     "Health Care.", "correct"),
])
def test_a_pick_in_ranking_words_is_read_as_named(answer: str, expected: str) -> None:
    judgement = judge_financial_answer(RANK_QUESTION, RANK_GOLD, answer)
    assert judgement.verdict == expected, judgement.reason
    # a name that ends like a superlative ("West") is a name
    west = answer.replace("Industrial", "West")
    if west != answer and expected == "correct":
        judgement = judge_financial_answer(RANK_QUESTION, RANK_GOLD, west)
        assert judgement.verdict == "incorrect", judgement.reason


# --- contractions in refusal language -------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Without specific financial data for Kestrel Ridge, it's impossible to calculate the change.",
    "It\u2019s not possible to determine the segment from the excerpt.",
    "As of the last update, there's no available information about any business segment of "
    "Kestrel Ridge being treated as a discontinued operation.",
    "There is no publicly available information on the acquisitions.",
])
def test_contracted_refusal_language_is_refusal_language(text: str) -> None:
    assert refusal_phrases(text)


def test_a_contracted_refusal_that_restates_the_question_is_a_refusal() -> None:
    question = ("Which business segment of Kestrel Ridge will be treated as a discontinued "
                "operation from August 30, 2023 onward?")
    gold = ("The Consumer Health business segment will be treated as a discontinued operation "
            "from August 30, 2023 onward.")
    answer = ("As an AI, I don't have real-time data. As of the last update, there's no "
              "available information about any business segment of Kestrel Ridge being "
              "treated as a discontinued operation from August 30, 2023 onward.")
    assert judge_financial_answer(question, gold, answer).verdict == "refusal"


@pytest.mark.parametrize("text", ["It's a strong year for the segment.",
                                  "That's an increase of 4% on the prior year."])
def test_contractions_alone_are_not_refusal_language(text: str) -> None:
    assert refusal_phrases(text) == []


# --- hedged claims about the company --------------------------------------------------------

CONSISTENT_QUESTION = ("Are Kestrel Ridge's gross margins historically consistent (not "
                       "fluctuating more than roughly 2% each year)? If gross margins are not a "
                       "relevant metric for a company like this, then please state that and "
                       "explain why.")
CONSISTENT_YES = ("Yes, the margins have been consistent, there has been a minor decline of "
                  "1.1% in gross margins between FY2022 and FY2023.")
CONSISTENT_NO = "No, gross margins swung by more than 5 points between FY2022 and FY2023."


@pytest.mark.parametrize("claim", [
    "Kestrel Ridge's gross margins have generally been consistent, fluctuating within a range "
    "of 2% each year.",
    "Kestrel Ridge's gross margins have typically been consistent from year to year.",
    "Kestrel Ridge\u2019s gross margins have usually remained consistent over the years.",
])
def test_a_hedged_claim_about_the_companys_margins_answers(claim: str) -> None:
    answer = (f"{claim} However, it's important to note that gross margins can be influenced by "
              "product mix and pricing. Other metrics, such as operating margin, also matter.")
    assert judge_financial_answer(CONSISTENT_QUESTION, CONSISTENT_YES, answer).verdict == "correct"
    assert judge_financial_answer(CONSISTENT_QUESTION, CONSISTENT_NO, answer).verdict == "incorrect"


def test_a_general_remark_about_margins_is_still_no_stance() -> None:
    # no claim about the company: a general remark, then nothing on Kestrel Ridge's margins
    answer = ("Gross margins of retailers are generally consistent from year to year. A retailer's "
              "margins typically depend on product mix.")
    verdict = judge_financial_answer(CONSISTENT_QUESTION, CONSISTENT_YES, answer).verdict
    assert verdict != "correct"
