"""Refusal detection: does an answer decline, or say the information is not available?

Financial experts count an answer as a refusal when it does not commit to an answer: it
declines ("I'm sorry, I can't"), says it has no access to the data, or says the context or
documents do not contain what is needed, even when it goes on at length about where the
figure could be found. An answer that says a detail is missing *and then answers anyway* is
not a refusal: :func:`is_refusal` only finds the language, and the correctness grader weighs
it against whether the answer states the gold's figures.
"""

from __future__ import annotations

import re

from agility.metrics._base import Metric, MetricInput, MetricResult, register_metric

__all__ = ["RefusalMetric", "is_refusal", "refusal_phrases"]

_SOURCE = (r"(?:context|document|documents|text|excerpt|excerpts|passage|passages|filing|"
           r"filings|statement|statements|report|evidence|information|data|sources?|"
           r"extract|snippet|table|pages?)")

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("apology", re.compile(r"(?i)\b(?:i'?m|i am) (?:sorry|afraid)\b|\bi apologi[sz]e\b")),
    ("no access", re.compile(
        r"(?i)\b(?:i|as an ai[^,.]*,? i) (?:do not|don't|cannot|can't|am unable to|"
        r"am not able to) (?:have )?(?:real-time |direct |the ability to )?"
        r"(?:access|browse|retrieve|pull|fetch|look up|provide real-time|real-time|"
        r"the (?:specific |necessary |required |relevant )?(?:information|data|details))")),
    ("as an ai", re.compile(r"(?i)\bas an ai\b|\bas of my last (?:update|training)\b|"
                            r"\bai (?:language )?model\b|\bmy knowledge cutoff\b|"
                            r"\bmy training data\b|\bknowledge cut-?off\b")),
    ("cannot answer", re.compile(
        r"(?i)(?:\b(?:i|we|it) (?:cannot|can ?not|can't|couldn't|could not|am unable to|are "
        r"unable to|was unable to|is (?:not possible|impossible) to|was not possible to)|"
        r"^\W*unable to) (?:\w+ ){0,3}?"
        r"(?:determine|provide|calculate|compute|answer|confirm|say|find|locate|see|identify|"
        r"ascertain|assess|state|give|tell|verify|conclude|infer|derive|specify)")),
    ("not possible", re.compile(
        r"(?i)\b(?:not|impossible|isn't|is not) (?:possible|feasible|able) to "
        r"(?:\w+ ){0,2}?(?:determine|provide|calculate|compute|answer|confirm|say|identify|"
        r"ascertain|assess|conclude|infer|derive)|\bcannot be (?:determined|calculated|"
        r"computed|answered|confirmed|derived|ascertained|identified|found|assessed|"
        r"inferred|provided)")),
    ("source lacks", re.compile(
        rf"(?i)\b(?:the |this |provided |given |available |above ){{0,3}}{_SOURCE}\b[^.]{{0,60}}?"
        r"\b(?:does|do|did|is|are|was|were)(?: not|n't| no longer)\b[^.]{0,40}?"
        r"\b(?:contain|include|provide|mention|specify|offer|disclose|detail|give|have|"
        r"state|show|list|present|indicate|reference|break|explicitly|specifically|directly|"
        r"sufficient|enough|available|clear)")),
    ("no information", re.compile(
        r"(?i)\b(?:there is|there are|there's|contains|with|provides|has|have|i have|"
        r"i do not have|i don't have|without) (?:no|not any|not enough|insufficient|"
        r"limited)? ?(?:specific |explicit |direct |detailed |sufficient |enough |"
        r"relevant |such |further |additional |the necessary |the required |any ){0,3}"
        r"(?:information|data|details|mention|figures|breakdown|disclosure|indication)\b"
        r"[^.]{0,40}?\b(?:provided|available|given|mentioned|included|disclosed|about|on|"
        r"regarding|to|in|for)")),
    ("not provided", re.compile(
        r"(?i)\b(?:is|are|was|were)(?: not|n't) (?:explicitly |specifically |directly |clearly )?"
        r"(?:provided|mentioned|available|given|included|disclosed|specified|stated|"
        r"listed|reported|detailed|shown|present)\b")),
    ("would need", re.compile(
        r"(?i)\b(?:you|one) (?:would|will|may|might) (?:need|have) to (?:refer|consult|look|"
        r"review|check|access|obtain)|\bplease (?:refer|consult|check)\b|"
        r"\b(?:i|we) (?:would )?(?:need|require) (?:more|additional|the|access)")),
    ("declines", re.compile(
        r"(?i)\b(?:i|we) (?:cannot|can ?not|can't|won't|will not|am unable to|are unable to)"
        r" (?:\w+ ){0,2}?(?:help|assist)\b|\b(?:i|we) must (?:respectfully )?decline\b")),
    ("does not know", re.compile(r"(?i)\bi (?:don't|do not) know\b|\bi'm not sure\b|"
                                 r"\bi am not sure\b")),
    ("insufficient", re.compile(r"(?i)\binsufficient (?:information|data|context|details)\b|"
                                r"\bnot enough (?:information|data|context|details)\b")),
]


# Matching lower-cased text without re.IGNORECASE is markedly faster; the patterns are
# written for lower case anyway.
_PATTERNS = [(name, re.compile(p.pattern.replace("(?i)", ""))) for name, p in _PATTERNS]


def refusal_phrases(text: str) -> list[str]:
    """The kinds of refusal language found in ``text`` ("apology", "source lacks", ...)."""
    lowered = text.lower()
    return [name for name, pattern in _PATTERNS if pattern.search(lowered)]


def is_refusal(text: str | None) -> bool:
    """Whether ``text`` is empty or contains refusal language.

    This is the plain test; the correctness grader weighs it against whether the answer
    still commits to the gold figure.
    """
    if text is None or not text.strip():
        return True
    return bool(refusal_phrases(text))


@register_metric("refusal")
class RefusalMetric(Metric):
    """Flags answers that decline or say the information is unavailable.

    ``passed`` is True when the answer is *not* a refusal; ``verdict`` is ``refusal`` or
    ``answered``; ``score`` is 1.0 for an answer, 0.0 for a refusal.
    """

    version = "2"  # 2: "declines" phrasings (I can't help with that, we must decline)

    def score(self, item: MetricInput) -> MetricResult:
        """Judge one answer (see the class docstring)."""
        text = item.output or ""
        kinds = refusal_phrases(text) if text.strip() else ["empty answer"]
        if kinds:
            return MetricResult(score=0.0, verdict="refusal", passed=False,
                                reason="refusal language: " + ", ".join(kinds))
        return MetricResult(score=1.0, verdict="answered", passed=True,
                            reason="no refusal language")
