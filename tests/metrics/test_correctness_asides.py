"""Statements about an answer are not the answer: a restated question, a sources or
confidence line, a disclaimer (`agility.metrics._asides`).

Each wrapping below is how current models often frame an answer; the wrapped answer must
keep the plain one's verdict, and its reason must still point into the answer as given.
"""

from __future__ import annotations

import re

import pytest

from agility.metrics import judge_financial_answer
from agility.metrics._markup import unmark
from agility.metrics._refusal import declines

Q_CAPEX = "What is the FY2018 capital expenditure amount (in USD millions) for 3M?"
Q_MARGIN = ("Does Adobe have an improving operating margin profile as of FY2022? If operating "
            "margin is not a useful metric for a company like this, then state that and explain "
            "why.")
Q_INDUSTRY = "What industry does AMCOR primarily operate in?"
Q_GEO = "Which debt securities are registered to trade on a national securities exchange?"

# (question, gold, plain answer, its verdict)
CASES = [
    (Q_CAPEX, 1577, "The cash flow statement shows purchases of property, plant and equipment "
     "of $1,577 million in 2018.\n\nSo the FY2018 capital expenditure was $1,577 million.",
     "correct"),
    (Q_CAPEX, 1577, "Purchases of property, plant and equipment were $1,620 million.\n\n"
     "Therefore, the FY2018 capital expenditure was $1,620 million.", "incorrect"),
    (Q_MARGIN, "No, the operating margin declined from 36.8% in FY2021 to 34.6% in FY2022.",
     "No. Adobe's operating margin declined from 36.8% in FY2021 to 34.6% in FY2022.",
     "correct"),
    (Q_INDUSTRY, "Amcor is a global leader in packaging production for various use cases.",
     "AMCOR primarily operates in the packaging industry.", "correct"),
    (Q_GEO, "There are none", "The filing lists no debt securities registered on an exchange; "
     "only its common shares trade on the New York Stock Exchange.", "correct"),
    (Q_CAPEX, 1577, "I'm sorry, but the provided documents do not contain the cash flow "
     "statement, so I cannot determine the capital expenditure.", "refusal"),
]

WRAPS = {
    "question restated": lambda q, a: f"**Question:** {q}\n\n**Answer:**\n{a}",
    "question verbatim": lambda q, a: f"{q}\n\n{a}",
    "you asked": lambda q, a: f"You asked: {q}\n\n{a}",
    "answer header": lambda q, a: f"**Answer:**\n{a}",
    "answer heading": lambda q, a: f"## Answer\n\n{a}",
    "disclaimer": lambda q, a: a + "\n\nNote: This analysis is based solely on the provided "
    "filing; figures may differ slightly due to rounding. Please consult the full 10-K for "
    "complete details.",
    "not advice": lambda q, a: a + "\n\n*This is not financial advice.*",
    "sources line": lambda q, a: a + "\n\nSources: Form 10-K (2022), Consolidated Statements "
    "of Cash Flows, p. 45; Note 7.",
    "confidence": lambda q, a: a + "\n\nConfidence: High",
}


def assert_reason_points_into(answer: str, judgement) -> None:
    for quoted, start, end in re.findall(r'"([^"]+)" \(characters (\d+)-(\d+)\)', judgement.reason):
        assert answer[int(start):int(end)] == quoted, (quoted, judgement.reason)


@pytest.mark.parametrize("wrap", sorted(WRAPS))
@pytest.mark.parametrize(("question", "gold", "plain", "verdict"), CASES)
def test_a_wrapped_answer_keeps_its_verdict(wrap, question, gold, plain, verdict) -> None:
    assert judge_financial_answer(question, gold, plain).verdict == verdict
    wrapped = WRAPS[wrap](question, plain)
    judgement = judge_financial_answer(question, gold, wrapped)
    assert judgement.verdict == verdict, (wrap, wrapped, judgement.reason)
    assert_reason_points_into(wrapped, judgement)
    assert (declines(wrapped, question) is None) == (verdict != "refusal"), wrap


def test_an_aside_that_states_a_figure_is_a_statement() -> None:
    # "see Note 7 for more details" beside a figure: the figure is the answer's
    for answer in ("Please see Note 7 for more details; capex was $1,577 million.",
                   "Source: the cash flow statement shows capex of $1,577 million."):
        assert unmark(answer)[0] == answer
        assert judge_financial_answer(Q_CAPEX, 1577, answer).verdict == "correct"
    # advice to find the figure elsewhere is no aside: it declines
    refusal = ("The filing excerpt does not include the cash flow statement. Please consult "
               "the full 10-K to find the capital expenditure.")
    assert judge_financial_answer(Q_CAPEX, 1577, refusal).verdict == "refusal"


def test_asides_are_left_out_with_the_map_back_to_the_answer() -> None:
    answer = ("**Question:** What is the FY2018 capital expenditure?\n\n**Answer:**\nCapex was "
              "$1,577 million.\n\nSources: Form 10-K, p. 45.\nConfidence: 90%\n\nThis is not "
              "investment advice.")
    plain, offsets = unmark(answer)
    assert plain.strip() == "Capex was $1,577 million."
    assert len(offsets) == len(plain)
    assert "".join(answer[i] for i in offsets) == plain
    judgement = judge_financial_answer(Q_CAPEX, 1577, answer)
    assert judgement.verdict == "correct"
    assert_reason_points_into(answer, judgement)


# --- an answer given as a JSON object (structured output) ----------------------------------

def test_an_answer_given_as_a_json_object_is_read_as_its_text() -> None:
    import json

    working = ("Purchases of property, plant and equipment were $1,577 million in 2018.\n\n"
               "In 2017 they were $1,373 million.")
    for given, verdict in (
            (json.dumps({"reasoning": working, "answer": "$1,577 million"}, indent=2), "correct"),
            (json.dumps({"answer": "$1,620 million", "reasoning": working}), "incorrect"),
            ("```json\n" + json.dumps({"answer": working + "\n\nSo capex was $1,577 million."})
             + "\n```", "correct"),
            ("```json\n" + json.dumps({"response": working + "\n\nSo capex was $1,620 million.",
                                         "sources": ["Form 10-K"], "confidence": "high"})
             + "\n```", "incorrect"),
            (json.dumps({"answer": "I cannot determine this from the provided documents.",
                         "confidence": 0.2}), "refusal")):
        judgement = judge_financial_answer(Q_CAPEX, 1577, given)
        assert judgement.verdict == verdict, (given, judgement.reason)
        assert_reason_points_into(given, judgement)
    # "\n" in the JSON is a line break of the text; "\u00e9" one character, cited in place
    plain, offsets = unmark('{"answer": "Line one.\\nCaf\\u00e9 capex: $5"}')
    assert plain == "Line one.\nCaf\u00e9 capex: $5"
    assert '{"answer": "Line one.\\nCaf\\u00e9 capex: $5"}'[offsets[plain.index("$")]] == "$"
    # no JSON object, or nested deeper than an answer is: read as written
    for text in ("{not json}", '{"a": ' + "[" * 50_000 + "]" * 50_000 + "}",
                 '{"a": ' + '{"b": ' * 7 + '"c"' + "}" * 8):
        assert unmark(text)[0] == text
