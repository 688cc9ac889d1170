"""The offline grader on answer styles it was not written for: long answers that show their
working, hedge, answer another question, or paste a table (issue 13). Each test uses short
made-up answers in the style of the failure it guards against."""

from __future__ import annotations

import re

import pytest

from agility.metrics import MetricInput, figures_match, get_metric, judge_financial_answer
from agility.metrics._numbers import parse_financial_numbers

Q_COGS = "What is Coca Cola's FY2021 COGS % margin? Calculate it from the income statement."
Q_QUICK = ("Does Verizon have a reasonably healthy liquidity profile based on its quick ratio for "
           "FY 2022? If the quick ratio is not relevant to measure liquidity, please state that.")
GOLD_QUICK = ("No. The quick ratio was approximately 0.54 for Verizon. It indicated that Verizon "
              "does not have a healthy liquidity profile.")


def judged(question: str, gold: object, answer: str) -> tuple[str, str]:
    judgement = judge_financial_answer(question, gold, answer)
    assert_reason_is_true(answer, judgement.reason, judgement.cited)
    return judgement.verdict, judgement.reason


def assert_reason_is_true(answer: str, reason: str, cited: tuple = ()) -> None:
    """Every figure a reason quotes from the answer is in the answer, where it says."""
    for quoted, start, end in re.findall(r'"([^"]+)" \(characters (\d+)-(\d+)\)', reason):
        assert answer[int(start):int(end)] == quoted, (quoted, start, end)
    for c in cited:
        assert answer[c.start:c.end] == c.text


def test_a_figure_in_the_working_is_not_the_answer() -> None:
    working = ("To calculate the COGS margin we divide COGS of $15,357 million by revenue of "
               "$38,655 million: 15,357 / 38,655 = 0.397.\n\nRounding, and expressing it as a "
               "percentage, the COGS % margin is approximately 40.06%.")
    verdict, reason = judged(Q_COGS, 0.397, working)
    assert verdict == "incorrect"
    assert '"40.06%"' in reason and "the gold is 0.397" in reason
    concluded = working.replace("40.06%", "39.7%")
    assert judged(Q_COGS, 0.397, concluded)[0] == "correct"


def test_the_gold_precision_decides_how_close_is_close_enough() -> None:
    (gold,) = parse_financial_numbers(0.397)
    (close,), (off,) = parse_financial_numbers("39.7%"), parse_financial_numbers("40.06%")
    assert figures_match(close, gold) and not figures_match(off, gold)
    (billions,) = parse_financial_numbers("$30.1 billion")
    (rounded,) = parse_financial_numbers("$30B")
    assert figures_match(rounded, billions)
    question = "What was total revenue in FY2022?"
    assert judged(question, "$30.1 billion", "Total revenue was $30B in FY2022.")[0] == "correct"
    assert judged(question, "$30.1 billion", "Total revenue was $31.4B in FY2022.")[0] \
        == "incorrect"


def test_a_rounding_path_difference_in_a_computed_ratio_is_the_same_answer() -> None:
    question = "What is FY2018 days payable outstanding (DPO) for the retailer?"
    assert judged(question, 42.69, "Therefore, the DPO is approximately 42.67 days.")[0] \
        == "correct"
    assert judged(question, 42.69, "Therefore, the DPO is approximately 42.57 days.")[0] \
        == "incorrect"


def test_the_gold_figure_about_another_metric_is_not_an_answer() -> None:
    answer = ("The pension obligation funding ratio was 0.397 in FY2021, up from 0.35 a year "
              "earlier.")
    verdict, reason = judged(Q_COGS, 0.397, answer)
    assert verdict == "incorrect" and "not about the quantity asked" in reason


def test_an_answer_about_another_period_is_incorrect_even_when_its_yes_agrees() -> None:
    question = "Was there any drop in cash and cash equivalents between FY2023 and Q2 of FY2024?"
    gold = "Yes, there was a decline of about 42% between FY2023 and Q2 of FY2024."
    answer = ("Yes, there was a drop. The statement shows $17.1 billion of cash at the end of "
              "fiscal 2021 against $11.2 billion at the end of fiscal 2020.")
    verdict, reason = judged(question, gold, answer)
    assert verdict == "incorrect" and "2020, 2021" in reason


def test_yes_no_polarity_counts_when_only_implied() -> None:
    assert judged(Q_QUICK, GOLD_QUICK, "Verizon has a reasonably healthy liquidity profile, "
                                       "with a comfortable quick ratio.")[0] == "incorrect"
    assert judged(Q_QUICK, GOLD_QUICK, "Based on the balance sheet, Verizon does not have a "
                                       "healthy liquidity profile: its quick ratio is about "
                                       "0.54.")[0] == "correct"
    consistent = "Are the company's gross margins historically consistent?"
    assert judged(consistent, "Yes, margins have been consistent.",
                  "The company's gross margins have fluctuated widely over the years.")[0] \
        == "incorrect"


def test_another_value_for_the_gold_quantity_contradicts_an_agreeing_yes() -> None:
    question = "Does the chipmaker have a reasonably healthy liquidity profile based on its quick ratio?"
    gold = "Yes. The quick ratio is 1.57."
    verdict, reason = judged(question, gold, "Yes. Its quick ratio was 1.35, which indicates a "
                                             "healthy liquidity profile.")
    assert verdict == "incorrect" and '"1.35"' in reason


def test_a_hedge_inside_an_answer_is_not_a_refusal() -> None:
    question = "What is the FY2018 capital expenditure amount (in USD millions) for the company?"
    hedged = ("The filing does not state the capital expenditure directly. However, from the "
              "cash flow statement, purchases of property, plant and equipment were $1,577 "
              "million, so the FY2018 capital expenditure is $1,577 million.")
    assert judged(question, 1577, hedged)[0] == "correct"
    wrong = hedged.replace("so the FY2018 capital expenditure is $1,577 million",
                           "so the FY2018 capital expenditure is $915 million")
    assert judged(question, 1577, wrong)[0] == "incorrect"
    declined = ("The provided context does not contain the cash flow statement, so I cannot "
                "determine the capital expenditure.")
    assert judged(question, 1577, declined)[0] == "refusal"


def test_a_made_up_illustration_in_a_refusal_commits_to_nothing() -> None:
    question = "What is the FY2017 return on assets (ROA) for the company? Round to two decimals."
    answer = ("I don't have access to the company's financial statements. For example, if net "
              "income were $1,000,000 and average total assets $5,500,000, ROA = $1,000,000 / "
              "$5,500,000 = 0.18 or 18.18%.\n\nSo the ROA would be 18.18%. Please provide the "
              "actual figures.")
    assert judged(question, 0.18, answer)[0] == "refusal"


def test_table_fragments_are_not_an_answer() -> None:
    question = "Which region had the highest sales growth in FY2022?"
    fragment = ("United States $ 1,204 $ 1,145\nDeveloped Rest of the World 845 790\n"
                "Emerging Markets 402 380")
    verdict, reason = judged(question, "Developed Rest of the World", fragment)
    assert verdict == "incorrect" and "no statement" in reason
    assert judged(question, "Developed Rest of the World",
                  "Developed Rest of the World had the highest growth.")[0] == "correct"


def test_the_chosen_option_must_be_the_gold_option() -> None:
    question = ("Among operations, investing, and financing activities, which brought in the "
                "most cash flow for the retailer in FY2023?")
    gold = "Operations brought in the most cash flow in FY2023."
    assert judged(question, gold, "Investing activities brought in the most cash flow in "
                                  "FY2023, compared with operations and financing.")[0] \
        == "incorrect"
    assert judged(question, gold, "Operating activities brought in the most cash flow, "
                                  "$5,841 million.")[0] == "correct"


def test_a_gold_change_is_met_by_its_size_or_by_its_two_levels() -> None:
    question = "How much has the effective tax rate changed between FY2021 and FY2022?"
    gold = "The effective tax rate dropped from 24.6% in FY2021 to 21.6% in FY2022."
    assert judged(question, gold, "Therefore, the effective tax rate decreased by 3.0 "
                                  "percentage points.")[0] == "correct"
    assert judged(question, gold, "Therefore, the effective tax rate decreased by 2.7 "
                                  "percentage points.")[0] == "incorrect"


@pytest.mark.parametrize("answer", [
    "  The margin was 39.7% in FY2021.",
    "\n\nSo the answer is $1.577 billion.",
    "x" * 30_000 + " Therefore, capex was $1,577 million.",
])
def test_reasons_name_figures_at_their_place_in_the_answer_as_given(answer: str) -> None:
    for gold in (0.397, 1577, "$1,577 million"):
        judgement = judge_financial_answer("What was the figure?", gold, answer)
        assert_reason_is_true(answer, judgement.reason, judgement.cited)


def test_the_metric_carries_the_cited_figures_with_their_offsets() -> None:
    answer = "Working: 15,357 / 38,655 = 0.397. Therefore, the COGS margin is 40.06%."
    result = get_metric("correctness").score(MetricInput(
        example_id="1", question=Q_COGS, ground_truth="0.397", output=answer))
    assert result.verdict == "incorrect"
    (cited,) = result.raw["cited"]
    assert answer[cited["start"]:cited["end"]] == cited["text"] == "40.06%"


@pytest.mark.financebench
def test_every_reason_on_financebench_names_figures_where_the_answer_has_them(
        financebench_dir) -> None:
    import json

    checked = 0
    for path in sorted((financebench_dir / "results").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            answer = str(row["model_answer"])
            judgement = judge_financial_answer(row["question"], row["gold_answer"], answer)
            assert_reason_is_true(answer, judgement.reason, judgement.cited)
            checked += len(judgement.cited)
    assert checked > 500  # the reasons do cite the answers' figures


def test_of_figures_given_for_several_years_the_asked_year_is_the_answer() -> None:
    question = "What is the FY2018 capital expenditure amount (in USD millions) for the company?"
    assert judged(question, 1577, "Capex was $1,577 million in 2017 and $1,600 million in "
                                  "2018.")[0] == "incorrect"
    assert judged(question, 1577, "FY2017: $1,600 million; FY2018: $1,577 million.")[0] \
        == "correct"


Q_DRIVERS = "What drove operating margin change as of FY2022 for the company?"
GOLD_DRIVERS = ("The decrease in operating income was primarily driven by amortization of "
                "intangible assets associated with the Xilinx acquisition.")


def test_an_announced_inference_after_not_stated_is_an_answer_not_a_refusal() -> None:
    # regression (v4): "not explicitly stated. However, we can infer ..." read as a refusal
    lead = ("Based on the notes, the drivers of the operating margin change as of FY2022 are "
            "not explicitly stated. However, we can infer some possible reasons. ")
    off_point = lead + "New desktop processors launched in 2017 likely raised revenue."
    verdict, reason = judged(Q_DRIVERS, GOLD_DRIVERS, off_point)
    assert verdict == "incorrect", reason
    on_point = lead + ("The operating margin change was primarily driven by amortization of "
                       "intangible assets associated with the Xilinx acquisition.")
    assert judged(Q_DRIVERS, GOLD_DRIVERS, on_point)[0] == "correct"
    # without the announced inference it stays a refusal
    assert judged(Q_DRIVERS, GOLD_DRIVERS, lead.split(" However")[0])[0] == "refusal"


def test_a_hedged_stance_on_a_yes_no_question_commits_despite_refusal_language() -> None:
    # regression (v4): "it does not appear that ... consistent, and they do tend to fluctuate"
    # was skipped as a general remark ("tend to"), leaving only the refusal language
    question = ("Are the company's gross margins historically consistent (not fluctuating more "
                "than roughly 2% each year)?")
    answer = ("Based on the information provided, the gross margins vary across products and "
              "channels. Therefore, it does not appear that the company's gross margins are "
              "historically consistent, and they do tend to fluctuate. However, without "
              "additional information on the specific percentage change, it is difficult to "
              "determine the exact extent of this fluctuation.")
    verdict, reason = judged(question, "No. Gross margins moved by more than 2 points a year.",
                             answer)
    assert verdict == "correct" and "statement 2" in reason, reason
    assert judged(question, "Yes. Gross margins stayed within 1 point.", answer)[0] == "incorrect"
    not_relevant = "Since this is a bank, gross margin is not a relevant metric."
    assert judged(question, not_relevant, answer)[0] == "incorrect"


def test_a_concluded_figure_after_not_stated_is_judged_as_a_figure() -> None:
    # regression (v4): "not explicitly stated. Therefore, the answer is 0." was a refusal when
    # the question's wording was not recognised as asking a quantity
    question = ("What is the quantity of restructuring costs directly outlined in the "
                "company's income statements for FY2022? If restructuring costs are not "
                "explicitly outlined then state 0.")
    gold = "Restructuring costs in FY2022 amounted to $411 million."
    zero = ("The quantity of restructuring costs directly outlined in the company's income "
            "statements for FY2022 is not explicitly stated. Therefore, the answer is 0.")
    verdict, reason = judged(question, gold, zero)
    assert verdict == "incorrect" and '"0"' in reason and "$411 million" in reason, reason
    right = zero.replace("Therefore, the answer is 0.",
                         "Therefore, the answer is $411 million.")
    assert judged(question, gold, right)[0] == "correct"
