"""Did the model answer, or decline? The ``answered`` metric.

Financial experts count an answer as a refusal when it commits to no answer: it declines
("I'm sorry, I can't"), says it has no access to the data, or says the documents do not
contain what is needed, however long it goes on about where the figure could be found. An
answer that says a detail is missing *and then answers anyway* ("the filing does not state
the capex directly; from the cash flow statement it is $1,577 million") is not a refusal.
:func:`declines` finds refusal language (:mod:`agility.metrics._refusal_language`) and then
looks for a commitment: a concluded figure, an explicit yes or no, or (given the question) a
statement that takes the question up and answers it.

The metric is ``answered`` (version 6): score 1.0 when the model answered, 0.0 when it
declined, so "answered 0.94" in a summary reads the right way round. It replaces ``refusal``
(versions 1-2, whose score was also 1.0 for an answer, which read backwards); scores stored
under ``refusal`` stay in the store under that name and version, and are never compared with
``answered`` scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agility.errors import UsageError
from agility.metrics._answer import read_answer
from agility.metrics._base import Metric, MetricInput, MetricResult, register_metric
from agility.metrics._markup import unmark
from agility.metrics._options import MetricOptions
from agility.metrics._refusal_language import infers_anyway, no_answer, refusal_phrases
from agility.metrics._stance import (
    asks_yes_no,
    committing_statement,
    declines_in_claim,
    question_terms,
    said_stance,
    stance,
)

__all__ = ["AnsweredMetric", "Decline", "declines"]


@dataclass(frozen=True)
class Decline:
    """Why an answer counts as a refusal: the kinds of refusal language it uses."""

    kinds: tuple[str, ...]

    @property
    def reason(self) -> str:
        """One line for a metric's reason."""
        return "declines and commits to no answer (" + ", ".join(self.kinds) + ")"


def declines(answer: str | None, question: str | None = None) -> Decline | None:
    """Whether ``answer`` is a refusal: refusal language and no committed answer.

    Args:
        answer: the model's answer.
        question: the question, when known: a statement that takes it up and answers it
            (and is not itself refusal language) is a commitment.

    Returns:
        A :class:`Decline` for a refusal (an empty answer is one), else None.
    """
    # markup ("**Answer:**", "\\boxed{...}") is read as the plain text it formats
    text = unmark((answer or "").strip(), question)[0]
    empty = no_answer(answer or "", text, question)
    if empty is not None:
        return Decline((empty,))
    kinds = refusal_phrases(text)
    if not kinds or infers_anyway(text):
        # "not explicitly stated. However, we can infer ...": it answers by inference
        return None
    reading = read_answer(text, question or "")
    # a concluded figure commits, even one the question suggested ("if none, state 0")
    figures, _ = read_answer(text).commitment(concluded_only=True, excluding=declines_in_claim)
    if figures:
        return None
    said = said_stance(reading)
    if said is not None and not refusal_phrases(said.sentence.text):
        return None
    # a question with fewer than two content terms ("ping") tells nothing about what would
    # answer it (committing_statement would offer the opening sentence, the refusal itself)
    if (question and len(question_terms(question)) >= 2
            and committing_statement(reading, question, strict=True) is not None):
        return None
    if question and asks_yes_no(question) and stance(reading, question, strict=True):
        return None
    return Decline(tuple(kinds))


@register_metric("answered")
class AnsweredMetric(Metric):
    """Whether the model answered (1.0) or declined (0.0).

    ``verdict`` is ``answered`` or ``refusal``; ``passed`` is True when the model answered;
    the reason names the refusal language found. Measured against FinanceBench's expert
    refusal labels in ``benchmarks/refusal_calibration.py``.
    """

    # 3: renamed from "refusal" (same direction: 1.0 = answered), and an answer that commits
    #    to a figure, a yes/no or a statement on the question despite refusal language is an
    #    answer (FinanceBench expert labels, leave-one-family-out)
    # 4: a question with fewer than two content terms ("ping") no longer makes the answer's
    #    opening sentence, the refusal itself, a commitment
    # 5: refusal language followed by an announced inference ("not explicitly stated.
    #    However, we can infer ...") is an answer; a hedged stance ("it does not appear that
    #    ...") on a yes/no question commits even beside a general remark
    # 6: a year in parentheses ("(2023: ...)") is no figure, so it commits to nothing (figures
    #    are read as correctness v5 reads them)
    # 7: a number hyphenated to a word ("COVID-19") is no figure, so it commits to nothing
    #    (figures are read as correctness v9 reads them)
    # 8: refusal language read as correctness v10 reads it: a contraction says what its full
    #    form says ("it's impossible to calculate"), and "there's no available information"
    #    says the information is missing; what the question leaves open ("the question does
    #    not specify the period") is not; an inference announced in the source's words ("it
    #    does provide information that can be used to infer ...") answers anyway; an input the
    #    working sets aside ("..., so we will exclude them") is not refusal language
    # 9: a figure inside a passage the answer quotes (in quotation marks) is the source's, so
    #    it commits to nothing (the committed figure is read as correctness v11 reads it)
    # 10: markup read as correctness v12 reads it (Markdown, LaTeX, inline HTML, a closed
    #    <think> block; courtesies and section labels are no statements)
    # 11: typography read as correctness v13 reads it (curly quotes; a lone "</think>" ends
    #    the thinking); an elliptic answer that only says the figure is not there ("N/A",
    #    "Unknown.", "Not disclosed in the provided materials.") is refusal language
    # 12: framings read as correctness v14 reads them (announcements, closing courtesies,
    #    code fences, links, nested JSON, "Q: ... A: ..."); a source that "is silent on" the
    #    figure, or a figure that "does not appear in" the source, is refusal language;
    #    so are "I do not see any mention of", "make no mention of", "outside its scope",
    #    "No capex figure is reported", "does not say", "not broken out"
    # 13: refusal language read as correctness v15 reads it: refusals in plainer words ("I
    #    don't have enough context", "It's not clear from the provided context", "The
    #    passages say nothing about", "I'd need to see", "I am not aware of", "Cannot
    #    determine.", "you haven't provided the quick ratio"), and a label whose whole
    #    value declines ("Final answer: N/A", "Answer: Unable to determine from the
    #    provided context."); advice under a numbered label ("4. Comparison to Industry:
    #    Compare ...") commits to nothing; a question's hyphenated compound is asked by
    #    its parts too
    # 14: refusal language and stances read as correctness v16 reads them: "isn't among the
    #    figures in the excerpt", "not something the excerpt breaks out", "appears to be
    #    truncated", "I can only see the balance sheet" are refusal language, and "free cash
    #    flow did not cover the dividend" is not; "I'd say yes", "It did not.", "Not quite",
    #    "unsustainable", "a high-growth company", "I would characterize ... as healthy",
    #    "nothing coming due", "suspended its dividend" take a stance
    # 15: refusal language and markup read as correctness v17 reads them: "I'm only a
    #    language model", "I'm not able to help with that", "I would need ...", "If you can
    #    provide ...", "Could you share ...", "the excerpt you provided only includes ...",
    #    "was not able to", "I don't think I can give a firm yes or no" are refusal
    #    language, "but it can be computed" answers anyway; a reasoning block cut off
    #    before its end, an end of turn first, an empty answer slot, a placeholder, the
    #    question echoed or a phrase looped leave no answer
    # 16: refusal language read as correctness v18 reads it: "The model cannot find
    #    sufficient information", "the documents do not explain" are refusal language; a
    #    clause opened by "Since", "Because" or "Given that" concedes before the claim
    # 17: stances read as correctness v19 reads them: levels set against each other go the
    #    way their periods say, "not insignificant" affirms, "may or may not" and "depending
    #    on" take no stance
    # 18: refusal language and statements read as correctness v21 reads them: a figure
    #    withheld ("I'd rather not provide a figure"), "does not let me determine", "I don't
    #    feel able to say", "refrain from giving an answer", "I therefore can't determine" are
    #    refusal language, asides in parentheses and knowledge disclaimers ("Based on my
    #    training data, ...") decline nothing; a middle initial ("Mary N. Dillon") ends no
    #    statement; a yes or no standing alone or under a label of the question's words
    #    takes a stance
    # 19: refusal language and statements read as correctness v22 reads them: a question
    #    back in place of the answer, "No call.", "I can't commit to a figure", "#N/A" or
    #    "withdrawn" in the answer's field, "not identifiable from the excerpt", "I do not
    #    have the specific financial results", a verdict or ratio withheld are refusal
    #    language, an apology for a mistake ("I apologize for the confusion") is none; a
    #    record's empty answer field, a memo's addressing, source code, footnotes, struck
    #    drafts and a transcript's earlier turns are read as correctness v22 reads them
    # 20: an agent's log is read as correctness v23 reads it: what it submits is its
    #    answer, and a run that halted before submitting (or submitted nothing) answers
    #    nothing, as does a pipeline's "Empty Response", a null "answer" field, a run that
    #    ended on an error or a traceback, and an answer cut off before it finished a
    #    sentence; "does not mention other acquisitions" after an answer declines nothing
    version = "20"

    def score(self, item: MetricInput) -> MetricResult:
        """Judge one answer (see the module docstring)."""
        decline = declines(item.output, item.question)
        if decline is not None:
            return MetricResult(score=0.0, verdict="refusal", passed=False, reason=decline.reason)
        return MetricResult(score=1.0, verdict="answered", passed=True,
                            reason="commits to an answer")


_RENAMED = ("metric 'refusal' was renamed 'answered' in version 3 (score 1.0 = the model "
            "answered, 0.0 = it declined); use 'answered'. Scores stored under 'refusal' stay "
            "readable under that name.")


@register_metric("refusal")
class RenamedRefusalMetric(Metric):
    """The former ``refusal`` metric, renamed ``answered`` in version 3.

    Naming it (in a plan, ``--metrics`` or :func:`~agility.metrics.get_metric`) is an error
    that names the new metric; its scores stored by earlier versions stay readable in the
    store under ``refusal``.
    """

    version = "2"
    renamed_to = "answered"

    @classmethod
    def parse(cls, options: MetricOptions | Mapping[str, Any] | None = None,
              **more: Any) -> MetricOptions:
        """Always refuses: the metric was renamed (plans learn it when they are checked)."""
        raise UsageError(_RENAMED)

    def __init__(self, options: MetricOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        raise UsageError(_RENAMED)

    def score(self, item: MetricInput) -> MetricResult:  # pragma: no cover - never built
        """Never called: the metric cannot be built."""
        raise NotImplementedError
