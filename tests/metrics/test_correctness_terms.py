"""Terms as filings write them: a region's abbreviation is its words, a gold's abbreviation
is one term, a gold that enumerates names is met item by item, a knowledge-cutoff preamble
dates a claim (it declines nothing), a terse answer is judged on its words, and an amount is
never a percent.

Made-up companies, so no case is a FinanceBench answer the grader was tuned on.
"""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer
from agility.metrics._stance import declines_in_claim, stem_set

Q_REGIONS = "What are the geographies that Kestrel Payments primarily operates in as of 2022?"
G_REGIONS = "United States, EMEA, APAC, and LACC"


def test_a_region_abbreviation_stands_for_its_words() -> None:
    spelled = stem_set("the European, Middle Eastern and African region; Asia-Pacific")
    assert {"emea", "apac"} <= spelled
    assert "emea" not in stem_set("Europe and the Americas")  # all of its words, in order


def test_regions_spelled_out_name_the_gold_abbreviations() -> None:
    answer = ("Based on the provided context, Kestrel Payments primarily operates in the "
              "following geographies as of 2022:\n\n"
              "- The United States, its home market.\n"
              "- The European, Middle Eastern, and African region, served from Dublin.\n"
              "- The Asia Pacific region, served from Singapore.\n"
              "- Latin America, Canada and the Caribbean, served from Miami.")
    judgement = judge_financial_answer(Q_REGIONS, G_REGIONS, answer)
    assert judgement.verdict == "correct", judgement.reason
    # countries instead of the regions name one of the gold's four items
    countries = ("Based on the provided context, Kestrel Payments primarily operates in the "
                 "following geographies as of 2022:\n\n- Germany\n- France\n- Japan\n- Brazil")
    assert judge_financial_answer(Q_REGIONS, G_REGIONS, countries).verdict == "incorrect"


def test_a_gold_abbreviation_is_one_term_not_its_words() -> None:
    # the gold names four regions in five words; read as its abbreviations' words it would
    # be sixteen, and an answer naming the United States would share 2 of 16, not 1 of 4
    answer = ("Kestrel Payments primarily operates in over 130 countries worldwide, including "
              "the United States, the United Kingdom, Canada, Mexico, Japan and Australia.")
    judgement = judge_financial_answer(Q_REGIONS, G_REGIONS, answer)
    assert "contains 25% of the gold's content words" in judgement.reason, judgement.reason


def test_a_knowledge_cutoff_preamble_with_a_bare_year_dates_the_claim() -> None:
    # "As of my last update in 2023," was read as refusal language ("in early 2023" was not)
    for preamble in ("As of my last update in 2023, ", "As of my last update in early 2023, ",
                     "As of my last update, "):
        assert declines_in_claim(preamble + "Kestrel operates in four regions.") == []
    answer = ("As of my last update in 2023, Kestrel Payments operates globally, with a "
              "significant presence in various geographies. The company primarily operates in "
              "the following regions:\n\n1. United States: its home market.\n2. Europe, the "
              "Middle East and Africa (EMEA).\n3. Asia Pacific (APAC).\n4. Latin America, "
              "Canada and the Caribbean (LACC).")
    judgement = judge_financial_answer(Q_REGIONS, G_REGIONS, answer)
    assert judgement.verdict == "correct", judgement.reason
    assert "statement 1 " in judgement.reason


def test_a_terse_answer_is_judged_on_its_words() -> None:
    # a family told to answer briefly writes a phrase, not a sentence: it was "no statement"
    question = "What industry does Kestrel Holdings primarily operate in?"
    gold = "Kestrel is a global leader in flexible packaging production for various use cases."
    for answer, verdict in (("Flexible packaging.", "correct"), ("Packaging industry", "correct"),
                            ("Retail.", "incorrect"), ("Consumer goods", "incorrect")):
        judgement = judge_financial_answer(question, gold, answer)
        assert judgement.verdict == verdict, (answer, judgement.reason)
    # a pasted table row is still no answer
    assert "makes no statement" in judge_financial_answer(
        question, gold, "United States $ 1,204 $ 1,145").reason


def test_a_gold_that_enumerates_is_met_item_by_item() -> None:
    # words shared piecemeal ("South" of South Korea, "America" of Latin America) name none
    # of the gold's regions; the word share alone was 5 of 12
    question = "What are the geographies that Kestrel primarily operates in as of FY2022?"
    gold = ("Kestrel primarily operates in the following geographies: North America, Latin "
            "America, Western Europe, South Asia, East Asia and Oceania.")
    countries = ("As of FY2022, Kestrel primarily operates in the following geographies:\n"
                 "1. United States of America\n2. South Korea\n3. East Timor\n4. Western Samoa")
    judgement = judge_financial_answer(question, gold, countries)
    assert judgement.verdict == "incorrect", judgement.reason
    regions = ("As of FY2022, Kestrel primarily operates in the following geographies:\n"
               "1. North America\n2. Latin America\n3. Western Europe\n4. South and East Asia")
    assert judge_financial_answer(question, gold, regions).verdict == "correct"


def test_a_refusal_with_an_amount_is_not_judged_against_a_percent_gold() -> None:
    # refusal language, then a conclusion on an amount: the gold's 90% is a share, which no
    # amount of money states, so the answer is judged on its words, not as a wrong figure
    answer = ("Based on the provided context, Las Vegas Strip Resorts had the highest Adjusted "
              "Property EBITDAR, $3.1 billion (the EBITDAR for MGM China is not provided).\n\n"
              "Final Answer: Las Vegas Strip Resorts had the highest EBITDAR, $3.1 billion.")
    judgement = judge_financial_answer(
        "Which region had the highest EBITDAR contribution for MGM during FY2022?",
        "Las Vegas resorts contributed ~90% of company level EBITDAR during FY2022.", answer)
    assert judgement.verdict == "correct", judgement.reason


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # version 14 credited a gold figure given for another quantity in the same statement
    ("What is Kestrel Ridge's FY2024 operating margin?", "34.6%",
     "Kestrel Ridge's FY2024 gross margin was 34.6%, and its operating margin was 17.7%.",
     "incorrect"),
    ("What is Kestrel Ridge's FY2024 operating margin?", "34.6%",
     "Kestrel Ridge's FY2024 gross margin was 47.7%, and its operating margin was 34.6%.",
     "correct"),
    ("What is Kestrel Ridge's FY2024 quick ratio?", "0.54",
     "Kestrel Ridge's current ratio is 0.54, and its quick ratio is 0.47.", "incorrect"),
    # inputs and their unnamed result are read together, as are a figure and its restatement
    ("What is Kestrel Ridge's FY2024 quick ratio?", "0.54",
     "Quick assets of $27.1 billion and current liabilities of $50.2 billion give 0.54.",
     "correct"),
    ("What is Kestrel Ridge's FY2024 operating margin?", "34.6%",
     "Operating income was $6,098 million and revenue $17,606 million, giving an operating "
     "margin of 34.6%.", "correct"),
])
def test_of_several_figures_the_one_named_by_the_question_is_the_answer(
        question: str, gold: str, answer: str, expected: str) -> None:
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict == expected, judgement.reason
