"""What other writers put around an answer is no part of it (correctness version 14).

Announcements ("Okay, let's break this down step by step:"), closing courtesies, a lead-in
naming the source, a labelled summary first, a restatement under "Final answer", an answer
label ending in a dash, code fences, Markdown links, page references, nested JSON and a
"Q: ... A: ..." layout: each must leave the verdict to what the answer says.
"""

from __future__ import annotations

import json

import pytest

from agility.metrics import judge_financial_answer, parse_financial_numbers
from agility.metrics._answer import read_answer
from agility.metrics._markup import unmark
from agility.metrics._structured import structured_text

Q_INDUSTRY = "What industry does AMCOR primarily operate in?"
G_INDUSTRY = "Amcor is a global leader in packaging production for various use cases."
Q_MARGIN = "What is Adobe's FY2022 operating margin?"
Q_CAPEX = "What is the FY2018 capital expenditure amount (in USD millions) for 3M?"
Q_COVERAGE = "What is the FY2022 interest coverage ratio for the company?"
WORKING = ("Operating income was $6,098 million and revenue $17,606 million; 36.8% was last "
           "year's margin.\n\n")


def verdict(question: str, gold: object, answer: str) -> str:
    return judge_financial_answer(question, gold, answer).verdict


@pytest.mark.parametrize("answer", [
    "Let me walk you through the answer.\n\nAMCOR operates in the packaging industry.",
    "Okay, let's break this down step by step:\n\nAMCOR operates in the packaging industry.",
    "Here's how I arrived at the answer:\n\nAMCOR operates in the packaging industry.",
])
def test_an_announcement_of_what_follows_is_no_statement(answer: str) -> None:
    judgement = judge_financial_answer(Q_INDUSTRY, G_INDUSTRY, answer)
    assert judgement.verdict == "correct", judgement.reason
    # the statement judged is the first one: the announcement is not counted as one
    assert judgement.reason.startswith('statement 1 ("AMCOR operates'), judgement.reason
    wrong = answer.replace("packaging", "mining")
    assert verdict(Q_INDUSTRY, G_INDUSTRY, wrong) == "incorrect"


def test_an_announcement_with_a_figure_is_a_statement() -> None:
    # a figure other than the question's year says something: it is read as a statement
    reading = read_answer("Here is how I got $1,577 million:\n\nCapex was $1,600 million.")
    assert reading.sentences[0].text == "Here is how I got $1,577 million:"
    reading = read_answer("Okay, let's break this down for FY2018 step by step:\n\n"
                          "Capex was $1,600 million in 2018.")
    assert [s.text for s in reading.sentences] == ["Capex was $1,600 million in 2018."]


@pytest.mark.parametrize("closing", [
    "I hope this explanation helps!", "I hope this is helpful.",
    "I hope this explanation helps clarify the figures. Let me know if you need any "
    "clarification or have additional questions!",
])
def test_a_closing_courtesy_is_no_statement(closing: str) -> None:
    # version 13 read the courtesy as the second opening statement: "only 14%" of the gold
    answer = "AMCOR operates in the packaging industry.\n\n" + closing
    assert verdict(Q_INDUSTRY, G_INDUSTRY, answer) == "correct"
    assert verdict(Q_INDUSTRY, G_INDUSTRY, answer.replace("packaging", "mining")) == "incorrect"
    # a courtesy that states a figure is a statement
    stated = "I hope this helps you see that the capex is $1,600 million."
    assert verdict(Q_CAPEX, 1577, stated) == "incorrect"


@pytest.mark.parametrize("lead_in", [
    "Based on the information provided in the 10-K, ", "According to the filing, ",
    "As per the company's annual report, ",
])
def test_a_lead_in_naming_the_source_is_not_what_the_statement_says(lead_in: str) -> None:
    answer = lead_in + "AMCOR primarily operates in the packaging industry."
    judgement = judge_financial_answer(Q_INDUSTRY, G_INDUSTRY, answer)
    assert judgement.verdict == "correct", judgement.reason
    assert "says mostly what the gold says" in judgement.reason
    assert verdict(Q_INDUSTRY, G_INDUSTRY, answer.replace("packaging", "mining")) == "incorrect"


def test_a_labelled_summary_first_is_read_with_the_answer_it_sums_up() -> None:
    body = ("AMCOR was founded in Australia in 1860. Today it leads the world in {} "
            "production for various use cases.")
    answer = "**TL;DR:** AMCOR operates in packaging.\n\n" + body.format("packaging")
    judgement = judge_financial_answer(Q_INDUSTRY, G_INDUSTRY, answer)
    # version 13 read the summary and one statement after it: "only 14%"
    assert judgement.verdict == "correct", judgement.reason
    assert judgement.reason.startswith('statement 1 ("TL;DR: AMCOR operates in packaging."')
    # a summary after a statement is no lead summary: it reaches one statement, as before
    later = "AMCOR was founded in 1860.\n\nSummary: AMCOR operates in mining. It is old."
    assert verdict(Q_INDUSTRY, G_INDUSTRY, later) == "incorrect"


def test_a_conclusion_restated_word_for_word_is_read_where_first_stated() -> None:
    question = "What are the geographies that Pepsico primarily operates in as of FY2022?"
    gold = ("As of FY2022, Pepsico primarily operates in the following geographies: North "
            "America, Latin America, Europe, Africa, Middle East, South Asia, Asia Pacific, "
            "Australia, New Zealand and China.")
    listed = ("PepsiCo reports these divisions:\n- North America\n- Latin America\n- Europe\n"
              "- Africa, Middle East and South Asia\n- Asia Pacific, Australia, New Zealand and "
              "China\n\n")
    statement = "These divisions reflect PepsiCo's primary geographies of operation as of FY2022."
    answer = listed + statement + "\n\nFinal Answer: " + statement
    judgement = judge_financial_answer(question, gold, answer)
    # version 13 judged the restatement alone: "only 0%" of the gold's content words
    assert judgement.verdict == "correct", judgement.reason
    assert "the list it points back to" in judgement.reason
    short = ("PepsiCo reports these divisions:\n- North America\n- Europe\n\n" + statement
             + "\n\nFinal Answer: " + statement)
    assert verdict(question, gold, short) == "incorrect"


@pytest.mark.parametrize("dash", ["\u2014", "\u2013", "--"])
def test_an_answer_label_may_end_in_a_dash(dash: str) -> None:
    answer = WORKING + f"Final answer {dash} 34.6%"
    judgement = judge_financial_answer(Q_MARGIN, "34.6%", answer)
    assert judgement.verdict == "correct", judgement.reason
    # the dash is no minus sign: the figure cited is the answer's "34.6%"
    assert [c.text for c in judgement.cited] == ["34.6%"], judgement.reason
    assert verdict(Q_MARGIN, "34.6%", WORKING + f"Final answer {dash} 36.8%") == "incorrect"
    assert [n.value for n in parse_financial_numbers(f"Final answer {dash} 34.6%")] == [34.6]


def test_x_after_a_figure_is_a_multiple_unless_a_figure_follows() -> None:
    answer = ("Interest coverage = EBIT / interest expense = $1,020 million / $500 million = "
              "2.04x in FY2022.")
    judgement = judge_financial_answer(Q_COVERAGE, "2.04", answer)
    # version 13 read "2.04x in" as "2.04 times in...": an operand, so no equation's result
    assert judgement.reason.startswith('concludes "2.04"'), judgement.reason
    wrong = judge_financial_answer(Q_COVERAGE, "2.04", answer.replace("2.04x", "1.94x"))
    assert wrong.verdict == "incorrect" and wrong.reason.startswith('concludes "1.94"')
    reading = read_answer("The ratio is 3.5 x 2 = 7, or 3.5 x $2.")
    assert [reading.is_operand(f) for f in reading.figures] == [True, False, False, True, False]
    reading = read_answer("The ratio was 2.04x in FY2022 and 1.8x\nin FY2021.")
    assert not any(reading.is_operand(f) for f in reading.figures)


@pytest.mark.parametrize(("text", "values"), [
    ("(USD 1,577 million)", [1.577e9]),
    ("(EUR 5 million)", [5e6]),
    ("(1,577 million dollars)", [1.577e9]),
    ("(1,577 million)", [1.577e9]),
    # the accounting negative encloses the figure and its symbols
    ("(US$1.2m)", [-1.2e6]),
    ("$(3.2) billion", [-3.2e9]),
    ("(1,234)", [-1234.0]),
    ("(\u20ac1.5bn)", [-1.5e9]),
])
def test_parentheses_around_an_amount_in_words_are_prose(text: str, values: list[float]) -> None:
    assert [n.value for n in parse_financial_numbers(text)] == pytest.approx(values)


def test_an_amount_restated_in_parentheses_is_the_same_amount() -> None:
    answer = "3M's FY2018 capital expenditure was 1.577 billion dollars (USD 1,577 million)."
    judgement = judge_financial_answer(Q_CAPEX, 1577, answer)
    assert judgement.verdict == "correct"
    assert [c.text for c in judgement.cited] == ["1.577 billion dollars", "(USD 1,577 million)"]


@pytest.mark.parametrize(("text", "plain"), [
    ("```text\nThe capex was $1,577 million.\n```", "The capex was $1,577 million.\n"),
    ("~~~\nThe capex was $1,577 million.\n~~~", "The capex was $1,577 million.\n"),
    ("per [3M's 10-K](https://example.com/10k-2018.pdf).", "per 3M's 10-K."),
    ("capex [1](https://example.com/10k-2018.pdf#page=45).", "capex ."),
    ("34.6% (10-K, pp. 36-37).", "34.6%."),
    ("34.6% (Form 10-K 2022, p. 38).", "34.6%."),
    ("34.6% (see page 45).", "34.6%."),
    ("*Operating income was high.\nSo the margin is 34.6%.*",
     "Operating income was high.\nSo the margin is 34.6%."),
])
def test_fences_links_and_page_references_are_markup(text: str, plain: str) -> None:
    read, offsets = unmark(text)
    assert read == plain
    assert len(offsets) == len(read)
    assert "".join(text[i] for i in offsets) == read


@pytest.mark.parametrize("text", [
    # a parenthesis with a figure of its own says something; emphasis ends with its paragraph
    "margin (up 5% on page 4).", "*a b\n\nc d*", "costs (in $) fell", "p. 45 of the filing",
])
def test_what_is_not_markup_is_kept(text: str) -> None:
    assert unmark(text)[0] == text


@pytest.mark.parametrize("answer", [
    "The FY2018 capital expenditure was $1,577 million [1](https://example.com/10k-2018.pdf"
    "#page=45).",
    "The FY2018 capital expenditure was $1,577 million ([10-K, p. 45](https://www.sec.gov/"
    "Archives/edgar/data/66740/a10-k2018.htm)).",
    "```\nThe FY2018 capital expenditure was $1,577 million.\n```",
])
def test_a_cited_or_fenced_answer_keeps_its_verdict(answer: str) -> None:
    # version 13 took the link's "45)" for the concluded figure
    judgement = judge_financial_answer(Q_CAPEX, 1577, answer)
    assert judgement.verdict == "correct", judgement.reason
    assert [c.text for c in judgement.cited] == ["$1,577 million"]
    assert verdict(Q_CAPEX, 1577, answer.replace("1,577", "1,373")) == "incorrect"


@pytest.mark.parametrize(("answer", "expected"), [
    ({"answer": {"value": 1577, "unit": "USD millions"},
      "explanation": "Purchases of PP&E were $1,577 million in 2018; 2017 was $1,373 million."},
     "correct"),
    # the working's figure is not the answer's (version 13 read the object as raw text)
    ({"answer": {"value": 1373, "unit": "USD millions"},
      "explanation": "Purchases of PP&E were $1,577 million in 2018."}, "incorrect"),
    ({"result": {"capex": "$1,577 million", "confidence": 0.95,
                 "reasoning": "2017 was $1,373 million"}}, "correct"),
    ({"result": {"capex": "$1,373 million", "confidence": 1577,
                 "reasoning": "2018 was $1,577 million"}}, "incorrect"),
    ({"steps": [{"step": 1, "calculation": "PP&E purchases: $1,577 million"}],
      "final_answer": {"amount": 1577, "currency": "USD", "scale": "millions"}}, "correct"),
    # a counter's key under the answer's key is the answer ("number" counts steps elsewhere)
    ({"answer": {"number": 1577, "unit": "USD millions"}}, "correct"),
])
def test_a_nested_json_answer_is_read_field_by_field(answer: dict, expected: str) -> None:
    text = json.dumps(answer)
    judgement = judge_financial_answer(Q_CAPEX, 1577, text)
    assert judgement.verdict == expected, judgement.reason
    for cited in judgement.cited:
        assert text[cited.start:cited.end] == cited.text


def test_nested_json_keeps_working_meta_and_counters_apart() -> None:
    text = json.dumps({"steps": [{"step": 1, "note": "PP&E purchases"}, {"step": 2, "note": "sum"}],
                       "answer": {"value": 1577, "unit": "USD millions", "confidence": 0.9,
                                  "explanation": "from the cash flow statement"},
                       "metadata": {"model": "m", "latency_ms": 812}})
    read = structured_text(text)
    assert read is not None
    plain, offsets = read
    assert plain == ("PP&E purchases\nsum\n\nfrom the cash flow statement\n\n"
                     "Final Answer: 1577 USD millions")
    assert "812" not in plain and "0.9" not in plain
    # each value points back at where the object writes it
    for value in ("PP&E purchases", "sum", "from the cash flow statement", "1577", "USD millions"):
        at = plain.index(value)
        assert "".join(text[o] for o in offsets[at:at + len(value)]) == value


def test_a_question_restated_as_q_labels_the_answer_after_a() -> None:
    question = "What is the FY2022 operating margin, given FY2021's 36.8%?"
    for answer in (f"Q: {question}\nA: 34.6%", f"**Q:** {question}\n**A:** 34.6%"):
        judgement = judge_financial_answer(question, "34.6%", answer)
        # version 13 read the restated question as the answer's first statement ("8%?")
        assert judgement.verdict == "correct", (answer, judgement.reason)
        wrong = answer.replace("A: 34.6%", "A: 36.8%").replace("A:** 34.6%", "A:** 36.8%")
        assert verdict(question, "34.6%", wrong) == "incorrect", wrong
    # "Q2" or a quarter's label is no restated question
    answer = "Q2 operating margin was 36.8%.\nQ: the FY2022 margin is 34.6%."
    assert verdict(question, "34.6%", answer) == "correct"


@pytest.mark.parametrize("adversarial", [
    "[a](http://" * 100_000, "~~~\n" * 200_000, "(p. 1" * 150_000, "*a\n" * 250_000,
    '{"a": ' * 100_000, "Q: a\nA: " * 100_000, "does not appear " * 60_000,
    "Let's break this down " * 45_000, "I hope this explanation " * 40_000,
    "Based on the information " * 40_000, "TL;DR: a. " * 100_000, "Final answer -- 1 " * 50_000,
    '{"answer": ' + '{"a": [' * 7 + "1" + "]}" * 7 + "}",
])
def test_new_readings_stay_linear_on_adversarial_answers(adversarial: str) -> None:
    import time

    started = time.perf_counter()
    judge_financial_answer(Q_CAPEX, 1577, adversarial)
    assert time.perf_counter() - started < 2.0


# --- tables of several value columns (correctness version 14) ---------------------------------

BY_YEAR = ("| Metric | FY2021 | FY2022 |\n|---|---|---|\n| Operating income | $5,802M | $6,098M |\n"
           "| Revenue | $15,785M | $17,606M |\n| Operating margin | {} | {} |")
YEARS_DOWN = ("Here is the breakdown:\n\n| Year | Revenue | Operating margin |\n|:--|--:|--:|\n"
              "| FY2021 | $15,785M | {} |\n| FY2022 | $17,606M | {} |\n\nThe margin fell.")


@pytest.mark.parametrize("table", [BY_YEAR, YEARS_DOWN,
                                   "| | FY2021 | FY2022 |\n|--|--|--|\n| Operating margin | {} | {} |"])
def test_a_table_reads_each_cell_with_its_row_and_column(table: str) -> None:
    # version 13 read a row as a line of figures whose periods were in another line, and
    # credited the gold's figure in the FY2021 column
    right = table.format("36.8%", "34.6%")
    judgement = judge_financial_answer(Q_MARGIN, "34.6%", right)
    assert judgement.verdict == "correct", judgement.reason
    assert [c.text for c in judgement.cited] == ["34.6%"]
    assert right[judgement.cited[0].start:judgement.cited[0].end] == "34.6%"
    assert right.index("34.6%") == judgement.cited[0].start
    wrong = judge_financial_answer(Q_MARGIN, "34.6%", table.format("34.6%", "36.8%"))
    assert wrong.verdict == "incorrect", wrong.reason


def test_a_table_is_written_out_with_its_headings() -> None:
    text = "| Metric | FY2021 | FY2022 |\n|---|:-:|---|\n| Operating margin | 36.8% | — |\n"
    plain, offsets = unmark(text)
    assert plain == "Operating margin FY2021: 36.8%.\n"
    assert len(offsets) == len(plain)
    for word in ("Operating margin", "FY2021", "36.8%"):
        at = plain.index(word)
        assert "".join(text[o] for o in offsets[at:at + len(word)]) == word
    # one value column reads as it is; a line with a bar is no table
    for kept in ("| Metric | FY2022 |\n|---|---|\n| Operating margin | 34.6% |",
                 "Margin | 34.6% in FY2022", "a -- b | c"):
        assert unmark(kept)[0] == kept


def test_reading_tables_stays_linear() -> None:
    import time

    big = "| a | b | c |\n|---|---|---|\n" + "| x | 1 | 2 |\n" * 100_000
    started = time.perf_counter()
    judge_financial_answer(Q_MARGIN, "34.6%", big)
    assert time.perf_counter() - started < 3.0
