"""Deterministic text metrics: exact match, token F1, contains/regex, length, citations.

Each compares an answer with its ground truth (or with an option such as a pattern) and needs
nothing but the text. Normalisation follows SQuAD: lower case, punctuation and the articles
a/an/the removed, whitespace collapsed.
"""

from __future__ import annotations

import re
import string
from collections import Counter

from pydantic import Field, field_validator

from agility.metrics._base import Metric, MetricInput, MetricResult, register_metric
from agility.metrics._options import MetricOptions

__all__ = [
    "CitationMetric",
    "CitationOptions",
    "ContainsMetric",
    "ContainsOptions",
    "ExactMatchMetric",
    "LengthMetric",
    "LengthOptions",
    "RegexMetric",
    "RegexOptions",
    "ThresholdOptions",
    "TokenF1Metric",
    "normalize_text",
    "token_f1",
]

_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize_text(text: str) -> str:
    """Lower case, strip punctuation and articles, collapse whitespace."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split())


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD token F1 between two texts after :func:`normalize_text` (1.0 when both empty)."""
    pred, ref = normalize_text(prediction).split(), normalize_text(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


class ThresholdOptions(MetricOptions):
    """A pass mark on the score."""

    #: score at or above which ``passed`` is true
    threshold: float = Field(0.5, ge=0.0, le=1.0)


class ContainsOptions(MetricOptions):
    """Options of ``contains``."""

    #: the text to look for (default: the ground truth)
    text: str | None = None
    case_sensitive: bool = False


class RegexOptions(MetricOptions):
    """Options of ``regex``: the pattern is required and must compile."""

    pattern: str = Field(min_length=1)
    case_sensitive: bool = False

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from None
        return value


class LengthOptions(MetricOptions):
    """Options of ``length``: limits that set ``passed`` (none: always passes)."""

    max_words: float | None = Field(None, gt=0)
    max_ratio: float | None = Field(None, gt=0)


class CitationOptions(MetricOptions):
    """Options of ``citation``."""

    #: always require a citation, even when the prompt does not ask for one
    required: bool = False


def _missing(metric: Metric, item: MetricInput) -> MetricResult | None:
    field = metric.missing(item)
    return MetricResult(error=f"cannot score: the example has no {field}") if field else None


@register_metric("exact_match")
class ExactMatchMetric(Metric):
    """1.0 when the normalised answer equals the normalised ground truth."""

    requires = ("output", "ground_truth")

    def score(self, item: MetricInput) -> MetricResult:
        """Score one answer."""
        if (failed := _missing(self, item)) is not None:
            return failed
        same = normalize_text(item.output or "") == normalize_text(item.ground_truth or "")
        return MetricResult(score=float(same), passed=same,
                            reason="matches the ground truth" if same else "differs from the ground truth")


@register_metric("token_f1")
class TokenF1Metric(Metric):
    """Token-overlap F1 between the answer and the ground truth (SQuAD style).

    Option ``threshold`` (default 0.5) sets ``passed``.
    """

    Options = ThresholdOptions
    options: ThresholdOptions
    requires = ("output", "ground_truth")

    def score(self, item: MetricInput) -> MetricResult:
        """Score one answer."""
        if (failed := _missing(self, item)) is not None:
            return failed
        f1 = token_f1(item.output or "", item.ground_truth or "")
        return MetricResult(score=f1, passed=f1 >= self.options.threshold,
                            reason=f"token F1 {f1:.2f}")


@register_metric("contains")
class ContainsMetric(Metric):
    """Whether the answer contains a text (option ``text``; default: the ground truth).

    Case-insensitive unless ``case_sensitive=True``.
    """

    Options = ContainsOptions
    options: ContainsOptions

    def score(self, item: MetricInput) -> MetricResult:
        """Score one answer."""
        needle = self.options.text if self.options.text is not None else item.ground_truth
        if needle is None or item.output is None:
            return MetricResult(error="cannot score: no text to look for, or no answer")
        hay, pin = item.output, str(needle)
        if not self.options.case_sensitive:
            hay, pin = hay.lower(), pin.lower()
        found = pin in hay
        return MetricResult(score=float(found), passed=found,
                            reason=("contains " if found else "does not contain ") + repr(str(needle)[:60]))


@register_metric("regex")
class RegexMetric(Metric):
    """Whether the answer matches a regular expression (option ``pattern``, required).

    Raises:
        OptionsError: when ``pattern`` is missing or is not a valid regular expression.
    """

    Options = RegexOptions
    options: RegexOptions

    def __init__(self, options: RegexOptions | dict[str, object] | None = None,
                 **more: object) -> None:
        super().__init__(options, **more)
        flags = 0 if self.options.case_sensitive else re.IGNORECASE
        self._pattern = re.compile(self.options.pattern, flags)

    def score(self, item: MetricInput) -> MetricResult:
        """Score one answer."""
        if item.output is None:
            return MetricResult(error="cannot score: no answer")
        found = self._pattern.search(item.output) is not None
        return MetricResult(score=float(found), passed=found,
                            reason=("matches " if found else "does not match ") + self._pattern.pattern[:60])


@register_metric("length")
class LengthMetric(Metric):
    """Answer length in words and its verbosity against the ground truth.

    ``raw`` holds ``{"words", "chars", "ratio"}`` (ratio = answer words / ground-truth words, or
    None without a ground truth). Options ``max_words`` and ``max_ratio`` set ``passed``;
    ``score`` is 1.0 within limits and falls as min(1, limit / actual) beyond them.
    """

    Options = LengthOptions
    options: LengthOptions

    def score(self, item: MetricInput) -> MetricResult:
        """Score one answer."""
        if item.output is None:
            return MetricResult(error="cannot score: no answer")
        words = len(item.output.split())
        ref_words = len(item.ground_truth.split()) if item.ground_truth else 0
        ratio = words / ref_words if ref_words else None
        limits: list[tuple[str, float, float]] = []
        if self.options.max_words is not None:
            limits.append(("words", words, self.options.max_words))
        if self.options.max_ratio is not None and ratio is not None:
            limits.append(("ratio", ratio, self.options.max_ratio))
        score = min([min(1.0, lim / val) if val > 0 else 1.0 for _, val, lim in limits], default=1.0)
        passed = all(val <= lim for _, val, lim in limits) if limits else None
        ratio_text = f", {ratio:.1f}x the ground truth" if ratio is not None else ""
        return MetricResult(score=score, passed=passed, reason=f"{words} words{ratio_text}",
                            raw={"words": words, "chars": len(item.output), "ratio": ratio})


_CITATION = re.compile(
    r"\[(?:\d+(?:\s*[,\-\u2013]\s*\d+)*|doc(?:ument)?\s*\d+|source\s*\d+|[A-Za-z][\w .\-]{0,100}\.(?:pdf|txt|md|html?))\]"
    r"|\((?:source|doc(?:ument)?|page|p\.)\s*[:#]?\s*\w+\)|【[^】]+】|\bsources?:\s*\S+",
    re.IGNORECASE,
)
_ASKS_CITATION = re.compile(r"(?i)\b(?:cite|citation|citations|reference your sources|"
                            r"include (?:the )?sources?|with sources)\b")


@register_metric("citation")
class CitationMetric(Metric):
    """Whether the answer cites a source ([1], [doc 2], (source: x), Sources: ...) when the
    prompt asks for citations.

    Not applicable (``passed`` None, no score) when the prompt does not ask for one; option
    ``required=True`` always requires a citation.
    """

    Options = CitationOptions
    options: CitationOptions

    def score(self, item: MetricInput) -> MetricResult:
        """Score one answer."""
        if item.output is None:
            return MetricResult(error="cannot score: no answer")
        asked = self.options.required or bool(
            _ASKS_CITATION.search((item.prompt or "") + " " + (item.question or "")))
        if not asked:
            return MetricResult(reason="the prompt does not ask for a citation")
        cited = _CITATION.search(item.output) is not None
        return MetricResult(score=float(cited), passed=cited,
                            reason="cites a source" if cited else "asked for a citation but gives none")
