"""The offline grader on how other writers commit, take a question up and pick (issue 13,
correctness version 16): made-up answers, each in words version 15 misread."""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer
from agility.metrics._answer import concludes

Q_MARGIN = "What is Adobe's FY2022 operating margin?"
Q_QUICK = "Does Verizon have a healthy liquidity profile based on its FY2022 quick ratio?"
GOLD_QUICK = ("No. The quick ratio was approximately 0.54, which is below 1, so not a healthy "
              "liquidity profile.")
Q_GROWTH = "Are Kestrel's FY2022 financials that of a high growth company?"
GOLD_GROWTH = "No, Kestrel's sales grew by 1.3% in FY2022, which is not high growth."
Q_REGION = "Which region had the highest revenue growth for Kestrel in FY2022?"


def verdict(question: str, gold: str, answer: str) -> str:
    return judge_financial_answer(question, gold, answer).verdict


@pytest.mark.parametrize(("answer", "expected"), [
    ("Operating margin = 6,098 / 17,606 = 34.6%. However, on an adjusted basis the margin is "
     "39.8%, which is the figure I would report.", "incorrect"),
    ("Operating margin = 7,000 / 17,606 = 39.8% on an adjusted basis. My answer is 34.6%, the "
     "GAAP margin.", "correct"),
    ("The adjusted margin works out to 39.8%. I'd go with the reported figure: 34.6%.",
     "correct"),
    # how near names no other quantity
    ("Just under 35% (34.6%).", "correct"),
])
def test_the_figure_the_writer_says_they_would_report_is_the_answer(answer: str,
                                                                    expected: str) -> None:
    assert verdict(Q_MARGIN, "34.6%", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    # the question's predicate ("healthy") in words of the answer's own
    ("The quick ratio of 0.54 is adequate for a telecom company, indicating a sound liquidity "
     "position.", "incorrect"),
    ("The quick ratio of 0.54 is ample for a telecom company, indicating comfortable liquidity.",
     "incorrect"),
    ("The quick ratio of 0.54 falls short of the 1.0 benchmark, indicating a strained liquidity "
     "position.", "correct"),
])
def test_a_statement_taking_the_predicate_up_in_its_own_words_states_a_stance(
        answer: str, expected: str) -> None:
    assert verdict(Q_QUICK, GOLD_QUICK, answer) == expected


def test_a_compound_in_the_answer_takes_up_the_question_by_its_parts() -> None:
    # "high-growth" answers "high growth"; the concession before it ("while ... positive")
    # is not the claim
    answer = ("Kestrel's sales grew 1.3% in FY2022. Overall, while Kestrel's financial "
              "performance is certainly positive, it does not appear to be that of a high-growth "
              "company.")
    assert verdict(Q_GROWTH, GOLD_GROWTH, answer) == "correct"
    assert verdict(Q_GROWTH, GOLD_GROWTH.replace("No, ", "Yes, ").replace(
        "not high", "high"), answer) == "incorrect"


@pytest.mark.parametrize(("answer", "expected"), [
    ("Asia Pacific led, growing 14% year over year, ahead of EMEA (9%) and the Americas (6%).",
     "correct"),
    ("The Americas led, growing 14% year over year, ahead of EMEA (9%) and Asia Pacific (6%).",
     "incorrect"),
    ("Revenue growth by region: Americas 16%, EMEA 9%, Asia Pacific 14%. Therefore, the Americas "
     "had the highest revenue growth.", "incorrect"),
    ("Revenue growth by region: Americas 6%, EMEA 9%, Asia Pacific 14%. Therefore, Asia Pacific "
     "had the highest revenue growth.", "correct"),
    ("Revenue growth by region: Americas 16%, EMEA 9%, Asia Pacific 14%. So the region with the "
     "highest growth was the Americas.", "incorrect"),
])
def test_a_gold_that_is_a_bare_name_is_met_only_by_picking_it(answer: str, expected: str) -> None:
    # the gold names no kind ("Asia Pacific", not "The Asia Pacific region"); a list of every
    # region's figure, without a verb, picks none, and the conclusion after it does
    assert verdict(Q_REGION, "Asia Pacific", answer) == expected


Q_PAYOUT = "Is Kestrel's dividend sustainable based on its FY2022 payout ratio?"
GOLD_PAYOUT = "Yes. The payout ratio was 45%, leaving ample room."


@pytest.mark.parametrize(("answer", "expected"), [
    # "un-" says the contrary of the predicate; what cash "did not cover" is a payment, not a
    # source that leaves the question open
    ("It looks unsustainable: Kestrel paid out 45% of earnings, but its free cash flow did not "
     "cover the dividend.", "incorrect"),
    # after "but" the writer says where they stand
    ("With a 45% payout ratio the dividend may look covered, but I would not call it "
     "sustainable given falling earnings.", "incorrect"),
    ("With a 45% payout ratio, the dividend appears well covered and therefore sustainable.",
     "correct"),
])
def test_a_stance_against_a_predicate_in_its_negated_form_is_read(answer: str,
                                                                   expected: str) -> None:
    assert verdict(Q_PAYOUT, GOLD_PAYOUT, answer) == expected


@pytest.mark.parametrize("answer", [
    "The excerpt does not cover dividends.",
    "The filing doesn't explicitly cover the payout ratio.",
])
def test_a_source_that_does_not_cover_the_question_is_still_refusal_language(answer: str) -> None:
    assert verdict(Q_PAYOUT, GOLD_PAYOUT, answer) == "refusal"


def test_a_phrase_answer_naming_its_items_is_judged_on_its_words() -> None:
    question = "What drove Kestrel's operating margin decline in FY2022?"
    gold = "Higher raw material costs and unfavorable currency movements."
    assert verdict(question, gold, "Two things: (1) raw material inflation and (2) unfavorable "
                                   "currency.") == "correct"
    assert verdict(question, gold, "Two things: (1) restructuring charges and (2) lower "
                                   "volumes.") == "incorrect"


Q_IMPROVE = "Did Kestrel's gross margin improve from FY2021 to FY2022?"
GOLD_UP = "Yes, gross margin rose from 41.2% to 43.0%."
GOLD_DOWN = "No, gross margin fell from 43.0% to 41.2%."


@pytest.mark.parametrize(("answer", "gold", "expected"), [
    ("I'd say yes: gross margin went from 41.2% to 43.0%.", GOLD_DOWN, "incorrect"),
    ("In a word: no. Gross margin slipped to 41.2% from 43.0%.", GOLD_DOWN, "correct"),
    ("It did not. Gross margin was 41.2% in FY2022 versus 43.0% in FY2021.", GOLD_DOWN,
     "correct"),
    ("It did not. Gross margin was 41.2% in FY2022 versus 43.0% in FY2021.", GOLD_UP,
     "incorrect"),
    ("It did. Gross margin was 43.0% in FY2022 versus 41.2% in FY2021.", GOLD_UP, "correct"),
    ("Not quite: gross margin dipped from 43.0% to 41.2%.", GOLD_DOWN, "correct"),
    ("That's right, it improved, from 41.2% to 43.0%.", GOLD_UP, "correct"),
])
def test_yes_and_no_in_other_words_are_said(answer: str, gold: str, expected: str) -> None:
    assert verdict(Q_IMPROVE, gold, answer) == expected


@pytest.mark.parametrize(("answer", "gold", "expected"), [
    # the change between the gold's levels is no other value of either level
    ("The short answer is yes. Gross margin increased 180 bps.", GOLD_UP, "correct"),
    ("Yes. Gross margin increased 1.8 percentage points.", GOLD_UP, "correct"),
    ("Yes. Gross margin increased 2.5 percentage points.", GOLD_UP, "incorrect"),
    # levels joined by an arrow went the way they go
    ("Gross margin: 43.0% (FY2021) \u2192 41.2% (FY2022). It got worse.", GOLD_DOWN, "correct"),
    ("Gross margin: 43.0% (FY2021) \u2192 41.2% (FY2022). It got worse.", GOLD_UP, "incorrect"),
])
def test_a_change_and_an_arrow_say_how_the_levels_moved(answer: str, gold: str,
                                                        expected: str) -> None:
    assert verdict(Q_IMPROVE, gold, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("It rose 180 bps.", "correct"),
    ("Up 1.8 percentage points.", "correct"),
    ("It rose 1.8 points.", "correct"),
    ("It fell 1.8 percentage points.", "incorrect"),
    ("It rose 2.5 percentage points.", "incorrect"),
])
def test_by_how_much_is_answered_by_the_change_without_its_levels(answer: str,
                                                                  expected: str) -> None:
    question = "By how much did Kestrel's gross margin change from FY2021 to FY2022?"
    gold = "It rose 1.8 percentage points, from 41.2% to 43.0%."
    assert verdict(question, gold, answer) == expected


Q_CAPEX = "What is Adobe's FY2022 capital expenditure in USD millions?"


@pytest.mark.parametrize("answer", [
    "Regrettably, capital expenditure isn't among the figures in the excerpt.",
    "The capex figure is not something the excerpt breaks out.",
    "Sorry, I can only see Adobe's balance sheet here.",
    "The document appears to be truncated before the cash flow statement.",
])
def test_other_words_for_a_source_without_the_figure_are_a_refusal(answer: str) -> None:
    assert verdict(Q_CAPEX, "$442.00", answer) == "refusal"


@pytest.mark.parametrize("answer", [
    "The excerpt is incomplete, but its cash flow statement shows capex of $442 million.",
    "I can only see the cash flow statement. Purchases of property and equipment were $442 "
    "million.",
])
def test_a_limited_source_that_still_gives_the_figure_answers(answer: str) -> None:
    assert verdict(Q_CAPEX, "$442.00", answer) == "correct"


@pytest.mark.parametrize(("result", "expected"), [("45.06", "incorrect"), ("42.69", "correct")])
def test_an_x_between_figures_is_a_times_sign_not_a_placeholder(result: str,
                                                                  expected: str) -> None:
    # the equation after the refusal language is the answer's result (a placeholder "XX"
    # would make the statement hypothetical and the answer a refusal)
    answer = ("Unfortunately I do not have enough information to calculate the exact DPO, "
              "since the excerpt does not give the prior year's accounts payable. Using year-end "
              "accounts payable of $46,092 million and cost of sales of $373,396 million, DPO = "
              f"46,092 / 373,396 x 365 = {result} days.")
    question = ("What is Walmart's FY2018 days payable outstanding (DPO)? Round to two decimal "
                "places.")
    assert verdict(question, "42.69", answer) == expected
    assert verdict(question, "42.69", answer.replace(" x 365 = ", " x 365 = XX, about ")) == \
        "refusal"


def test_restating_the_way_the_question_says_the_figure_went_is_no_direction() -> None:
    # the gold's "Higher" is said of a cause; "Gross margin fell" restates the question
    question = "What drove the decline in Kestrel's gross margin in FY2022?"
    gold = "Higher freight costs and inventory write-downs."
    assert verdict(question, gold, "Gross margin fell mainly because freight got more "
                                   "expensive and the company wrote down inventory.") == "correct"
    assert verdict(question, gold, "Gross margin fell mainly because of unfavorable product "
                                   "mix and lower pricing.") == "incorrect"


@pytest.mark.parametrize(("answer", "expected"), [
    ("- Bluewater Labs\n- Norda Systems", "correct"),
    ("1. Bluewater Labs\n2. Norda Systems", "correct"),
    ("- Redstone Inc.\n- Parallax Corp.", "incorrect"),
])
def test_a_list_of_names_without_figures_is_judged_on_its_words(answer: str,
                                                                 expected: str) -> None:
    question = "What are the major acquisitions Kestrel completed in FY2022?"
    gold = "Kestrel acquired Bluewater Labs and Norda Systems."
    assert verdict(question, gold, answer) == expected


def test_nothing_denies_as_none_does() -> None:
    question = "Does Kestrel have any debt maturing in FY2023?"
    gold = "No, Kestrel has no debt maturing in FY2023."
    answer = "Kestrel has nothing coming due in FY2023; its earliest maturity is in FY2025."
    assert verdict(question, gold, answer) == "correct"
    assert verdict(question, "Yes, $500 million of notes mature in FY2023.", answer) == \
        "incorrect"


Q_TWO_YEARS = "What were Kestrel's FY2021 and FY2022 revenues in USD millions?"
GOLD_TWO_YEARS = "FY2021: $4,200 million; FY2022: $5,600 million."


@pytest.mark.parametrize(("answer", "expected"), [
    ("FY2021 revenue was $4.2 billion and FY2022 revenue was $5.6 billion.", "correct"),
    ("$4,200 million (FY2021) and $5,600 million (FY2022).", "correct"),
    # the gold's figures, each given for the other year
    ("FY2021 revenue was $5.6 billion and FY2022 revenue was $4.2 billion.", "incorrect"),
    ("$5,600 million (FY2021) and $4,200 million (FY2022).", "incorrect"),
])
def test_figures_given_for_several_years_must_keep_their_years(answer: str,
                                                               expected: str) -> None:
    assert verdict(Q_TWO_YEARS, GOLD_TWO_YEARS, answer) == expected


Q_AVERAGE = "What is Kestrel's 3-year average capex as a % of revenue from FY2020 to FY2022?"


@pytest.mark.parametrize(("answer", "expected"), [
    # the years name the period, not the quantity: the labelled average last is the answer
    ("FY2020: 3.9%, FY2021: 4.0%, FY2022: 4.4%. Average: 4.1%.", "correct"),
    ("FY2020: 3.9%, FY2021: 4.0%, FY2022: 4.4%. Average: 4.4%.", "incorrect"),
    # parentheses that give the parts are not the answer; a more precise restatement or a
    # range around it is
    ("The three-year average is about 3.9% (4.1%, 4.0% and 3.6%).", "incorrect"),
    # ("or" inside the parts is no restatement; one opening them is)
    ("The three-year average is about 3.9% (3.6%, 4.0% or 4.1%).", "incorrect"),
    ("The three-year average is about 4% (4.1%).", "correct"),
    ("The three-year average is between 4.0% and 4.2% (4.1%).", "correct"),
    ("The three-year average is 0.041 (that is, 4.1%).", "correct"),
])
def test_the_figure_an_answer_gives_is_not_one_of_its_parts(answer: str, expected: str) -> None:
    assert verdict(Q_AVERAGE, "4.1%", answer) == expected


Q_COGS = "What is Coca Cola's FY2021 COGS % margin?"
WORKING = ("COGS was $15,357 million and net revenue $38,655 million: 15,357 / 38,655 = 39.7%. "
           "Using gross revenue of $38,333 million instead:\n\n")


@pytest.mark.parametrize("ending", [
    "We get {}.", "That gives us {}.", "That works out to about {}.", "Which leaves us with {}.",
    "Final figure: {}.", "**{}**",
])
@pytest.mark.parametrize(("figure", "expected"), [("40.06%", "incorrect"), ("39.7%", "correct")])
def test_what_the_working_comes_to_is_the_answer(ending: str, figure: str, expected: str) -> None:
    # the opening equation's 39.7% is the working's first step; the last line is the result
    assert verdict(Q_COGS, "39.7%", WORKING + ending.format(figure)) == expected


@pytest.mark.parametrize(("question", "gold", "answer"), [
    ("What is Coca Cola's FY2021 COGS % margin?", "39.7%",
     "Coca Cola's FY2021 gross margin was 39.7%."),
    ("What is Adobe's FY2022 net profit margin?", "27.0%",
     "Adobe's FY2022 operating margin was 27.0%."),
    ("What is Verizon's FY2022 quick ratio?", "0.54", "Verizon's FY2022 current ratio was 0.54."),
    ("What is Verizon's FY2022 quick ratio?", "0.54",
     "Current ratio = current assets / current liabilities = 0.54"),
    ("What is 3M's FY2018 net PP&E in USD billions?", "8.7",
     "3M's FY2018 gross PP&E was $8.7 billion."),
    ("What is Adobe's FY2022 revenue growth?", "11.5%",
     "Adobe's FY2022 operating income growth was 11.5%."),
    ("What is Adobe's FY2022 free cash flow in USD millions?", "$7,396",
     "Adobe's FY2022 operating cash flow was $7,396 million."),
    ("What is Adobe's FY2022 effective tax rate?", "21.0%",
     "Adobe's FY2022 statutory tax rate was 21.0%."),
    ("What is Adobe's FY2022 diluted EPS?", "$10.10", "Adobe's FY2022 basic EPS was $10.10."),
])
def test_the_gold_figure_for_another_metric_of_the_family_is_incorrect(
        question: str, gold: str, answer: str) -> None:
    # the names share words ("margin", "ratio", "PP&E"), but one qualifier tells them apart
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict == "incorrect"
    assert "where the question asks the" in judgement.reason


@pytest.mark.parametrize(("question", "gold", "answer"), [
    ("What is Adobe's FY2022 operating cash flow in USD millions?", "$7,838",
     "Net cash provided by operating activities was $7,838 million."),
    ("What is 3M's FY2018 net PP&E in USD billions?", "8.7",
     "Property, plant and equipment, net of accumulated depreciation, was $8.7 billion."),
    ("What is Verizon's FY2022 quick ratio?", "0.54",
     "(Cash + receivables) / current liabilities = 0.54"),
    ("What is Verizon's FY2022 quick ratio?", "0.54", "Verizon's FY2022 acid-test ratio was 0.54."),
    ("What is Adobe's FY2022 gross margin?", "87.7%",
     "(Revenue - cost of revenue) / revenue = 87.7%"),
    ("What is Adobe's FY2022 gross margin?", "87.7%",
     "Gross margin = (revenue - cost of revenue) / revenue = 87.7%"),
    ("What is Adobe's FY2022 net profit margin?", "27.0%",
     "Net income / revenue = 4,756 / 17,606 = 27.0%"),
    ("What is Adobe's FY2022 diluted EPS?", "$10.10",
     "Diluted earnings per share were $10.10 (basic: $10.13)."),
    ("What is Adobe's FY2022 effective tax rate?", "15.5%",
     "The effective rate was 15.5%, below the 21% federal statutory rate."),
    ("What is Adobe's FY2022 free cash flow in USD millions?", "$7,396",
     "Free cash flow = operating cash flow of $7,838 million - capex of $442 million = $7,396 "
     "million."),
    # a question naming two members asks for neither alone
    ("What is American Water Works's FY2021 unadjusted operating income + depreciation and "
     "amortization (unadjusted EBITDA) in USD millions?", "1832",
     "Unadjusted EBITDA was $1,832 million."),
])
def test_the_question_s_own_metric_in_other_words_or_with_its_inputs_is_correct(
        question: str, gold: str, answer: str) -> None:
    assert verdict(question, gold, answer) == "correct"


QUICK_WORKING = ("Verizon's quick assets (cash of $2.6 billion and receivables of $24.5 billion) "
                 "cover $50.2 billion of current liabilities, a quick ratio of about 0.54. Telecom "
                 "companies often run low quick ratios because of steady subscription cash "
                 "flows. ")


@pytest.mark.parametrize(("conclusion", "expected"), [
    # a conclusion on the predicate that names the subject in few of the question's words
    ("Overall, I would characterize Verizon's liquidity as reasonably healthy for its "
     "industry.", "incorrect"),
    ("Despite the low ratio, I'd still call its liquidity healthy.", "incorrect"),
    ("My verdict: healthy.", "incorrect"),
    ("My verdict: not healthy.", "correct"),
    ("In conclusion, while Verizon generates strong cash flow, it would be fair to say that its "
     "liquidity is not particularly strong.", "correct"),
])
def test_a_late_conclusion_on_the_predicate_is_the_stance(conclusion: str, expected: str) -> None:
    # the gold's figure in the working does not outweigh where the answer comes down
    assert verdict(Q_QUICK, GOLD_QUICK, QUICK_WORKING + conclusion) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    # after the turn from refusal language the claim names the figure
    ("I don't have the exact figure, but it is approximately $442 million.", "correct"),
    # the line item is the metric under another name
    ("Without the full cash flow statement I can't be certain, but the excerpt shows purchases "
     "of property and equipment of $442 million.", "correct"),
    ("It's not broken out separately in the segment note, but the consolidated cash flow "
     "statement shows $442 million of purchases of property and equipment.", "correct"),
    ("I can't verify this against the full 10-K, but the cash flow statement excerpt lists $348 "
     "million of capital expenditures.", "incorrect"),
])
def test_a_figure_after_a_caveat_is_about_the_question(answer: str, expected: str) -> None:
    assert verdict(Q_CAPEX, "$442.00", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Looking at the cash flow statement, purchases of property and equipment were $442 "
     "million in FY2022 and $348 million in FY2021... wait, I had those reversed. FY2022 capex "
     "was $348 million.", "incorrect"),
    ("Looking at the cash flow statement, purchases of property and equipment were $348 "
     "million in FY2022 and $442 million in FY2021... wait, I had those reversed. FY2022 capex "
     "was $442 million.", "correct"),
])
def test_what_the_writer_takes_back_is_not_the_answer(answer: str, expected: str) -> None:
    assert verdict(Q_CAPEX, "$442.00", answer) == expected


Q_SEGMENT = "Which of Kestrel's segments had the highest operating margin in FY2022?"
GOLD_SEGMENT = "The Health Care segment had the highest operating margin, at 24.1%."


@pytest.mark.parametrize(("answer", "expected"), [
    ("Health Care (24.1%) led Industrial (21.0%) and Consumer (19.5%).", "correct"),
    ("Industrial (24.1%) led Health Care (21.0%) and Consumer (19.5%).", "incorrect"),
    ("Segment operating margins: Industrial 21.0%, Consumer 19.5%, Health Care 24.1%. Health "
     "Care is highest.", "correct"),
    ("Segment operating margins: Industrial 21.0%, Consumer 19.5%, Health Care 24.1%. "
     "Industrial is highest.", "incorrect"),
])
def test_the_statement_that_ranks_one_by_name_picks_it(answer: str, expected: str) -> None:
    # the gold's figure in a list of every segment's is not a pick
    assert verdict(Q_SEGMENT, GOLD_SEGMENT, answer) == expected


def test_a_pick_after_a_list_of_every_region_is_the_answer() -> None:
    answer = ("Revenue growth by region: Americas 16%, EMEA 9%, Asia Pacific 14%. {} grew the "
              "fastest.")
    assert verdict(Q_REGION, "Asia Pacific", answer.format("The Americas")) == "incorrect"
    assert verdict(Q_REGION, "Asia Pacific", answer.format("Asia Pacific")) == "correct"


@pytest.mark.parametrize(("answer", "expected"), [
    ("Operating activities ($3,565 million).", "correct"),
    ("Cash from operations was the largest source at $3,565 million; investing used $1,200 "
     "million and financing used $900 million.", "correct"),
    # the gold's amount given for another option
    ("Financing activities brought in the most cash; operating activities provided $3,565 "
     "million.", "incorrect"),
    ("Investing was the largest inflow at $3,565 million.", "incorrect"),
])
def test_the_gold_amount_for_another_option_is_incorrect(answer: str, expected: str) -> None:
    question = ("Among operating, investing, and financing activities, which brought in the most "
                "cash for Kestrel in FY2022?")
    gold = "Operating activities brought in the most cash, $3,565 million."
    assert verdict(question, gold, answer) == expected


def test_parentheses_that_restate_the_figure_in_other_units_are_the_figure() -> None:
    # the note "(in USD millions" lends the first figure a scale it does not have; the
    # parentheses say they restate it
    question = "What is Netflix's year end FY2017 total current liabilities (in USD millions)?"
    answer = ("Netflix's year end FY2017 total current liabilities are $5,466,312,000 (in USD "
              "millions, this would be $5.466 billion).")
    assert verdict(question, "5466", answer) == "correct"


@pytest.mark.parametrize(("answer", "expected"), [
    ("Kestrel suspended its dividend in FY2022.", "incorrect"),
    ("Kestrel discontinued its dividend in FY2022.", "incorrect"),
    ("Kestrel returned $1.2 billion to shareholders through dividends in FY2022.", "correct"),
])
def test_stopping_what_the_question_asks_about_says_no(answer: str, expected: str) -> None:
    gold = "Yes, Kestrel paid $1.2 billion in dividends in FY2022."
    assert verdict("Did Kestrel pay dividends in FY2022?", gold, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Operating margin FY2022: 34.6%\n\n**Final Answer**\n\n36.8%", "incorrect"),
    ("Operating margin FY2022: 36.8%\n\n**Final Answer**\n\n34.6%", "correct"),
    # the gold's figure read off another year's row
    ("| Year | Operating margin |\n|---|---|\n| FY2022 | 36.8% |\n| FY2021 | 34.6% |",
     "incorrect"),
    ("| Year | Operating margin |\n|---|---|\n| FY2022 | 34.6% |\n| FY2021 | 36.8% |",
     "correct"),
])
def test_a_label_line_and_a_table_row_say_which_figure_is_the_answer(answer: str,
                                                                    expected: str) -> None:
    assert verdict(Q_MARGIN, "34.6%", answer) == expected


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    ("What is Adobe's FY2022 adjusted (non-GAAP) EPS?", "$13.20",
     "Adobe's FY2022 GAAP EPS was $13.20.", "incorrect"),
    ("What is Adobe's FY2022 adjusted (non-GAAP) EPS?", "$13.20",
     "Adobe's FY2022 non-GAAP EPS was $13.20.", "correct"),
    ("What is American Water Works's FY2021 unadjusted EBITDA in USD millions?", "1832",
     "Adjusted EBITDA was $1,832 million.", "incorrect"),
    ("What is American Water Works's FY2021 unadjusted EBITDA in USD millions?", "1832",
     "EBITDA was $1,832 million.", "correct"),
    ("What is Kestrel's FY2022 organic revenue growth?", "4.1%",
     "Kestrel's FY2022 reported revenue growth was 4.1%, or 2.0% organic.", "incorrect"),
    ("What is Kestrel's FY2022 organic revenue growth?", "4.1%",
     "Kestrel reported organic growth of 4.1% in FY2022.", "correct"),
    # another quarter than the one asked
    ("What is 3M's Q2 FY2023 revenue in USD millions?", "$8,325",
     "3M's Q1 FY2023 revenue was $8,325 million.", "incorrect"),
    ("What is 3M's Q2 FY2023 revenue in USD millions?", "$8,325",
     "Revenue was $8,325 million in the second quarter of 2023.", "correct"),
])
def test_adjusted_organic_and_quarterly_figures_are_their_own_metrics(
        question: str, gold: str, answer: str, expected: str) -> None:
    assert verdict(question, gold, answer) == expected


Q_HIGHER = "Is Kestrel's FY2022 operating margin higher than its FY2021 operating margin?"


@pytest.mark.parametrize(("answer", "gold", "expected"), [
    ("It is lower: 16.9% versus 18.4%.", "No, 16.9% in FY2022 against 18.4% in FY2021.",
     "correct"),
    ("It is lower: 16.9% versus 18.4%.", "Yes, 18.4% in FY2022 against 16.9% in FY2021.",
     "incorrect"),
    ("FY2022's margin (18.4%) exceeds FY2021's (16.9%).",
     "No, 16.9% in FY2022 against 18.4% in FY2021.", "incorrect"),
    ("FY2022's margin (16.9%) trails FY2021's (18.4%).",
     "No, 16.9% in FY2022 against 18.4% in FY2021.", "correct"),
])
def test_a_comparison_answers_a_comparative_question(answer: str, gold: str,
                                                     expected: str) -> None:
    assert verdict(Q_HIGHER, gold, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Kestrel lost $320 million in FY2022.", "correct"),
    ("It was in the red: net loss of $320 million.", "correct"),
    ("It was in the black, with net income of $320 million.", "incorrect"),
    ("Kestrel was profitable, earning $320 million in FY2022.", "incorrect"),
])
def test_a_loss_says_not_profitable(answer: str, expected: str) -> None:
    gold = "No, Kestrel had a net loss of $320 million in FY2022."
    assert verdict("Was Kestrel profitable in FY2022?", gold, answer) == expected


Q_COUNT = "How many reportable segments does Kestrel have?"


@pytest.mark.parametrize(("answer", "expected"), [
    ("3", "correct"),
    ("Three: Industrial, Consumer and Health Care.", "correct"),
    ("Kestrel reports its results in 3 segments.", "correct"),
    ("Kestrel has 4 reportable segments.", "incorrect"),
    ("Four: Industrial, Consumer, Health Care and Safety.", "incorrect"),
])
def test_a_count_in_words_or_digits_answers_how_many(answer: str, expected: str) -> None:
    judgement = judge_financial_answer(Q_COUNT, "Kestrel has three reportable segments.", answer)
    assert judgement.verdict == expected
    # a count read from its word is cited as the word
    for cited in judgement.cited:
        assert answer[cited.start:cited.end] == cited.text
        assert cited.text.lower() in ("3", "4", "three", "four")


@pytest.mark.parametrize("label", ["Final answer:", "Conclusion:", "Summary:", "Bottom line:",
                                   "Result:", "Verdict:", "Assessment:", "TL;DR:", "My answer:",
                                   "Our verdict:"])
def test_every_answer_label_concludes(label: str) -> None:
    # the cheap word test in front of the conclusion pattern must let each label through
    assert concludes(f"{label} 34.6%")
    assert not concludes("Operating income was $6,098 million on revenue of $17,606 million.")
