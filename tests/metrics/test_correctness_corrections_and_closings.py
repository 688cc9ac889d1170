"""Corrections, withdrawals, closings, remarks and notations (issue 13, correctness version
21): made-up answers in the styles of other families, from four development batteries and a
regression hunt. 46 of the 71 cases fail on version 20 (counted by running them there); the
others are controls, and two tests (a runner-up in prose, an answer closing on the metric
not applying) hold readings version 20 already made in these words, as does the question
and answer framing ("Q: ...? A: ..."), now read past for other answers too."""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer
from agility.metrics._markup import unmark


def verdict(question: str, gold: object, answer: str) -> str:
    return judge_financial_answer(question, gold, answer).verdict


Q_CAPEX = ("What is the FY2018 capital expenditure amount (in USD millions) for Kestrel Labs? "
           "Give a response by relying on the cash flow statement.")
Q_GROWTH = ("What is Kestrel Labs' year-over-year change in revenue from FY2016 to FY2017 (in "
            "units of percents and round to one decimal place)?")
Q_TURNOVER = "What is Kestrel Labs' FY2021 inventory turnover ratio? Round to two decimals."


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # a correction inside the statement: what follows it is the answer
    (Q_TURNOVER, "3.46", "Kestrel's FY2021 inventory turnover is 3.46 \u2014 correction, 3.59 "
     "(24,576 / 6,854).", "incorrect"),
    (Q_TURNOVER, "3.46", "Kestrel's FY2021 inventory turnover is 3.59 \u2014 correction, 3.46 "
     "(24,576 / 7,110.5).", "correct"),
    # ... and the statement after "sorry, I used ..." is about the question
    (Q_TURNOVER, "3.46", "Kestrel's FY2021 inventory turnover is 3.59 \u2014 sorry, I used "
     "ending inventory. With average inventory ((6,854 + 7,367) / 2 = 7,110.5), it's "
     "24,576 / 7,110.5 = 3.46.", "correct"),
    # a figure put back in its year by the correction
    (Q_CAPEX, "$1577.00", "Capex was $1,577 million. Actually, I mixed that up \u2014 $1,577 "
     "million is 2017; FY2018 capex was $1,373 million.", "incorrect"),
    (Q_GROWTH, "30.8%", "Revenue grew 27.1%. Actually, 27.1% was FY2016's growth rate; from "
     "FY2016 to FY2017 revenue grew 30.8%.", "correct"),
    # control: no correction, the figure stands
    (Q_TURNOVER, "3.46", "Kestrel's FY2021 inventory turnover is 3.46 (24,576 / 7,110.5).",
     "correct"),
])
def test_a_correction_inside_a_statement_replaces_what_it_corrects(
        question: str, gold: str, answer: str, expected: str) -> None:
    assert verdict(question, gold, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Kestrel's purchases of property, plant and equipment for FY2018 were $1,577 million. "
     "However, I cannot confirm this from the excerpt I have, so I can't give a figure for "
     "FY2018 capital expenditure with confidence.", "refusal"),
    ("Kestrel's capex for FY2018 was $1,577 million.\n\nActually, on reflection, I can't "
     "verify that number, so I'd rather not provide a figure.", "refusal"),
    ("I'm not able to verify this, and I'd rather not state a figure \u2014 1,577 or otherwise "
     "\u2014 without seeing the statement.", "refusal"),
    # control: a caveat that keeps the figure
    ("Kestrel's capex for FY2018 was $1,577 million. I could not confirm it against the full "
     "10-K, so please double-check the cash flow statement.", "correct"),
])
def test_a_figure_taken_back_is_no_answer(answer: str, expected: str) -> None:
    assert verdict(Q_CAPEX, "$1577.00", answer) == expected


Q_DROVE = ("What drove the decline in Kestrel Labs' operating margin in FY2022? If operating "
           "margin is not a useful metric for a company like this, then state that and "
           "explain why.")
DROVE_GOLD = ("The decrease in operating margin was primarily driven by amortization of "
              "intangible assets associated with the Norda acquisition")


@pytest.mark.parametrize(("answer", "expected"), [
    ("The decline was not driven by amortization of intangible assets associated with the "
     "Norda acquisition; it came from weaker demand for consumer products.", "incorrect"),
    ("It was not the amortization of Norda intangibles that drove the margin down, rather "
     "than weaker demand.", "incorrect"),
    # the cause denied, then the gold's named in the next statement
    ("Operating margin fell sharply in FY2022. The decline was not driven by weaker demand "
     "\u2014 revenue grew 44%. It was primarily driven by amortization of intangible assets "
     "associated with the Norda acquisition.", "correct"),
    ("The decline was primarily driven by amortization of intangible assets associated with "
     "the Norda acquisition.", "correct"),
    # a statement that only says the metric is useful answers the instruction, not the question
    ("| Metric | FY2021 | FY2022 |\n|---|---|---|\n| Operating margin | 22% | 5% |\n\n"
     "**Primary driver:** operating income fell mainly because of amortization of "
     "acquisition-related intangible assets from the Norda acquisition. Operating margin is "
     "still a useful metric for Kestrel.", "correct"),
])
def test_a_cause_denied_is_not_a_cause_named(answer: str, expected: str) -> None:
    assert verdict(Q_DROVE, DROVE_GOLD, answer) == expected


Q_RATE = "How did Kestrel's US sales growth compare to international sales growth in FY2022?"
RATE_GOLD = "US sales increased 3.0% vs international sales decline of 0.6%."


@pytest.mark.parametrize(("answer", "expected"), [
    ("International sales grew 3.0%, while U.S. sales declined 0.6%.", "incorrect"),
    ("U.S. sales grew 3.0%, while international sales grew 0.6%.", "incorrect"),
    ("U.S. sales declined 3.0%, while international sales rose 0.6%.", "incorrect"),
    ("U.S. sales grew 3.0%, while international sales declined 0.6%.", "correct"),
    ("US sales were up 3.0%; international sales came in at (0.6%).", "correct"),
])
def test_compared_figures_keep_their_labels_and_their_ways(answer: str, expected: str) -> None:
    assert verdict(Q_RATE, RATE_GOLD, answer) == expected


Q_MARGIN = ("What is the FY2018 - FY2019 change in unadjusted operating income % margin for "
            "Kestrel? Answer in units of percents and round to one decimal place.")


@pytest.mark.parametrize(("answer", "expected"), [
    ("Kestrel's operating margin fell by 0.2 percentage points, from 4.3% to 4.1%, so the "
     "change is -0.2%.", "incorrect"),
    ("Kestrel's operating margin rose from 4.1% to 4.3%, a change of 0.2%.", "correct"),
])
def test_a_bare_gold_is_positive(answer: str, expected: str) -> None:
    assert verdict(Q_MARGIN, "0.2%", answer) == expected


Q_NOMINEES = ("Were there any board member nominees who had substantially more votes against "
              "joining than the other nominees?")
Q_CUSTOMERS = "Were there any customers that accounted for more than 10% of Kestrel's FY2023 net sales?"


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    (Q_NOMINEES, "Yes, his name is Tobias R. Wendell", "Yes. Marta L. Okafor drew the most "
     "against votes; Tobias R. Wendell was a distant second.", "incorrect"),
    (Q_NOMINEES, "Yes, his name is Tobias R. Wendell", "Yes. Marta Okafor received the most "
     "votes against, followed by Tobias R. Wendell.", "incorrect"),
    (Q_CUSTOMERS, "Yes, Arden Stores Inc., which accounted for 14% of net sales.",
     "Yes. Bellmoor Corporation accounted for about 12% of net sales.", "incorrect"),
    (Q_NOMINEES, "Yes, his name is Tobias R. Wendell", "Yes. Tobias R. Wendell received far "
     "more votes against than the others.", "correct"),
])
def test_a_yes_names_its_pick_not_the_runner_up(question: str, gold: str, answer: str,
                                                expected: str) -> None:
    assert verdict(question, gold, answer) == expected


Q_LARGEST = "Which of Kestrel's liabilities was the largest as of 2022?"


@pytest.mark.parametrize(("answer", "expected"), [
    ("Long-term debt was the largest liability at roughly $42.6 billion, followed by customer "
     "deposits.", "incorrect"),
    ("Customer deposits were the largest liability, followed by long-term debt.", "correct"),
])
def test_a_runner_up_is_not_the_pick(answer: str, expected: str) -> None:
    assert verdict(Q_LARGEST, "Customer deposits", answer) == expected


Q_REGION = ("For Kestrel, which geographic region had the biggest drop in Q2 2023 year over "
            "year revenues (on a percentage basis)?")


@pytest.mark.parametrize(("answer", "expected"), [
    ("The report doesn't spell out the percentages, but from the regional table, Developed "
     "Rest of the World fell the most (about -44%), ahead of the U.S. and Developed Europe.",
     "correct"),
    ("Developed Europe saw the biggest drop (down 56%), followed by Developed Rest of World.",
     "incorrect"),
])
def test_a_name_with_small_words_inside_is_one_name(answer: str, expected: str) -> None:
    assert verdict(Q_REGION, "Developed Rest of the World", answer) == expected


Q_NETFLIX = ("What is the FY2015 unadjusted EBITDA % margin for Kestrel? Calculate unadjusted "
             "EBITDA using unadjusted operating income and D&A (from cash flow statement).")


@pytest.mark.parametrize(("answer", "expected"), [
    # a closing statement set apart in bold concludes, over a "for context, ..., so" remark
    ("EBITDA = 305,826 + 62,283 = 368,109\nMargin = 368,109 / 6,779,511 = 0.05430\n\n"
     "For context, the 2014 equivalent was 8.3%, so margins compressed.\n\n"
     "**Kestrel's FY2015 unadjusted EBITDA margin is approximately 5.4%.**", "correct"),
    ("EBITDA = 305,826 + 62,283 = 368,109\n\nFor context, the 2014 margin was 5.4%.\n\n"
     "**Kestrel's FY2015 unadjusted EBITDA margin is approximately 8.3%.**", "incorrect"),
])
def test_a_closing_statement_in_bold_concludes(answer: str, expected: str) -> None:
    assert verdict(Q_NETFLIX, "5.4%", answer) == expected


Q_ROA = ("What is the FY2017 return on assets (ROA) for Kestrel? Round your answer to two "
         "decimal places.")


Q_DPO = "What is Kestrel's FY2018 DPO? Round to two decimal places."


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    (Q_ROA, "0.01", '{"metric": "ROA", "roa_exact": 0.01425, "roa_rounded_2dp": 0.01, '
     '"comment": "Net income was depressed by a tax charge, so ROA fell sharply from ~7.4% in '
     'FY2016."}', "correct"),
    # (the note's rounder "43 days" is no answer beside the answer's 42.78)
    (Q_DPO, "42.69", '{"dpo_days": 42.78, "note": "Kestrel pays suppliers in roughly 43 days '
     'on average."}', "incorrect"),
])
def test_a_structured_answers_remark_is_no_conclusion(question: str, gold: str, answer: str,
                                                      expected: str) -> None:
    assert verdict(question, gold, answer) == expected


Q_HEALTHY = ("Does Kestrel have a reasonably healthy liquidity profile based on its quick ratio "
             "for FY22? If the quick ratio is not relevant to measure liquidity, please state "
             "that and explain why.")
HEALTHY_GOLD = "Yes. The quick ratio is 1.57, calculated as quick assets / current liabilities."


@pytest.mark.parametrize(("answer", "expected"), [
    ('{"quick_ratio_fy22": 1.57, "healthy_liquidity": false}', "incorrect"),
    ('{"quick_ratio_fy22": 1.57, "healthy_liquidity": true}', "correct"),
    # a bare yes or no after the table that works it out
    ("| FY | Quick ratio |\n|---|---|\n| FY2021 | 1.2 |\n| FY2022 | 1.57 |\n\n**No.** The ratio "
     "is adequate but I would not call it healthy.", "incorrect"),
])
def test_a_yes_or_no_under_a_label_or_alone_is_said(answer: str, expected: str) -> None:
    assert verdict(Q_HEALTHY, HEALTHY_GOLD, answer) == expected


def test_an_answer_closing_on_the_metric_not_applying_takes_no_stance() -> None:
    answer = ("Candidate inputs at June 30, 2023:\n- Cash: $4.3B\n- Receivables: $4.9B\n- "
              "Current liabilities: $9.7B\n\nThat would give roughly 0.96x. However, for a "
              "diversified industrial like Kestrel the quick ratio is not a meaningful measure "
              "of liquidity, so I'd not draw a conclusion from it.")
    gold = "No. The quick ratio for Kestrel was 0.96 by Jun'23 close."
    question = Q_HEALTHY.replace("FY22", "Q2 of FY2023")
    assert verdict(question, gold, answer) == "incorrect"


Q_RESTRUCTURING = ("What is the quantity of restructuring costs directly outlined in Kestrel's "
                   "income statements for FY2022? If restructuring costs are not explicitly "
                   "outlined then state 0.")


@pytest.mark.parametrize(("gold", "expected"), [("0", "correct"), ("$411 million", "incorrect")])
def test_answer_zero_is_a_figure_not_a_list_marker(gold: str, expected: str) -> None:
    answer = ("- Impairments are not restructuring costs, and there is no line labeled "
              "restructuring.\n- **Answer: 0.** Kestrel's FY2022 income statement does not "
              "explicitly outline restructuring costs.")
    assert verdict(Q_RESTRUCTURING, gold, answer) == expected


@pytest.mark.parametrize(("text", "read"), [
    ("roughly $20 billion (\u22482 \u00d7 10^10 USD)", "roughly $20 billion (\u224820 billion USD)"),
    ("\u22489.07 \u00d7 10^9 USD", "\u22489.07 billion USD"),
    ("about 2.4e9 dollars", "about 2.4 billion dollars"),
    ("$1.43 \\times 10^{10}", "$14.3 billion"),
    ("1.6\u00b710\u2079", "1.6 billion"),
    # not a multiplication, not a year
    ("5 x 10 = 50", "5 x 10 = 50"),
])
def test_scientific_notation_reads_as_a_scale_word(text: str, read: str) -> None:
    assert unmark(text)[0] == read


def test_a_figure_in_scientific_notation_is_graded_at_its_precision() -> None:
    question = "What is Kestrel's FY2022 unadjusted EBITDA less capex? Answer in USD millions."
    assert verdict(question, "$9068.00", "EBITDA less capex is \u22489.07 \u00d7 10^9 USD.") == "correct"
    assert verdict(question, "$9068.00", "EBITDA less capex is \u22489.2 \u00d7 10^9 USD.") == "incorrect"


def test_a_display_block_under_a_heading_keeps_its_figure() -> None:
    answer = ("### Step 3: Compute\n\\[\n\\frac{590{,}507}{903{,}095} = 0.65387\n\\]\n\n"
              "### Step 4: Round to one decimal place\n\\[\n\\boxed{65.4\\%}\n\\]\n\n"
              "Operating income grew much faster than revenue (+22.1%).")
    question = ("What is Kestrel's year-over-year change in unadjusted operating income from "
                "FY2015 to FY2016 (in units of percents and round to one decimal place)?")
    assert verdict(question, "65.4%", answer) == "correct"


@pytest.mark.parametrize(("answer", "expected"), [
    # a table's answer row, then a remark on the change
    ("| Item | Value |\n|---|---|\n| Net PP&E (Dec 31, 2018) | $12,645M |\n| Net PP&E (Dec "
     "31, 2017) | $12,672M |\n| Answer | $12,645 million |\n\nNet PP&E was essentially flat "
     "year over year (down $27 million).", "correct"),
    ("Kestrel's net PP&E was $12,645 million at the end of FY2017 and $12,672 million at the "
     "end of FY2018.", "incorrect"),
])
def test_a_table_answer_row_and_a_period_end(answer: str, expected: str) -> None:
    question = "What is Kestrel's year end FY2018 net PP&E (in USD millions)?"
    assert verdict(question, "$12645.00", answer) == expected


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # the question counts the items; one named is short of them
    ("What are three main companies acquired by Kestrel mentioned in this 10K report?",
     "Trillium, Array, and Therachon", "The main acquisition mentioned is Trillium, an "
     "immuno-oncology company acquired in November 2021.", "incorrect"),
    ("What are three main companies acquired by Kestrel mentioned in this 10K report?",
     "Trillium, Array, and Therachon", "The three companies are Trillium, Array and Therachon.",
     "correct"),
    # a name alone before a dash is the pick
    ("Which of Kestrel's business segments had the lowest net revenue in 2021 Q1?",
     "Corporate. Its net revenue was -$473 million.", "Corporate \u2014 it posted the lowest "
     "total net revenue of any Kestrel segment in Q1 2021, at negative $473 million.",
     "correct"),
    # (a label before a dash is no name)
    ("Which of Kestrel's business segments had the lowest net revenue in 2021 Q1?",
     "Corporate. Its net revenue was -$473 million.", "Answer \u2014 Corporate, at negative "
     "$473 million.", "correct"),
    # a count of places is no count of items
    ("What are Kestrel's two largest segments by revenue? Round figures to two decimal "
     "places.", "Consumer and Industrial", "Consumer and Industrial are the largest.",
     "correct"),
    # a statement that counts the kinds picks none; the one after it does
    ("If we exclude the impact of M&A, which segment has dragged down Kestrel's overall "
     "growth in 2022?", "The consumer segment shrunk by 0.9% organically.", "Kestrel's "
     "businesses fall into four segments. Of these, only Consumer saw organic sales fall "
     "(\u22120.9%); the other three grew.", "correct"),
])
def test_counts_and_picks(question: str, gold: str, answer: str, expected: str) -> None:
    assert verdict(question, gold, answer) == expected


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # a knowledge disclaimer before a claim does not take the claim back
    ("What is the FY2016 COGS for Kestrel? Please state answer in USD millions.", "$32780.00",
     "Based on my training data (which may be outdated), Kestrel's FY2016 cost of revenue was "
     "$33,038 million. I'd recommend confirming against the FY2016 10-K.", "incorrect"),
    (Q_NOMINEES, "Yes, his name is Tobias R. Wendell", "I can't confirm this from my training "
     "data with certainty. However, I believe yes \u2014 Tobias R. Wendell received "
     "substantially more votes against than the other nominees.", "correct"),
    # refusal wording of other families
    ("Did Kestrel's wages expense as a percent of net sales increase or decrease in FY2023?",
     "Wages expense as a percent of net sales increased in FY2023.", "**Answer:** The "
     "information provided does not let me determine whether Kestrel's wages expense as a "
     "percent of net sales increased or decreased in FY2023.", "refusal"),
    ("Does Kestrel have positive working capital based on FY2022 data?", "Yes. Kestrel has a "
     "positive working capital of $1.6Bn.", "I'm hesitant to give a firm answer. Without "
     "verified balance-sheet figures, I don't feel able to say whether working capital was "
     "positive or negative, so I'll refrain from giving an answer.", "refusal"),
    ("Are Kestrel's gross margins historically consistent? If gross margins are not a "
     "relevant metric for a company like this, then please state that and explain why.",
     "Since Kestrel is a bank, gross margin is not a relevant metric.", "The information I "
     "have doesn't include multi-year income statement data. I therefore can't determine "
     "whether Kestrel's gross margins have stayed within a 2% band.", "refusal"),
    # what a thing is not named as, and an aside in parentheses, decline nothing
    ("Basing your judgments off of the balance sheet, what is the year end FY2018 amount of "
     "accounts payable for Kestrel? Answer in USD millions.", "$303.00", "Kestrel's accounts "
     "payable at the end of FY2018 was approximately $255 million (construction payable is "
     "shown separately and is not included).", "incorrect"),
])
def test_disclaimers_and_refusal_wording(question: str, gold: str, answer: str,
                                         expected: str) -> None:
    assert verdict(question, gold, answer) == expected


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # an agent's tool output is no statement of its own; its final answer is
    ("Which of Kestrel's business segments had the highest net income in Q2 2022?",
     "Corporate & Investment Bank. Its net income was $3725 million.",
     "Thought: Look up segment net income.\nAction: search_filing[Kestrel 10-Q Q2 2022]\n"
     "Observation: Consumer & Community Banking 3,100 ... Corporate & Investment Bank 3,725\n"
     "Thought: CCB is the largest franchise.\nFinal Answer: Consumer & Community Banking had "
     "the highest net income in Q2 2022, at $3,100 million.", "incorrect"),
    ("Which of Kestrel's business segments had the highest net income in Q2 2022?",
     "Corporate & Investment Bank. Its net income was $3725 million.",
     "Thought: Look up segment net income.\nAction: search_filing[Kestrel 10-Q Q2 2022]\n"
     "Observation: Consumer & Community Banking 3,100 ... Corporate & Investment Bank 3,725\n"
     "Final Answer: Corporate & Investment Bank had the highest net income, at $3,725 "
     "million.", "correct"),
    # a question and its answer: what follows "A:" is the answer, as without the framing
    ("Why did Kestrel raise its FY2023 guidance in Q1?", "Kestrel experienced a strong start "
     "to FY2023.", "Q: Why did Kestrel raise its FY2023 guidance in Q1?\nA: Kestrel raised it "
     "because of its strong start to the year.", "correct"),
    # citations with pages name no figure
    ("What is Kestrel's FY2017 operating cash flow ratio? Round to two decimals.", "0.83",
     "Kestrel generated $2,912.9 million of cash from operations [doc 2, p. 61] against "
     "current liabilities of $3,527.5 million [doc 1, p. 57]. That gives an operating cash "
     "flow ratio of 2,912,853 / 3,527,457 = **0.83** [doc 1, p. 57; doc 2, p. 61].", "correct"),
    # a statement wholly in parentheses is an aside
    ("What is Kestrel's FY2015 D&A margin?", "4.2%", "Kestrel FY15. D&A (CFS): $167M. Net "
     "rev: $3,991M. D&A margin: 4.2%. (FY14 ref: 203/5,506 = 3.7%.)", "correct"),
    # "ETR" is the effective tax rate
    ("How much has the effective tax rate of Kestrel changed between FY2021 and FY2022?",
     "The effective tax rate of Kestrel has changed from 20% in FY2021 to 23% in FY 2022.",
     "Kestrel ETR: FY21 20% -> FY22 23%. \u0394 +3 pts.", "correct"),
    # a small model's contractions without apostrophes
    ("How much did Kestrel pay in cash dividends in FY2020? Answer in USD billions.", "$0.40",
     "i am not able to find the cash dividends paid by kestrel for fy2020. the cash flow "
     "statement i can see shows capital expenditures 1822 but i dont see the dividends line, "
     "so i cant answer how much they paid", "refusal"),
    ("What is Kestrel's FY2016-FY2018 average COGS % of revenue?", "55.1%", "Result: not "
     "computable from the extract \u2014 the FY2016 column didn't come through, and I won't "
     "estimate it.", "refusal"),
    # the subject of a gold that says what it did is its pick
    ("Which region had the highest EBITDAR contribution for Kestrel during FY2022?",
     "Las Vegas resorts contributed ~90% of company level EBITDAR during FY2022.",
     "For FY2022, Regional Operations was the most consistent EBITDAR contributor. Las Vegas "
     "resorts reported $3,142.3 million, but that includes one-time gains, so on an "
     "underlying basis Regional Operations had the highest EBITDAR contribution.",
     "incorrect"),
])
def test_traces_citations_asides_and_small_models(question: str, gold: str, answer: str,
                                                  expected: str) -> None:
    assert verdict(question, gold, answer) == expected
