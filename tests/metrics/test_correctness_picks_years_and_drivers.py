"""What a text answer picks, which year it names and which way its drivers go (issue 13,
correctness version 18): made-up answers in other families' styles; 9 of the 24 cases fail
on version 17, the rest are controls."""

from __future__ import annotations

import pytest

from agility.metrics import judge_financial_answer


def verdict(question: str, gold: object, answer: str) -> str:
    return judge_financial_answer(question, gold, answer).verdict


Q_SEGMENT = "Which of Norvale Systems' segments had the higher FY2023 operating margin?"
GOLD_SEGMENT = "Industrial segment, 17.4%"


@pytest.mark.parametrize(("answer", "expected"), [
    # the pick decides, whatever figure of the gold's it gives beside it
    ("**Answer:** The Consumer segment, with an operating margin of 17.4%.", "incorrect"),
    ("Consumer posted the higher margin in FY2023. Industrial's margin was 17.4%, but "
     "Consumer's was higher.", "incorrect"),
    ("The Industrial segment, with an operating margin of 17.4%.", "correct"),
    ("Based on the provided segment results, the segment with the higher margin was the "
     "Industrial segment, at 17.4%.", "correct"),
])
def test_a_pick_question_is_decided_by_the_pick(answer: str, expected: str) -> None:
    assert verdict(Q_SEGMENT, GOLD_SEGMENT, answer) == expected


@pytest.mark.parametrize(("gold", "answer", "expected"), [
    # a name that opens the gold before what it says of it is the gold's pick
    ("Latin America, which grew 14% year over year.",
     "Halberd Foods' fastest-growing region in FY2023 was Asia Pacific, with growth of 9%. "
     "Latin America also contributed.", "incorrect"),
    ("Latin America, which grew 14% year over year.",
     "Halberd Foods' fastest-growing region in FY2023 was Latin America, up 14%.", "correct"),
])
def test_a_name_opening_the_gold_is_its_pick(gold: str, answer: str, expected: str) -> None:
    question = "Which geographic region grew fastest for Halberd Foods in FY2023?"
    assert verdict(question, gold, answer) == expected


def test_a_closing_ranking_by_the_question_s_measure_corrects_the_pick() -> None:
    question = "In Q3 2023, which of Ostrava Bank's business segments had the highest net income?"
    gold = "Wealth & Asset Management. Its net income was $1,210 million."
    answer = ("The segment with the highest net income in Q3 2023 was Retail Banking (RB), with "
              "$0.9 billion.\n\n- Retail Banking (RB): $0.9 billion\n- Wealth & Asset "
              "Management (WAM): $1.2 billion\n- Commercial Banking (CB): $0.4 billion\n\n"
              "Among these segments, WAM had the highest net income in Q3 2023.")
    assert verdict(question, gold, answer) == "correct"


@pytest.mark.parametrize(("answer", "expected"), [
    ("Both Marine Systems and Space Launch posted margins of roughly 12% in FY2023, so either "
     "could be considered the highest-margin segment.", "incorrect"),
    ("Marine Systems had the highest operating margin in FY2023, at 12.3%.", "correct"),
])
def test_a_pick_left_open_picks_none(answer: str, expected: str) -> None:
    question = "Which segment of Corwen Aerospace had the highest operating margin in FY2023?"
    assert verdict(question, "Marine Systems, at 12.3%.", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Skellig Networks' operating margin peaked at 21.5% in FY2022, before declining in FY2023.",
     "incorrect"),
    ("Over FY2019-FY2023, Skellig Networks' operating margin peaked in FY2021, at 21.5%.",
     "correct"),
])
def test_a_year_question_is_answered_by_the_year_named(answer: str, expected: str) -> None:
    question = "In which year did Skellig Networks' operating margin peak during FY2019-FY2023?"
    assert verdict(question, "FY2021, at 21.5%.", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Tallow Media completed its transition to subscriptions in FY2020.", "incorrect"),
    ("Tallow Media completed its transition to subscriptions in FY2021.", "correct"),
])
def test_a_year_the_gold_names_is_the_answer_s_to_name(answer: str, expected: str) -> None:
    question = "When did Tallow Media complete its transition to subscription pricing?"
    gold = "The transition to subscription pricing was completed in FY2021."
    assert verdict(question, gold, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Brennock Pharma's independent registered public accounting firm is Haldane & Partners "
     "LLP.", "incorrect"),
    ("Brennock Pharma's independent registered public accounting firm is Haldane Whitcombe "
     "LLP.", "correct"),
    ("The auditor is Haldane Whitcombe.", "correct"),
])
def test_a_gold_that_is_a_name_is_named_whole(answer: str, expected: str) -> None:
    question = "Who is Brennock Pharma's independent auditor?"
    assert verdict(question, "Haldane Whitcombe LLP.", answer) == expected


@pytest.mark.parametrize(("gold", "answer", "expected"), [
    ("Higher fuel costs and increased salaries, wages and benefits.",
     "Pellam Freight's operating ratio worsened mainly due to lower fuel costs and reduced "
     "headcount.", "incorrect"),
    ("Price increases (favorable pricing), partially offset by lower volume.",
     "Net revenue rose in 2023 primarily due to higher volumes across its sparkling brands.",
     "incorrect"),
    # sharing only the way a driver went names no driver
    ("Higher advertising and marketing spending.",
     "The increase was primarily driven by higher incentive compensation and IT investments.",
     "incorrect"),
    ("Higher fuel costs and increased salaries, wages and benefits.",
     "Its operating ratio worsened on higher fuel costs and higher wages and benefits.",
     "correct"),
])
def test_a_driver_said_the_other_way_is_another_driver(gold: str, answer: str,
                                                       expected: str) -> None:
    question = "What drove the change in Pellam Freight's operating ratio in 2023?"
    assert verdict(question, gold, answer) == expected


def test_a_stance_left_to_depend_on_a_benchmark_is_no_answer() -> None:
    question = "Is Dunmore Software a capital-intensive business based on FY2023 data?"
    gold = "No. Capex was only 2.9% of revenue and fixed assets were 8% of total assets."
    answer = ("Whether Dunmore Software is capital-intensive depends on the benchmark used. In "
              "FY2023, capital expenditures were 2.9% of revenue and net fixed assets were 8% of "
              "total assets. Investors should apply their own criteria.")
    assert verdict(question, gold, answer) == "incorrect"
    assert verdict(question, gold, "No. Capex was only 2.9% of revenue, which depends little on "
                                   "its hardware.") == "correct"


@pytest.mark.parametrize(("answer", "expected"), [
    ("Kerrow Energy has two series registered on the NYSE:\n\n* 4.250% Senior Notes due 2034\n"
     "* 5.100% Senior Notes due 2029", "incorrect"),
    ("Kerrow Energy has two series registered on the NYSE:\n\n* 4.250% Senior Notes due 2029\n"
     "* 5.100% Senior Notes due 2034", "correct"),
])
def test_a_listed_item_s_figure_keeps_its_own_date(answer: str, expected: str) -> None:
    question = ("Which debt securities are registered to trade on a national securities exchange "
                "under Kerrow Energy's name as of 2023?")
    gold = "4.250% Senior Notes due 2029 and 5.100% Senior Notes due 2034."
    assert verdict(question, gold, answer) == expected


def test_a_date_an_item_runs_to_is_no_period_the_answer_speaks_of() -> None:
    question = "What credit facilities does Ferrow Aerospace have in place as of FY2023?"
    gold = "A $1.5 billion five-year revolving credit facility and a $500 million 364-day facility."
    answer = ("Ferrow Aerospace has two committed credit facilities:\n\n- a $1.5 billion "
              "revolving credit facility maturing in 2028 (five-year); and\n- a $500 million "
              "364-day credit facility.")
    assert verdict(question, gold, answer) == "correct"
