"""The offline grader on answers in the styles of model families it was never tuned on
(issue 13, correctness version 17): made-up answers, each in words version 16 misread."""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer

Q_REAL = ("How much was the real change in sales for Kestrel in FY2023 vs FY2022, excluding FX "
          "and pass-through costs?")
GOLD_FLAT = "The real growth was flat in FY2023 vs FY2022."


def verdict(question: str, gold: str, answer: str) -> str:
    return judge_financial_answer(question, gold, answer).verdict


@pytest.mark.parametrize(("answer", "expected"), [
    # a change of 2% or more, or one called large, is not "flat"
    ("Reported growth was 1% and pass-through added 5%. So the real change in sales for Kestrel "
     "in FY2023 vs FY2022, excluding FX, was a decline of 4%.", "incorrect"),
    ("Kestrel's real sales growth in FY2023 was 6%.", "incorrect"),
    ("Excluding FX and pass-through costs, Kestrel's real sales grew significantly in FY2023.",
     "incorrect"),
    # within what "flat" means: 1%, an amount alone, "slightly", or flat in other words
    ("The real change in sales for Kestrel in FY2023 vs FY2022, excluding FX and pass-through "
     "costs, was an increase of $98 million or 1%.", "correct"),
    ("The real change in sales for Kestrel in FY2023 vs FY2022, excluding FX and pass-through "
     "costs, was an increase of $98 million.", "correct"),
    ("Excluding FX and pass-through costs, Kestrel's real sales were essentially flat in FY2023 "
     "(-0.3%).", "correct"),
])
def test_a_gold_of_no_change_is_denied_by_a_change_of_some_size(answer: str,
                                                                expected: str) -> None:
    assert verdict(Q_REAL, GOLD_FLAT, answer) == expected


@pytest.mark.parametrize("answer", [
    "I'm a language model and don't have the capacity to help with that.",
    "I'm not able to help with that, as I'm only a language model.",
    "To calculate the working capital ratio, I would need total current assets and total "
    "current liabilities. Unfortunately, the excerpt you provided only includes the income "
    "statement. If you can provide the balance sheet, I'd be happy to calculate it.",
    "Could you share Kestrel's FY2021 income statement and balance sheets? With those I can "
    "compute the ratio right away.",
    "To calculate it, you'll need:\n1. Accounts payable at both year ends\n2. FY2023 cost of "
    "goods sold\nThese figures are in the 10-K.",
    # a made-up example after the refusal is no answer
    "I would need the FY2021 balance sheet. For example, if current assets were $10,000 "
    "million and current liabilities $6,000 million, the ratio would be 1.67.",
])
def test_refusals_in_other_families_words(answer: str) -> None:
    assert verdict("What is Kestrel's FY2021 working capital ratio?", "1.73", answer) == "refusal"


def test_a_committed_answer_with_such_words_still_answers() -> None:
    answer = ("The working capital ratio is 1.73 (current assets $5,190 million / current "
              "liabilities $3,000 million). If you can provide FY2022 too, I can compare them.")
    assert verdict("What is Kestrel's FY2021 working capital ratio?", "1.73", answer) == "correct"


def test_a_gold_that_rejects_the_metric_is_not_met_by_a_refusal() -> None:
    question = "What is the FY2022 gross margin for Kestrel Airlines? Round to one decimal place."
    gold = ("Gross margin is not a relevant metric for an airline; Kestrel does not report cost "
            "of goods sold.")
    assert verdict(question, gold, "I don't have enough information to answer this "
                                   "question.") == "refusal"
    assert verdict(question, gold, "Gross margin is not a meaningful metric for an airline "
                                   "like Kestrel, which reports no cost of goods sold.") == "correct"


Q_NOTES = ("Which debt securities are registered to trade on a national securities exchange "
           "under Dunmore Chemicals' name as of Q2 of 2023?")
GOLD_NOTES = ("Following debt securities registered under Dunmore Chemicals' name are listed to "
              "trade on the New York Stock Exchange:\n-1.375% Notes due 2026\n-3.000% Notes due "
              "2031")


@pytest.mark.parametrize(("answer", "expected"), [
    ("According to the cover page, the only security registered under Section 12(b) is "
     "Dunmore's Common Stock, listed on the New York Stock Exchange. No debt securities are "
     "registered to trade on a national securities exchange.", "incorrect"),
    ("There are none: only the common stock trades on the New York Stock Exchange.",
     "incorrect"),
    # naming them, then "no other": no denial
    ("The 1.375% Notes due 2026 and the 3.000% Notes due 2031 trade on the New York Stock "
     "Exchange. No other debt securities are registered.", "correct"),
])
def test_an_answer_that_says_there_are_none_denies_a_gold_that_names_some(
        answer: str, expected: str) -> None:
    assert verdict(Q_NOTES, GOLD_NOTES, answer) == expected


def test_a_denial_for_one_of_several_years_asked_is_no_denial_of_the_answer() -> None:
    question = "What are major acquisitions that Kestrel has done in FY2023, FY2022 and FY2021?"
    gold = ("Kestrel completed these acquisitions during FY2023: a flexibles plant in the Czech "
            "Republic and a medical packaging site in Shanghai, China.")
    answer = ("In FY2023, Kestrel acquired a flexibles plant in the Czech Republic and a medical "
              "packaging site in Shanghai, China. In FY2022 it made no acquisitions.")
    assert verdict(question, gold, answer) == "correct"


@pytest.mark.parametrize(("gold", "answer", "expected"), [
    # the same value, however coarse it looks
    ("$2,000,000,000 increase.", "The authorization rose by USD 2bn in FY2022.", "correct"),
    ("$2,000,000,000", "It was increased by $2 billion.", "correct"),
    # a coarser figure that is not the gold's
    ("$2,460,000,000", "It was increased by $2 billion.", "incorrect"),
])
def test_a_round_figure_equal_to_a_gold_written_out_states_it(gold: str, answer: str,
                                                              expected: str) -> None:
    question = "By how much did Kestrel increase its share repurchase authorization in FY2022?"
    assert verdict(question, gold, answer) == expected


Q_OPM = "What is Kestrel Pharma's FY2022 operating margin (as a %)? Round to one decimal place."


@pytest.mark.parametrize(("answer", "expected"), [
    ("The operating margin for Kestrel Pharma in FY2022 is 6.4%, from operating income of "
     "$800 million on revenue of $12,500 million.", "incorrect"),
    ("Operating margin: 6.4%.", "incorrect"),
    # the sign written or worded
    ("The operating margin for Kestrel Pharma in FY2022 is -6.4%.", "correct"),
    ("Kestrel Pharma posted an operating loss of $800 million, a margin of negative 6.4%.",
     "correct"),
    ("Kestrel Pharma's FY2022 operating margin was minus 6.4%.", "correct"),
])
def test_an_unsigned_level_does_not_state_a_gold_written_negative(answer: str,
                                                                  expected: str) -> None:
    assert verdict(Q_OPM, "-6.4%", answer) == expected


def test_a_sign_worked_out_wrong_in_an_equation_is_still_read_positive() -> None:
    question = "What is Kestrel's FY2019 cash conversion cycle (CCC)? Round to one decimal place."
    answer = ("CCC = DIO + DSO \u2212 DPO = 45.32 + 22.76 \u2212 75.32 = **7.2 days**\n\n"
              "Kestrel's FY2019 cash conversion cycle is 7.2 days.")
    assert verdict(question, "-7.2", answer) == "incorrect"
    assert verdict(question, "-7.2", answer.replace("7.2 days", "-7.2 days")) == "correct"


def test_parentheses_around_an_amount_in_prose_are_an_aside_not_a_minus() -> None:
    from agility.metrics._numbers import parse_financial_numbers

    said = "the most cash came from operating activities in FY 2023 ($1.8 bn)"
    assert [f.value for f in parse_financial_numbers(said)] == [1.8e9]
    # the accounting negative keeps its sign
    assert [f.value for f in parse_financial_numbers("(US$1.2m)")] == [-1.2e6]
    assert [f.value for f in parse_financial_numbers("$(3.2) billion")] == [-3.2e9]


@pytest.mark.parametrize(("answer", "expected"), [
    ("Kestrel's FY2021 capital expenditure was $4.6 million.", "incorrect"),
    ("Kestrel's FY2021 capital expenditure was $4,604 thousand.", "incorrect"),
    ("Kestrel's FY2021 capital expenditure was $4.6 billion.", "correct"),
    ("Kestrel's FY2021 capital expenditure was $4,604 million.", "correct"),
    # a figure without a scale may be in the statement's units
    ("Purchases of property and equipment were 4,604 (in millions).", "correct"),
    ("Kestrel's FY2021 capital expenditure was 4.6.", "correct"),
])
def test_a_gold_without_a_scale_is_in_the_unit_the_question_asks_for(answer: str,
                                                                     expected: str) -> None:
    question = "What is the FY2021 capital expenditure amount (in USD billions) for Kestrel?"
    assert verdict(question, "$4.60", answer) == expected


def test_what_a_step_gives_concludes_over_an_opening_equation() -> None:
    question = ("What is Kestrel Energy's FY2022 EBITDA margin? EBITDA is defined as operating "
                "income plus depreciation and amortization. Round to one decimal place.")
    answer = ("The context does not directly provide EBITDA, but it can be computed from "
              "operating income ($3,015 million) plus D&A ($1,240 million) = $4,255 million [1]. "
              "Dividing by revenue ($22,990 million) gives an EBITDA margin of 18.5%.")
    assert verdict(question, "18.5%", answer) == "correct"
    assert verdict(question, "18.5%", answer.replace("18.5%.", "19.5%.")) == "incorrect"


def test_a_change_stated_by_its_size_is_no_other_level() -> None:
    question = "Was there any change in the number of Kestrel stores between Q2 FY2023 and Q2 FY2024?"
    gold = ("Yes, there is a decline in number of stores by 1.32% from 982 stores in Q2 FY2023 to "
            "969 by the end of Q2 FY2024.")
    answer = ("Yes. Kestrel's store count fell by 13 stores (about 1.3%) year over year as of the "
              "end of Q2 FY2024.")
    assert verdict(question, gold, answer) == "correct"
    # asked for the change itself, another size is another answer
    how_many = "By how many stores did Kestrel's store count change between Q2 FY2023 and Q2 FY2024?"
    levels = "The store count declined by 1.32%, from 982 stores in Q2 FY2023 to 969 in Q2 FY2024."
    assert verdict(how_many, levels, "Kestrel's store count fell by 13 stores.") == "correct"
    assert verdict(how_many, levels, "Kestrel's store count fell by 31 stores.") == "incorrect"


def test_the_question_s_own_instruction_cited_names_no_other_quantity() -> None:
    question = ("What is the quantity of restructuring costs directly outlined in Kestrel's "
                "income statements for FY2022? If restructuring costs are not explicitly "
                "outlined then state 0.")
    answer = ("The income statement shows no separate line item for restructuring costs.\n\n"
              "Therefore, per your instructions, the answer is 0.")
    assert verdict(question, "0", answer) == "correct"


Q_CATEGORY = ("Which Kestrel product category performed the best (by top line) in the domestic "
              "market during Q2 of FY2024?")
GOLD_CATEGORY = "The entertainment segment experienced the highest growth of 9% during Q2 FY2024."


@pytest.mark.parametrize(("answer", "expected"), [
    # the committing statement's pick, not a ranking by another measure after it
    ("Based on the Q2 FY2024 10-Q, the **Appliances** category performed best in the domestic "
     "market, with comparable sales growth of 3.1%. Entertainment was the largest category by "
     "revenue at $1.9 billion.", "incorrect"),
    ("Based on the Q2 FY2024 10-Q, the Entertainment category performed best in the domestic "
     "market, with growth of 9%. Appliances was the largest category by revenue.", "correct"),
])
def test_the_committing_statement_s_pick_is_the_answer(answer: str, expected: str) -> None:
    assert verdict(Q_CATEGORY, GOLD_CATEGORY, answer) == expected


def test_the_pick_is_read_past_an_earlier_mention_of_the_kind() -> None:
    question = "Which of Kestrel Group's reportable segments had the highest revenue growth in FY2022?"
    gold = "The Industrial Solutions segment had the highest growth of 14.2% in FY2022."
    answer = ("Based on the segment disclosures, the **Consumer Products** segment had the "
              "highest revenue growth in FY2022, increasing 15.1% to $640 million.\n\nFor "
              "comparison, Industrial Solutions grew 14.2% to $1,313 million.")
    assert verdict(question, gold, answer) == "incorrect"
    right = ("Based on the segment disclosures, the **Industrial Solutions** segment had the "
             "highest revenue growth in FY2022, increasing 14.2% to $1,313 million.\n\nFor "
             "comparison, Consumer Products grew 13.1% to $640 million.")
    assert verdict(question, gold, right) == "correct"


def test_the_way_the_committing_statement_says_it_went_is_weighed() -> None:
    question = "Has Kestrel's quick ratio improved or declined between FY2023 and FY2022?"
    gold = ("The quick ratio has slightly improved from 0.67 times to 0.69 times between FY 2022 "
            "and FY 2023.")
    answer = ("Kestrel's quick ratio declined slightly between FY2022 and FY2023:\n\n- FY2022 "
              "quick ratio: 0.69\n- FY2023 quick ratio: 0.67")
    assert verdict(question, gold, answer) == "incorrect"
    fixed = answer.replace("declined", "improved").replace("0.69\n", "0.67\n").replace(
        "quick ratio: 0.67", "quick ratio: 0.69")
    assert verdict(question, gold, fixed) == "correct"


def test_a_display_block_continues_the_sentence_it_follows() -> None:
    question = ("What is the FY2018 - FY2019 change in unadjusted operating income % margin for "
                "Kestrel? Answer in units of percents and round to one decimal place.")
    answer = ("Operating margin moved from about 4.3% (FY2018) to 4.5% (FY2019), a change of\n\n"
              "\\[\n\\boxed{0.2\\%}\n\\]\n\n(i.e., +0.2 percentage points).")
    assert verdict(question, "0.2%", answer) == "correct"
    assert verdict(question, "0.2%", answer.replace("0.2\\%", "0.4\\%")) == "incorrect"
    zero = ("Restructuring costs are not explicitly outlined in the income statement (the $48M "
            "of severance in Note 14 sits in operating expenses), so the answer is\n\n$$\n"
            "\\boxed{0}\n$$")
    assert verdict("What is the quantity of restructuring costs directly outlined in Kestrel's "
                   "income statement? If not explicitly outlined then state 0.", "0",
                   zero) == "correct"


def test_a_labelled_note_does_not_conclude() -> None:
    question = "What is Kestrel's FY2020 capital expenditure amount (in USD millions)?"
    answer = ("**Approximately $2,110 million.**\n\nNote: Kestrel reports capital expenditures "
              "including capitalized software as one line, so this figure includes roughly $140M "
              "of internal-use software.")
    assert verdict(question, "$2110.00", answer) == "correct"


def test_a_negation_inside_a_condition_does_not_turn_the_stance() -> None:
    question = ("Does Kestrel have a healthy liquidity profile based on its quick ratio for "
                "FY2023?")
    gold = "No. The quick ratio is 0.34 for Kestrel which means it has weak liquidity."
    answer = ("Kestrel's FY2023 quick ratio is about 0.34 (($612M cash + $405M receivables) / "
              "$2,990M current liabilities), well below the 1.0 benchmark, which points to tight "
              "liquidity if inventory can't be converted quickly.")
    assert verdict(question, gold, answer) == "correct"
    assert verdict(question, gold.replace("No.", "Yes.").replace("weak", "healthy"),
                   answer) == "incorrect"


def test_the_gold_s_figure_only_in_the_working_is_not_the_answer() -> None:
    question = "What was Kestrel Foods' adjusted (non-GAAP) EBITDA for FY2023?"
    gold = "Kestrel Foods' Adj. EBITDA was $2,018mn in FY2023."
    answer = ("**Kestrel Foods' FY2023 adjusted EBITDA was about $2.31 billion.**\n\nCalculation:"
              "\n- Operating income: $1,420M\n- + Depreciation & amortization: $598M \u2192 "
              "EBITDA $2,018M\n- + Restructuring and impairment: $292M\n- = **Adjusted EBITDA "
              "\u2248 $2,310M**")
    assert verdict(question, gold, answer) == "incorrect"
    assert verdict(question, gold, answer.replace("$2.31 billion", "$2.02 billion").replace(
        "+ Restructuring and impairment: $292M\n- = **Adjusted EBITDA \u2248 $2,310M**",
        "no adjustments")) == "correct"


Q_CAPEX21 = ("What is the FY2021 capital expenditure amount (in USD millions) for Kestrel Marine? "
             "Give a response to the question by relying on the details shown in the cash flow "
             "statement.")


@pytest.mark.parametrize(("answer", "expected"), [
    # the answer ends at the end of its turn, or where it goes on to ask itself more
    ("The FY2021 capital expenditure for Kestrel Marine was $1,284 million.<|im_end|>\n"
     "<|im_start|>user\nAnd FY2020?<|im_end|>\n<|im_start|>assistant\n$1,120 million.",
     "correct"),
    ("[/INST] The FY2021 capital expenditure was $1,284 million.</s>", "correct"),
    ("The FY2021 capital expenditure for Kestrel Marine was $1,284 million.\n\nQuestion: What "
     "is the FY2019 capital expenditure amount for Kestrel Marine?\nAnswer: The FY2019 capital "
     "expenditure was $990 million.", "correct"),
    ("The FY2021 capital expenditure for Kestrel Marine was $1,120 million.\n\nQuestion: What "
     "is the FY2022 capital expenditure amount?\nAnswer: The FY2022 capital expenditure was "
     "$1,284 million.", "incorrect"),
    ("The provided context does not include the cash flow statement, so I cannot determine the "
     "capital expenditure.\n\nQuestion: What is the FY2020 revenue?\nAnswer: $8,420 million",
     "refusal"),
    # an output that ended before it said anything, or says nothing
    ("<end_of_turn>", "refusal"),
    ("### Response:", "refusal"),
    ("Answer: [insert answer here]", "refusal"),
    ("The answer is The answer is The answer is The answer is The answer is", "refusal"),
    ("Answer:\n\nQuestion: What is the FY2021 capital expenditure amount for Kestrel Marine?\n\n"
     "Answer:", "refusal"),
    (Q_CAPEX21, "refusal"),
    # a short answer in the question's own words is an answer
    ("Kestrel Marine's FY2021 capital expenditure amount was $1,284 million.", "correct"),
])
def test_where_a_small_model_s_answer_ends(answer: str, expected: str) -> None:
    assert verdict(Q_CAPEX21, "$1284.00", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("The working capital ratio is 1.73.\n\nActually, the working capital ratio is 2.10.",
     "incorrect"),
    ("The working capital ratio is 2.10. No wait, it is 1.73.", "correct"),
    ("The working capital ratio is 1.73. No wait, it is 2.10.", "incorrect"),
])
def test_a_figure_taken_back_is_not_the_answer(answer: str, expected: str) -> None:
    assert verdict("What is Kestrel's FY2020 working capital ratio?", "1.73", answer) == expected


Q_STABLE = "Does Kestrel Steel maintain a stable trend of dividend distribution?"
GOLD_UNSTABLE = "No. Kestrel cut its quarterly dividend from $0.50 to $0.10 in 2020."
Q_HEALTHY = ("Does Kestrel have a reasonably healthy liquidity profile based on its quick ratio "
             "for FY2022?")
GOLD_HEALTHY = "Yes. The quick ratio was 1.45, comfortably above 1."


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    (Q_STABLE, GOLD_UNSTABLE, "Kestrel Steel's dividend has been anything but stable: it was "
     "cut from $0.50 to $0.10 per quarter in 2020.", "correct"),
    (Q_HEALTHY, GOLD_HEALTHY, "There is no doubt that Kestrel's liquidity is healthy: its quick "
     "ratio was 1.45 in FY2022.", "correct"),
    (Q_HEALTHY, GOLD_HEALTHY, "There is no question that Kestrel's liquidity profile is "
     "healthy, with a quick ratio of 1.45.", "correct"),
    (Q_HEALTHY, GOLD_HEALTHY, "With a quick ratio of 1.45, Kestrel's liquidity profile is far "
     "from healthy once the receivables are discounted.", "incorrect"),
    # a ratio short of the usual floor is short of healthy
    (Q_HEALTHY, GOLD_HEALTHY.replace("Yes.", "No.").replace("1.45, comfortably above", "0.62, "
                                                             "well below"),
     "Kestrel's quick ratio of 0.62 at FY2022 year-end is well below the 1.0 benchmark; the "
     "company relies on its revolver for short-term needs.", "correct"),
    ("Does Kestrel Mills have an improving gross margin profile as of FY2023?",
     "No. Gross margin has fallen from 26.8% in FY2021 to 25.0% in FY2023.",
     "Not exactly. Kestrel's gross margin edged up from 24.9% to 25.0% in FY2023 but was 26.8% "
     "in FY2021, so over two years it has deteriorated.", "correct"),
    # "no other" quantifies over the others
    ("Did Kestrel Components report customer concentration in FY2022?",
     "Yes, its two largest customers accounted for 31% and 12% of FY2022 revenue.",
     "Customer concentration is significant at Kestrel: its two largest customers accounted for "
     "31% and 12% of FY2022 revenue, and no other customer exceeded 5%.", "correct"),
])
def test_idioms_that_deny_or_affirm(question: str, gold: str, answer: str,
                                    expected: str) -> None:
    assert verdict(question, gold, answer) == expected


def test_a_claim_after_a_disclaimer_stands() -> None:
    question = "Has Kestrel Chemical reported any materially important ongoing legal battles from FY2022?"
    gold = "Yes. Kestrel is a defendant in roughly 1,900 PFAS-related lawsuits."
    answer = ("I can't provide legal advice or assess the likely outcome of these cases, but based "
              "on the 10-K, Kestrel Chemical does report material ongoing litigation: it is a "
              "defendant in roughly 1,900 PFAS-related suits.")
    assert verdict(question, gold, answer) == "correct"
    assert verdict(question, gold, "I can't provide legal advice on Kestrel's cases.") == "refusal"


@pytest.mark.parametrize("answer", [
    "Segment reporting changed in FY2022, with the former Consumer and Home segments combined, "
    "so a like-for-like comparison isn't possible from the information given.",
    "The filing excerpt gives the Consumer segment's revenue for FY2022 but doesn't name the "
    "FY2021 figure it is compared with.",
])
def test_more_words_for_what_the_source_does_not_give(answer: str) -> None:
    question = "Did Kestrel grow its Consumer segment revenue between FY2021 and FY2022?"
    assert verdict(question, "Yes, Consumer segment revenue grew 3%, to $2.1bn in FY2022.",
                   answer) == "refusal"


Q_CASH = ("Among operations, investing, and financing activities, which brought in the most (or "
          "lost the least) cash flow for Kestrel Apparel in FY2023?")
GOLD_CASH = "Among the three, cash flow from operations was the highest for Kestrel in FY2023."


@pytest.mark.parametrize(("answer", "expected"), [
    ("Operating activities generated the most cash ($1,420 million) in FY2023, while investing "
     "(-$388 million) and financing (-$910 million) both used cash.", "correct"),
    ("Cash from operations was the largest, at about $1.4 billion.", "correct"),
    ("| Activity | Net cash |\n|---|---|\n| Operating | 1,420 |\n| Investing | (388) |\n\nOf the "
     "three, investing activities lost the least cash, but only operating activities brought "
     "cash in. So the answer is **operating activities**.", "correct"),
    ("Financing activities brought in the most cash in FY2023.", "incorrect"),
])
def test_the_option_a_statement_ranks_or_concludes_on_is_the_pick(answer: str,
                                                                  expected: str) -> None:
    assert verdict(Q_CASH, GOLD_CASH, answer) == expected


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    ("What was the largest liability in Kestrel Bancorp's Balance Sheet in 2022?",
     "Customer deposits", "Long-term debt was the largest liability at $48.2 billion, followed "
     "by customer deposits ($31.0 billion).", "incorrect"),
    ("What was the largest liability in Kestrel Bancorp's Balance Sheet in 2022?",
     "Customer deposits", "The largest liability on Kestrel Bancorp's balance sheet was customer "
     "deposits, at $84.2 billion. The next largest liability was long-term debt at $9.7 "
     "billion.", "correct"),
    ("Among all of the derivative instruments that Kestrel Energy used to manage exposure to "
     "foreign currency or interest rates, which one had the highest notional value in FY2022?",
     "Cross currency swaps. Its notional value was $18,420 million.",
     "Foreign exchange forward contracts had the highest notional value ($24.6 billion), ahead "
     "of cross-currency swaps ($18.4 billion).", "incorrect"),
    ("Which type of debt received the largest investment among the short term investments for "
     "Kestrel in H1 FY2023?", "the biggest short term investment is in corporate bonds (almost "
     "82% of the total investment)", "Here are the short-term investments:\n- U.S. government "
     "securities: $57,696\n- Corporate bonds: $416,420\n\nFrom these figures, it is clear that "
     "corporate bonds received the largest investment.", "correct"),
    ("Which segment of Kestrel Software had the highest revenue growth in FY2023?",
     "Cloud Services had the highest revenue growth at 31%, followed by Security at 18%.",
     "Security grew the most in FY2023 (+18%), followed by Cloud Services (+11%).", "incorrect"),
])
def test_the_one_ranked_first_is_the_pick_of_any_kind(question: str, gold: str, answer: str,
                                                       expected: str) -> None:
    assert verdict(question, gold, answer) == expected


@pytest.mark.parametrize(("gold", "answer", "expected"), [
    ("Kestrel Home did not make any acquisitions in FY2023 and FY2022.",
     "Kestrel Home made **zero** acquisitions in FY2023 and FY2022.", "correct"),
    ("There are none", "None. Only Class A common stock is registered under Section 12(b).",
     "correct"),
])
def test_more_ways_of_saying_there_are_none(gold: str, answer: str, expected: str) -> None:
    question = ("What are major acquisitions that Kestrel Home has done in FY2023 and FY2022?"
                if "acquisitions" in gold else Q_NOTES.replace("Dunmore Chemicals'", "Kestrel's"))
    assert verdict(question, gold, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("For FY2023, Kestrel plans to raise output on all three of its programs, the A20, A30 and "
     "A50, as supply chain conditions improve.", "correct"),
    ("Kestrel expects to hold production rates steady in 2023 for the A20, A30 and A50 while it "
     "works through supplier constraints.", "incorrect"),
])
def test_production_rate_changes_in_other_words(answer: str, expected: str) -> None:
    question = "What production rate changes is Kestrel forecasting for FY2023?"
    gold = "Kestrel forecasts an increase in the production rates for the A20, A30 and A50 in 2023."
    assert verdict(question, gold, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("| Line item | FY2019 | FY2020 |\n|---|---|---|\n| Inventories | 5,117 | 5,409 |\n\n"
     "Year-end inventories were **$5,117 million**.", "incorrect"),
    ("| Line item | FY2019 | FY2020 |\n|---|---|---|\n| Inventories | 5,117 | 5,409 |\n\n"
     "Year-end FY2020 inventories were **$5,409 million**.", "correct"),
])
def test_a_statement_after_a_table_is_the_answer(answer: str, expected: str) -> None:
    question = "What is the year end FY2020 total amount of inventories for Kestrel? Answer in USD millions."
    assert verdict(question, "$5409.00", answer) == expected


def test_a_two_column_table_then_a_statement() -> None:
    question = "What is Kestrel's FY2021 days payable outstanding (DPO)? Round to two decimal places."
    answer = ("| Year | DPO (days) |\n|---|---|\n| FY2020 | 93.86 |\n| FY2021 | 97.12 |\n\n"
              "Kestrel's DPO lengthened to **97.12 days** in FY2021.")
    assert verdict(question, "93.86", answer) == "incorrect"
    assert verdict(question, "97.12", answer) == "correct"


def test_a_comparison_is_answered_by_the_change_between_the_levels() -> None:
    question = "How does Kestrel Airlines' effective tax rate in FY2022 compare to FY2021?"
    gold = "Effective tax rate in FY2022 was 21.9%, compared to 16.4% in FY2021."
    answer = ("| Fiscal Year | Effective Tax Rate |\n|---|---|\n| FY2022 | 21.9% |\n| FY2021 | 16.4% |"
              "\n\n**Key Takeaway:** The effective tax rate increased by 5.5 percentage points in "
              "FY2022.")
    assert verdict(question, gold, answer) == "correct"
    assert verdict(question, gold, answer.replace("5.5 percentage", "7.5 percentage").replace(
        "21.9% |", "23.9% |")) == "incorrect"


def test_figures_in_other_notations() -> None:
    from agility.metrics._numbers import parse_financial_numbers

    # a range's dash is no minus; a decimal comma before a percent sign
    assert [f.value for f in parse_financial_numbers("a 3.8\u20134.0% range")] == [3.8, 4.0]
    assert [f.value for f in parse_financial_numbers("3,9 %")] == [3.9]
    assert [f.value for f in parse_financial_numbers("1,577 and 12,500")] == [1577, 12500]
    question = "What is Kestrel's FY2019 - FY2021 3 year average of capex as a % of revenue?"
    assert verdict(question, "3.9%", "The three-year average is 3,9 %.") == "correct"
    assert verdict(question, "3.9%", "The three-year average is 3,7 %.") == "incorrect"


def test_a_structured_answer_with_a_null_value_declines() -> None:
    question = "What is Kestrel's FY2018 working capital ratio? Round to two decimal places."
    answer = '{"answer": null, "reason": "FY2018 balance sheet not provided"}'
    assert verdict(question, "1.73", answer) == "refusal"
    assert verdict(question, "1.73", '{"answer": 1.73, "reason": "from the balance sheet"}') \
        == "correct"


def test_an_explanation_under_an_answer_label_does_not_conclude() -> None:
    question = "What is the FY2022 unadjusted operating income (in USD millions) for Kestrel Telecom?"
    answer = ("**Answer:** $312 million\n\n**Explanation:** Kestrel's operating income is revenue of "
              "$2,905 million less total operating expenses of $2,593 million, which gives an operat")
    assert verdict(question, "$312.00", answer) == "correct"


Q_DSO = "What was Kestrel Foods' FY2023 days sales outstanding?"


@pytest.mark.parametrize(("answer", "expected"), [
    # the claim after a hypothetical need, or after "only includes ..., which shows"
    ("I would need FY2021 receivables to give a multi-year average, but for FY2023 alone DSO is "
     "about 45 days.", "correct"),
    ("The excerpt only includes the balance sheet and a receivables note, which shows DSO of "
     "45 days for FY2023.", "correct"),
    # "Actually," as emphasis; "Actually, ... is <figure>" as a correction
    ("DSO was 45 days in FY2023. Actually, that figure includes $30 million of disputed "
     "receivables.", "correct"),
    ("DSO was 45 days in FY2023. Actually, DSO is 52 days once disputed receivables are "
     "included.", "incorrect"),
])
def test_claims_after_turns_and_corrections(answer: str, expected: str) -> None:
    assert verdict(Q_DSO, "45 days", answer) == expected


Q_OPM23 = ("What is Kestrel Dynamics' FY2023 operating margin (operating income / revenue)? Round "
           "to one decimal place.")


@pytest.mark.parametrize(("answer", "expected"), [
    # the question restated as the answer's label, a quarter's label, a one-line Q/A
    ("Sure, here is my answer.\n\nQuestion: What is Kestrel Dynamics' FY2023 operating margin?"
     "\nAnswer: 12.4% ($124M / $1,000M).", "correct"),
    ("Revenue was $1,000M in FY2023.\n\nQ2: What was operating income? $124M, so the operating "
     "margin is 12.4%.", "correct"),
    ("Q: What is Kestrel Dynamics' FY2023 operating margin? A: 12.4%", "correct"),
    ("Let me break this down.\nQ: What do we need? Operating income and revenue.\nOperating "
     "income $124M / revenue $1,000M = 12.4%.", "correct"),
    # a note that carries the answer concludes; an open <think> that writes its final answer
    ("Revenue: $1,000M\nOperating income: $124M\n\nNote: the operating margin is therefore "
     "12.4%, down from 13.1% in FY2022.", "correct"),
    ("<think>\nOperating income 124, revenue 1,000. 124/1000 = 0.124.\n\n**Final answer: "
     "12.4%**", "correct"),
])
def test_readings_that_must_not_cut_a_real_answer(answer: str, expected: str) -> None:
    assert verdict(Q_OPM23, "12.4%", answer) == expected


def test_an_answer_in_the_question_s_words_is_no_echo() -> None:
    question = "Is Kestrel Dynamics' operating margin higher in FY2023 than in FY2022?"
    assert verdict(question, "Yes, 12.4% vs 11.0%.",
                   "Kestrel Dynamics' operating margin is higher in FY2023 than in FY2022.") \
        == "correct"


Q_DPO21 = "What is Kestrel Brands' FY2021 days payable outstanding (DPO)? Round to two decimal places."
TABLE_DPO = ("| Item | FY2021 |\n|---|---|\n| Accounts payable | 1,064 |\n| COGS | 3,999 |\n"
             "| DPO | 97.12 |\n\n")


@pytest.mark.parametrize("remark", [
    "Note that FY2020 accounts payable were restated by $12 million.",
    "Note: FY2020 accounts payable were restated by $12 million.",
    "This compares with an industry median of about 60 days.",
])
def test_a_remark_after_a_table_is_not_its_answer(remark: str) -> None:
    assert verdict(Q_DPO21, "97.12", TABLE_DPO + remark) == "correct"


@pytest.mark.parametrize(("answer", "expected"), [
    ("None, except Consumer, whose organic sales fell 3%.", "correct"),
    ("There are no segments with declining organic sales other than Consumer, down 3%.",
     "correct"),
])
def test_none_except_names_one(answer: str, expected: str) -> None:
    question = "Which Kestrel segments saw a decline in organic sales in FY2023?"
    assert verdict(question, "The Consumer segment's organic sales fell 3% in FY2023.",
                   answer) == expected


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    ("Among all of the derivative instruments that Kestrel used, which one had the highest "
     "notional value in FY2022?", "Cross currency swaps. Its notional value was $4.1 billion.",
     "Interest rate swaps were the largest by fair value, but cross currency swaps had the "
     "highest notional value, at $4.1 billion.", "correct"),
    ("Which liability had the largest increase at Kestrel Tools in FY2023?",
     "Accounts payable had the largest increase, up $210 million.",
     "Accounts payable rose the most, up $210 million. Long-term debt was still the largest "
     "liability overall.", "correct"),
])
def test_a_pick_by_the_question_s_own_measure(question: str, gold: str, answer: str,
                                              expected: str) -> None:
    assert verdict(question, gold, answer) == expected


def test_only_the_last_step_s_result_concludes() -> None:
    question = "What was Kestrel's FY2022 free cash flow?"
    answer = ("Step 1: Net income of $500M plus D&A of $200M gives a total of $700M of operating "
              "cash proxy.\nStep 2: Subtracting capex of $300M, free cash flow is $400M.")
    assert verdict(question, "$400 million", answer) == "correct"


@pytest.mark.parametrize("answer", [
    "Kestrel posted an operating loss in FY2023. Its operating margin was 6.4%.",
    "Kestrel burned $64 million of operating cash on $1,000 million of revenue, an operating "
    "margin of 6.4%.",
])
def test_the_sign_in_words_elsewhere_in_the_answer(answer: str) -> None:
    assert verdict("What is Kestrel's FY2023 operating margin (as a %)?", "-6.4%",
                   answer) == "correct"


def test_a_definition_after_the_question_names_no_change() -> None:
    question = ("What is the FY2019 cash conversion cycle (CCC) for Kestrel Mills? CCC is defined "
                "as: DIO + DSO - DPO. DPO is defined as: 365 * (average accounts payable) / "
                "(FY2019 COGS + change in inventory between FY2018 and FY2019).")
    assert verdict(question, "-3.7", "Kestrel Mills' FY2019 cash conversion cycle is 3.7 "
                                     "days.") == "incorrect"
    assert verdict(question, "-3.7", "Kestrel Mills' FY2019 cash conversion cycle is -3.7 "
                                     "days.") == "correct"


def test_the_metric_a_calculate_instruction_names_is_the_question_s() -> None:
    question = ("Roughly how many times has Kestrel Grid sold its inventory in FY2022? Calculate "
                "inventory turnover ratio for the FY2022.")
    answer = ("**Inventory turnover ratio = COGS / Average inventory**\n\n- COGS: $6,930M\n- "
              "Average inventory: ($790M + $860M) / 2 = $825M\n\n**Turnover \u2248 8.4x**")
    assert verdict(question, "Kestrel Grid has converted inventory 8.4 times in FY 2022.",
                   answer) == "correct"


@pytest.mark.parametrize("answer", [
    "Operating margin isn't how Kestrel Financial's performance is typically judged: as a card "
    "issuer it reports no operating income line.",
    "Operating margin: N/A \u2014 Kestrel is a bank and has no cost of goods sold.",
])
def test_more_words_for_a_metric_that_does_not_apply(answer: str) -> None:
    question = ("Does Kestrel Financial have an improving operating margin profile as of 2022? If "
                "operating margin is not a useful metric for a company like this, then state "
                "that and explain why.")
    assert verdict(question, "Performance is not measured through operating margin",
                   answer) == "correct"


def test_a_figure_the_answer_compares_with_is_not_its_answer() -> None:
    question = "What was Kestrel Foods' gross margin in Q2 FY2023?"
    answer = ("Kestrel's gross margin for Q2 FY2023 (quarter ended November 26, 2022) was 34.2%, "
              "compared with 33.1% in Q2 FY2022.")
    assert verdict(question, "Kestrel Foods' gross margin was 34.2% in Q2 FY2023.",
                   answer) == "correct"
    assert verdict(question, "Kestrel Foods' gross margin was 33.1% in Q2 FY2023.",
                   answer) == "incorrect"


Q_FCF = "What was Kestrel's FY2022 free cash flow (in USD millions)?"


@pytest.mark.parametrize(("answer", "expected"), [
    ("FCF = $1,902M - $687M = **$1,215M**.\n\n**FCF for FY2022 is approximately $1,215 "
     "million.**\n\nThat said, a more conservative analyst might prefer the $1,157 million "
     "figure.", "correct"),
    ("FCF for FY2022 was $1,215 million. It's worth noting that capitalized software was $58 "
     "million, so FCF after it would be about $1,157 million.", "correct"),
    ("FCF for FY2022 was $1,215 million. With those caveats in mind, I would estimate FCF at "
     "$1,157 million.", "incorrect"),
])
def test_a_remark_beside_the_answer_does_not_conclude(answer: str, expected: str) -> None:
    assert verdict(Q_FCF, "$1215.00", answer) == expected


Q_GOODWILL = "Has Kestrel Chemicals recorded any goodwill impairment in FY2022?"


@pytest.mark.parametrize(("answer", "expected"), [
    # a hedged stance with a concession after it commits
    ("Based on this, it does not appear that Kestrel recorded a goodwill impairment in FY2022, "
     "although I can't completely rule out one that isn't described in the excerpt.",
     "incorrect"),
    ("That said, two years of data isn't really enough to establish a trend. With that caveat, "
     "Kestrel does appear to have recorded a goodwill impairment in FY2022.", "correct"),
    # "depends on", "I don't think I can give a firm yes or no", "was not able to find"
    ("Whether Kestrel recorded a goodwill impairment in FY2022 depends on how the fourth-quarter "
     "test came out, which the excerpt does not cover.", "refusal"),
    ("Ultimately, it's difficult to say definitively, and I don't think I can give a firm yes "
     "or no on Kestrel's FY2022 goodwill from the excerpt alone.", "refusal"),
    ("I've reviewed the excerpt for Kestrel's FY2022 goodwill impairment. I wasn't able to find "
     "the goodwill footnote.", "refusal"),
])
def test_hedged_analyst_answers(answer: str, expected: str) -> None:
    gold = "Yes. Kestrel recorded a $146 million goodwill impairment in FY2022."
    assert verdict(Q_GOODWILL, gold, answer) == expected


def test_a_reference_in_a_gold_is_no_figure() -> None:
    # "Section 12(b)" is a reference, not a figure the answer must state: the gold says none
    gold = ("None. Kestrel Bank has no debt securities registered under Section 12(b); only its "
            "common stock is registered.")
    answer = ("The securities registered pursuant to Section 12(b) are Kestrel's common stock. "
              "No debt securities are registered to trade on a national securities exchange.")
    assert verdict(Q_NOTES, gold, answer) == "correct"
    assert verdict(Q_NOTES, gold, "The 4.25% Notes due 2029 are registered on the NYSE.") \
        == "incorrect"


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # a remark that states the result is the answer; one that offers an alternative is not
    ("What is Kestrel's FY2022 net profit margin?", "12.6%",
     "Kestrel reported net income of $312 million on revenue of $2,480 million in FY2022. "
     "It's worth noting that this works out to a net profit margin of 12.6%.", "correct"),
    ("What was Kestrel's FY2021 dividend payout ratio?", "68%",
     "Kestrel paid dividends of $340 million in FY2021 against net income of $500 million. For "
     "reference, that is a payout ratio of 68%.", "correct"),
    # the asked year's figure after "up from" / "down from" is the answer
    ("What was Kestrel's FY2021 revenue?", "$4,100 million",
     "Revenue was $4,620M in FY2022, up from $4,100M in FY2021.", "correct"),
    ("How many stores did Kestrel have at the end of FY2021?", "982",
     "Kestrel ended FY2022 with 969 stores, down from 982 at the end of FY2021.", "correct"),
    # passive voice, a hyphen, a correction
    ("Which type of debt received the largest investment among Kestrel's short term "
     "investments?", "Corporate bonds, at $412 million.",
     "The largest allocation was made to corporate bonds ($412 million).", "correct"),
    ("Which derivative instrument had the highest notional value for Kestrel in FY2022?",
     "Cross-currency swaps. Their notional value was $4.1 billion.",
     "Cross currency swaps had the highest notional value, at $4.1 billion.", "correct"),
    ("Which type of debt received the largest investment among Kestrel's short term "
     "investments?", "Corporate bonds, at $412 million.",
     "Looking at the breakdown, U.S. Treasury bills had the largest allocation. Wait, I had "
     "those reversed: corporate bonds, at $412 million, received the largest allocation.",
     "correct"),
    # a question in other words after a preamble labels the answer
    ("What is Kestrel's FY2022 gross margin?", "41.2%",
     "Sure, here it is.\n\nQuestion: What's Kestrel's gross margin for fiscal 2022?\nAnswer: "
     "41.2%", "correct"),
    # refusal words used in passing
    ("Is Kestrel an asset-light business based on FY2022 data?", "No. Capex was 18% of revenue.",
     "I do not think we can call Kestrel asset-light: capex was 18% of revenue in FY2022.",
     "correct"),
    ("Does Kestrel have positive working capital as of FY2022?", "Yes. $1.2 billion.",
     "The excerpt only includes the balance sheet, but that is all this needs: working capital "
     "is positive at $1.2 billion.", "correct"),
])
def test_the_second_regression_hunt(question: str, gold: str, answer: str,
                                    expected: str) -> None:
    assert verdict(question, gold, answer) == expected
