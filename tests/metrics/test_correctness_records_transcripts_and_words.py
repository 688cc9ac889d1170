"""Records, memos, transcripts, code, parts and figures in words (issue 13, correctness
version 22): made-up answers in the styles of three development batteries written for this
version (a pipeline's key=value record, an email memo, an analyst's desk note, LaTeX boxes,
footnotes, a voice assistant, a chat transcript, Python and spreadsheet working, ranges,
answers split into parts, struck-through drafts, a tutor, a FAQ, a "Final:" line, answers of
a word or two). 39 of the 55 cases fail on version 21 (counted by running them there, each
comment says which); the others are controls."""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer
from agility.metrics._markup import unmark
from agility.metrics._number_words import number_word_spans


def verdict(question: str, gold: object, answer: str) -> str:
    return judge_financial_answer(question, gold, answer).verdict


Q_ASSETS = ("Using only the information within the balance sheet, how much total assets did "
            "Kestrel Labs have at the end of FY2021? Answer in USD millions.")
Q_CAPEX = ("What is the FY2018 capital expenditure amount (in USD millions) for Kestrel Labs? "
           "Give a response by relying on the cash flow statement.")
Q_AVERAGE = ("What is the FY2017 - FY2019 3 year average of capex as a % of revenue for Kestrel "
             "Labs? Answer in units of percents and round to one decimal place.")
Q_DPO = ("What is Kestrel Labs' FY2018 days payable outstanding (DPO)? Round your answer to two "
         "decimal places.")
Q_CYCLICAL = "Is Kestrel Labs' business subject to cyclicality?"
G_CYCLICAL = "Yes, its airline customers are cyclical and so is its business."
Q_CAPITAL = "Is Kestrel Labs a capital-intensive business based on FY2022 data?"
G_CAPITAL = "Yes. It took about $2.77 of assets to generate $1 of revenue."
Q_STORES = ("Was there any change in the number of Kestrel Labs stores between Q2 of FY2024 and "
            "FY2023?")
G_STORES = "Yes, the store count declined by 1.32%, from 982 stores to 969."
Q_TAX = "How much has the effective tax rate of Kestrel Labs changed between FY2021 and FY2022?"
G_TAX = "The effective tax rate changed from 20% in FY2021 to 23% in FY2022."
Q_CASH = ("Among operations, investing, and financing activities, which brought in the most "
          "cash flow for Kestrel Labs in FY2023?")
G_CASH = "Operating activities brought in the most cash flow."
Q_LIABILITY = "What was the largest liability in Kestrel Labs' balance sheet in 2022?"
Q_CUSTOMERS = "Who are the primary customers of Kestrel Labs as of FY2022?"
G_CUSTOMERS = "A limited number of commercial airlines and the US government."
Q_GROWTH = ("What is the FY2019 - FY2020 total revenue growth rate for Kestrel Labs? Answer in "
            "units of percents and round to one decimal place.")
Q_RATIO = ("What is Kestrel Labs' FY2020 working capital ratio? Define working capital ratio as "
           "total current assets divided by total current liabilities. Round your answer to two "
           "decimal places.")
Q_VOTE = ("At the Kestrel Labs AGM held on May 3, 2023, what was the outcome of the shareholder "
          "vote on the proposal for a congruency report on net-zero emissions policies?")
G_VOTE = "The shareholder proposal was defeated."


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # a record of key=value lines is read as the object it writes out: the record's own
    # "value" is the answer, its "prior_year_value" working (the first fails on 21: its last
    # line was read as the conclusion; the second is a control)
    (Q_ASSETS, "$59268.00", "query_type=extract\ncompany=Kestrel Labs\nstatement=balance_sheet\n"
     "line_item=TOTAL ASSETS\nvalue=59268\nunit=USD_millions\nprior_year_value=55556\nstatus=ok",
     "correct"),
    (Q_ASSETS, "$59268.00", "query_type=extract\ncompany=Kestrel Labs\nvalue=55556\n"
     "unit=USD_millions\nnote=\"FY2020 column\"\nstatus=ok", "incorrect"),
    # an answer field left empty gives no answer, whatever working the record holds (fails
    # on 21: the working's figures were graded)
    (Q_AVERAGE, "1.9%", "query_type=ratio_avg\ncapex.fy2017=155\ncapex.fy2018=178\n"
     "capex.fy2019=116\nrevenue.line_item=NOT_FOUND\nvalue=null\nstatus=error_missing_input",
     "refusal"),
    # a memo's header, greeting and sign-off address it; the subject line is no answer
    # (both fail on 21: the subject line was graded for the gold's words)
    (Q_LIABILITY, "Customer deposits", "To: Financials Coverage\nFrom: Research Desk\nRe: "
     "Kestrel Labs: largest balance-sheet liability, YE2022\n\nTeam,\n\nThe largest liability "
     "on the December 31, 2022 balance sheet was customer deposits, at $110,239M (up from "
     "$84,382M in 2021).\n\nFor reference, the other liabilities:\n- Long-term debt: $42,573M\n"
     "- Other liabilities: $37,350M\n\nRegards,\nResearch Desk", "correct"),
    (Q_CUSTOMERS, G_CUSTOMERS, "To: A&D Coverage\nFrom: Research Desk\nRe: Kestrel Labs: "
     "primary customers, FY2022\n\nTeam,\n\nI'm not able to give a reliable answer on this "
     "one. The material available to me does not include a customer breakdown.\n\nRegards,\n"
     "Research Desk", "refusal"),
    # a footnote is a remark beside the answer, not its conclusion (fails on 21: the last
    # footnote's figure was read as the answer)
    (Q_GROWTH, "101.5%", "Kestrel reports \"Total net revenue | 9,497,578 | 4,713,500\"\u00b9 for "
     "2020 and 2019.\n\nGrowth = 9,497,578 / 4,713,500 - 1 = **101.5%**\u00b2\n\n---\n\u00b9 Form "
     "10-K FY2020, p. 85.\n\u00b2 Bitcoin revenue accounts for most of the increase; excluding "
     "it, revenue grew ~17%.", "correct"),
    # a box opening a line is the answer (the first fails on 21: "makes no statement"; the
    # second is a control)
    (Q_VOTE, G_VOTE, "Item 5.07, proposal (8):\n\n$$\\text{For} = 19{,}718{,}780, \\qquad "
     "\\text{Against} = 977{,}228{,}788$$\n\n$$\\boxed{\\text{Defeated}}$$", "correct"),
    (Q_VOTE, G_VOTE, "Item 5.07, proposal (8):\n\n$$\\text{For} = 977{,}228{,}788$$\n\n"
     "$$\\boxed{\\text{Passed}}$$", "incorrect"),
    # a title bar names the note's topic (fails on 21: the title's date was read as the
    # answer)
    (Q_RATIO, "0.68", "KSTL | FY20 (May-31-20) WC ratio\n- TCA: $5,121.3m (cash \u2191 to "
     "$1.68bn)\n- TCL: $7,491.5m (curr. LTD $2.33bn)\n- \u2192 0.68x (FY19: 0.59x)\n<1x typical "
     "for staples; watch the '21 maturities.", "correct"),
    # refusals in shorthand (fail on 21)
    (Q_CASH, G_CASH, "KSTL | FY23 cash flows\n- CF statement: not in the pages I was given\n"
     "Can't rank by activity w/o the table. No call.", "refusal"),
    (Q_CAPEX, "$1577.00", "KSTL | FY18 capex\n- Note 3 shows $1,577m of PP&E purchases, but "
     "that's a footnote, not the CF statement\nNo number from me on this one.", "refusal"),
])
def test_records_memos_notes_and_boxes(question: str, gold: str, answer: str,
                                       expected: str) -> None:
    assert verdict(question, gold, answer) == expected


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # a transcript's last assistant turn is the answer (fails on 21: the first turn was)
    ("Which of Kestrel Labs' business segments had the lowest net revenue in 2021 Q1?",
     "Corporate. Its net revenue was -$473 million.",
     "User: Which of Kestrel's segments had the lowest net revenue in 2021 Q1?\nAssistant: "
     "Corporate, with net revenue of -$473 million.\nUser: Is Corporate really a business "
     "segment, though?\nAssistant: Good point. Corporate is more of a residual unit. Among the "
     "business segments, the lowest net revenue was Commercial Banking at $2,393 million. "
     "Final answer: Commercial Banking.", "incorrect"),
    # (controls, read so by 21 too: the last turn corrects the first, with an apology for the
    # mistake that declines nothing)
    (Q_CAPEX, "$1577.00", f"User: {Q_CAPEX}\nAssistant: Purchases of PP&E were $1,577 million."
     "\nUser: Are you sure? I thought it was $1,373 million.\nAssistant: You're right, I "
     "apologize for the confusion. FY2018 capex was $1,373 million.", "incorrect"),
    (Q_CAPEX, "$1577.00", f"User: {Q_CAPEX}\nAssistant: $1,373 million.\nUser: That's the "
     "FY2017 column.\nAssistant: Good catch. FY2018 capex was $1,577 million.", "correct"),
    # source code is working; its printed output and the sentence after it answer (fails on
    # 21: the first assignment was read as the answer)
    (Q_DPO, "42.69", "```python\npayables_2018 = 46092   # accounts payable, $M\n"
     "payables_2017 = 41433\ncogs = 373396\nprint(round(365 * (payables_2018 + payables_2017) "
     "/ 2 / (cogs + 737), 2))\n```\nOutput:\n```\n42.69\n```\nDPO is 42.69 days.", "correct"),
    (Q_DPO, "42.69", "```python\ncogs = 373396\nap_2017 = None  # not in the excerpt\n"
     "print(365 * ap_2017 / cogs)\n```\nOutput:\n```\nTypeError\n```\nI can't finish the "
     "calculation without FY2017 payables.", "refusal"),
    # a label with a cell reference, and an error in the result cell
    (Q_CAPEX, "$1577.00", "```\n   A                      B (FY2018, $000)\n20 Purchases of "
     "PP&E         1,577,000\n\nB22: =B20/1000  ->  1,577\n```\nResult (B22): $1,577M.",
     "correct"),
    (Q_CAPEX, "$1577.00", "```\n   A                B (FY2018)\n20 Purchases of PP&E   #N/A\n"
     "```\nResult (B22): #N/A. The cash flow tab isn't loaded, so I can't fill in this cell.",
     "refusal"),
])
def test_transcripts_code_and_grids(question: str, gold: str, answer: str,
                                    expected: str) -> None:
    assert verdict(question, gold, answer) == expected


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # a verdict label gives the yes or no, after the weighing (the second fails on 21: the
    # weighing was read instead)
    (Q_CAPITAL, G_CAPITAL, "On one hand, telecom revenue is recurring, which can make a "
     "business look asset-light. On the other hand, Kestrel carried $379.7B of assets "
     "against $136.8B of revenue. Verdict: yes, Kestrel is a capital-intensive business.",
     "correct"),
    (Q_CAPITAL, G_CAPITAL, "On one hand, Kestrel carried $379.7B of assets against $136.8B of "
     "revenue. On the other hand, much of that is licences. Verdict: no, not in the usual "
     "sense.", "incorrect"),
    # a yes that says the other way than the gold's (the first fails on 21; the second is a
    # control)
    (Q_STORES, G_STORES, "Yes, the store count increased by 3 (966 to 969).", "incorrect"),
    (Q_STORES, G_STORES, "Yes, it declined from 982 to 969.", "correct"),
    # (control: only a question about a change asks which way; "To sum up" says no way
    # either — a draft of version 22 read it as "up" against a gold that says "lower")
    (Q_CAPITAL, "Yes. Its asset base is large, though capex was lower than in FY2021.",
     "Kestrel runs a large network. To sum up, it appears that Kestrel is indeed a "
     "capital-intensive business.", "correct"),
    # the size of the gold's change, but the other way (the first fails on 21; the second is
    # a control)
    (Q_TAX, G_TAX, "| Kestrel | FY2021 | FY2022 |\n|---|---|---|\n| Effective tax rate | 20% | "
     "23% |\n\nThe effective tax rate decreased by 3 percentage points.", "incorrect"),
    (Q_TAX, G_TAX, "The effective tax rate rose by 3 percentage points, from 20% to 23%.",
     "correct"),
    # a question back, with no answer, is a refusal (fails on 21)
    (Q_AVERAGE, "1.9%", "Before I compute this: should capex be taken net of construction "
     "payables? Let me know which definition you want and I'll run the numbers.", "refusal"),
    # nothing picked, and it says why (fails on 21: "picks none of the options")
    (Q_CASH, G_CASH, "**Kestrel FY2023 cash flow split: not available in the supplied pages**"
     "\n\n- The excerpt stops at the income statement, so the totals can't be read.\n- Send the "
     "cash flow statement and I'll rank them.", "refusal"),
    # a verdict withheld (fails on 21: "not able to label ... or not" read as no)
    (Q_CAPITAL, G_CAPITAL, "I'm not able to label Kestrel as capital-intensive or not, and I "
     "won't do so without a peer benchmark. The balance sheet shows total assets of "
     "$228,275M and net PP&E of $12,873M.", "refusal"),
    # (control: a disclaimer about the stock withholds nothing)
    (Q_CAPEX, "$1577.00", "Disclaimer: I won't give a view on the stock. FY2018 capex was "
     "$1,577 million.", "correct"),
])
def test_verdicts_ways_and_refusals(question: str, gold: str, answer: str,
                                    expected: str) -> None:
    assert verdict(question, gold, answer) == expected


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # after a range or the yearly values, the one figure stated is the answer; a point
    # estimate within a range is too (the first and third fail on 21; the second is a
    # control)
    (Q_AVERAGE, "1.9%", "Capex ran between roughly 1.7% and 2.2% of revenue over FY2017-FY2019 "
     "(2.2%, 1.7%, 1.8%). The three-year average lands at about 1.9%, give or take a tenth.",
     "correct"),
    (Q_AVERAGE, "1.9%", "Capex ran between roughly 1.7% and 2.2% of revenue over FY2017-FY2019 "
     "(2.2%, 1.7%, 1.8%). The three-year average lands at about 2.4%.", "incorrect"),
    (Q_AVERAGE, "1.9%", "Capex swung from roughly 2.2% (FY2017) to 1.7% (FY2018), with FY2019 "
     "at 1.8%. The three-year average sits in the 1-3% band, most likely about 1.9%.",
     "correct"),
    # an answer split into parts answers in the part on what is asked (fail on 21: the last
    # part's "so" was read as the conclusion)
    (Q_CAPEX, "$1577.00", "Three parts to this:\n\n(a) FY2018 capital spending: $1,577 million."
     "\n(b) FY2017 capital spending: $1,373 million, so capex rose about 15%.\n(c) Capex "
     "intensity: about 4.8% of sales.", "correct"),
    (Q_CAPEX, "$1577.00", "Three parts to this:\n\n(a) FY2018 capital spending: $1,373 million."
     "\n(b) FY2017 capital spending: $1,577 million, so capex fell.\n(c) Capex intensity: "
     "about 4.2% of sales.", "incorrect"),
    # (control: candidates, then a pick after them, answer with the pick)
    (Q_CAPEX, "$1577.00", "Candidates:\n(a) gross PP&E purchases: $1,577M\n(b) net of "
     "disposals: $1,315M\n\nTL;DR: (b), $1,315M.", "incorrect"),
    # struck-through drafts are deleted (fail on 21: the struck figure was credited)
    (Q_CAPEX, "$1577.00", "Kestrel FY2018 capex: ~~$1,577M~~ **$1,373M**\n\nRevised after "
     "re-reading the columns.", "incorrect"),
    (Q_DPO, "42.69", "Kestrel FY2018 DPO: ~~42.69 days~~ **withdrawn**\n\nI can't confirm the "
     "balances I used are the FY2017 and FY2018 year-ends, so I can't stand behind any DPO "
     "figure.", "refusal"),
    # a percent in parentheses after its year is an aside, not a negative (fails on 21)
    ("Does Kestrel Labs have an improving gross margin profile as of FY2022?",
     "Yes. Gross profit improved from $3,017 million in FY2021 to $3,502 million in FY2022. "
     "Gross margin % improved from 4.8% in FY2021 to 5.3% in FY2022.",
     "Gross margin was $3,017M on $62,286M of revenue in FY2021 (4.8%) and $3,502M on "
     "$66,608M in FY2022 (5.3%). So yes, the gross margin profile improved.", "correct"),
])
def test_ranges_parts_and_drafts(question: str, gold: str, answer: str, expected: str) -> None:
    assert verdict(question, gold, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    # figures written out in words (the first and third fail on 21: "states no figure"; the
    # second is a control)
    ("Kestrel spent about one point five eight billion dollars on capital expenditures in "
     "twenty eighteen.", "correct"),
    ("Kestrel spent about one point three seven billion dollars on capex in twenty "
     "eighteen.", "incorrect"),
    ("Roughly one thousand five hundred seventy-seven million dollars.", "correct"),
    # digit groups set apart by a plain space before a scale or currency (the first two fail
    # on 21: "1" and "577 mn" were read as two figures)
    ("FY2018 capex was USD 1 577 mn.", "correct"),
    ("So the answer is 1 577 millions of USD.", "correct"),
    ("In FY2018, 1 373 millions of USD.", "incorrect"),
    # (control: a count alone is no figure)
    ("One of the three segments reported the capex; the cash flow statement isn't in the "
     "excerpt, so I can't give a figure.", "refusal"),
])
def test_figures_in_words(answer: str, expected: str) -> None:
    assert verdict(Q_CAPEX, "$1577.00", answer) == expected


def test_words_are_read_as_digits_and_cited_as_written() -> None:
    assert [d for _, _, d in number_word_spans(
        "about one point five eight billion, forty-two point seven days, sixteen and a half "
        "billion, three hundred eighty-nine million, fiscal twenty nineteen")] == [
        "1.58", "42.7", "16.5", "389", "2019"]
    # a count, an ordinal or a lone number word is left alone
    assert number_word_spans("one of the three segments; the twenty largest customers") == []
    answer = "Walmart's DPO for fiscal twenty eighteen was roughly forty-two point seven days."
    judged = judge_financial_answer(Q_DPO, "42.69", answer)
    assert judged.verdict == "correct"
    assert '"forty-two point seven"' in judged.reason
    assert unmark(answer)[0] == "Walmart's DPO for fiscal 2018 was roughly 42.7 days."


Q_SHARE = ("What is Kestrel Labs' FY2015 D&A as a % of revenue? Answer in units of percents and "
           "round to one decimal place.")
Q_ROA = ("What is Kestrel Labs' FY2017 return on assets (ROA)? Define ROA as net income over "
         "average total assets. Round your answer to two decimal places.")
Q_ACCELERATE = "Will Kestrel Labs' adjusted EPS growth accelerate in FY2023?"
G_ACCELERATE = "No, guided adjusted EPS growth of 3.5% is below FY2022's 3.6%."
Q_QUICK = "Does Kestrel Labs have a healthy liquidity profile based on its FY2022 quick ratio?"
G_QUICK = "No. The quick ratio was about 0.54."


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # a tutor's questions state no result; the answer after one does, and so does a
    # statement rounding the result (fail on 21: the question's operand, and "not about
    # the quantity asked")
    (Q_SHARE, "4.2%", "Which two numbers do we need? D&A and revenue. So, 167 divided by 3,991 "
     "gives what share of revenue? About 4.2%. Does that seem high for a chip designer?",
     "correct"),
    (Q_ROA, "0.01", "What goes on top? Net income of $1,248 million. And the bottom? Average "
     "assets of $87,583M. Divide them and you get about 0.014. Rounded to two decimals, as "
     "the question asks, that's **0.01**.", "correct"),
    # a tutor who leaves the last step to the reader answers nothing (fails on 21)
    (Q_SHARE, "4.2%", "Which line is revenue? Net revenue, $3,991 million. And D&A? $167 million. "
     "Now divide the first into the second and multiply by 100. Go ahead and run that "
     "division. What do you get?", "refusal"),
    # a FAQ answers in its first pair; the others are other questions, and a bare answer's
    # way ("down from") names no other quantity (fails on 21: the last pair's figure was
    # read)
    ("What was Kestrel Labs' effective tax rate in FY2022 vs FY2021?", "24.6%, 21.6%",
     "**Q: What was Kestrel's effective tax rate in FY2022 vs FY2021?**\nA: 21.6% in FY2022, "
     "down from 24.6% in FY2021.\n\n**Q: Was 2021 itself a change?**\nA: Yes. The rate was "
     "27.0% in 2020, so it fell in both years.", "correct"),
    # "Final:" mid-text labels the answer; it may decline (the second fails on 21, the first
    # is a control)
    ("Are there any product categories that represent more than 20% of Kestrel Labs' revenue "
     "for FY2022?", "Yes. Commercial Airplanes is 39% of revenue, Defense 35% and Services 26%.",
     "Kestrel reports four segments; FY2022 revenue was $66,608M.\n\nFinal: Yes. Three "
     "categories each exceed 20%: Commercial Airplanes (~39%), Defense (~35%) and Services "
     "(~26%).\n\nNote how the mix has shifted since FY2021, when 737 deliveries were low.",
     "correct"),
    ("What are the major products and services that Kestrel Labs sells as of FY22?",
     "Server CPUs, GPUs, FPGAs and adaptive SoCs for data centers; client CPUs and APUs; "
     "discrete GPUs and semi-custom SoCs; embedded processors.",
     "Kestrel's business changed a lot in 2022.\n\nFinal: I can't reliably list Kestrel's "
     "major products and services as of FY22 without the business overview of the 10-K.",
     "refusal"),
    # an answer that is one option alone picks it (fails on 21: "picks none")
    ("Among operations, investing, and financing activities, which brought in the most cash "
     "flow for Kestrel Labs in FY2022?", "Operating activities brought in the most cash flow.",
     "Operating activities", "correct"),
    # the question asked again opens nothing: the yes or no after it does (a control: 21
    # reads it too)
    (Q_ACCELERATE, G_ACCELERATE, "Will Kestrel Labs' adjusted EPS growth accelerate in FY2023? "
     "**No, ~80% likely.**\n\n- FY2022 adjusted EPS: $10.15, up 3.6%\n- FY2023 guidance: "
     "growth of 3.5%", "correct"),
    # odds withheld and a verdict held off are a refusal (fails on 21)
    (Q_QUICK, G_QUICK, "I can't put meaningful odds on this one: I don't have the FY2022 balance "
     "sheet in front of me, so I'll hold off on a verdict.", "refusal"),
])
def test_tutors_faqs_finals_and_terse_answers(question: str, gold: str, answer: str,
                                              expected: str) -> None:
    assert verdict(question, gold, answer) == expected
