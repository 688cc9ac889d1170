"""A figure that contradicts the gold's is never credited (issues 10 and 13).

The offline grader credited "Total liabilities were $118.4 million" against the gold "$678.9
million" whenever the question was not worded as a quantity ("What were Kestrel Ridge's total
liabilities ...?"): the gold then fell to the word-overlap rule, and the only word of "$678.9
million" besides its figure, "million", is in the answer. The property tests below grade many
gold figures against answers that state another figure (another value, another magnitude or
unit word, a percent for a percent, negative or in parentheses, with or without "$" and
thousands separators, beside years, dates and the question's own figures) and assert that
none is credited, and that restatements of the gold within its stated precision still are.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from agility.metrics import judge_financial_answer

TOTAL_LIABILITIES = "total liabilities"


def test_a_contradicting_total_liabilities_figure_is_not_credited() -> None:
    # the case found while running the demo, under the wordings that reached the word rule
    answer = "Total liabilities were $118.4 million"
    for question in (None, "", "What were Kestrel Ridge's total liabilities at December 31, "
                     "2024?", "What was the company's total liabilities at the end of FY2024?",
                     "Total liabilities at December 31, 2024?", "State the total liabilities."):
        judgement = judge_financial_answer(question, "$678.9 million", answer)
        assert judgement.verdict == "incorrect", (question, judgement.reason)
        assert '"$118.4 million"' in judgement.reason and "$678.9 million" in judgement.reason
        assert judge_financial_answer(question, "$678.9 million",
                                      "Total liabilities were $678.9 million").verdict == "correct"


def test_a_year_in_parentheses_is_not_a_figure_of_the_answer() -> None:
    question = "What were Kestrel Ridge's total liabilities at December 31, 2024?"
    answer = "Total liabilities were $678.9 million (2023: $762.2 million)."
    judgement = judge_financial_answer(question, 0.397, answer)
    assert judgement.verdict == "incorrect"
    assert [c.text for c in judgement.cited] == ["$678.9 million"]  # 2023 is no figure
    assert judge_financial_answer(question, "$678.9 million", answer).verdict == "correct"


def test_the_gold_figure_given_for_another_year_is_not_the_answer() -> None:
    question = "What were Kestrel Ridge's total liabilities at December 31, 2024?"
    answer = "Total liabilities were $118.4 million at December 31, 2024 (2023: $678.9 million)."
    judgement = judge_financial_answer(question, "$678.9 million", answer)
    assert judgement.verdict == "incorrect", judgement.reason
    assert judge_financial_answer(question, "$118.4 million", answer).verdict == "correct"


# --- the property: golds x contradicting answers x wordings ------------------------------

def _questions(subject: str, year_word: str = "were") -> list[str | None]:
    return [
        None, "",
        f"What {year_word} Kestrel Ridge's {subject} at December 31, 2024?",
        f"What was the company's {subject} at the end of FY2024?",
        f"{subject.capitalize()} at December 31, 2024?",
        f"State Kestrel Ridge's {subject} for FY2024.",
        f"Tell me about Kestrel Ridge's {subject}.",
        f"Kestrel Ridge reported {subject} above $500 million in 2023; what about 2024?",
        f"How much was the {subject} of Kestrel Ridge in 2024?",
    ]


# answers: {f} is the figure, {s} the subject; some mention years, dates, page and note numbers
# and the question's own figure ($500 million) beside the answer's figure
_TEMPLATES = [
    "{S} were {f}.",
    "{f}",
    "The answer is {f}.",
    "At December 31, 2024, {s} were {f}.",
    "In FY2024, the figure was {f}.",
    "Kestrel Ridge's {s} were {f} at December 31, 2024.",
    "Based on the balance sheet in the 2024 10-K, {s} amounted to {f}.",
    "{S} were {f} (2023: $500 million).",
    "{S} were {f}, above the $500 million mentioned.",
    "Looking at the filing for 2024, I found that {s} were {f}. This reflects the company's "
    "obligations.",
    "Therefore, {s} are approximately {f}.",
    "According to the 10-K, as of June 30, 2024 the {s} were {f}.",
    "To find the {s}, I read the balance sheet on page 45 (note 12) of the 2024 annual report "
    "and added the line items.\n\nTherefore, the {s} were {f}.",
]

# (subject, golds stating one figure, contradicting figures, restatements within the gold's
# stated precision). Each gold is also given as a sentence naming the subject.
_CASES = [
    (TOTAL_LIABILITIES, ["$678.9 million", "678.9 million", "$678,900,000", "USD 678.9 million"],
     ["$118.4 million", "$678.9 billion", "$678.9 thousand", "$762.2 million", "$67.89 million",
      "$6.789 billion", "$(118.4) million", "-$118.4 million", "118.4 million", "$118,400,000",
      "$1.2 billion", "$0.6 billion", "$640 million", "$718.9 million", "$679.9 million",
      "$6,789 million", "678.9 billion dollars", "$611 million", "$0.8 billion",
      "$1,357.8 million", "$678.9 trillion"],
     ["$678.9 million", "$678,900,000", "$0.68 billion", "$679 million", "$678.9M",
      "678.9 million", "USD 678.9 million", "$0.6789 billion", "678,900 thousand dollars",
      "$678.9 mn", "$678.90 million", "$0.7 billion"]),
    ("capital expenditure", ["$1,577 million", "$1.577 billion", "1577 million"],
     ["$1,493 million", "$1,577 billion", "$157.7 million", "$15.77 billion", "$1.6 trillion",
      "$(1,493) million", "$1.49 billion", "$2.5 billion", "$1,757 million", "$1.2 billion"],
     ["$1,577 million", "$1.577 billion", "$1.58 billion", "$1577 million", "$1.6 billion",
      "1,577 million"]),
    ("operating margin", ["14.8%", "14.8 percent"],
     ["24.8%", "1.48%", "148%", "-24.8%", "(24.8%)", "18.4%", "14.0%", "0.248", "15.8%",
      "41.8%", "13.5%", "0.0148"],
     ["14.8%", "0.148", "14.8 percent", "approximately 15%", "14.80%"]),
    ("current ratio", ["2.82", "2.82x"],
     ["3.82", "28.2", "0.282", "2.28", "(2.28)", "-3.82", "1.82", "28.2%", "2.5", "3.1"],
     ["2.82", "2.8", "2.820", "282%", "2.82x", "2.82 times"]),
    ("days payable outstanding", ["42.69 days"],
     ["24.69 days", "52.69 days", "4.269 days", "47.1 days", "38 days"],
     ["42.69 days", "42.7 days", "42.67 days"]),
    ("net loss", ["-$3.2 billion", "$(3.2) billion", "a loss of $3.2 billion"],
     ["$4.5 billion", "-$4.5 billion", "$(4.5) billion", "-$3.2 million", "$32 billion",
      "$(2.3) billion", "-$320 million"],
     ["-$3.2 billion", "$(3.2) billion", "-$3,200 million", "$3.2 billion"]),
]


def _golds(subject: str, golds: list[str]) -> Iterator[str]:
    for gold in golds:
        yield gold
        yield f"{subject.capitalize()} were {gold}."
        yield f"Kestrel Ridge's {subject} were {gold} at December 31, 2024."


def _answers(subject: str, figure: str) -> Iterator[str]:
    for template in _TEMPLATES:
        yield template.format(f=figure, s=subject, S=subject.capitalize())


def _graded(subject: str, golds: list[str], figures: list[str]
            ) -> Iterator[tuple[str | None, str, str, str, str]]:
    """Every figure in every answer template, each pair graded against two of the (gold
    wording, question) pairs in turn, so that every gold wording and every question is met
    with every figure (all combinations would take minutes)."""
    settings = list(itertools.product(_golds(subject, golds), _questions(subject)))
    answers = [a for figure in figures for a in _answers(subject, figure)]
    for index, answer in enumerate(answers):
        for turn in (index, index + len(settings) // 2):
            gold, question = settings[turn % len(settings)]
            judgement = judge_financial_answer(question, gold, answer)
            yield question, gold, answer, judgement.verdict, judgement.reason


@pytest.mark.parametrize("case", _CASES, ids=[c[0] for c in _CASES])
def test_no_contradicting_figure_is_credited(case: tuple) -> None:
    subject, golds, contradicting, _ = case
    credited = [(q, g, a, reason) for q, g, a, verdict, reason
                in _graded(subject, golds, contradicting) if verdict == "correct"]
    assert not credited, f"{len(credited)} contradicting answers credited, e.g. {credited[:3]}"


@pytest.mark.parametrize("case", _CASES, ids=[c[0] for c in _CASES])
def test_restatements_of_the_gold_are_still_credited(case: tuple) -> None:
    subject, golds, _, restated = case
    missed = [(q, g, a, verdict, reason) for q, g, a, verdict, reason
              in _graded(subject, golds, restated) if verdict != "correct"]
    assert not missed, f"{len(missed)} restatements not credited, e.g. {missed[:3]}"


@pytest.mark.parametrize(("gold", "question"), [
    (1577, "What is the FY2024 capital expenditure amount (in USD millions) for Kestrel Ridge?"),
    (678.9, "What were Kestrel Ridge's total liabilities at December 31, 2024 (in USD "
            "millions)?"),
    (0.397, "What is Kestrel Ridge's FY2024 COGS % margin?"),
])
def test_bare_number_golds_reject_other_figures(gold: float, question: str) -> None:
    wrong = [f"{gold * factor:,.2f}" for factor in (0.5, 0.9, 1.12, 2, 10)]
    wrong += [f"${gold * 0.8:,.1f} million", f"({gold * 0.7:,.1f})", f"-{gold * 1.3:,.2f}"]
    if gold < 1:
        wrong += [f"{gold * 100 * 1.1:.1f}%", f"{gold * 10:.1f}%"]
    for figure, template in itertools.product(wrong, _TEMPLATES):
        answer = template.format(f=figure, s="figure", S="The figure")
        judgement = judge_financial_answer(question, gold, answer)
        assert judgement.verdict != "correct", (answer, judgement.reason)


@pytest.mark.parametrize("gold", ["An increase of $54.1 million", "$54.1 million increase",
                                  "Working capital increased by $54.1 million in 2024."])
@pytest.mark.parametrize("question", [
    None, "How much did Kestrel Ridge's working capital change from 2023 to 2024?",
    "What happened to working capital in 2024?"])
def test_a_change_the_other_way_is_another_figure(gold: str, question: str | None) -> None:
    for answer in ("Working capital decreased by $54.1 million.", "A decline of $54.1 million.",
                   "Working capital fell $54.1 million in 2024.",
                   "Therefore, working capital went down by $54.1 million."):
        judgement = judge_financial_answer(question, gold, answer)
        assert judgement.verdict == "incorrect", (answer, judgement.reason)
        assert "went down" in judgement.reason and "the gold says up" in judgement.reason
    for answer in ("Working capital increased by $54.1 million.", "It rose $54.1 million.",
                   "Working capital grew by $54.1 million, driven by lower payables."):
        judgement = judge_financial_answer(question, gold, answer)
        assert judgement.verdict == "correct", (answer, judgement.reason)
