"""Deterministic text, overlap and JSON metrics on hand-made cases (adversarial ones included)."""

from __future__ import annotations

import pytest

from agility.errors import OptionsError
from agility.metrics import MetricInput, get_metric, normalize_text, summarize, token_f1


def item(output: str | None, ground_truth: str | None = None, **extra: object) -> MetricInput:
    return MetricInput(example_id="e1", output=output, ground_truth=ground_truth, **extra)


def test_exact_match_ignores_case_punctuation_and_articles() -> None:
    metric = get_metric("exact_match")
    assert metric.score(item("The Consumer segment.", "consumer  segment")).score == 1.0
    assert metric.score(item("Consumer segments", "consumer segment")).score == 0.0


def test_exact_match_without_ground_truth_is_an_error_not_a_zero() -> None:
    result = get_metric("exact_match").score(item("anything", None))
    assert result.error is not None and result.score is None
    summary = summarize("exact_match", [result, get_metric("exact_match").score(item("a", "a"))])
    assert (summary.n, summary.n_scored, summary.n_failed, summary.mean) == (2, 1, 1, 1.0)


def test_token_f1_counts_shared_tokens_with_multiplicity() -> None:
    # pred: revenue grew grew (3), ref: revenue grew fast (3); common = revenue, grew -> 2
    assert token_f1("revenue grew grew", "revenue grew fast") == pytest.approx(2 / 3)
    assert token_f1("", "") == 1.0
    assert token_f1("something", "") == 0.0
    result = get_metric("token_f1", threshold=0.9).score(item("revenue grew grew", "revenue grew fast"))
    assert result.passed is False and result.score == pytest.approx(2 / 3)


def test_normalize_text_keeps_words_inside_longer_words() -> None:
    # "the" inside "theme" and "an" inside "annual" must survive
    assert normalize_text("An annual theme!") == "annual theme"


def test_contains_uses_ground_truth_or_option_and_case_rule() -> None:
    assert get_metric("contains").score(item("Net sales were $1,577 MILLION", "$1,577 million")).passed
    strict = get_metric("contains", text="Million", case_sensitive=True)
    assert strict.score(item("1,577 million", None)).passed is False


def test_regex_matches_and_bad_pattern_is_an_options_error() -> None:
    metric = get_metric("regex", pattern=r"\$\d+(\.\d+)? (million|billion)")
    assert metric.score(item("It was $8.7 billion.")).passed is True
    assert metric.score(item("It was 8.7 bn.")).passed is False
    with pytest.raises(OptionsError, match="pattern: not a valid regular expression") as bad:
        get_metric("regex", pattern="(unclosed")
    assert [p.option for p in bad.value.problems] == ["pattern"]
    with pytest.raises(OptionsError, match="pattern: Field required"):
        get_metric("regex")


def test_length_reports_words_ratio_and_limit_penalty() -> None:
    result = get_metric("length", max_words=4).score(item("one two three four five six seven eight",
                                                          "one two"))
    assert result.raw["words"] == 8 and result.raw["ratio"] == 4.0
    assert result.passed is False and result.score == pytest.approx(0.5)
    unlimited = get_metric("length").score(item("short answer", None))
    assert unlimited.passed is None and unlimited.raw["ratio"] is None


def test_citation_required_only_when_the_prompt_asks() -> None:
    metric = get_metric("citation")
    asked = "Answer and cite the source document for each claim."
    assert metric.score(item("Revenue rose 5% [1].", prompt=asked)).passed is True
    assert metric.score(item("Revenue rose 5% (source: 10-K p.4).", prompt=asked)).passed is True
    assert metric.score(item("Revenue rose 5%.", prompt=asked)).passed is False
    not_asked = metric.score(item("Revenue rose 5%.", prompt="Answer briefly."))
    assert not_asked.passed is None and not_asked.score is None and not_asked.error is None
    assert get_metric("citation", required=True).score(item("No source here.")).passed is False


def test_rouge_bleu_chrf_rank_a_close_answer_above_an_unrelated_one() -> None:
    truth = "The consumer segment shrank by 0.9% organically in 2022."
    close = item("In 2022 the consumer segment shrank 0.9% organically.", truth)
    unrelated = item("Cash dividends were paid quarterly to shareholders.", truth)
    for name in ("rouge_l", "bleu", "chrf"):
        metric = get_metric(name)
        good, bad = metric.score(close).score, metric.score(unrelated).score
        assert good is not None and bad is not None
        assert 0.0 <= bad < good <= 1.0, name
    identical = item(truth, truth)
    assert get_metric("rouge_l").score(identical).score == pytest.approx(1.0)
    assert get_metric("bleu").score(identical).score == pytest.approx(1.0)


def test_json_schema_checks_syntax_fences_and_schema() -> None:
    schema = {"type": "object", "required": ["revenue"],
              "properties": {"revenue": {"type": "number"}}}
    metric = get_metric("json_schema", schema=schema)
    assert metric.score(item('```json\n{"revenue": 12.5}\n```')).passed is True
    wrong_type = metric.score(item('{"revenue": "12.5"}'))
    assert wrong_type.passed is False and "revenue" in wrong_type.reason
    assert metric.score(item('{"revenue": 1,}')).passed is False
    assert get_metric("json_schema").score(item("[1, 2]")).passed is True
    with pytest.raises(OptionsError, match="schema: not a valid JSON Schema"):
        get_metric("json_schema", schema={"type": "no-such-type"})


def test_answered_metric_flags_declines_and_passes_answers() -> None:
    metric = get_metric("answered")
    assert metric.score(item("The provided context does not contain the FY2022 capex.")).verdict == "refusal"
    assert metric.score(item("I'm sorry, but I cannot provide that.")).verdict == "refusal"
    assert metric.score(item("")).verdict == "refusal"
    answered = metric.score(item("Capex was $1,577 million in FY2018."))
    assert (answered.verdict, answered.score, answered.passed) == ("answered", 1.0, True)
    declined = metric.score(item("I'm sorry, but I cannot provide that."))
    assert (declined.score, declined.passed) == (0.0, False)


@pytest.mark.parametrize("text", [
    "I could not find the capex in the documents.",
    "Unable to determine from the context.",
    "I don't know the answer to that.",
    "There's no mention of capex in the excerpts.",
    "The capex isn't mentioned in the filing.",
    "As an AI language model, I cannot browse filings.",
])
def test_refusal_phrasings_of_other_model_families(text: str) -> None:
    assert get_metric("answered").score(item(text)).verdict == "refusal"


@pytest.mark.parametrize("text", [
    "Capex was $1.5bn, not $2bn.",
    "Revenue did not decline; it rose 4% to $12.1 billion.",
    "No. Working capital was negative at -$1,561 million.",
])
def test_answers_with_negations_are_not_refusals(text: str) -> None:
    assert get_metric("answered").score(item(text)).verdict == "answered"
