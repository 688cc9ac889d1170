"""Where the claim of a statement is, and what is not refusal language (correctness version
10, second part).

Each rule was read from a gpt-4 or gpt-4-1106-preview disagreement with FinanceBench's
experts and is stated generally; the answers below are synthetic, about a made-up company.

- A statement that declines to conclude ("it does not necessarily mean that the growth rate
  is accelerating") takes no stance on the question: the answer's stance is where it does
  conclude ("... is not expected to accelerate").
- A concession is not the claim: "while SG&A expenses decreased as a percentage of sales,
  the wages component increased" says up.
- What the question leaves open ("Since the question does not specify the period, ...") is
  not missing information.
- "not directly applicable", like "not applicable", says the metric does not apply.
- A question that offers options ("Among operations, investing, and financing activities,
  which ...?") asks for a pick: quoted excerpts that take the question up in no statement
  pick none.
- An announced inference may be worded as the source's ("it does provide information that
  can be used to infer ...", "they can be inferred"), not only as "we can infer".
- With refusal language elsewhere, a hedged claim drawn from evidence ("it appears that
  the gross margin has improved") still takes a stance, as "it does not appear that ..."
  already did.
"""

from __future__ import annotations

import re

import pytest

from agility.metrics import judge_financial_answer
from agility.metrics._refusal_language import infers_anyway, refusal_phrases

# --- declining to conclude ----------------------------------------------------------------

ACCELERATE = "Is growth in Kestrel Ridge's adjusted EPS expected to accelerate in FY2025?"
ACCELERATE_NO = ("No, rate of growth in adjusted EPS is expected to decelerate slightly from "
                 "3.6% in FY2024 to 3.5% in FY2025.")


@pytest.mark.parametrize("undecided", [
    "This indicates that the growth in Kestrel Ridge's adjusted EPS is expected to be positive, "
    "but it does not necessarily mean that the growth rate is accelerating.",
    "This shows that Kestrel Ridge's adjusted EPS is expected to grow, which doesn't "
    "necessarily indicate that its growth will accelerate.",
])
def test_a_statement_that_declines_to_conclude_takes_no_stance(undecided: str) -> None:
    answer = (f"Kestrel Ridge guides for adjusted EPS of $10.50 in FY2025, reflecting growth of "
              f"3.5%. {undecided} To determine if the growth rate is accelerating, we compare "
              f"it with FY2024, when adjusted EPS grew 3.6%. Since the expected growth rate for "
              f"FY2025 is 3.5% and the growth rate for FY2024 was 3.6%, the growth in Kestrel "
              f"Ridge's adjusted EPS is not expected to accelerate in FY2025; it is expected to "
              f"slightly decelerate.")
    judgement = judge_financial_answer(ACCELERATE, ACCELERATE_NO, answer)
    assert judgement.verdict == "correct", judgement.reason
    assert "implies no" in judgement.reason


# --- concessions ----------------------------------------------------------------------------

DIRECTION = ("Did Kestrel Ridge's wages expense as a percent of net sales increase or decrease "
             "in FY2024?")
DIRECTION_UP = "Wages expense as a percent of net sales increased in FY2024."
DIRECTION_DOWN = "Wages expense as a percent of net sales decreased in FY2024."


@pytest.mark.parametrize("answer", [
    "Based on the filing, the wages expense experienced deleverage due to wage investments. "
    "This means that while SG&A expenses overall decreased as a percentage of net sales (from "
    "23.9% to 23.5%), within SG&A the portion attributed to store payroll increased. "
    "Therefore, even though SG&A decreased as a percentage of net sales, the wages component "
    "increased relative to net sales.",
    "Kestrel Ridge's store payroll rose faster than sales. Although total SG&A declined as a "
    "share of sales, wages expense as a percent of net sales increased.",
])
def test_a_concession_is_not_the_claimed_direction(answer: str) -> None:
    judgement = judge_financial_answer(DIRECTION, DIRECTION_UP, answer)
    assert judgement.verdict == "correct", judgement.reason
    assert judge_financial_answer(DIRECTION, DIRECTION_DOWN, answer).verdict == "incorrect"


# --- what the question leaves open ----------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Since the question does not specify whether to use the quarter or the year, both are shown.",
    "The question doesn't state the period, so the fiscal year is used.",
    "You did not specify the currency; the figures are in US dollars.",
])
def test_what_the_question_leaves_open_is_not_refusal_language(text: str) -> None:
    assert refusal_phrases(text) == []


def test_the_source_not_specifying_is_still_refusal_language() -> None:
    assert refusal_phrases("The filing does not specify the restructuring charges.")


def test_an_answer_noting_what_the_question_leaves_open_is_graded() -> None:
    question = ("How much was the real change in sales for Kestrel Ridge in FY2024 vs FY2023, "
                "excluding FX movements?")
    gold = "The real growth was flat in FY2024 vs FY2023."
    answer = ("Since the question does not specify whether to use the quarter or the year, both "
              "are shown: for the twelve months, the real growth in sales was flat (0%); for the "
              "quarter it was a decline of 5%.")
    assert judge_financial_answer(question, gold, answer).verdict == "correct"


# --- "not directly applicable" ----------------------------------------------------------------

def test_not_directly_applicable_says_the_metric_does_not_apply() -> None:
    question = ("What drove gross margin change as of FY2024 for Kestrel Ridge Bank? If gross "
                "margin is not a useful metric for a company like this, then please state that "
                "and explain why.")
    gold = "Performance is not measured through gross margin."
    answer = ("Gross margin is typically a metric for manufacturers. Kestrel Ridge Bank is a "
              "financial services company whose revenue comes from fees and interest. "
              "Therefore, the concept of gross margin is not directly applicable to Kestrel "
              "Ridge Bank. Its revenues net of interest expense rose from $42,380 million to "
              "$52,862 million.")
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict == "correct", judgement.reason
    assert "not directly applicable" in judgement.reason


# --- a pick among the options offered ---------------------------------------------------------

OPTIONS = ("Among operations, investing, and financing activities, which brought in the most "
           "(or lost the least) cash flow for Kestrel Ridge in FY2024?")
OPTIONS_GOLD = "Among the three, cash flow from operations was the highest for Kestrel Ridge in FY2024."


@pytest.mark.parametrize("answer", [
    "\"Cash provided (used) by operations was an inflow of $2,485 million for fiscal 2021... "
    "Cash used by financing activities was $5,293 million for fiscal 2020... Cash provided by "
    "investing activities was an inflow of $564 million for fiscal 2024...\"",
    "Operations: $2,485 million\nInvesting: $564 million\nFinancing: ($5,293) million",
])
def test_excerpts_that_pick_no_option_are_incorrect(answer: str) -> None:
    judgement = judge_financial_answer(OPTIONS, OPTIONS_GOLD, answer)
    assert judgement.verdict == "incorrect", judgement.reason


def test_a_statement_picking_the_gold_option_is_still_correct() -> None:
    answer = ("Operating activities brought in the most cash flow for Kestrel Ridge in FY2024, "
              "at $2,485 million, while investing and financing activities used cash.")
    assert judge_financial_answer(OPTIONS, OPTIONS_GOLD, answer).verdict == "correct"


# --- announced inference, worded as the source's -----------------------------------------------

@pytest.mark.parametrize("text", [
    "The excerpt does not explicitly mention \"gross margin,\" but it does provide information "
    "that can be used to infer factors that affected it.",
    "The drivers are not stated; however, they can be inferred from the segment discussion.",
    "The filing does not state the drivers. However, we can infer them from the segment notes.",
])
def test_an_inference_announced_in_other_words_answers_anyway(text: str) -> None:
    assert infers_anyway(text)


def test_declining_without_announcing_an_inference_is_not_inferring() -> None:
    assert not infers_anyway("The filing does not state the drivers, but it does provide "
                             "the segment results.")


def test_drivers_listed_after_an_announced_inference_are_graded() -> None:
    question = ("What drove gross margin change as of FY2024 for Kestrel Ridge? If gross margin "
                "is not a useful metric for a company like this, then please state that and "
                "explain why.")
    gold = ("Gross margin changed due to one-time vaccine manufacturing exit costs, currency "
            "impacts in the Pharmaceutical segment and commodity inflation in the MedTech "
            "segment, partially offset by supply chain benefits.")
    answer = ("The provided excerpt does not explicitly mention \"gross margin,\" but it does "
              "provide information that can be used to infer the factors that affected it.\n"
              "1. One-time vaccine manufacturing exit costs raised the cost of products sold.\n"
              "2. Currency impacts in the Pharmaceutical segment.\n"
              "3. Commodity inflation in the MedTech segment, partially offset by supply chain "
              "benefits.\n"
              "In conclusion, the gross margin was affected by one-time vaccine exit costs, "
              "currency impacts and commodity inflation, partially offset by supply chain "
              "benefits.")
    assert judge_financial_answer(question, gold, answer).verdict == "correct"


# --- a hedged claim drawn from evidence, beside refusal language -------------------------------

def test_it_appears_that_takes_a_stance_beside_refusal_language() -> None:
    question = ("Does Kestrel Ridge have an improving gross margin profile as of FY2024? If "
                "gross margin is not a useful metric for a company like this, then state that "
                "and explain why.")
    yes = ("Yes. Gross margin % improved from 4.8% in FY2023 to 5.3% in FY2024.")
    no = ("No. Gross margin % fell from 5.3% in FY2023 to 4.8% in FY2024.")
    answer = ("The gross margin profile cannot be determined based solely on the provided "
              "information, since it is unclear whether the costs shown are the whole cost of "
              "goods sold. If we assume they are, the gross margin would be 5.26% for FY2024 "
              "and 4.84% for FY2023. Based on these calculations, it appears that Kestrel "
              "Ridge's gross margin has improved from FY2023 to FY2024. However, these "
              "calculations rest on assumptions.")
    judgement = judge_financial_answer(question, yes, answer)
    assert judgement.verdict == "correct", judgement.reason
    assert judge_financial_answer(question, no, answer).verdict == "incorrect"


# --- version 14: a figure's article, "less than healthy", "Yes and no" -------------------------

LIQUIDITY = ("Does Kestrel Ridge have a reasonably healthy liquidity profile based on its quick "
             "ratio for Q2 of FY2024?")
LIQUIDITY_GOLD = "No. The quick ratio for Kestrel Ridge was 0.96 by June 2024 close."


def test_yes_and_no_is_no_yes() -> None:
    answer = ("Yes and no. The quick ratio is 0.96, slightly below 1, but Kestrel Ridge has "
              "strong cash flows.")
    judgement = judge_financial_answer(LIQUIDITY, LIQUIDITY_GOLD, answer)
    assert "answers yes" not in judgement.reason, judgement.reason
    # a general remark that opens with an article stays general
    general = ("A quick ratio below 1 indicates that a company may struggle to pay its bills. "
               "Kestrel Ridge's ratio was 0.96, so its liquidity profile is not healthy.")
    assert judge_financial_answer(LIQUIDITY, LIQUIDITY_GOLD, general).verdict == "correct"


def test_a_figure_after_turning_from_refusal_language_is_the_answer() -> None:
    # version 13 took refusal language before "but" for a refusal when no conclusion marker
    # followed ("..., so capex is ..."), though the statement answers anyway
    question = "What is the FY2024 capital expenditure amount (in USD millions) for Kestrel Ridge?"
    answer = ("The context does not explicitly state capex, but purchases of property, plant "
              "and equipment (PP&E) were {} in 2024. This is typically what capex refers to.")
    judgement = judge_financial_answer(question, 1577, answer.format("$1,577 million"))
    assert judgement.verdict == "correct", judgement.reason
    assert judge_financial_answer(question, 1577, answer.format("$1,373 million")).verdict \
        == "incorrect"
    # "so" turns to what can be given (version 14 read the whole statement as declining)
    so = "The excerpt doesn't include FY2023 data, so I can only give FY2024: capex was {}."
    assert judge_financial_answer(question, 1577, so.format("$1,577 million")).verdict \
        == "correct"
    assert judge_financial_answer(question, 1577, so.format("$1,373 million")).verdict \
        == "incorrect"
    # refusal language after the turn, no figure after it, or a semicolon (no turn: context
    # after it is no answer) still declines
    for declining in ("The filing does not state capex, but it does not give PP&E either.",
                      "Capex of $1,577 million is not stated anywhere; however, I cannot "
                      "confirm it.",
                      "The filing does not state capex, so I cannot compute it.",
                      "The excerpt does not include the cash flow statement; it covers only "
                      "the balance sheet, where total assets were $27.2 billion."):
        assert judge_financial_answer(question, 1577, declining).verdict == "refusal", declining


CASH = ("Among operations, investing, and financing activities, which brought in the most cash "
        "flow for Kestrel Ridge in FY2024?")
CASH_GOLD = "In FY2024, Kestrel Ridge brought in the most cash through operating activities, $3,565M."


@pytest.mark.parametrize(("answer", "expected"), [
    # the pick is the answer, whatever figure of the gold's the answer also gives (version 13
    # credited the gold's $3,565 million given for another option)
    ("Investing activities brought in the most cash ($1,999 million); operating activities "
     "provided $3,565 million.", "incorrect"),
    ("Operating activities brought in the most cash: $3,565 million, versus $1,999 million "
     "from investing.", "correct"),
    # a lead-in naming the source ("... financial statements") picks nothing
    ("According to the consolidated financial statements, operating activities brought in the "
     "most cash flow. They provided $3,565 million.", "correct"),
    ("According to the consolidated financial statements, investing activities brought in the "
     "most cash flow.", "incorrect"),
])
def test_the_option_picked_is_the_answer(answer: str, expected: str) -> None:
    judgement = judge_financial_answer(CASH, CASH_GOLD, answer)
    assert judgement.verdict == expected, judgement.reason


DIVIDENDS = "Does Kestrel Ridge maintain a stable trend of dividend distribution?"
DIVIDENDS_GOLD = ("Yes, not only do they distribute dividends routinely, Kestrel Ridge has also "
                  "increased the per share dividend for 12 consecutive years.")
MARGIN = "Does Kestrel Ridge have an improving operating margin profile as of FY2024?"
MARGIN_GOLD = "No, the operating margin declined from 16.8% in FY2023 to 14.6% in FY2024."
CAPITAL = "Is Kestrel Ridge a capital intensive business based on FY2024 data?"
CAPITAL_GOLD = "Yes. Kestrel Ridge's capital intensity ratio was approximately 2.77."
CYCLES = "Is Kestrel Ridge's business subject to cyclicality?"
CYCLES_GOLD = ("Yes, Kestrel Ridge's business is subject to cyclicality due to its exposure to "
               "the airline industry, a cyclical industry.")


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # "A quick ratio of 0.96 ..." states the company's figure, no general remark (version 13
    # skipped the statement and credited the gold's figure under a wrong stance)
    (LIQUIDITY, LIQUIDITY_GOLD, "A quick ratio of 0.96 indicates that Kestrel Ridge has a "
                                "reasonably healthy liquidity profile, as it is close to 1.",
     "incorrect"),
    (LIQUIDITY, LIQUIDITY_GOLD, "A quick ratio of 0.96 indicates that Kestrel Ridge does not "
                                "have a healthy liquidity profile.", "correct"),
    # "less than healthy" and "far from" deny as "not" does
    (LIQUIDITY, LIQUIDITY_GOLD, "Unfortunately, Kestrel Ridge's quick ratio of 0.96 indicates "
                                "a less than healthy liquidity position.", "correct"),
    (LIQUIDITY, LIQUIDITY_GOLD, "Kestrel Ridge's quick ratio of 0.96 indicates a liquidity "
                                "profile far from healthy.", "correct"),
    # version 13 read "Definitely not." by its words ("not" is in the gold's "not only")
    (DIVIDENDS, DIVIDENDS_GOLD, "Definitely not.", "incorrect"),
    (DIVIDENDS, DIVIDENDS_GOLD, "Not at all: Kestrel Ridge cut its dividend.", "incorrect"),
    (DIVIDENDS, DIVIDENDS_GOLD, "Absolutely, it has raised its dividend every year.", "correct"),
    # "insulated from" is the contrary of "subject to"
    (CYCLES, CYCLES_GOLD, "Kestrel Ridge's business is largely insulated from cyclicality "
                          "thanks to its backlog.", "incorrect"),
    (CYCLES, CYCLES_GOLD, "Kestrel Ridge's business is subject to cyclicality, though its "
                          "backlog provides some protection.", "correct"),
    # more words for a weak profile, a fall, a rise and the contrary of capital intensive
    # (version 14 read "concerning" and "worsened" as yes, "asset-light" as capital intensive)
    (LIQUIDITY, LIQUIDITY_GOLD, "Kestrel Ridge's liquidity profile is concerning, given a quick "
                                "ratio of 0.96.", "correct"),
    (LIQUIDITY, LIQUIDITY_GOLD, "With a quick ratio of 0.96, Kestrel Ridge's liquidity looks "
                                "precarious.", "correct"),
    (MARGIN, MARGIN_GOLD, "Kestrel Ridge's operating margin worsened in FY2024, to 14.6% from "
                          "16.8%.", "correct"),
    (MARGIN, MARGIN_GOLD, "Kestrel Ridge's operating margin slipped to 14.6% in FY2024.", "correct"),
    (MARGIN, MARGIN_GOLD, "Kestrel Ridge's operating margin has been trending upward, reaching "
                          "14.6% in FY2024.", "incorrect"),
    (CAPITAL, CAPITAL_GOLD, "Kestrel Ridge is an asset-light business based on FY2024 data.",
     "incorrect"),
    (CAPITAL, CAPITAL_GOLD, "Kestrel Ridge qualifies as a capital-intensive business, with assets "
                            "of 2.77 times revenue.", "correct"),
])
def test_a_stance_in_other_words(question: str, gold: str, answer: str, expected: str) -> None:
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict == expected, judgement.reason
    # judged on the stance it takes, not on figures or words it shares with the gold
    assert re.search(r"\b(?:answers|implies) (?:yes|no)\b", judgement.reason), judgement.reason


def test_refusal_language_conceded_before_a_stance_leaves_the_stance() -> None:
    # version 14 skipped the statement for its refusal language and graded a refusal
    conceded = ("While I cannot compute the exact quick ratio, Kestrel Ridge's liquidity "
                "profile appears reasonably healthy given its strong cash flows.")
    judgement = judge_financial_answer(LIQUIDITY, LIQUIDITY_GOLD, conceded)
    assert judgement.verdict == "incorrect", judgement.reason
    agreeing = conceded.replace("appears reasonably healthy", "does not appear healthy")
    assert judge_financial_answer(LIQUIDITY, LIQUIDITY_GOLD, agreeing).verdict == "correct"
    # refusal language in the claim itself still declines
    declining = ("While the quick ratio is a common measure, I cannot assess Kestrel Ridge's "
                 "liquidity profile from the excerpt.")
    assert judge_financial_answer(LIQUIDITY, LIQUIDITY_GOLD, declining).verdict == "refusal"


def test_absolutely_alone_is_a_yes_not_a_courtesy() -> None:
    # version 14 dropped "Absolutely." as a courtesy (as "Sure!" is), so it said nothing
    answer = "Absolutely.\n\nDividends per share: 2021 $1.10, 2022 $1.20, 2023 $1.30."
    judgement = judge_financial_answer(DIVIDENDS, "No, Kestrel Ridge cut its dividend in 2023.",
                                       answer)
    assert "answers yes" in judgement.reason, judgement.reason
    assert judge_financial_answer(DIVIDENDS, DIVIDENDS_GOLD, answer).verdict == "correct"
    # "Certainly! ..." still opens politely, and a figure question ignores "Certainly."
    assert judge_financial_answer("What is Kestrel Ridge's FY2024 capex in USD millions?", 1577,
                                  "Certainly. Capex was $1,577 million.").verdict == "correct"


CAPITAL_HYPHEN = "Is Kestrel Ridge a capital-intensive business based on FY2024 data?"
CAPITAL_NO = ("No, the company is managing its CAPEX and Fixed Assets pretty efficiently, "
              "which is evident from metrics such as CAPEX/Revenue of 5.1%.")


@pytest.mark.parametrize(("answer", "expected"), [
    # the question's "capital-intensive" is the answer's "capital intensive" (version 14 read
    # one shared word where two were needed, found no stance and graded a refusal)
    ("The excerpt doesn't say outright, but with capex at only 5.1% of revenue, Kestrel Ridge "
     "does not look capital intensive.", "correct"),
    ("The excerpt doesn't say outright, but with large fixed assets, Kestrel Ridge appears to "
     "be capital intensive.", "incorrect"),
    ("The context does not provide Kestrel Ridge's capex directly. However, based on the cash "
     "flow statement, capex was $1,749 million on revenue of $34,229 million, a ratio of 5.1%, "
     "which suggests Kestrel Ridge is not especially capital intensive.", "correct"),
    # what marks one of a kind is no claim about the company
    ("I don't have Kestrel Ridge's FY2024 figures. High depreciation can also be a sign of a "
     "capital-intensive business.", "refusal"),
])
def test_a_stance_after_turning_from_refusal_language_in_the_compounds_parts(
        answer: str, expected: str) -> None:
    judgement = judge_financial_answer(CAPITAL_HYPHEN, CAPITAL_NO, answer)
    assert judgement.verdict == expected, judgement.reason
