"""The ``answered`` metric (formerly ``refusal``): a refusal only when nothing is committed,
a score that reads the right way, and old ``refusal`` scores that stay readable apart."""

from __future__ import annotations

import pytest

from agility.compare import compare_runs
from agility.errors import UsageError
from agility.metrics import (
    MetricInput,
    get_metric,
    judge_financial_answer,
    metric_versions,
    score_run,
)
from agility.metrics._refusal import declines
from agility.store import NewRun, Store
from agility.store._records import ResultRecord, ScoreRecord

Q = "What is the FY2018 capital expenditure amount (in USD millions) for the company?"


def answered(output: str, question: str | None = Q) -> str | None:
    return get_metric("answered").score(
        MetricInput(example_id="x", question=question, output=output)).verdict


def assert_declines(text: str) -> None:
    """Both readers of refusal language call ``text`` a refusal of ``Q`` (gold 1577)."""
    assert answered(text) == "refusal"
    assert judge_financial_answer(Q, 1577, text).verdict == "refusal"


def assert_answers(text: str) -> None:
    """Both call ``text`` an answer of ``Q``, and the grader credits its 1577."""
    assert answered(text) == "answered"
    assert judge_financial_answer(Q, 1577, text).verdict == "correct"


@pytest.mark.parametrize("text", [
    ("The filing does not break out capex; however, purchases of property and equipment were "
    "$1,577 million, so capex is $1,577 million."),
    "The capital expenditure is not explicitly stated. Therefore, the answer is 0.",
    ("Although the context does not say so directly, the FY2018 capital expenditure amount was "
    "$1,577 million."),
])
def test_refusal_language_followed_by_a_committed_answer_is_an_answer(text: str) -> None:
    assert answered(text) == "answered"


@pytest.mark.parametrize("text", [
    "I'm sorry, but the provided context does not contain the cash flow statement.",
    "As an AI, I don't have access to filings. You would need to check the 10-K.",
    ("The documents do not include the capex figure, so I cannot calculate it. For example, if "
    "capex were $100 million, the answer would be 100."),
    "",
])
def test_declining_without_committing_is_a_refusal(text: str) -> None:
    assert answered(text) == "refusal"


@pytest.mark.parametrize("text", [
    # phrasings other model families use (answered v9 and correctness v11 took these four
    # for answers: a contraction, a sentence opening "No information", "does not cover", and
    # "the information is insufficient")
    "There isn't enough information in the excerpt to answer this question.",
    "No information about capital expenditure is given in the context.",
    "N/A - the filing excerpt does not cover capital expenditures.",
    "The provided information is insufficient to determine the FY2018 capex.",
    "Unfortunately, I do not have enough information to determine the capital expenditure.",
    "The excerpts provided don't mention capital expenditures for FY2018.",
])
def test_refusals_in_other_families_words_are_refusals(text: str) -> None:
    from agility.metrics import judge_financial_answer

    assert answered(text) == "refusal"
    assert judge_financial_answer(Q, 1577, text).verdict == "refusal"
    # and the same language beside a committed figure is still an answer
    committed = text + " Therefore, the capital expenditure was $1,577 million."
    assert answered(committed) == "answered"
    assert judge_financial_answer(Q, 1577, committed).verdict == "correct"


def test_a_yes_no_question_is_answered_by_a_stance_despite_hedges() -> None:
    question = "Did the company report any material legal proceedings in FY2022?"
    text = ("The excerpt does not list every case. However, it indicates that the company did "
            "report material legal proceedings in FY2022 relating to product liability.")
    assert answered(text, question) == "answered"
    assert declines(text) is not None  # without the question only the language is seen


@pytest.mark.parametrize("question", ["ping", "hello?", "What was revenue?", None])
@pytest.mark.parametrize("text", [
    "I cannot answer that.",
    "I'm sorry, but I cannot help with that request.",
])
def test_an_apology_is_a_refusal_whatever_the_question(text: str, question: str | None) -> None:
    # regression (v3): a question with fewer than two content terms made the opening sentence
    # the answer's "commitment", so the apology itself counted as an answer
    assert answered(text, question) == "refusal"
    assert answered("Revenue was $5 million.", question) == "answered"


def test_the_score_reads_the_right_way_and_is_versioned() -> None:
    metric = get_metric("answered")
    result = metric.score(MetricInput(example_id="x", output="I cannot answer that."))
    assert (result.score, result.verdict, result.passed) == (0.0, "refusal", False)
    assert "cannot answer" in result.reason
    assert metric.version == "20"
    assert metric_versions(["answered"]) == {"answered": "20"}


def test_the_old_name_is_an_error_that_names_the_new_one() -> None:
    with pytest.raises(UsageError, match="renamed 'answered'"):
        get_metric("refusal")


def _run(store: Store, name: str, outputs: dict[str, str]) -> int:
    run = store.create_run(NewRun(name=name, dataset_hash="ds", model_spec="mock/x",
                                     tool_version="test", started_at="2026-01-01T00:00:00Z"))
    assert run.id is not None
    store.save_results(run.id, [ResultRecord(example_id=i, output=o) for i, o in outputs.items()])
    return run.id


def test_old_refusal_scores_load_labelled_and_are_never_compared_with_answered(
        tmp_store: Store) -> None:
    outputs = {"a": "Capex was $1,577 million.", "b": "I cannot determine the capex."}
    source = _run(tmp_store, "source", outputs)
    target = _run(tmp_store, "target", outputs)
    # scores written by version 2 of the old metric: 1.0 meant "answered"
    tmp_store.save_scores(source, [
        ScoreRecord(example_id="a", metric="refusal", metric_version="2", score=1.0,
                    verdict="answered", passed=True),
        ScoreRecord(example_id="b", metric="refusal", metric_version="2", score=0.0,
                    verdict="refusal", passed=False)])
    for name in ("source", "target"):
        score_run(tmp_store, name, ["answered"])
    old = tmp_store.scores(source, "refusal")
    assert [(s.metric, s.metric_version, s.score) for s in old] == [
        ("refusal", "2", 1.0), ("refusal", "2", 0.0)]
    new = {s.example_id: s for s in tmp_store.scores(target, "answered")}
    assert {s.metric_version for s in new.values()} == {get_metric("answered").version}
    assert (new["a"].score, new["b"].score) == (1.0, 0.0)
    comparison = compare_runs(tmp_store, "source", "target")
    compared = [m.metric for m in comparison.metrics]
    assert "answered" in compared and "refusal" not in compared


def test_an_announced_inference_and_a_hedged_stance_are_answers() -> None:
    # regression (v5): both were refusals
    question = "What drove operating margin change as of FY2022 for the company?"
    inferred = ("The drivers of the operating margin change as of FY2022 are not explicitly "
                "stated. However, we can infer some possible reasons. New products likely "
                "raised revenue.")
    assert answered(inferred, question) == "answered"
    assert answered(inferred.split(" However")[0], question) == "refusal"
    yes_no = ("Are the company's gross margins historically consistent (not fluctuating more "
              "than roughly 2% each year)?")
    hedged = ("The gross margins vary across products and channels. Therefore, it does not "
              "appear that the company's gross margins are historically consistent, and they do "
              "tend to fluctuate. However, without additional information on the specific "
              "percentage change, it is difficult to determine the exact extent.")
    assert answered(hedged, yes_no) == "answered"
    assert answered(hedged.split(" Therefore")[0] + " However, without additional information "
                    "on the specific percentage change, it is difficult to determine the "
                    "extent.", yes_no) == "refusal"


def test_typographic_apostrophes_and_a_lone_closing_think_tag_read_as_plain_text() -> None:
    # v11: "don\u2019t" was no refusal language (the apostrophe is curly)
    question = "What was the FY2022 capital expenditure of 3M?"
    for straight in ("I don't have access to 3M's filings, sorry.",
                     "I can't determine the capital expenditure from these documents."):
        assert answered(straight, question) == "refusal"
        assert answered(straight.replace("'", "\u2019"), question) == "refusal"
    # the thinking before a lone "</think>" is not the answer
    thought = "The figure should be $1,577 million.\n</think>\n\n"
    assert answered(thought + "I\u2019m sorry, the documents do not contain it.",
                    question) == "refusal"
    assert answered(thought + "Capex was $1,577 million.", question) == "answered"


@pytest.mark.parametrize("text", ["N/A", "n/a.", "Unknown.", "Data not provided.",
                                  "Not available in the provided documents.",
                                  "Not disclosed in the provided materials.",
                                  "Not known at this time."])
def test_an_elliptic_not_available_is_a_refusal(text: str) -> None:
    # v11: a terse answer that only says the figure is not there committed to nothing and
    # was graded incorrect, not refusal
    question = "What is the FY2018 capital expenditure amount (in USD millions) for 3M?"
    assert answered(text, question) == "refusal"
    assert judge_financial_answer(question, 1577, text).verdict == "refusal"


def test_an_elliptic_qualifier_that_answers_anyway_is_an_answer() -> None:
    question = "What is the FY2018 capital expenditure amount (in USD millions) for 3M?"
    for text in ("Not reported by segment; total capex was $1,577 million.",
                 "Not provided by the filing directly, but capex was $1,577 million."):
        assert answered(text, question) == "answered"
        assert judge_financial_answer(question, 1577, text).verdict == "correct"


@pytest.mark.parametrize("text", [
    "The filing excerpts are silent on capital expenditures.",
    "The provided context is entirely silent on FY2018 capex.",
    "The capital expenditure figure does not appear in the provided materials.",
    "Capex doesn't show up in any of the excerpts.",
])
def test_a_source_that_is_silent_or_lacks_the_figure_is_a_refusal(text: str) -> None:
    # answered v11 (correctness v13) read these as answers that state no figure: incorrect
    assert_declines(text)
    assert_answers(text + " Therefore, the capital expenditure was $1,577 million.")


@pytest.mark.parametrize("text", [
    "Capex did not appear to grow in FY2018; it was $1,577 million.",
    "Capex does not appear as a separate line; purchases of PP&E were $1,577 million.",
    "The company was silent no more: capex was $1,577 million.",
    "As we can see in the cash flow statement, capex was $1,577 million.",
    "We find that the capital expenditure was $1,577 million.",
])
def test_words_like_appear_silent_and_see_in_an_answer_are_no_refusal(text: str) -> None:
    assert_answers(text)


@pytest.mark.parametrize("text", [
    "Based on the information provided in the 10-K filing, I do not see any mention of capital "
    "expenditures for FY2018.",
    "I did not find any data on capital expenditures.",
    "The excerpts make no mention of capital expenditures.",
    "I see no mention of capex in the 10-K.",
    "Nowhere in the provided filing is capex given.",
])
def test_a_writer_who_did_not_find_the_figure_refuses(text: str) -> None:
    # answered v11 (correctness v13) read these as answers that state no figure: incorrect
    assert_declines(text)
    assert_answers(text + " However, purchases of PP&E were $1,577 million, so capex is $1,577 "
                          "million.")


@pytest.mark.parametrize("text", [
    "The given context is about 3M's 2022 results; FY2018 figures are outside its scope.",
    "No capital expenditure figure is reported in the excerpt.",
    "The text does not say.",
    "Capex is not broken out in the filing excerpt I was given.",
])
def test_other_ways_of_saying_the_source_lacks_it_are_refusals(text: str) -> None:
    assert_declines(text)


@pytest.mark.parametrize("text", [
    "I don't have enough context to answer that.",
    "There isn't enough detail in the filing to compute capex.",
    "It's not clear from the provided context what capex was in FY2018.",
    "There's no way to tell from the excerpt what capex was.",
    "The filing lacks the figures needed for capex.",
    "Capex for FY2018 is not covered by the excerpts.",
    "Neither excerpt discusses capital expenditures.",
    "The passages say nothing about capital expenditures.",
    "The provided context does not allow me to determine capex.",
    "The filing gives no figure for capital expenditures.",
    "I have not been provided with the cash flow statement.",
    "It is not possible for me to say from these pages.",
    "None of the provided context mentions capex.",
    "I'd need the cash flow statement to answer.",
    "Cannot determine.",
    "Not enough info to answer.",
    "I'm sorry, but you haven't provided the cash flow statement.",
    # a label whose whole value declines (version 12 read such elliptic refusals only at the
    # start of the answer)
    "Answer: Unable to determine from the provided context.",
    "Final answer: N/A",
    "Capex: unknown",
    "Answer: cannot be determined.",
])
def test_refusals_in_plainer_words_are_refusals(text: str) -> None:
    # answered v12 (correctness v14) found no refusal language in these: an answer stating no
    # figure, graded incorrect instead of refusal
    assert_declines(text)
    assert_answers(text + " Therefore, the capital expenditure was $1,577 million.")


@pytest.mark.parametrize("text", [
    "The cash flow statement shows that the company lacks liquidity; capex was $1,577 million.",
    "Capex, a non-GAAP item that is included in the cash flow statement, was $1,577 million.",
    "Capex was $1,577 million; the company is not in the business of leasing.",
    "There is no doubt that capex was $1,577 million.",
    # a label whose value only begins with such words, or a line of another period
    "Note: unknown factors aside, capex was $1,577 million.",
    "FY2017 capex: not disclosed\nFY2018 capex: $1,577 million",
    # a sentence that opens with "No" and states the figure
    "No, capex was $1,577 million.",
    "No acquisitions were made, so capex was $1,577 million.",
])
def test_words_like_lacks_and_included_in_an_answer_are_no_refusal(text: str) -> None:
    assert_answers(text)


def test_numbered_advice_under_a_label_commits_to_nothing() -> None:
    # version 12 read "4. Comparison to Industry: Compare ..." as a statement taking the
    # question up (its label was not stripped after the number), so the refusal answered
    question = "Is Kestrel Ridge a capital-intensive business based on FY2024 data?"
    answer = ("I don't have access to Kestrel Ridge's FY2024 financial data. To assess it, you "
              "would consider:\n\n1. Capital Expenditures: Look at the cash flow statement.\n\n"
              "2. Comparison to Industry: Compare Kestrel Ridge's capital intensity to other "
              "companies in the same industry.")
    assert answered(answer, question) == "refusal"
    assert answered(answer.replace("I don't have access to Kestrel Ridge's FY2024 financial "
                                   "data.", "Yes, Kestrel Ridge is capital intensive."),
                    question) == "answered"
