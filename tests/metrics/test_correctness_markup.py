"""Markup is not content: the grader reads Markdown, LaTeX and HTML as the plain text they format.

Other model families format the same answer differently ("**7.9\\%**", "### Final Answer",
"<think>...</think>"); each restyled answer below must get the verdict of the plain one, and
its reason must still point at the figure where the answer as given writes it.
"""

from __future__ import annotations

import json
import re

import pytest

from agility.metrics import judge_financial_answer
from agility.metrics._markup import unmark
from agility.metrics._refusal import declines

Q_MARGIN = "What is Adobe's FY2022 operating margin?"
Q_CAPEX = "What is the FY2018 capital expenditure amount (in USD millions) for 3M?"
Q_DIVIDEND = "Does 3M maintain a stable trend of dividend distribution?"
Q_INDUSTRY = "What industry does AMCOR primarily operate in?"
G_INDUSTRY = "Amcor is a global leader in packaging production for various use cases."

# (question, gold, plain answer, its verdict)
CASES = [
    (Q_MARGIN, "34.6%", "Operating income was $6,098 million on revenue of $17,606 million.\n\n"
     "Therefore, the FY2022 operating margin is 34.6%.", "correct"),
    (Q_MARGIN, "34.6%", "Operating income was $6,098 million on revenue of $17,606 million, "
     "giving 34.6% for the year.\n\nTherefore, the FY2022 operating margin is 36.8%.", "incorrect"),
    (Q_CAPEX, 1577, "The cash flow statement shows purchases of property, plant and equipment "
     "of $1,577 million in 2018.\n\nSo the FY2018 capital expenditure was $1,577 million.",
     "correct"),
    (Q_DIVIDEND, "Yes, 3M has increased its dividend for 65 consecutive years.",
     "No, 3M does not maintain a stable trend of dividend distribution.", "incorrect"),
    (Q_DIVIDEND, "Yes, 3M has increased its dividend for 65 consecutive years.",
     "Yes, 3M maintains a stable trend: the 2023 dividend of $1.50 per share marked its 65th "
     "consecutive year of increases.", "correct"),
    (Q_INDUSTRY, G_INDUSTRY, "AMCOR primarily operates in the packaging industry.", "correct"),
    ("What is the FY2020-FY2022 3-year average of capex as a % of revenue?", 0.019,
     "Capex was $101 million, $87 million and $120 million on revenue of $5,263 million, "
     "$4,980 million and $5,100 million.\n\nTherefore, the 3-year average of capex as a "
     "percentage of revenue is approximately 1.9%.", "correct"),
    ("What is the year-end FY2018 net PP&E for 3M (in USD billions)?", 8.7,
     "Based on the balance sheet, the year-end FY2018 net PP&E (property, plant and "
     "equipment) was $8.7 billion, from Note 3 of the filing.", "correct"),
    (Q_CAPEX, 1577, "I'm sorry, but the provided documents do not contain the cash flow "
     "statement, so I cannot determine the capital expenditure.", "refusal"),
]

_FIGURE = re.compile(r"(?<![\w.$])(\$?\d[\d,]*(?:\.\d+)?%?(?: million)?)")

RESTYLE = {
    "bold figures": lambda a: _FIGURE.sub(r"**\1**", a),
    "latex": lambda a: re.sub(r"\$(\d)", r"\\$\1", re.sub(r"(\d)%", r"\1\\%", a)),
    "boxed": lambda a: _FIGURE.sub(r"$\\boxed{\1}$", a, count=0).replace("$\\boxed", "\\(\\boxed")
    .replace("}$", "}\\)"),
    "headings": lambda a: "## Analysis\n" + a.replace("\n\n", "\n\n### Step 2\n"),
    "courtesies": lambda a: "Sure, I'd be happy to help with that!\n\n" + a
    + "\n\nI hope this helps! Let me know if you have any other questions.",
    "think block": lambda a: "<think>\nRevenue 17,606; maybe 40%? Let me check.\n</think>\n\n" + a,
    "html": lambda a: _FIGURE.sub(r"<b>\1</b>", a).replace("\n\n", "<br>\n"),
    "emphasis": lambda a: a.replace("FY2022", "*FY2022*").replace("packaging", "_packaging_"),
    "code ticks": lambda a: _FIGURE.sub(r"`\1`", a),
    "si digit groups": lambda a: re.sub(r"(\d),(\d{3})", "\\1\u202f\\2", a),
    # a retrieval pipeline's citations: references, not figures
    "bracket citations": lambda a: re.sub(r"([a-z0-9%])\.(\s|$)", r"\1 [1][2, 3].\2", a),
    "source citations": lambda a: re.sub(r"([a-z0-9%])\.(\s|$)",
                                         r"\1 (Source: Form 10-K, page 45).\2", a),
    "footnote citations": lambda a: re.sub(r"([a-z0-9%])\.(\s|$)", r"\1[^4] [doc2].\2", a),
    # conclusion openers as other writers put them
    "to sum up": lambda a: re.sub(r"\b(Therefore|So),", "To sum up,", a),
    "all in all": lambda a: re.sub(r"\b(Therefore|So),", "All in all,", a),
    "bottom line": lambda a: re.sub(r"\b(Therefore|So),", "The bottom line:", a),
    # typography and number formats of other writers
    "curly quotes": lambda a: re.sub(r"(\w)'(\w)", "\\1\u2019\\2", a),
    "code after amount": lambda a: re.sub(r"\$(\d[\d,.]*) (million|billion)", r"\1 \2 USD", a),
    "scale letters": lambda a: re.sub(r"\$(\d[\d,.]*) million", r"$\1M", a),
    "no separators": lambda a: re.sub(r"(\d),(\d{3})", r"\1\2", a),
    "approximately sign": lambda a: re.sub(r"\b(?:approximately|about) (?=\$?\d)", "\u2248", a),
    "step labels": lambda a: "\n\n".join(f"**Step {i}:** {p}"
                                         for i, p in enumerate(a.split("\n\n"), 1)),
    # a chat template that opens the thinking itself leaves only its end in the output
    "closing think tag": lambda a: "Capex was $1,600 million in 2017; 40%?\n</think>\n\n" + a,
    "crlf": lambda a: a.replace("\n", "\r\n"),
    "rules": lambda a: a.replace("\n\n", "\n\n---\n\n"),
    "blockquote": lambda a: "\n".join("> " + line for line in a.split("\n")),
    "follow-up offer": lambda a: a + "\n\nWould you like me to break this down by segment?",
}


def assert_reason_points_into(answer: str, judgement) -> None:
    """Every figure the reason quotes is in the answer as given, at the offsets it names."""
    for quoted, start, end in re.findall(r'"([^"]+)" \(characters (\d+)-(\d+)\)', judgement.reason):
        assert answer[int(start):int(end)] == quoted, (quoted, start, end, judgement.reason)
    for cited in judgement.cited:
        assert answer[cited.start:cited.end] == cited.text


@pytest.mark.parametrize("style", sorted(RESTYLE))
@pytest.mark.parametrize(("question", "gold", "plain", "verdict"), CASES)
def test_a_restyled_answer_keeps_its_verdict(style, question, gold, plain, verdict) -> None:
    assert judge_financial_answer(question, gold, plain).verdict == verdict
    restyled = RESTYLE[style](plain)
    judgement = judge_financial_answer(question, gold, restyled)
    assert judgement.verdict == verdict, (style, restyled, judgement.reason)
    assert_reason_points_into(restyled, judgement)


def test_a_figure_written_in_latex_is_cited_as_the_answer_writes_it() -> None:
    answer = "Operating margin: $$\\frac{6{,}098}{17{,}606} \\approx 0.3464$$, so **34.6\\%**."
    judgement = judge_financial_answer(Q_MARGIN, "34.6%", answer)
    assert judgement.verdict == "correct"
    (cited,) = judgement.cited
    assert cited.text == "34.6\\%" and answer[cited.start:cited.end] == cited.text
    assert '"34.6\\%"' in judgement.reason


def test_inline_math_is_math_and_a_dollar_before_a_figure_is_money() -> None:
    question = "What is FY2018 days payable outstanding (DPO) for Walmart?"
    for answer, cited_text in (("DPO = 365 * 43,762.5 / 374,133.\n\nThe final answer is: "
                                "$\\boxed{42.69}$", "42.69"),
                               ("### Final Answer\n\\[\n\\boxed{42.69}\n\\]", "42.69"),
                               ("So $\\text{DPO} = 42.69$ days.", "42.69")):
        judgement = judge_financial_answer(question, "42.69", answer)
        assert judgement.verdict == "correct", (answer, judgement.reason)
        assert [c.text for c in judgement.cited] == [cited_text]
        assert_reason_points_into(answer, judgement)
        wrong = answer.replace("42.69", "44.12")
        assert judge_financial_answer(question, "42.69", wrong).verdict == "incorrect"
    assert unmark("It cost $42.69 and $5 more")[0] == "It cost $42.69 and $5 more"


def test_the_working_inside_a_think_block_is_not_the_answer() -> None:
    # the gold figure only in the thinking: the answer after it concludes on another figure
    answer = ("<think>Operating income 6,098 over revenue 17,606 is 34.6%.</think>\n"
              "The FY2022 operating margin is 36.8%.")
    judgement = judge_financial_answer(Q_MARGIN, "34.6%", answer)
    assert judgement.verdict == "incorrect"
    assert '"36.8%"' in judgement.reason
    assert_reason_points_into(answer, judgement)
    # an unclosed block (the model ran out of tokens while thinking) has no answer after it
    # (version 17; version 16 read the unfinished reasoning as the answer and credited it)
    assert unmark("<think>Okay. 6,098 / 17,606 = 34.6%, but wait")[0] == ""
    judgement = judge_financial_answer(Q_MARGIN, "34.6%", "<think>\nOkay, 6,098 / 17,606 = "
                                       "34.6%. Hmm, or is it the adjusted margin")
    assert judgement.verdict == "refusal"
    assert "cut off" in judgement.reason
    # a stray tag the writer closes later is a block, as any other
    assert unmark("<think>34.6%</think> It is 34.6%.")[0] == "It is 34.6%."
    # only the block's end (the chat template opened it): what precedes it is the thinking;
    # a closing tag with nothing after it leaves the answer as it is
    answer = "Operating income 6,098 over revenue 17,606 is 34.6%.\n</think>\nIt is 36.8%."
    judgement = judge_financial_answer(Q_MARGIN, "34.6%", answer)
    assert judgement.verdict == "incorrect"
    assert_reason_points_into(answer, judgement)
    assert unmark("The margin is 34.6%.</think>")[0] == "The margin is 34.6%.</think>"


def test_a_final_answer_label_on_its_own_line_labels_the_line_under_it() -> None:
    working = ("Operating income was $6,098 million and revenue $17,606 million; 36.8% was "
               "last year's margin.\n\n")
    for label in ("**Final Answer:**", "### Final Answer", "Final answer:", "Conclusion:"):
        answer = working + label + "\n34.6%"
        judgement = judge_financial_answer(Q_MARGIN, "34.6%", answer)
        assert judgement.verdict == "correct", (label, judgement.reason)
        assert judgement.reason.startswith('concludes "34.6%"'), judgement.reason
        wrong = judge_financial_answer(Q_MARGIN, "34.6%", working + label + "\n36.8%")
        assert wrong.verdict == "incorrect", (label, wrong.reason)


def test_a_labelled_yes_or_no_is_the_stance() -> None:
    question = "Does Adobe have an improving operating margin profile as of FY2022?"
    gold = ("No the operating margins of Adobe have recently declined from 36.8% in FY 2021 "
            "to 34.6% in FY2022.")
    for label in ("**Short answer:**", "Answer:", "## Answer\n", "TL;DR:", "Verdict:"):
        said_no = judge_financial_answer(question, gold, f"{label} No. The margin fell from "
                                                         f"36.8% to 34.6%.")
        assert said_no.verdict == "correct" and "answers no" in said_no.reason, said_no.reason
        # the gold's figures do not rescue the wrong stance (version 11 credited this one)
        said_yes = judge_financial_answer(question, gold, f"{label} Yes. The margin went from "
                                                          f"36.8% to 34.6%.")
        assert said_yes.verdict == "incorrect", (label, said_yes.reason)


def test_the_label_is_no_content_of_the_statement_it_labels() -> None:
    for answer in ("Final Answer: AMCOR primarily operates in the packaging industry.",
                   "AMCOR primarily operates in the packaging industry.\n\nFinal Answer: AMCOR "
                   "primarily operates in the packaging industry."):
        assert judge_financial_answer(Q_INDUSTRY, G_INDUSTRY, answer).verdict == "correct"


def test_a_section_label_introduces_no_list() -> None:
    # "Explanation:" names a part of the answer: what follows it is not a list the answer's
    # statement introduces (which would make the whole explanation the answer)
    question = "Which segment dragged down 3M's overall growth in 2022?"
    gold = "The consumer segment shrunk by 0.9% organically."
    plain = ("The segment that dragged growth down was Safety and Industrial.\n\n"
             "- Consumer sales were weak.\n- Health care grew 1%.")
    labelled = plain.replace("\n\n", "\n\nExplanation:\n")
    expected = judge_financial_answer(question, gold, plain)
    assert "the list it introduces" not in expected.reason
    for answer in (labelled, "**Answer:** " + labelled.replace("Explanation:",
                                                                "**Explanation:**")):
        judgement = judge_financial_answer(question, gold, answer)
        assert judgement.verdict == expected.verdict, (answer, judgement.reason)
        assert "the list it introduces" not in judgement.reason


def test_markup_does_not_hide_a_refusal() -> None:
    refusal = ("### Answer\n**I'm sorry**, but the provided documents do *not* contain the "
               "cash flow statement, so I cannot determine the capital expenditure.")
    assert judge_financial_answer(Q_CAPEX, 1577, refusal).verdict == "refusal"
    assert declines(refusal, Q_CAPEX) is not None
    assert declines("<think>I cannot find it.</think>\n**$1,577 million**.", Q_CAPEX) is None


def test_unmark_keeps_arithmetic_names_and_single_dollars() -> None:
    for text in ("3 * 4 = 12", "see snake_case_name", "$1,577 and $1,600", "a_b and c_d",
                 "Revenue (in $) was 5"):
        assert unmark(text)[0] == text
    plain, offsets = unmark("The **margin** was *34.6\\%*.")
    assert plain == "The margin was 34.6%."
    assert len(offsets) == len(plain)
    assert "".join("The **margin** was *34.6\\%*."[i] for i in offsets) == plain


@pytest.mark.financebench
def test_restyling_financebench_answers_moves_no_verdict(financebench_dir) -> None:
    """Every recorded answer in bold figures, LaTeX escapes, headings, courtesies, curly
    apostrophes, "1,577 million USD" and after a closing think tag at once keeps its verdict
    (``python benchmarks/grader_calibration.py``, section 5, measures each restyling)."""
    moved, graded = [], 0
    for path in sorted((financebench_dir / "results").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            answer = str(row["model_answer"])
            restyled = answer
            for style in ("code after amount", "bold figures", "latex", "headings",
                          "courtesies", "curly quotes", "closing think tag"):
                restyled = RESTYLE[style](restyled)
            before = judge_financial_answer(row["question"], row["gold_answer"], answer)
            after = judge_financial_answer(row["question"], row["gold_answer"], restyled)
            graded += 1
            if after.verdict != before.verdict:
                moved.append((path.stem, row["financebench_id"], before.verdict, after.verdict))
            assert_reason_points_into(restyled, after)
    assert graded == 2100
    assert not moved, moved[:10]


@pytest.mark.parametrize("adversarial", [
    "**a " * 250_000, "\\text{" * 100_000, "<think>" * 100_000, "*a b " * 200_000,
    "`a " * 300_000, "# a\n" * 200_000, "a</think" * 100_000, "in \u2248" * 200_000,
    "Step 1: a\n" * 100_000, "don\u2019t " * 200_000, "Question: a\n" * 100_000,
    "see it for more details " * 50_000, "Sources: a\n" * 100_000, "advice. " * 100_000,
    '{"answer": "' + "a\\n" * 200_000 + '"}', "```json\n{" + '"a": 1, ' * 50_000 + "}",
])
def test_reading_markup_stays_linear_on_adversarial_answers(adversarial: str) -> None:
    # unclosed or deeply nested markup must not make a pass scan to the end from every mark
    # (an unbounded lazy match took 0.64 s on 20,000 characters of "**a "; this is 1 MB)
    import time

    started = time.perf_counter()
    judge_financial_answer(Q_CAPEX, 1577, adversarial)
    assert time.perf_counter() - started < 2.0
    started = time.perf_counter()
    unmark(adversarial[:20_000])
    assert time.perf_counter() - started < 0.3


def test_a_courtesy_that_states_something_is_a_statement() -> None:
    question = "What is FY2018 days payable outstanding (DPO) for Walmart?"
    for answer, verdict in (("I'd be happy to help: the DPO is 42.69 days.", "correct"),
                            ("I'd be happy to help: the DPO is 44.12 days.", "incorrect"),
                            ("I hope this helps you see that the DPO is 44.12 days.",
                             "incorrect")):
        assert judge_financial_answer(question, "42.69", answer).verdict == verdict, answer


def test_a_list_written_inline_is_a_list() -> None:
    question = "What are the geographies that Kestrel primarily operates in as of FY2022?"
    gold = ("Kestrel primarily operates in the following geographies: North America, Latin "
            "America, Western Europe, South Asia, East Asia and Oceania.")
    lines = ("As of FY2022, Kestrel operates in more than 100 countries. The company primarily "
             "operates in the following geographies:\n1. North America: its home market.\n"
             "2. Latin America: Mexico and Brazil.\n3. Western Europe: Germany and France.\n"
             "4. South Asia and East Asia: India and Japan.\n5. Oceania: Australia.")
    inline = lines.replace("\n", " ")
    bullets = re.sub(r"\n\d\. ", "\n- ", lines).replace("\n", " ")
    for answer in (lines, inline, bullets):
        judgement = judge_financial_answer(question, gold, answer)
        assert judgement.verdict == "correct", (answer, judgement.reason)
        assert "the list it introduces" in judgement.reason


def test_a_list_marker_after_an_answer_label_is_no_figure() -> None:
    from agility.metrics._answer import read_answer

    reading = read_answer("Final Answer: 1. Commercial airlines\n2. The US government")
    assert not reading.own_figures
    question = "What is Walmart's FY2018 DPO?"
    judgement = judge_financial_answer(question, "42.69", "Working: 43,762.5 / 374,133.\n\n"
                                       "Final Answer: 1. DPO = 42.69 days")
    assert judgement.verdict == "correct", judgement.reason


@pytest.mark.financebench
def test_restating_the_judged_statement_as_the_final_answer_keeps_the_verdict(
        financebench_dir) -> None:
    """The statement the grader judged, restated at the end under "**Final Answer:**", keeps
    the answer's verdict, for all but a few of the 1,119 answers judged on a statement (the
    benchmark's section 5); a restated concession ("This means that while SG&A expenses
    overall decreased ..., the wages component increased") says up, as before."""
    changed = moved = 0
    for path in sorted((financebench_dir / "results").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            answer = str(row["model_answer"])
            before = judge_financial_answer(row["question"], row["gold_answer"], answer)
            found = re.search(r'statement \d+ \("[^\n]*?", characters (\d+)-(\d+)\)',
                              before.reason)
            if found is None:
                continue
            restated = (answer.rstrip() + "\n\n**Final Answer:** "
                        + answer[int(found.group(1)):int(found.group(2))])
            after = judge_financial_answer(row["question"], row["gold_answer"], restated)
            changed += 1
            moved += after.verdict != before.verdict
    assert changed > 1000
    assert moved <= 2, moved  # 5 under version 11


def test_typographic_quotes_read_as_straight_ones() -> None:
    # v12: the curly quotes around the picked category hid the pick, so the gold's figure
    # (given for another category) was credited
    question = ("Which Best Buy product category performed the best (by top line) in the "
                "domestic market during Q2 of FY2024?")
    gold = "The entertainment segment experienced the highest growth of 9% during Q2 FY2024."
    answer = ('The product category that performed the best in the domestic market during Q2 '
              'of FY2024 was the "Services" category, with 7.6% comparable sales growth; '
              'Entertainment grew 9.0% with offsets from other declines.')
    for written in (answer, answer.replace('"Services"', "\u201cServices\u201d")):
        judgement = judge_financial_answer(question, gold, written)
        assert judgement.verdict == "incorrect", judgement.reason
        assert "names Services" in judgement.reason
    plain, offsets = unmark("AMD\u2019s \u201cadjusted\u201d margin")
    assert plain == 'AMD\'s "adjusted" margin' and offsets == list(range(len(plain)))


def test_a_currency_code_after_the_amount_makes_it_money() -> None:
    # v12: "23.1 billion USD" was a bare number, so it could be the gold's ratio
    question = "Is Verizon a capital intensive business based on FY 2022 data?"
    gold = ("Yes. Verizon's capital intensity ratio was approximately 2.774729. This means "
            "that it took approximately $2.77 of assets to generate $1 of revenue.")
    for amount in ("$23.1 billion", "23.1 billion USD", "23.1 billion US dollars"):
        # (the gold's figures are a ratio and dollars per dollar of revenue: no amount)
        answer = ("Based on the provided filing, Verizon is a capital-intensive business.\n\n"
                  f"1. Capital Expenditures: Verizon reported capital expenditures of {amount} "
                  "for 2022.")
        judgement = judge_financial_answer(question, gold, answer)
        assert judgement.verdict == "correct", (amount, judgement.reason)


def test_an_amount_written_without_separators_is_no_year() -> None:
    # v12: "$1999 million" named the year 1999, so the answer spoke "of another period"
    question = ("Among operations, investing, and financing activities, which brought in the "
                "most cash flow for AMD in FY22?")
    gold = "In FY22, AMD brought in the most cashflow through Operating Activities, $3,565M."
    answer = ("The activity that brought in the most cash for AMD was operating activities, "
              "which provided $3565 million.\n\n- Investing activities provided $1999 million."
              "\n- Financing activities used $3264 million.")
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict == "correct", judgement.reason


def test_the_approximately_sign_after_a_word_is_no_equation() -> None:
    question = "What are the geographies that American Express primarily operates in as of 2022?"
    gold = "American Express primarily operates in the United States, EMEA, APAC and LACC."
    for about in ("approximately 103", "\u2248103", "\u2248 103"):
        answer = ("The text does not provide specific geographies where American Express "
                  "primarily operates as of 2022. It mentions relationships with banks in "
                  f"{about} countries and territories.")
        assert judge_financial_answer(question, gold, answer).verdict == "refusal", about
    assert unmark("the ratio \u2248 0.57")[0] == "the ratio \u2248 0.57"


def test_a_step_label_is_no_part_of_its_statement() -> None:
    question = "What are the geographies that Pepsico primarily operates in as of FY2022?"
    gold = ("As of FY2022, Pepsico primarily operates in the following geographies: North "
            "America, Latin America, Europe, Africa, Middle East, South Asia, Asia Pacific, "
            "Australia, New Zealand and China.")
    answer = ("PepsiCo reports these divisions:\n- North America\n- Latin America\n- Europe\n"
              "- Africa, Middle East and South Asia\n- Asia Pacific, Australia, New Zealand and "
              "China\n\nThese divisions reflect PepsiCo's primary geographies of operation as of "
              "FY2022.")
    for written in (answer, "\n\n".join(f"**Step {i}:** {p}"
                                        for i, p in enumerate(answer.split("\n\n"), 1))):
        judgement = judge_financial_answer(question, gold, written)
        assert judgement.verdict == "correct", judgement.reason
        assert_reason_points_into(written, judgement)


def test_a_terse_figure_with_a_full_stop_is_the_figure() -> None:
    # v12: "0." was read as a list marker ("states no figure"), "Zero." as naming another
    # quantity ("not about the quantity asked"), while "0" was correct
    question = ("What is the quantity of restructuring costs directly outlined in AES "
                "Corporation's income statements for FY2022? If restructuring costs are not "
                "explicitly outlined then state 0.")
    for answer in ("0", "0.", "Zero.", "The answer is zero."):
        assert judge_financial_answer(question, 0, answer).verdict == "correct", answer
    assert judge_financial_answer(question, 0, "42.").verdict == "incorrect"
    # a marker with its item still numbers the item, on its line or under it
    for answer in ("1. North America", "1.\nNorth America", "(1) North America"):
        assert "states no figure" in judge_financial_answer(question, 0, answer).reason


def test_the_numbers_of_a_list_written_inline_are_no_figures() -> None:
    # v12: joined into one paragraph, "... (e.g., purchases of property). 5. The figure
    # next to this line item ..." made 5 the answer's figure, despite its refusal
    question = ("What is the FY2021 capital expenditure amount (in USD billions) for PepsiCo?")
    answer = ("Since I do not have access to PepsiCo's financial statements, I cannot provide "
              "the exact figure. To find it: 1. Access PepsiCo's 2021 10-K filing. 2. Look "
              "under investing activities. 3. Identify the line item for capital expenditures "
              "(e.g., purchases of property). 5. The figure next to this line item is the "
              "capital expenditure in USD billions.")
    judgement = judge_financial_answer(question, 4.6, answer)
    assert judgement.verdict == "refusal", judgement.reason


def test_the_numbers_of_an_enumerating_gold_are_no_figures() -> None:
    # v12: the gold's "(1)" and "(2)" were figures (-1 and -2), so an answer that numbered
    # anything 1 and 2 "stated the gold's figures"
    question = "What are major acquisitions that Best Buy has done in FY2023, FY2022 and FY2021?"
    gold = ("Best Buy closed two acquisitions during FY 2022: (1) Current Health Ltd and (2) "
            "Two Peaks, LLC d/b/a Yardbird Furniture.")
    answer = ("Best Buy's filing lists (1) its retail segments and (2) its services in FY2022; "
              "it mentions no acquisitions.")
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict != "correct", judgement.reason
    good = "In FY2022 Best Buy acquired (1) Current Health and (2) Two Peaks (Yardbird)."
    assert judge_financial_answer(question, gold, good).verdict == "correct"


# the answer first, then the working whose steps conclude on intermediate figures
ANSWER_FIRST = [
    ("What is the FY2022 unadjusted EBITDA % margin for PepsiCo?", 0.165,
     "The unadjusted EBITDA % margin for FY2022 is ($14,275 million / $86,392 million) * 100 "
     "= 16.52%.\n\nThe operating profit for FY2022 is $11,512 million and depreciation and "
     "amortization $2,763 million.\n\nSo, the unadjusted EBITDA for FY2022 is $11,512 million "
     "+ $2,763 million = $14,275 million."),
    ("What is the FY2019 fixed asset turnover ratio for Activision Blizzard?", 24.26,
     "The fixed asset turnover ratio for FY2019 is $6,489 million / $267.5 million = 24.26.\n\n"
     "The average PP&E between FY2018 and FY2019 is ($282 million + $253 million) / 2 = "
     "$267.5 million."),
    ("What is the FY2018 - FY2019 change in unadjusted operating income % margin for Walmart?",
     0.002,
     "The change in unadjusted operating income % margin for Walmart is 4.3% - 4.1% = 0.2%.\n\n"
     "So, the operating income % margin for FY2018 is (20,437 / 500,343) * 100 = 4.1%."),
    ("What is the FY2015 unadjusted EBITDA % margin for Netflix?", 0.054,
     "The FY2015 unadjusted EBITDA % margin for Netflix is approximately 5.43%.\n\nTherefore, "
     "unadjusted EBITDA for 2015 = $305,826 + $62,283 = $368,109 (in thousands).\n\nEBITDA % "
     "margin = ($368,109 / $6,779,511) * 100 = 5.43%."),
    ("What is Block's FY2020 cash flow from operating activities in USD millions?", 382,
     "Block generated $381.6 million in cash flow from operating activities in FY2020.\n\nThe "
     "statement of cash flows gives $381,603 in thousands. Therefore, to express the amount in "
     "millions, you simply divide by 1,000."),
]


@pytest.mark.parametrize(("question", "gold", "answer"), ANSWER_FIRST)
def test_an_answer_that_states_its_result_first_is_judged_on_it(question, gold, answer) -> None:
    # v12: the last "So, X = ..." step of the working after the answer (a figure the opening
    # statement computes with, or what the working divides by) was taken for the conclusion
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict == "correct", judgement.reason
    assert_reason_points_into(answer, judgement)
    # a conversion restates the figure in other units: the conclusion stays the conclusion
    conversion = ("Capital spending was $4,625 million.\n\n$4,625 million / 1,000 = $4.625 "
                  "billion\n\nSo, the capital expenditure for PepsiCo in FY2021 is $4.625 "
                  "billion.")
    assert judge_financial_answer("What is PepsiCo's FY2021 capital expenditure in USD "
                                  "billions?", 4.6, conversion).verdict == "correct"
    # a check computes with the result and does not make it working
    checked = ("Operating income was $6,098 million on revenue of $17,606 million.\n\n"
               "Therefore, the operating margin is 34.6%.\n\nTo verify: 34.6% x 17,606 = 6,092.")
    assert judge_financial_answer(Q_MARGIN, "34.6%", checked).verdict == "correct"


def test_we_can_say_that_concludes() -> None:
    # v12: "We can say that ..." was read as a statement of the task
    question = ("Are Best Buy's gross margins historically consistent (not fluctuating more "
                "than roughly 2% each year)?")
    answer = ("We can say that Best Buy's gross margins are historically consistent.\n\nFor "
              "the fiscal year ended January 28, 2023, the gross margin is (46,298 - 36,386) / "
              "46,298 = 21.4%.\n\nThe gross margins for Best Buy have fluctuated by roughly 1% "
              "each year, which is less than the 2% threshold.")
    judgement = judge_financial_answer(question, "Yes, the margins have been consistent.",
                                       answer)
    assert judgement.verdict == "correct", judgement.reason


def test_a_figures_own_words_name_no_other_quantity() -> None:
    # v12: the "cent" of "34.6 per cent" was a word naming another quantity than the one
    # asked, so the terse answer was "not about the quantity asked"
    for answer in ("34.6 per cent", "34.6 percent.", "**34.6%**"):
        judgement = judge_financial_answer(Q_MARGIN, "34.6%", answer)
        assert judgement.verdict == "correct", (answer, judgement.reason)
    judgement = judge_financial_answer(Q_MARGIN, "34.6%", "Revenue grew 34.6 per cent.")
    assert judgement.verdict == "incorrect", judgement.reason


def test_a_rule_or_an_offer_after_the_working_is_no_statement() -> None:
    # v12: a "---" line or an offer of more after the last equation made it no longer the
    # answer's end, so an answer whose working concluded on it "committed to nothing"
    question = "If JPM liquidated all its assets at the end of Q1 2021, how much could each shareholder get?"
    working = ("We need the equity available to common stockholders, then the amount per share."
               "\n\nEquity available to common stockholders = $280,714 million - $31,563 million"
               "\nEquity available to common stockholders = $249,151 million\n\nAmount per "
               "common share = $249,151 million / 3,027,128,112 shares\nAmount per common share "
               "\u2248 $82.31 per share")
    for tail in ("", "\n\n---\n\nWould you like me to break this down further?"):
        judgement = judge_financial_answer(question, "$66.56 per share", working + tail)
        assert judgement.verdict == "incorrect", (tail, judgement.reason)
        assert '"$82.31"' in judgement.reason
