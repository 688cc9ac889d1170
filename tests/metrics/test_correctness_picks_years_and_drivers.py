"""What a text answer picks, which year it names and which way its drivers go (issue 13,
correctness version 18): made-up answers in other families' styles; 21 of the 51 cases
fail on version 17, the rest are controls."""

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


Q_YEAR = "In which year between 2019 and 2023 did Orwell Foods have the highest revenue?"


@pytest.mark.parametrize(("answer", "expected"), [
    # the year given where the answer gives it, not a year beside it or the question's
    ("Between 2019 and 2023, revenue peaked in 2022 at $3.4 billion.", "correct"),
    ("Revenue by year:\n- 2020: $2.6B\n- 2021: $2.9B\n- 2022: $3.4B\n- 2023: $3.1B\n\n"
     "**Highest: 2022**", "correct"),
    ("2022 (revenue reached $3.4 billion, up from $2.9 billion in 2021).", "correct"),
    ("Revenue peaked in 2021 at $2.9 billion, before the 2022 price cuts.", "incorrect"),
    ("The excerpt only covers 2021 and 2022, so I can't determine which year was highest.",
     "refusal"),
])
def test_a_year_asked_for_is_the_year_the_answer_gives(answer: str, expected: str) -> None:
    assert verdict(Q_YEAR, "2022", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("The deal, announced in 2018, closed in 2019.", "correct"),
    ("Orwell announced the Tarn deal in 2018 and expects it to close in March 2019.",
     "correct"),
    ("The acquisition closed in 2020.", "incorrect"),
])
def test_a_year_beside_the_event_asked_is_not_its_year(answer: str, expected: str) -> None:
    question = "When did Orwell Foods complete its acquisition of Tarn Dairy?"
    assert verdict(question, "In Q1 2019", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Harwick Energy has three reportable segments:\n\n1. Upstream\n2. Midstream\n3. Refining",
     "incorrect"),
    ("Harwick Energy reports four segments: Upstream, Midstream, Refining and Chemicals.",
     "correct"),
])
def test_a_gold_that_counts_its_items_is_met_by_all_of_them(answer: str, expected: str) -> None:
    question = "What are Harwick Energy's reportable segments?"
    gold = "Four: Upstream, Midstream, Refining, and Chemicals."
    assert verdict(question, gold, answer) == expected


@pytest.mark.parametrize(("gold", "answer", "expected"), [
    ("Petrakis Hale LLP", "The independent auditor of Mossgate Insurance is Cardew & Lyle LLP.",
     "incorrect"),
    ("Ferrand Maclay LLP", "FERRAND MACLAY LLP", "correct"),
    ("Ferrand Maclay LLP", "Ferrand Maclay LLP audited the statements; Maclay Partners served "
     "as tax advisor.", "correct"),
    ("Ferrand Maclay LLP", "The auditor is Ferrand Maclay LLP (formerly Ferrand Maclay Hollis).",
     "correct"),
])
def test_a_name_alone_is_named_by_its_words_or_initials(gold: str, answer: str,
                                                        expected: str) -> None:
    assert verdict("Who is Mossgate Insurance's independent auditor?", gold, answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("According to the 10-K, Cotswold Semi's largest customer in FY2022 was Halden "
     "Electronics, which accounted for 28% of total revenue.", "incorrect"),
    ("Novarin Systems was Cotswold Semi's largest customer in FY2022, at 28% of revenue.",
     "correct"),
])
def test_a_customer_is_picked_like_a_segment(answer: str, expected: str) -> None:
    question = "Which customer accounted for the largest share of Cotswold Semi's FY2022 revenue?"
    assert verdict(question, "Novarin Systems, at 28% of FY2022 revenue.", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Consumer had the second-highest operating margin (12.4%); Enterprise had the highest, "
     "at 18.2%.", "correct"),
    ("Enterprise grew 18.2%, making it the second-fastest growing segment after Consumer.",
     "incorrect"),
    ("Rounded, the two are tied at 18%; on unrounded figures Enterprise leads, 18.2% vs 17.9%.",
     "correct"),
    ("Enterprise had the highest margin at 18.2%. By revenue, Consumer and Services are tied "
     "at $2.1 billion each.", "correct"),
])
def test_runner_ups_and_broken_ties_leave_the_pick(answer: str, expected: str) -> None:
    question = "Which segment of Corvane Industries had the highest operating margin in FY2023?"
    assert verdict(question, "Enterprise segment, 18.2%", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("Consumer Banking had the highest net income at $3.1 billion. If the litigation charge "
     "were excluded, CIB would have the highest net income.", "incorrect"),
    ("Consumer Banking had the highest net income at $3.1 billion. CIB was not the highest.",
     "incorrect"),
    ("Investment Banking had the highest net income in FY2023.", "correct"),
])
def test_names_that_share_a_word_are_not_one(answer: str, expected: str) -> None:
    question = "Which segment of Harrowgate Financial had the highest net income in FY2023?"
    assert verdict(question, "Corporate & Investment Banking", answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("**Eamont Brewing didn't pay a dividend in FY2022.** So the dividend per share for FY2022 "
     "was **$0**.", "correct"),
    ("Eamont Brewing's 0% Convertible Notes are its only listed security; it paid $0.12 per "
     "share.", "incorrect"),
])
def test_a_gold_of_none_is_met_by_zero(answer: str, expected: str) -> None:
    question = "What was Eamont Brewing's dividend per share in FY2022?"
    gold = "None. Eamont Brewing did not declare or pay any dividends in FY2022."
    assert verdict(question, gold, answer) == expected


@pytest.mark.parametrize("answer", [
    "Consumer Banking had the highest net income. On closer inspection, CIB was the most "
    "profitable segment, earning $4.2 billion of net income.",
    "Consumer Banking had the highest net income. Wait - re-reading the table, CIB had the "
    "highest net income at $4.2B. Consumer Banking was second at $3.1B.",
])
def test_a_pick_the_writer_corrects_is_corrected(answer: str) -> None:
    question = "Which segment of Harrowgate Financial had the highest net income in FY2023?"
    assert verdict(question, "Corporate & Investment Banking", answer) == "correct"
