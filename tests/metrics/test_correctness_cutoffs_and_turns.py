"""Knowledge cut-offs, missing results, turned clauses and questions about a change (issue 13,
correctness version 22): made-up answers in the styles of FinanceBench's closed-book
configurations and of other families. The cases marked "fails on 21" were counted by running
them on version 21; the others are controls that hold what version 21 already read."""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer


def verdict(question: str, gold: object, answer: str) -> str:
    return judge_financial_answer(question, gold, answer).verdict


Q_CAPITAL = "Is Kestrel Labs a capital intensive business based on FY 2022 data?"
G_CAPITAL = ("Yes. Kestrel's capital intensity ratio was approximately 2.77, so it can be "
             "considered capital intensive.")
Q_GROWTH = "Are Kestrel Labs' FY2022 financials that of a high growth company?"
G_GROWTH = "No, sales grew by 1.3% in FY2022."
Q_STEADY = ("Are Kestrel Labs' gross margins historically consistent (not fluctuating more than "
            "roughly 2% each year)?")
G_STEADY = ("Yes, the margins have been consistent, with a minor decline of 1.1% between FY2022 "
            "and FY2023.")
Q_MARGIN = "Does Kestrel Labs have an improving operating margin profile as of FY2022?"
G_MARGIN = "No, the operating margin declined from 36.8% in FY2021 to 34.6% in FY2022."


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # a knowledge cut-off before a claim is a hedge on it, not refusal language, and
    # advice to confirm it does not take it back (fails on 21: both read as refusals)
    (Q_CAPITAL, G_CAPITAL, "As of my last update in early 2023, Kestrel Labs is considered a "
     "capital-intensive business, given the network it must build and maintain. To confirm "
     "whether Kestrel remained capital intensive in FY 2022, you would need to review its "
     "most recent Form 10-K.", "correct"),
    (Q_CAPITAL, G_CAPITAL, "As of my last update in early 2023, Kestrel Labs is not considered "
     "a capital-intensive business. To confirm this for FY 2022, you would need to review its "
     "Form 10-K.", "incorrect"),
    # (and under a summary label: "**TL;DR:** As of my last update, ...")
    (Q_CAPITAL, G_CAPITAL, "**TL;DR:** As of my last update in early 2023, Kestrel Labs is "
     "considered a capital-intensive business.\n\nTo confirm whether it remained so in FY "
     "2022, you would need to review its Form 10-K.", "correct"),
    # (control: the same claim without the cut-off)
    (Q_CAPITAL, G_CAPITAL, "Kestrel Labs is considered a capital-intensive business. To confirm "
     "whether it remained so in FY 2022, you would need to review its latest Form 10-K.",
     "correct"),
    # not having the year's results declines, with or without a cut-off before it (the first
    # declined on 21 only by its cut-off; the second fails on 21)
    (Q_GROWTH, G_GROWTH, "As of my last update in early 2023, I do not have the specific "
     "financial results for Kestrel Labs for the full year 2022. To judge whether its "
     "financials are those of a high-growth company, you would look at revenue growth, "
     "earnings growth and guidance.", "refusal"),
    (Q_GROWTH, G_GROWTH, "I do not have the full financial statements for FY2022, and revenue "
     "growth, earnings growth and guidance are what would tell a high-growth company apart.",
     "refusal"),
    # of two clauses on the question's predicate, the one "but" turns to is the claim; "not
    # immune to" fluctuations is to have fluctuated (both fail on 21: the first clause was taken)
    (Q_STEADY, G_STEADY, "Kestrel's gross margins have historically shown some level of "
     "consistency, but they have not been immune to fluctuations beyond the 2% threshold you "
     "mention.", "incorrect"),
    (Q_STEADY, G_STEADY, "Kestrel's gross margins have fluctuated at times, but they have stayed "
     "consistent within about 2% each year.", "correct"),
    # (fails on 21: "not exempt" read as a denial)
    (Q_STEADY, G_STEADY, "Kestrel's gross margins have been consistent, and they were not "
     "exempt from small moves of under a point.", "correct"),
    # beside refusal language, a question about which way a figure went is answered only by
    # a statement that says a way: "strong" is no improvement (21 declined it by its cut-off
    # "As of the last update"; without that reading, "strong" would be read as yes)
    (Q_MARGIN, G_MARGIN, "As an AI, I don't have real-time data access. As of the last update, "
     "Kestrel Labs has been showing a strong operating margin profile. For the most accurate "
     "information, please refer to its latest financial reports.", "refusal"),
    (Q_MARGIN, G_MARGIN, "I don't have real-time data access, but Kestrel Labs' operating margin "
     "has been improving over the last two years. For the most accurate information, refer to "
     "its latest reports.", "incorrect"),
])
def test_cutoffs_turns_and_ways(question: str, gold: str, answer: str, expected: str) -> None:
    assert verdict(question, gold, answer) == expected


Q_CAPEX = ("What is the FY2018 capital expenditure amount (in USD millions) for Kestrel Labs? "
           "Give a response by relying on the cash flow statement.")


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # a key-value or YAML answer's "true" and "false" under the question's words say yes and
    # no (the first fails on 21: its supporting figures were matched instead)
    (Q_MARGIN, G_MARGIN, "improving: true\noperating_margin_fy2022: 34.6%\n"
     "operating_margin_fy2021: 32.9%", "incorrect"),
    (Q_MARGIN, G_MARGIN, "improving: false\noperating_margin_fy2022: 34.6%\n"
     "operating_margin_fy2021: 36.8%", "correct"),
    # (control: yes and no were read there already)
    (Q_MARGIN, G_MARGIN, "improving_operating_margin: no\nfy2021_operating_margin: 36.8%\n"
     "fy2022_operating_margin: 34.6%", "correct"),
    # shorthand that declines: "n/a" with a note after it, a note that it is not in the
    # source (fails on 21: "states no figure", incorrect)
    (Q_CAPEX, "$1577.00", "Capex FY18: n/a (not in excerpt). No estimate given.", "refusal"),
    (Q_CAPEX, "$1577.00", "FY18 capex (not in the 10-K extract); FY17 PP&E purchases were "
     "$1,373M for reference.", "refusal"),
    # (controls: a figure in shorthand is an answer)
    (Q_CAPEX, "$1577.00", "Capex FY18 \u2014 $1,577M (PP&E purchases).", "correct"),
    (Q_CAPEX, "$1577.00", "Capex FY18: $1.58bn, up 15% y/y from $1.37bn.", "correct"),
])
def test_key_values_and_shorthand(question: str, gold: str, answer: str, expected: str) -> None:
    assert verdict(question, gold, answer) == expected


Q_QUICK = "Is Kestrel Labs' liquidity healthy based on its FY2022 quick ratio?"
G_QUICK = "No. The quick ratio was approximately 0.54, which is not a healthy liquidity profile."


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # an answer in tags: the answer section is a labelled answer, the other sections its
    # working (the first fails on 21, where the tags hid the no; the second was incorrect
    # there for want of the gold's words, see the reason test below)
    (Q_QUICK, G_QUICK, "<answer>No</answer>\n<reasoning>Quick ratio = (cash + receivables) / "
     "current liabilities = 0.54, below 1.</reasoning>", "correct"),
    (Q_QUICK, G_QUICK, "<analysis>Quick ratio = 0.54, well under 1.</analysis>\n"
     "<answer>Yes, healthy</answer>", "incorrect"),
    (Q_CAPEX, "$1577.00", "<analysis>\nPurchases of PP&E: 2018 1,577; 2017 1,373. Proceeds from "
     "sales 262.\nNet capex = 1,577 - 262 = 1,315.\n</analysis>\n<answer>$1,315 million</answer>",
     "incorrect"),
    (Q_CAPEX, "$1577.00", "<answer>$1,373 million</answer>\n<explanation>Purchases of PP&E were "
     "$1,577M in 2018 and $1,373M in 2017.</explanation>", "incorrect"),
    (Q_CAPEX, "$1577.00", "<analysis>\nPurchases of PP&E: 2018 1,577; 2017 1,373.\n</analysis>\n"
     "<answer>$1,577 million</answer>", "correct"),
    # an empty answer section answers nothing (fails on 21: "states no figure")
    (Q_CAPEX, "$1577.00", "<answer></answer>", "refusal"),
    (Q_CAPEX, "$1577.00", "<answer>Cannot be determined from the provided excerpt.</answer>",
     "refusal"),
    # (controls: a comparison sign is no tag; a source in tags is no answer)
    (Q_QUICK, G_QUICK, "Quick ratio 0.54 < 1.0, so liquidity is not healthy.", "correct"),
    (Q_CAPEX, "$1577.00", "Capex for FY2018 was $1,577 million. <source>Cash flow statement, "
     "p. 48</source>", "correct"),
])
def test_tagged_sections(question: str, gold: str, answer: str, expected: str) -> None:
    assert verdict(question, gold, answer) == expected


def test_tagged_answer_reason_names_the_stance() -> None:
    judged = judge_financial_answer(Q_QUICK, G_QUICK, "<analysis>Quick ratio = 0.54, well under "
                                    "1.</analysis>\n<answer>Yes, healthy</answer>")
    assert judged.verdict == "incorrect"
    assert judged.reason.startswith("answers yes"), judged.reason


@pytest.mark.parametrize(("answer", "expected"), [
    # the writer's pick among the figures it offered is its answer, whatever words name the
    # pick (the first fails on 21: "the gross figure" was read as another quantity)
    ("Candidates: $1,315M (net of disposals) or $1,577M (gross PP&E purchases). I'll go with "
     "the gross figure, $1,577M.", "correct"),
    ("Candidates: $1,577M (gross PP&E purchases) or $1,315M (net of disposals). I'll go with "
     "the net figure, $1,315M.", "incorrect"),
    ("Net of disposals it is $1,315M; gross it is $1,577M. So I'd stick with $1,577M.",
     "correct"),
])
def test_the_pick_among_figures_offered(answer: str, expected: str) -> None:
    assert verdict(Q_CAPEX, "$1577.00", answer) == expected
