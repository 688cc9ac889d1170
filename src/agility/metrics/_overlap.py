"""Reference-overlap metrics: ROUGE-L (``rouge-score``), BLEU and chrF (``sacrebleu``).

Sentence-level scores of the answer against the ground truth, scaled to [0, 1]. The scorers
are built once per metric instance; both libraries are core dependencies.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from agility.metrics._base import Metric, MetricInput, MetricResult, register_metric
from agility.metrics._options import MetricOptions

__all__ = ["BleuMetric", "ChrfMetric", "RougeLMetric"]


def _missing(metric: Metric, item: MetricInput) -> MetricResult | None:
    field = metric.missing(item)
    return MetricResult(error=f"cannot score: the example has no {field}") if field else None


class _CachedStemTokenizer:
    """rouge-score's default tokenizer with Porter stemming, memoised per word.

    Stemming dominates ROUGE-L's cost and answers reuse the same words, so each word is
    stemmed once; the tokens are exactly those of ``RougeScorer(use_stemmer=True)``.
    """

    def __init__(self) -> None:
        from nltk.stem import porter

        stemmer = porter.PorterStemmer()
        self.stem = functools.lru_cache(maxsize=65536)(stemmer.stem)

    def tokenize(self, text: str) -> list[str]:
        from rouge_score import tokenize

        tokens: list[str] = tokenize.tokenize(text, self)
        return tokens


@register_metric("rouge_l")
class RougeLMetric(Metric):
    """ROUGE-L F-measure (longest common subsequence, Porter stemming) against the ground truth."""

    requires = ("output", "ground_truth")

    def __init__(self, options: MetricOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        super().__init__(options, **more)
        from rouge_score import rouge_scorer

        self._scorer = rouge_scorer.RougeScorer(["rougeL"], tokenizer=_CachedStemTokenizer())

    def score(self, item: MetricInput) -> MetricResult:
        """Score one answer."""
        if (failed := _missing(self, item)) is not None:
            return failed
        result = self._scorer.score(item.ground_truth or "", item.output or "")["rougeL"]
        return MetricResult(score=float(result.fmeasure), reason=(
            f"ROUGE-L F {result.fmeasure:.2f} (P {result.precision:.2f}, R {result.recall:.2f})"))


@register_metric("bleu")
class BleuMetric(Metric):
    """Sentence BLEU (sacrebleu, exponential smoothing) against the ground truth, in [0, 1]."""

    requires = ("output", "ground_truth")

    def __init__(self, options: MetricOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        super().__init__(options, **more)
        from sacrebleu.metrics import BLEU  # type: ignore[attr-defined]

        self._bleu = BLEU(effective_order=True)

    def score_many(self, items: Sequence[MetricInput]) -> list[MetricResult]:
        """Score many answers, then empty sacrebleu's tokenizer caches.

        sacrebleu memoises every sentence it tokenises (65,536 per cache, process-wide): a
        large run would hold hundreds of MB of tokenised answers it never reads again.
        """
        try:
            return [self.score(item) for item in items]
        finally:
            _clear_tokenizer_caches(self._bleu.tokenizer)

    def score(self, item: MetricInput) -> MetricResult:
        """Score one answer."""
        if (failed := _missing(self, item)) is not None:
            return failed
        value = self._bleu.sentence_score(item.output or "", [item.ground_truth or ""]).score / 100
        value = min(1.0, max(0.0, value))
        return MetricResult(score=value, reason=f"BLEU {value * 100:.1f}")


def _clear_tokenizer_caches(tokenizer: Any) -> None:
    from sacrebleu.tokenizers.tokenizer_re import TokenizerRegexp

    for method in (type(tokenizer).__call__, TokenizerRegexp.__call__):
        clear = getattr(method, "cache_clear", None)  # present while sacrebleu memoises
        if clear is not None:
            clear()


@register_metric("chrf")
class ChrfMetric(Metric):
    """Sentence chrF (sacrebleu character n-gram F-score) against the ground truth, in [0, 1]."""

    requires = ("output", "ground_truth")

    def __init__(self, options: MetricOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        super().__init__(options, **more)
        from sacrebleu.metrics import CHRF  # type: ignore[attr-defined]

        self._chrf = CHRF()

    def score(self, item: MetricInput) -> MetricResult:
        """Score one answer."""
        if (failed := _missing(self, item)) is not None:
            return failed
        value = self._chrf.sentence_score(item.output or "", [item.ground_truth or ""]).score / 100
        value = min(1.0, max(0.0, value))
        return MetricResult(score=value, reason=f"chrF {value * 100:.1f}")
