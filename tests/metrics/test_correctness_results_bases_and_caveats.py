"""Which figure a numeric answer gives as its result (issue 13, correctness version 18):
made-up answers in other families' styles; 15 of the 27 cases fail on version 17, the rest
are controls."""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer


def verdict(question: str, gold: object, answer: str) -> str:
    return judge_financial_answer(question, gold, answer).verdict


Q_GROWTH = ("What is Brask Foods' year-over-year change in revenue from FY2022 to FY2023 (in "
            "units of percents and round to one decimal place)?")


@pytest.mark.parametrize(("answer", "expected"), [
    # a statement that points back gives the working's result, about what it points back to
    ("Based on the information provided, Brask Foods' revenue declined from $9,420 million in "
     "FY2022 to $9,034 million in FY2023. This represents a decline of 4.1% year-over-year.",
     "correct"),
    ("Brask Foods' revenue declined from $9,420 million in FY2022 to $9,034 million in FY2023. "
     "This represents a decline of 5.2% year-over-year.", "incorrect"),
])
def test_a_statement_that_points_back_gives_the_result(answer: str, expected: str) -> None:
    assert verdict(Q_GROWTH, -0.041, answer) == expected


def test_an_aside_after_an_equation_s_result_does_not_undo_it() -> None:
    question = ("What is Oswin Health's year-over-year change in operating income from FY2022 "
                "to FY2023 (in units of percents and round to one decimal place)?")
    answer = ("Operating income rose from **$2,150M** (FY2022) to **$2,580M** (FY2023).\n\n"
              "- Change: $430M\n- Growth: 430 / 2,150 = **20.0%** (i.e., FY2023 operating "
              "income was 1.2x the prior year)")
    assert verdict(question, 0.2, answer) == "correct"


@pytest.mark.parametrize(("answer", "expected"), [
    ("Tarrant Utilities reported earnings per share of $4.08 on a basic basis and $4.01 on a "
     "diluted basis for fiscal year 2023.", "correct"),
    ("Tarrant Utilities reported earnings per share of $4.01 (basic) and $4.08 (diluted).",
     "incorrect"),
])
def test_a_basis_named_after_a_figure_names_it(answer: str, expected: str) -> None:
    question = "What is Tarrant Utilities' FY2023 diluted EPS? Use the income statement."
    assert verdict(question, 4.01, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    # the closing statement restates the working's result, with its direction
    ("Step 1: FY2022 net income = $612 million.\nStep 2: FY2023 net income = $541 million.\n"
     "Step 3: Change = 612 - 541 = 71.\n\nHollis Software's net income increased by $71 "
     "million from FY2022 to FY2023.", "incorrect"),
    ("Step 1: FY2022 net income = $612 million.\nStep 2: FY2023 net income = $541 million.\n"
     "Step 3: Change = 541 - 612 = -71.\n\nHollis Software's net income decreased by $71 "
     "million from FY2022 to FY2023.", "correct"),
])
def test_a_closing_statement_restating_the_result_concludes(answer: str, expected: str) -> None:
    question = "What was the change in Hollis Software's net income from FY2022 to FY2023 (in USD millions)?"
    assert verdict(question, -71, answer) == expected


Q_CAPEX = ("What is the FY2023 capital expenditure amount (in USD millions) for Loxley Retail? "
           "Use the cash flow statement.")


@pytest.mark.parametrize(("answer", "expected"), [
    # a caveat does not take back the claim that closes the answer, whatever its figure
    ("I should note that the cash flow statement excerpt provided appears to be incomplete, so "
     "please verify this against the full filing. Based on the information provided, Loxley "
     "Retail's capital expenditures for FY2023 were $1,450 million.", "incorrect"),
    ("I should note that the cash flow statement excerpt provided appears to be incomplete, so "
     "please verify this against the full filing. Based on the information provided, Loxley "
     "Retail's capital expenditures for FY2023 were $1,045 million.", "correct"),
    # what the source mentions instead, or a remark on what is typical, is no claim
    ("I'm sorry, but the document does not include the cash flow statement, so capex cannot be "
     "determined.\n\n**Note:** Retailers typically spend around $1,000 million a year on "
     "stores.", "refusal"),
])
def test_a_claim_after_a_caveat_commits(answer: str, expected: str) -> None:
    assert verdict(Q_CAPEX, 1045, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Fenwick Insurance reported net income of $64 million for fiscal year 2023.", "incorrect"),
    ("Fenwick Insurance reported a net loss of $64 million for fiscal year 2023.", "correct"),
    ("Fenwick Insurance's FY2023 net income was -$64 million.", "correct"),
])
def test_an_income_below_zero_is_a_loss(answer: str, expected: str) -> None:
    question = "What is Fenwick Insurance's FY2023 net income (in USD millions)?"
    assert verdict(question, -64, answer) == expected


def test_a_benchmark_is_no_figure_the_answer_gives() -> None:
    question = ("Does Carrick Beverages have a reasonably healthy liquidity profile based on its "
                "quick ratio for 2023?")
    gold = "Yes, the quick ratio was 1.42, indicating a healthy liquidity position."
    answer = ("Carrick's quick ratio for 2023 is 1.42. A quick ratio above 1 is generally "
              "considered healthy, so Carrick appears to have a healthy liquidity profile.")
    assert verdict(question, gold, answer) == "correct"
    assert verdict(question, gold, answer.replace("1.42", "0.82").replace(
        "so Carrick appears to have", "so Carrick does not have")) == "incorrect"


@pytest.mark.parametrize(("answer", "expected"), [
    ("Final answer: DSO is 61.2 days and DPO is 44.7 days.", "incorrect"),
    ("Final answer: DSO is 44.7 days and DPO is 61.2 days.", "correct"),
    ("| Metric | Days |\n|---|---|\n| DSO | 44.7 |\n| DPO | 61.2 |", "correct"),
])
def test_figures_the_gold_labels_keep_their_labels(answer: str, expected: str) -> None:
    question = "What were Calloway Health's FY2023 DSO and DPO (in days, one decimal place)?"
    assert verdict(question, "DSO: 44.7 days; DPO: 61.2 days", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    # a clause opened by "since" concedes; what follows it is the claim
    ("Since the income tax footnote isn't included, please treat this as an estimate derived "
     "from the income statement: income tax expense of $312 million on pretax income of "
     "$1,300 million gives an effective tax rate of **24.0%**.", "correct"),
    ("Since the income tax footnote isn't included, the effective tax rate cannot be "
     "determined from the excerpt.", "refusal"),
])
def test_a_since_clause_concedes_before_the_claim(answer: str, expected: str) -> None:
    question = ("What was Merrow Hotels' FY2023 effective tax rate? Answer in units of percents "
                "and round to one decimal place.")
    assert verdict(question, 0.24, answer) == expected


def test_a_threshold_a_ratio_is_compared_with_is_no_answer() -> None:
    question = "What was Moorfield Insurance's FY2023 combined ratio?"
    answer = ("Combined ratio = 63.9% + 30.6% = 94.5%\n\nA combined ratio below 100% indicates an "
              "underwriting profit, so Moorfield was profitable on an underwriting basis.")
    assert verdict(question, "94.5%", answer) == "correct"


@pytest.mark.parametrize(("answer", "expected"), [
    # what a statement says it is computed from is its inputs
    ("Ettrick Media's free cash flow in 2023 was $812 million, calculated as cash from "
     "operating activities of $1,101 million less capital expenditures of $289 million.",
     "correct"),
    ("Ettrick Media's free cash flow in 2023 was $1,101 million, calculated as cash from "
     "operating activities less capital expenditures of $289 million.", "incorrect"),
])
def test_the_inputs_a_statement_names_are_not_its_result(answer: str, expected: str) -> None:
    question = ("What was Ettrick Media's FY2023 free cash flow (cash from operations minus "
                "capital expenditures), in USD millions?")
    assert verdict(question, 812, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("According to the consolidated statements of operations, Nethy Biosciences' operating "
     "income for FY2023 was $412 million, reflecting higher collaboration revenue.",
     "incorrect"),
    ("Nethy Biosciences reported an operating loss of $412 million for FY2023.", "correct"),
])
def test_an_income_worded_as_a_loss_in_the_gold(answer: str, expected: str) -> None:
    question = "What was Nethy Biosciences' operating income in FY2023, in USD millions?"
    assert verdict(question, "Operating loss of $(412) million", answer) == expected


@pytest.mark.parametrize("answer", [
    "The model cannot find sufficient information to answer the question.",
    "The documents provided do not explain the reasons for the decline in comparable store "
    "sales.",
])
def test_refusals_in_other_words(answer: str) -> None:
    question = "What drove Ulverston Retail's decline in comparable store sales in FY2023?"
    gold = "Lower store traffic, partially offset by a higher average ticket."
    assert verdict(question, gold, answer) == "refusal"


def test_figures_named_respectively_keep_their_order() -> None:
    question = "What were Corvel Distribution's DSO and DPO for FY2023?"
    answer = "DSO and DPO were 38.5 and 52.1 days, respectively."
    assert verdict(question, "DSO: 38.5 days; DPO: 52.1 days", answer) == "correct"
