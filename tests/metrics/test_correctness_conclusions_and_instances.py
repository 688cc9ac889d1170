"""What an answer concludes on, and what its yes names (correctness version 11).

Read from llama2's disagreements with FinanceBench's experts (the gpt-4 families held out of
these rules), stated generally; the answers below are synthetic, about a made-up company.

- A conclusion drawn from the working that introduces a list ("Therefore, the primary
  geographies Kestrel Ridge operates in are:" and its items) is what the answer commits to,
  not the opening statement before the working. (Read from the gpt-4 families' open cases,
  with llama2 held out of it, the mirror image:) a statement that points back to the list
  before it ("These divisions reflect Kestrel Ridge's primary geographies") answers with it.
- The direction of change an answer commits to is the one it says of the asked figure, in
  its conclusion when it draws one ("As a result, the operating margin decreased"); a change
  named in passing ("the acquisition, which expanded the portfolio") is not the answer's. A
  gold that says there was no change ("the real growth was flat") gives no direction.
- A passage the answer quotes from its source (in quotation marks) is evidence: its figures
  are neither the figure the answer concludes on nor another value it gives for the gold's.
- One unit of money a gold states a rate against ("$2.41 of assets to generate $1 of
  revenue") is the rate's base, not a quantity the answer must state.
- A question asking whether there are any of a kind ("Were there any nominees who ...?") is
  answered yes by naming them: a yes that names others and none of the gold's says yes of
  something else.
"""

from __future__ import annotations

import gc
import random
import time

import pytest

from agility.metrics import judge_financial_answer
from agility.metrics._answer import read_answer

# --- a conclusion that introduces a list ----------------------------------------------------

GEOGRAPHIES = "What are the geographies that Kestrel Ridge primarily operates in as of FY2024?"
GEOGRAPHIES_GOLD = ("As of FY2024, Kestrel Ridge primarily operates in North America, Latin "
                    "America, Europe, the Middle East and Asia Pacific.")
_OPENING = ("As of FY2024, Kestrel Ridge primarily operates in more than 90 countries and "
            "territories across the world. It sells its products through its own operations, "
            "authorized distributors and contract manufacturers, serving customers worldwide. ")


@pytest.mark.parametrize("conclusion", [
    "Therefore, the primary geographies that Kestrel Ridge operates in as of FY2024 are:",
    "So, the geographies Kestrel Ridge primarily operates in are:",
    "In summary, Kestrel Ridge's primary geographies as of FY2024 are the following:",
])
@pytest.mark.parametrize("marker", ["*", "-", "1."])
def test_a_concluding_list_is_the_answer_not_the_opening(conclusion: str, marker: str) -> None:
    items = ["North America", "Latin America", "Europe", "Asia Pacific", "Middle East and Africa"]
    listed = "\n".join(f"{i + 1}. {item}" if marker == "1." else f"{marker} {item}"
                       for i, item in enumerate(items))
    answer = f"{_OPENING}{conclusion}\n\n{listed}\n\nIt has a strong global presence."
    judgement = judge_financial_answer(GEOGRAPHIES, GEOGRAPHIES_GOLD, answer)
    assert judgement.verdict == "correct", judgement.reason
    assert "the list it introduces" in judgement.reason


def test_a_concluding_list_of_other_places_is_incorrect() -> None:
    answer = (f"{_OPENING}Therefore, the primary geographies that Kestrel Ridge operates in "
              "are:\n\n* Scandinavia\n* Oceania\n* the Caribbean")
    judgement = judge_financial_answer(GEOGRAPHIES, GEOGRAPHIES_GOLD, answer)
    assert judgement.verdict == "incorrect", judgement.reason


# (read from the gpt-4 families' open cases, llama2 held out of it) a statement that points
# back to the list before it answers with that list
@pytest.mark.parametrize("pointer", [
    "These divisions reflect Kestrel Ridge's primary geographies of operation as of FY2024.",
    "In summary, these are the geographies Kestrel Ridge primarily operates in.",
    "All of the above are the primary geographies of Kestrel Ridge as of FY2024.",
])
def test_a_statement_pointing_back_to_a_list_answers_with_it(pointer: str) -> None:
    answer = ("The requested information can be found in the \"Our Divisions\" section of the "
              "filing, which outlines the reportable segments, as follows:\n\n"
              "1) Kestrel North America: beverage businesses in the United States and Canada.\n"
              "2) Latin America: all businesses in Latin America.\n"
              "3) Europe: all businesses in Europe.\n"
              "4) Middle East: all businesses in the Middle East.\n"
              "5) Asia Pacific: all businesses in Asia Pacific.\n\n" + pointer)
    judgement = judge_financial_answer(GEOGRAPHIES, GEOGRAPHIES_GOLD, answer)
    assert judgement.verdict == "correct", judgement.reason
    assert "points back to" in judgement.reason


def test_a_statement_pointing_back_to_other_places_is_incorrect() -> None:
    answer = ("The filing lists its segments as follows:\n\n1) Scandinavia: retail stores.\n"
              "2) Oceania: wholesale.\n\nThese divisions reflect Kestrel Ridge's primary "
              "geographies of operation as of FY2024.")
    judgement = judge_financial_answer(GEOGRAPHIES, GEOGRAPHIES_GOLD, answer)
    assert judgement.verdict == "incorrect", judgement.reason


# --- the direction said of the asked figure, in the conclusion ------------------------------

MARGIN = ("What drove operating margin change as of FY2024 for Kestrel Ridge? If operating "
          "margin is not a useful metric for a company like this, then please state that and "
          "explain why.")
MARGIN_GOLD = ("The decrease in Kestrel Ridge's operating margin was primarily driven by "
               "amortization of intangible assets associated with the Larkspur acquisition.")
_WORKING = ("The operating margin change for Kestrel Ridge in FY2024 was driven by several "
            "factors, including the acquisition of Larkspur, which expanded Kestrel Ridge's "
            "product portfolio and established it in new markets. The company also had to "
            "absorb the amortization of intangible assets from the acquisition and higher "
            "integration costs. ")


@pytest.mark.parametrize("conclusion", [
    "As a result, the company's operating margin percentage decreased in FY2024 compared to "
    "the previous year.",
    "Consequently, Kestrel Ridge's operating margin declined in FY2024.",
    "Therefore, the operating margin was lower in FY2024 than in FY2023.",
])
def test_the_concluded_direction_outweighs_a_change_named_in_passing(conclusion: str) -> None:
    answer = (_WORKING + conclusion + "\n\nOperating margin is a useful metric for a company "
              "like Kestrel Ridge, as it shows how efficiently it turns revenue into profit.")
    judgement = judge_financial_answer(MARGIN, MARGIN_GOLD, answer)
    assert judgement.verdict == "correct", judgement.reason


def test_a_concluded_direction_against_the_gold_is_incorrect() -> None:
    answer = _WORKING + "As a result, Kestrel Ridge's operating margin increased in FY2024."
    judgement = judge_financial_answer(MARGIN, MARGIN_GOLD, answer)
    assert judgement.verdict == "incorrect", judgement.reason
    assert "went up in statement 3" in judgement.reason


def test_a_change_of_something_else_in_the_conclusion_is_not_the_answers_direction() -> None:
    answer = ("The operating margin change for Kestrel Ridge in FY2024 was primarily driven by "
              "the amortization of intangible assets associated with the Larkspur "
              "acquisition. Therefore, while the operating margin decreased in FY2024, this "
              "metric alone may not capture the potential revenue growth the acquisition "
              "could bring.")
    judgement = judge_financial_answer(MARGIN, MARGIN_GOLD, answer)
    assert judgement.verdict == "correct", judgement.reason


def test_a_flat_gold_gives_no_direction() -> None:
    question = ("How much was the real change in sales for Kestrel Ridge in FY2024 vs FY2023, "
                "if we exclude the impact of FX movement and one-off items?")
    gold = "The real growth was flat in FY2024 vs FY2023."
    answer = ("The real change in sales for Kestrel Ridge in FY2024 vs FY2023, excluding the "
              "impact of FX movement and one-off items, decreased slightly.")
    judgement = judge_financial_answer(question, gold, answer)
    assert "the gold says up" not in judgement.reason


# --- a quoted passage -----------------------------------------------------------------------

SEGMENT = ("In FY2024 Q2, which of Kestrel Ridge's business segments had the highest net "
           "income?")
SEGMENT_GOLD = "Commercial Banking. Its net income was $2,140 million."


@pytest.mark.parametrize(("open_quote", "close_quote"), [('"', '"'), ("\u201c", "\u201d")])
def test_figures_in_a_quoted_passage_are_evidence(open_quote: str, close_quote: str) -> None:
    answer = ("Based on the information provided in the text, the business segment with the "
              "highest net income in FY2024 Q2 was Commercial Banking. This is stated in the "
              f"passage as follows: {open_quote}For the second quarter of FY2024, Kestrel "
              "Ridge reported net income of $6.1 billion, up 40%. The results included a gain "
              "of $1.3 billion in Corporate and a net addition to the allowance for credit "
              f"losses of $0.4 billion.{close_quote} Therefore, the correct answer is "
              "Commercial Banking.")
    judgement = judge_financial_answer(SEGMENT, SEGMENT_GOLD, answer)
    assert judgement.verdict == "correct", judgement.reason


def test_the_answers_own_figure_for_the_gold_quantity_still_counts() -> None:
    answer = ("The business segment with the highest net income in FY2024 Q2 was Commercial "
              "Banking, with net income of $1,500 million.")
    judgement = judge_financial_answer(SEGMENT, SEGMENT_GOLD, answer)
    assert judgement.verdict == "incorrect", judgement.reason


def test_a_quoted_passage_commits_to_no_figure() -> None:
    # the reading `answered` shares: a conclusion that only quotes figures commits to none
    reading = read_answer("The segment figure is not broken out. Therefore, as the filing puts "
                          "it, \"the firm reported net income of $6.1 billion in the second "
                          "quarter of FY2024, up 40% on the year\".")
    assert reading.concluded == ((), None)
    unquoted = read_answer("Therefore, the firm reported net income of $6.1 billion.")
    assert [f.raw for f in unquoted.concluded[0]] == ["$6.1 billion"]


# --- one unit of money a rate is stated against ---------------------------------------------

INTENSITY = "Is Kestrel Ridge a capital intensive business based on FY2024 data?"


@pytest.mark.parametrize("base", [
    "it took approximately $2.41 of assets to generate $1 of revenue",
    "it holds about $2.41 of assets for every $1 of sales",
    "it needs $2.41 of assets per $1 of revenue",
])
def test_one_unit_a_rate_is_stated_against_is_no_quantity(base: str) -> None:
    gold = (f"Yes. Kestrel Ridge's capital intensity ratio was approximately 2.41. This means "
            f"that {base} and thus, Kestrel Ridge can be considered capital intensive.")
    answer = ("Yes, Kestrel Ridge is a capital-intensive business based on FY2024 data. The "
              "company's total assets for 2024 were $96,400 million, and its operating "
              "revenues were $40,010 million.")
    judgement = judge_financial_answer(INTENSITY, gold, answer)
    assert judgement.verdict == "correct", judgement.reason


def test_a_dollar_amount_that_is_a_quantity_is_still_judged() -> None:
    question = "What was Kestrel Ridge's revenue in FY2024?"
    gold = "Kestrel Ridge's revenue was $1 billion in FY2024."
    answer = "Kestrel Ridge's revenue was $2 billion in FY2024."
    assert judge_financial_answer(question, gold, answer).verdict == "incorrect"


# --- what a yes names -----------------------------------------------------------------------

NOMINEES = ("Were there any board member nominees who had substantially more votes against "
            "joining than the other nominees?")
NOMINEES_GOLD = "Yes, his name is Tobias R. Wendell"
CATEGORIES = ("Are there any product categories / service categories that represent more than "
              "20% of Kestrel Ridge's revenue for FY2024?")
CATEGORIES_GOLD = ("Yes. Kestrel Ridge has product and service categories that represent more "
                   "than 20% of its revenue for FY2024. These categories are Industrial Pumps "
                   "which comprises 41% of total revenue and Field Services which comprises 27% "
                   "of total revenue.")


@pytest.mark.parametrize("answer", [
    "Based on the votes set forth above, it appears that Marguerite L. Osei had substantially "
    "more votes against her joining the Board than the other nominees. Therefore, the answer "
    "to the question is yes, Marguerite L. Osei had substantially more votes against joining.",
    "Yes, Marguerite Osei received 412,000 votes against her election, far more than the other "
    "nominees.",
])
def test_a_yes_naming_another_nominee_is_incorrect(answer: str) -> None:
    judgement = judge_financial_answer(NOMINEES, NOMINEES_GOLD, answer)
    assert judgement.verdict == "incorrect", judgement.reason
    assert "Marguerite" in judgement.reason and "Tobias R. Wendell" in judgement.reason


@pytest.mark.parametrize("answer", [
    "Based on the information provided, the following product categories represented more "
    "than 20% of Kestrel Ridge's revenue for FY2024:\n\n* Garden furniture (31%)\n* Pet "
    "supplies (22%)",
    "Yes, there are two such categories:\n1. Garden furniture: 31% of total revenue.\n2. Pet "
    "supplies: 22% of total revenue.",
])
def test_a_yes_listing_other_categories_is_incorrect(answer: str) -> None:
    judgement = judge_financial_answer(CATEGORIES, CATEGORIES_GOLD, answer)
    assert judgement.verdict == "incorrect", judgement.reason


@pytest.mark.parametrize(("question", "gold", "answer"), [
    (NOMINEES, NOMINEES_GOLD, "Yes, Tobias R. Wendell received 412,000 votes against his "
                              "election, far more than the other nominees."),
    (NOMINEES, NOMINEES_GOLD, "Yes, one nominee received far more votes against joining the "
                              "board than the other nominees did."),
    (CATEGORIES, CATEGORIES_GOLD, "Yes, there are two product categories that represent more "
                                  "than 20% of revenue:\n1. Industrial Pumps: 41%\n2. Field "
                                  "Services: 27%"),
])
def test_a_yes_naming_the_golds_instances_or_none_stands(question: str, gold: str,
                                                         answer: str) -> None:
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict == "correct", judgement.reason


# --- no catastrophic backtracking -----------------------------------------------------------

def _random_answer(words: int, seed: int) -> str:
    rng = random.Random(seed)
    vocabulary = ["Kestrel", "Ridge", "operating", "margin", "decreased", "As", "a", "result",
                  "Therefore,", "are:", "\n*", "\"", "\u201c", "$1", "of", "revenue", "Yes,",
                  "Tobias", "R.", "Wendell", "$2.41", "assets", "flat", "growth", "the", "was",
                  "1.", "Europe", "North", "America", "increased", "sales", "."]
    return " ".join(rng.choice(vocabulary) for _ in range(words))


@pytest.mark.parametrize(("question", "gold"), [
    (GEOGRAPHIES, GEOGRAPHIES_GOLD), (MARGIN, MARGIN_GOLD), (SEGMENT, SEGMENT_GOLD),
    (NOMINEES, NOMINEES_GOLD), (CATEGORIES, CATEGORIES_GOLD),
])
def test_long_and_adversarial_answers_grade_fast(question: str, gold: str) -> None:
    answers = [
        _random_answer(20_000, 7),
        "\"" + "a " * 10_000,                                   # an unclosed quotation
        "\" x \"" * 4_000,                                      # quotation marks everywhere
        "Aa " * 10_000 + "1",                                   # one long capitalised name
        "Therefore, the geographies are:\n* x\n" * 2_000,       # conclusions and items
        "operating margin " * 5_000 + "decreased",              # question words, then a change
    ]
    for answer in answers:
        # a guard against quadratic passes, not a speed goal (that is
        # benchmarks/metrics_speed.py): a linear pass takes 30-70 ms on a quiet 2-core
        # machine, a quadratic one seconds; the best of three, so that one slow run under
        # other load (or the garbage collector of a long test session) is no failure
        gc.collect()
        took = []
        for _ in range(3):
            started = time.perf_counter()
            judge_financial_answer(question, gold, answer + " " * len(took))
            took.append(time.perf_counter() - started)
        assert min(took) < 0.25, (answer[:40], took)
