"""RAG metrics: context precision and context recall of the retrieved contexts.

Both work in two modes:

- ``mode="embedding"`` (default, offline): a passage is relevant when its MiniLM cosine with
  the reference (ground truth, else the question) reaches ``relevance_threshold``; a reference
  statement is recalled when some passage reaches it.
- ``mode="llm"``: a judge model (option ``judge``) labels each passage / statement.

Context precision is the rank-aware average precision of the relevant passages (relevant
passages near the top score higher); context recall is the share of the reference's
statements the contexts support. Retrieval latency and cost the pipeline reported are kept
in ``raw`` next to the score.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel

from agility.errors import UsageError
from agility.metrics._base import Metric, MetricInput, MetricResult, register_metric
from agility.metrics._judge import InvalidJudgment, JudgeMetric, _Judgment

__all__ = ["ContextPrecision", "ContextRecall", "average_precision", "split_statements"]

#: MiniLM cosine at which a passage counts as relevant to a reference (hand-tuned on
#: paraphrase vs. unrelated pairs; see tests/metrics/test_rag.py)
DEFAULT_RELEVANCE = 0.5
_RETRIEVAL_KEYS = ("retrieval_latency_ms", "retrieval_cost_usd")


def average_precision(relevant: Sequence[bool]) -> float:
    """Rank-aware precision: mean of precision@k over the ranks k holding a relevant item.

    Returns 0.0 when nothing is relevant (precision was measured and is nil).
    """
    hits, total = 0, 0.0
    for k, is_relevant in enumerate(relevant, start=1):
        if is_relevant:
            hits += 1
            total += hits / k
    return total / hits if hits else 0.0


def split_statements(text: str) -> list[str]:
    """Split a reference answer into sentences (statements), dropping empty ones."""
    parts = re.split(r"(?<=[.!?;])\s+|\n+", text.strip())
    return [p.strip() for p in parts if p.strip()]


def _retrieval_figures(item: MetricInput) -> dict[str, Any]:
    return {k: item.metadata[k] for k in _RETRIEVAL_KEYS if item.metadata.get(k) is not None}


class PrecisionJudgment(_Judgment):
    relevant: list[bool]


class RecallJudgment(_Judgment):
    attributed: list[bool]


class _PrecisionJudge(JudgeMetric):
    name = "context_precision"
    prompt_key = "context_precision"
    judgment = PrecisionJudgment

    def blocks(self, item: MetricInput) -> list[tuple[str, str]]:
        context = "\n\n".join(f"[{i + 1}] {c}" for i, c in enumerate(item.contexts))
        return [("question", item.question or ""), ("reference", item.ground_truth or ""),
                ("context", context)]

    def validate_judgment(self, data: dict[str, Any], item: MetricInput) -> BaseModel:
        judgment = super().validate_judgment(data, item)
        if len(judgment.relevant) != len(item.contexts):  # type: ignore[attr-defined]
            raise InvalidJudgment(f"relevant: expected {len(item.contexts)} labels, got "
                                  f"{len(judgment.relevant)}")  # type: ignore[attr-defined]
        return judgment

    def interpret(self, judgment: Any, item: MetricInput) -> tuple[float | None, str | None,
                                                                   bool | None]:
        score = average_precision(judgment.relevant)
        return score, None, score >= float(self.options.get("threshold", 0.5))


class _RecallJudge(JudgeMetric):
    name = "context_recall"
    prompt_key = "context_recall"
    judgment = RecallJudgment

    def blocks(self, item: MetricInput) -> list[tuple[str, str]]:
        context = "\n\n".join(f"[{i + 1}] {c}" for i, c in enumerate(item.contexts))
        return [("reference", item.ground_truth or ""), ("context", context)]

    def validate_judgment(self, data: dict[str, Any], item: MetricInput) -> BaseModel:
        judgment = super().validate_judgment(data, item)
        if not judgment.attributed:  # type: ignore[attr-defined]
            raise InvalidJudgment("attributed: expected at least one label")
        return judgment

    def interpret(self, judgment: Any, item: MetricInput) -> tuple[float | None, str | None,
                                                                   bool | None]:
        labels = judgment.attributed
        score = sum(labels) / len(labels)
        return score, None, score >= float(self.options.get("threshold", 0.5))


class _RagMetric(Metric):
    """Shared mode handling: embedding mode scores in batches, llm mode delegates to a judge."""

    kind = "embedding"
    _judge_class: type[JudgeMetric]

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.mode = options.get("mode", "embedding")
        if self.mode not in ("embedding", "llm"):
            raise UsageError(f"metric '{self.name}': mode must be 'embedding' or 'llm', "
                             f"not '{self.mode}'")
        self.judge: JudgeMetric | None = None
        if self.mode == "llm":
            if not options.get("judge"):
                raise UsageError(f"metric '{self.name}' with mode=llm needs a judge model: "
                                 f"pass --judge provider/model")
            self.judge = self._judge_class(**options)
        #: score_run calls ascore (bounded concurrency) instead of score_many when true
        self.is_async = self.judge is not None
        self.judge_spec = self.judge.judge_spec if self.judge is not None else None
        #: stored with each score, so embedding- and judge-made scores never mix
        self.metric_version = f"{self.version}-{self.mode}"
        self.threshold = float(options.get("relevance_threshold", DEFAULT_RELEVANCE))

    def score(self, item: MetricInput) -> MetricResult:
        """Score one item (embedding mode batches better through :meth:`score_many`)."""
        if self.judge is not None:
            return self._with_retrieval(self.judge.score(item), item)
        return self.score_many([item])[0]

    async def ascore(self, item: MetricInput) -> MetricResult:
        """Score one item; in llm mode this is the judge call."""
        if self.judge is None:
            return self.score_many([item])[0]
        result = await self.judge.ascore(item)
        return self._with_retrieval(result, item)

    async def aclose(self) -> None:
        """Close the judge's provider, if any."""
        if self.judge is not None:
            await self.judge.aclose()

    def _with_retrieval(self, result: MetricResult, item: MetricInput) -> MetricResult:
        figures = _retrieval_figures(item)
        if not figures:
            return result
        raw = dict(result.raw or {}) if isinstance(result.raw, dict) or result.raw is None \
            else {"result": result.raw}
        return result.model_copy(update={"raw": {**raw, **figures}})

    def _similarities(self, items: Sequence[MetricInput], left: list[list[str]],
                      right: list[list[str]]) -> list[np.ndarray]:
        """Per item, the cosine matrix between its ``left`` and ``right`` texts, embedded in
        one batch for all items."""
        from agility.embeddings import embed

        flat = [t for group in left for t in group] + [t for group in right for t in group]
        vectors = embed(flat)
        out, i = [], 0
        lefts = []
        for group in left:
            lefts.append(vectors[i:i + len(group)])
            i += len(group)
        for n, group in enumerate(right):
            out.append(lefts[n] @ vectors[i:i + len(group)].T)
            i += len(group)
        return out


@register_metric("context_precision")
class ContextPrecision(_RagMetric):
    """Are the retrieved passages relevant, and ranked with the relevant ones first?

    Options: ``mode`` ("embedding" | "llm"), ``judge`` (llm mode), ``relevance_threshold``
    (embedding cosine, default 0.5), ``threshold`` (pass mark on the score, default 0.5).
    """

    version = "1"
    requires = ("contexts",)
    _judge_class = _PrecisionJudge

    def score_many(self, items: Sequence[MetricInput]) -> list[MetricResult]:
        """Embedding-mode scores of many items (one batched encode)."""
        refs = [[i.ground_truth or i.question or ""] for i in items]
        sims = self._similarities(items, refs, [list(i.contexts) for i in items])
        results = []
        for item, matrix in zip(items, sims):
            cosines = matrix[0]
            relevant = [bool(c >= self.threshold) for c in cosines]
            score = average_precision(relevant)
            raw = {"cosines": [round(float(c), 4) for c in cosines], "relevant": relevant,
                   **_retrieval_figures(item)}
            results.append(MetricResult(
                score=score, passed=score >= float(self.options.get("threshold", 0.5)),
                reason=f"{sum(relevant)} of {len(relevant)} passages relevant", raw=raw))
        return results


@register_metric("context_recall")
class ContextRecall(_RagMetric):
    """Do the retrieved passages contain what the reference answer says?

    Options as :class:`ContextPrecision`; needs a ground truth.
    """

    version = "1"
    requires = ("contexts", "ground_truth")
    _judge_class = _RecallJudge

    def score_many(self, items: Sequence[MetricInput]) -> list[MetricResult]:
        """Embedding-mode scores of many items (one batched encode)."""
        statements = [split_statements(i.ground_truth or "") or [""] for i in items]
        sims = self._similarities(items, statements, [list(i.contexts) for i in items])
        results = []
        for item, matrix, stmts in zip(items, sims, statements):
            best = matrix.max(axis=1)
            attributed = [bool(c >= self.threshold) for c in best]
            score = sum(attributed) / len(attributed)
            raw = {"statements": len(stmts), "best_cosines": [round(float(c), 4) for c in best],
                   "attributed": attributed, **_retrieval_figures(item)}
            results.append(MetricResult(
                score=score, passed=score >= float(self.options.get("threshold", 0.5)),
                reason=f"{sum(attributed)} of {len(attributed)} reference statements found "
                       f"in the contexts", raw=raw))
        return results
