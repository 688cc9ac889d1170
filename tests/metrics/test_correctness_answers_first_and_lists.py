"""The answer an answer gives first, restatements, labels and lists (issue 13, correctness
version 20): made-up answers in the styles of other families, from two development
batteries and two regression hunts. In each test the first case fails on version 19 (42 of
the 71 cases do, as counted by running them there) and most others are controls; the test of
a label after its figure is a control only (the wording of a FinanceBench answer a draft of
the label reading misread)."""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer


def verdict(question: str, gold: object, answer: str) -> str:
    return judge_financial_answer(question, gold, answer).verdict


Q_PPE = "What is the year end FY2022 net PP&E for Tarrow Mills? Answer in USD billions."


@pytest.mark.parametrize(("answer", "expected"), [
    # a later remark on another period does not replace the answer given first
    ("## Tarrow Mills net PP&E: FY2022\n\nFrom the balance sheet, the line item shows:\n\n"
     "**Answer: \u2248 $4.2 billion**\n\nFor reference, net PP&E was roughly $4.5 billion a year "
     "earlier, so the balance edged down slightly.", "correct"),
    # ... nor a remark on another quantity
    ("$4.2 billion.\n\n- Source: consolidated balance sheet.\n- Depreciation was $0.6 billion, "
     "so the asset base turned over in about 7 years.", "correct"),
    # a later statement of the asked quantity for the asked year is the answer
    ("Net PP&E was $4.5 billion a year earlier. Tarrow Mills' FY2022 net PP&E was $4.2 billion.",
     "correct"),
])
def test_the_answer_given_first_stands_against_a_remark_on_another_period_or_quantity(
        answer: str, expected: str) -> None:
    assert verdict(Q_PPE, "$4.20", answer) == expected


Q_DEBT = "Has Harlow Systems increased its debt on balance sheet between FY2022 and FY2023?"
TABLE = ("| ($ millions) | FY2022 | FY2023 |\n|---|---|---|\n| Total debt | 49,781 | 47,237 |\n\n"
         "Total debt decreased by about $2.5 billion year over year.\n\n")


@pytest.mark.parametrize(("answer", "expected"), [
    ("## No, Harlow reduced its debt\n\n" + TABLE + "**Bottom line:** Yes, the balance sheet "
     "shows a decline, not an increase, in Harlow's debt.", "correct"),
    ("## Yes, Harlow added debt\n\n" + TABLE.replace("decreased", "increased"), "incorrect"),
    # a heading that titles states nothing
    ("## Step 1: Total debt\n\n" + TABLE + "So no, Harlow did not increase its debt.", "correct"),
])
def test_a_heading_that_states_the_answer_is_a_statement(answer: str, expected: str) -> None:
    assert verdict(Q_DEBT, "No. Harlow decreased its debt by $2.5bn in FY2023 vs FY2022.",
                   answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Capital expenditure was $1,577 million, or approximately $15.8 billion.", "incorrect"),
    ("Net income was $248.6 million (roughly $2.5 billion).", "incorrect"),
    ("Capital expenditure was $1,577 million, or approximately $1.6 billion.", "correct"),
    ("Capital expenditure was $1,577 million (about $1.6 billion).", "correct"),
])
def test_a_restatement_on_another_scale_is_another_amount(answer: str, expected: str) -> None:
    gold = "$248.6 million" if "Net income" in answer else "$1.577 billion"
    assert verdict("What was Hollin Tool's FY2022 capital expenditure or net income?", gold,
                   answer) == expected


Q_REGIONS = "What share of Dunmore Labs' FY2022 revenue came from the Americas and from EMEA?"


@pytest.mark.parametrize(("gold", "answer", "expected"), [
    # the gold's labels need no colon, nor the answer's list
    ("Americas 45%, EMEA 30%", "- Americas 30%\n- EMEA 45%", "incorrect"),
    ("Americas 45%, EMEA 30%", "- Americas: 30%\n- EMEA: 45%", "incorrect"),
    ("Americas 45%, EMEA 30%", "Americas: 45%\nEMEA: 30%", "correct"),
    ("Americas: 45%; EMEA: 30%", "The Americas contributed 45% and EMEA 30%.", "correct"),
])
def test_gold_figures_under_each_others_labels_are_swapped(gold: str, answer: str,
                                                          expected: str) -> None:
    assert verdict(Q_REGIONS, gold, answer) == expected


def test_a_label_after_the_figure_names_it() -> None:
    # "$1,097 million in pension benefits and $862 million in health care ...": the words
    # before $862 million name the first figure, not the second
    assert verdict("As of FY2021, how much did Kelso Telecom expect to pay its retirees in 2024?",
                   "The estimated pension benefits were $1097 million, and the estimated health "
                   "care and life insurance benefits were $862 million.",
                   "Kelso expected to pay $1,097 million in pension benefits and $862 million in "
                   "health care and life benefits in 2024.") == "correct"


@pytest.mark.parametrize(("answer", "expected"), [
    ("Orlan reported EPS of $3.52, diluted $3.47 for FY2022.", "correct"),
    ("Orlan reported diluted EPS of $3.52 and basic EPS of $3.47 for FY2022.", "incorrect"),
])
def test_an_abbreviation_is_one_word_naming_a_figure(answer: str, expected: str) -> None:
    assert verdict("What is the diluted EPS of Orlan for FY2022?", "$3.47", answer) == expected


Q_FCF = "What was Pellam Foods' free cash flow in FY2022?"
GOLD_FCF = "$1.6 billion (operating cash flow of $2.4 billion less capital expenditures of $0.8 billion)"


@pytest.mark.parametrize(("gold", "answer", "expected"), [
    (GOLD_FCF, "Free cash flow was $1.6 billion.", "correct"),
    (GOLD_FCF, "**FCF \u2248 $1.6B**", "correct"),
    (GOLD_FCF, "Free cash flow was $1.4 billion.", "incorrect"),
    # a figure of the working alone is no answer, whatever the arithmetic between them
    ("Decrease of $350 million (from $2,100 million to $1,750 million)",
     "Net debt at the end of FY2022 was $1,750 million.", "incorrect"),
])
def test_a_gold_headline_figure_with_its_working_in_parentheses(gold: str, answer: str,
                                                                 expected: str) -> None:
    assert verdict(Q_FCF, gold, answer) == expected


Q_NOTES = ("Which debt securities does Harwick Industries have registered to trade on a national "
           "securities exchange?")
GOLD_NOTES = "1.500% Notes due 2026, 2.000% Notes due 2028, 2.625% Notes due 2031"


@pytest.mark.parametrize(("answer", "expected"), [
    ("1.500% Notes due 2026 and 2.000% Notes due 2028.", "incorrect"),
    ("- 0.950% Notes due 2023\n- 1.500% Notes due 2026\n- 2.000% Notes due 2028", "incorrect"),
    ("2.625% Notes due 2031, 1.500% Notes due 2026 and 2.000% Notes due 2028, all on the NYSE.",
     "correct"),
])
def test_listed_securities_are_compared_as_a_set(answer: str, expected: str) -> None:
    assert verdict(Q_NOTES, GOLD_NOTES, answer) == expected


Q_CHANGE = "By how much did Tessaly's operating income change from FY2021 to FY2022?"


@pytest.mark.parametrize(("answer", "expected"), [
    ("Operating income: FY2021 $1.02B; FY2022 $0.91B. Change: -$130M.", "incorrect"),
    ("FY2021 operating income: $1,020M\nFY2022 operating income: $902M\nChange: -$118M",
     "correct"),
    ("Operating income fell from $1,020 million to $902 million, a decrease of $118 million.",
     "correct"),
])
def test_a_change_asked_is_answered_by_the_change_labelled_after_the_levels(
        answer: str, expected: str) -> None:
    assert verdict(Q_CHANGE, "Decreased by $118 million", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Capex was $1.2 billion. That's not right, though \u2014 I mixed up the years; FY2022 capex "
     "was actually $1.4 billion.", "incorrect"),
    ("Capex was $1.2 billion. That's the FY2022 figure from the cash flow statement.",
     "correct"),
])
def test_that_is_not_right_takes_back(answer: str, expected: str) -> None:
    assert verdict("What were Acton Rail's capital expenditures in FY2022?", "$1.2 billion",
                   answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Strong PC demand and growing volumes, partly offset by higher input costs.", "incorrect"),
    ("Weak PC demand, which led to lower volumes, and higher input costs.", "correct"),
])
def test_a_driver_said_by_its_strength_goes_that_way(answer: str, expected: str) -> None:
    assert verdict("What drove the decline in Vessen Computing's gross margin in FY2023?",
                   "Weak demand for PCs, which led to lower volumes, and higher input costs.",
                   answer) == expected


# from the regression hunt at the readings above and a second development battery


@pytest.mark.parametrize(("answer", "expected"), [
    ("Total debt was $5.3 billion at year-end FY2022. Cash was $1.9 billion, so net debt was "
     "$3.4 billion.", "correct"),
    ("Total debt was $5.3 billion at year-end FY2022. Wait, that includes leases; excluding "
     "them, total debt was $4.6 billion.", "incorrect"),
])
def test_a_later_figure_of_a_quantity_sharing_a_word_is_another_quantity(answer: str,
                                                                          expected: str) -> None:
    assert verdict("What was Halden Industrial's total debt at the end of FY2022?",
                   "$5.3 billion", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Net income was $15.8 billion, or $1,577 million.", "incorrect"),
    ("R&D expense was $0.85 billion, i.e., $85 million.", "incorrect"),
    ("R&D expense was $0.85 billion, i.e., $850 million.", "correct"),
])
def test_a_restatement_is_read_either_way_round(answer: str, expected: str) -> None:
    gold = "$850 million" if "R&D" in answer else "$1.58 billion"
    assert verdict("What was Vantage Aerospace's FY2022 net income or R&D expense?", gold,
                   answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("GAAP EPS was $3.47 basic and $3.41 diluted.", "incorrect"),
    # (a control: version 19 reads it right, a draft of version 20 did not)
    ("ROA 14.1%, ROE 6.2%.", "incorrect"),
    ("ROA 6.2%, ROE 14.1%.", "correct"),
])
def test_the_words_naming_a_figure_are_all_asked_or_they_name_another(answer: str,
                                                                      expected: str) -> None:
    if "EPS" in answer:
        assert verdict("What was Kestrel Logistics' diluted EPS in FY2022?", "$3.47",
                       answer) == expected
    else:
        assert verdict("What was Lumen Ridge's return on assets in FY2022?", "6.2%",
                       answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("FY2021 $1,020M; FY2022 $902M, a decrease of $118M.\nChange: -11.6%", "correct"),
    ("- FY2021: 40.8%\n- FY2022: 42.1%\n- Change: +1.3 pp\n- Difference vs. peer (Beta Corp, "
     "39.0%): +3.1 pp", "correct"),
])
def test_a_labelled_change_of_another_kind_or_against_a_peer_is_not_the_answer(
        answer: str, expected: str) -> None:
    if "pp" in answer:
        assert verdict("How much did Redfern Apparel's gross margin change from FY2021 to "
                       "FY2022?", "+1.3 percentage points (from 40.8% to 42.1%)",
                       answer) == expected
    else:
        assert verdict("How much did Acme Corp's total debt change from FY2021 to FY2022?",
                       "Decreased by $118 million", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Total debt: $5.3B. I mixed that up \u2014 it includes operating lease liabilities; "
     "excluding them, total debt was $4.6B.", "incorrect"),
    ("Total debt: $5.3B, which includes operating lease liabilities.", "correct"),
])
def test_i_mixed_that_up_takes_back(answer: str, expected: str) -> None:
    assert verdict("What was Halden Industrial's total debt at the end of FY2022?",
                   "$5.3 billion", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("The filing excerpt I have does not break out FY2022 R&D expense, so I can't give that "
     "figure. R&D was $310 million in FY2021, so spending has historically been modest.",
     "refusal"),
    ("The filing excerpt does not break out R&D by segment, but total FY2022 R&D expense was "
     "$340 million.", "correct"),
])
def test_with_refusal_language_a_conclusion_about_another_year_commits_to_nothing(
        answer: str, expected: str) -> None:
    assert verdict("What was Lumen Ridge's R&D expense in FY2022?", "$340 million",
                   answer) == expected


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    ("Has Verizon increased its debt on balance sheet between 2022 and the 2021 fiscal period?",
     "No. Verizon's debt decreased by $229 million.",
     "## Step 1: Total debt in 2021\nTotal debt at the end of 2021 = $150,868 million.\n\n"
     "## Step 2: Compare\nThe change in total debt was $150,639 - $150,868 = -$229 million.\n\n"
     "The final answer is: $\\boxed{\\text{Yes}}$", "incorrect"),
    ("What was the largest liability in American Express's Balance Sheet in 2022?",
     "Customer deposits",
     "I can't verify this against the filing itself, but my best read of the balance sheet:\n\n"
     "Short answer: long-term debt.\n- Long-term debt: ~$42.6B, the single largest line",
     "incorrect"),
    ("What is the amount of the gain accruing to Kelso as a result of the separation of its "
     "Consumer segment?", "Kelso will make a gain of approximately $20 billion.",
     "The filing excerpt I have does not quantify the gain Kelso expects to recognize. I'd "
     "rather not estimate a figure: it depends on the fair value at closing.", "refusal"),
    ("Were there any board member nominees who had substantially more votes against joining "
     "than the other nominees?", "Yes, his name is Richard A. Johnson",
     "Yes. Most nominees received well over 95% support. The one nominee who stood out with "
     "substantially more votes against was **Kimberly K. Underhill**.", "incorrect"),
    ("What drove gross margin change as of FY2022 for American Express? If gross margin is "
     "not a useful metric for a company like this, then please state that and explain why.",
     "Performance is not measured through gross margin",
     "## Gross margin isn't a meaningful metric for American Express\n\nAmerican Express is a "
     "payments company with no cost-of-goods-sold line. Its revenue grew 25% to $52.9B.",
     "correct"),
    # a control: a refusal labelled as the answer is still a refusal
    ("What was the largest liability in American Express's Balance Sheet in 2022?",
     "Customer deposits", "I can't verify this against the filing.\n\nFinal answer: N/A",
     "refusal"),
])
def test_stances_labels_and_refusals_in_other_families_words(question: str, gold: str,
                                                            answer: str, expected: str) -> None:
    assert verdict(question, gold, answer) == expected


def test_swapped_labels_in_the_word_rule() -> None:
    question = "What share of Helix Devices' FY2022 revenue came from each region?"
    gold = "Americas 45%, EMEA 30%, APAC 25%"
    assert verdict(question, gold, "Americas 30%, EMEA 45%, APAC 25%.") == "incorrect"
    assert verdict(question, gold, "Americas 45%, EMEA 30%, APAC 25%.") == "correct"


# from the second regression hunt (147 answers at the readings below)


@pytest.mark.parametrize(("answer", "expected"), [
    ("I can't verify this against the actual 10-K, so treat it with some caution.\n\n"
     "Short answer: long-term debt.", "correct"),
    ("I can't verify this against the actual 10-K.\n\nShort answer: customer deposits.",
     "incorrect"),
])
def test_a_labelled_answer_takes_the_question_up_whatever_words_it_shares(answer: str,
                                                                          expected: str) -> None:
    assert verdict("What was the largest liability in Tobin Card's Balance Sheet in 2022?",
                   "Long-term debt", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("**Final answer: $1,577 million** (though I'd double-check this against the filed cash "
     "flow statement, since line-item names vary year to year).", "correct"),
    ("Inventory turnover is 6.25. Wait, let me double-check: COGS of $16,830M divided by "
     "average inventory of $2,693M = 6.25. Yes, 6.25.", "correct"),
])
def test_a_labelled_answer_or_a_bare_confirmation_is_about_the_question(answer: str,
                                                                        expected: str) -> None:
    if "Inventory" in answer:
        assert verdict("What is Kraft's FY2019 inventory turnover ratio? Round to two decimal "
                       "places.", "6.25", answer) == expected
    else:
        assert verdict("What is the FY2018 capital expenditure amount (in USD millions) for "
                       "Kestrel?", "$1577.00", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("DPO = 93.86 days.\n\nHmm, wait \u2014 I used ending payables instead of the average. "
     "Recomputing with average accounts payable, DPO comes to 88.42 days.", "incorrect"),
    ("DPO = 93.86 days.\n\nThis uses average accounts payable, as defined.", "correct"),
])
def test_a_take_back_undoes_an_opening_equation(answer: str, expected: str) -> None:
    assert verdict("What is Amazon's FY2017 days payable outstanding (DPO)? Round your answer "
                   "to two decimal places.", "93.86", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("I'm not going to guess at a number without the cash flow statement in front of me.",
     "refusal"),
    ("I'm not going to guess \u2014 the cash flow statement shows capital spending of $4,625 "
     "million, i.e. about **$4.6 billion**.", "correct"),
    ("Halvard does not quantify the remaining costs precisely; my rough estimate would be "
     "around $100 million.", "incorrect"),
    ("Management discusses the project at length but does not quantify its expected "
     "contribution to operating income.", "refusal"),
])
def test_refusal_words_and_the_turn_to_a_figure_after_them(answer: str, expected: str) -> None:
    gold = "$4.60" if "cash flow" in answer else "$77.78 million"
    assert verdict("How much did Halvard spend or expect to spend, in USD billions or "
                   "millions?", gold, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Store wages fall into SG&A. As a percent of net sales, wages expense was up in FY2023.",
     "correct"),
    ("Working capital is tied up in inventory. As a percent of net sales, wages expense was "
     "down in FY2023.", "incorrect"),
])
def test_phrases_that_move_nothing_say_no_direction(answer: str, expected: str) -> None:
    assert verdict("Did Ulta Beauty's wages expense as a percent of net sales increase or "
                   "decrease in FY2023?", "Wages expense as a percent of net sales increased "
                   "in FY2023.", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Working capital is not a meaningful metric for a regulated water utility such as "
     "American Water Works.", "incorrect"),
    ("No. Current liabilities exceeded current assets by about $1.56 billion.", "correct"),
])
def test_a_yes_no_answer_that_rejects_the_metric_does_not_answer(answer: str,
                                                                 expected: str) -> None:
    assert verdict("Does American Water Works have positive working capital based on FY2022 "
                   "data? If working capital is not a useful or relevant metric for this "
                   "company, then please state that and explain why.",
                   "No, American Water Works had negative working capital of -$1561M in FY "
                   "2022.", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ('{"net_earnings_pct_of_sales_q2_fy2022": 20.0, "net_earnings_pct_of_sales_q2_fy2023": '
     '19.6, "answer": "No"}', "incorrect"),
    ('{"largest_liability_2022": "Customer deposits", "amount_usd_millions": 110239}',
     "correct"),
])
def test_a_structured_answer_is_read_with_its_keys(answer: str, expected: str) -> None:
    if "largest" in answer:
        assert verdict("Does Tobin Card's largest liability in 2022 consist of customer "
                       "deposits?", "Yes, customer deposits", answer) == expected
    else:
        assert verdict("Did JnJ's net earnings as a percent of sales increase in Q2 of FY2023 "
                       "compared to Q2 of FY2022?", "Yes, net earnings as a percent of sales "
                       "increased from 20% in Q2 of FY2022 to 20.1% in Q2 of FY2023.",
                       answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("45% Americas, 30% EMEA, 25% APAC.", "correct"),
    ("- 25%: Americas\n- 30%: EMEA\n- 45%: APAC", "incorrect"),
    ("Norlund expected $862 million in pension benefits and $1,097 million in health care and "
     "life insurance benefits.", "incorrect"),
])
def test_labels_after_their_figures(answer: str, expected: str) -> None:
    if "pension" in answer:
        assert verdict("As of FY 2021, how much did Norlund expect to pay for its retirees in "
                       "2024?", "The estimated pension benefits were $1097 million, and the "
                       "estimated health care and life insurance benefits were $862 million.",
                       answer) == expected
    else:
        assert verdict("What was Norlund Systems' FY2023 revenue mix by region?",
                       "Americas 45%, EMEA 30%, APAC 25%", answer) == expected
