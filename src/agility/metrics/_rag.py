"""RAG retrieval metrics: context precision and recall, hit rate and MRR of what was retrieved.

Which passages are relevant is decided, by ``mode``:

- ``mode="auto"`` (default, offline): by the **gold chunk ids** when the golden row names them
  (``metadata.gold_chunks``) and the run recorded the retriever's ids; otherwise by whether the
  passage **supports the ground truth** (:func:`supports`: every figure of the reference is
  stated in the passage, or most of its content words are), never by a raw cosine threshold,
  which put a short figure such as "$1,284.0 million" below 0.5 against the passage that
  states it.
- ``mode="gold"``: gold chunk ids only (a row without them, or a run without retrieved ids,
  is not scored).
- ``mode="support"``: the support check only.
- ``mode="llm"`` (context precision and recall): a judge model (option ``judge``) labels
  each passage / statement.
- ``mode="embedding"``: the old MiniLM cosine threshold (``relevance_threshold``), kept so old
  scores can be reproduced; not recommended.

Context precision is the rank-aware average precision of the relevant passages; context recall
the share of the gold chunks retrieved (gold) or of the reference's statements some passage
supports; hit rate is 1 when a relevant passage was retrieved at all; MRR is 1 / the rank of
the first relevant passage (0 when none). A row whose ``gold_chunks`` is empty (nothing in the
corpus answers it) is not scored by gold. Retrieval latency and cost the pipeline reported are
kept in ``raw`` next to the score, with the method used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, Field

from agility.metrics._base import Metric, MetricInput, MetricResult, register_metric
from agility.metrics._judge import InvalidJudgment, JudgeMetric, _Judgment
from agility.metrics._numbers import figures_match, parse_financial_numbers
from agility.metrics._options import JudgeOptions, MetricOptions

if TYPE_CHECKING:  # the arrays come from agility.embeddings, which imports numpy on use
    import numpy as np

__all__ = [
    "ContextPrecision",
    "ContextRecall",
    "HitRate",
    "MeanReciprocalRank",
    "RagOptions",
    "RetrievalOptions",
    "average_precision",
    "gold_chunks",
    "reciprocal_rank",
    "split_statements",
    "supports",
]

#: MiniLM cosine at which a passage counts as relevant to a reference (hand-tuned on
#: paraphrase vs. unrelated pairs; see tests/metrics/test_rag.py)
DEFAULT_RELEVANCE = 0.5
_RETRIEVAL_KEYS = ("retrieval_latency_ms", "retrieval_cost_usd")
#: share of a figure-free statement's content words a passage must contain to support it
_WORD_COVERAGE = 0.6
_STOPWORDS = frozenset(
    "a an and are as at be by did do does for from had has have in is it its of on or that the "
    "their there these this to was were what which who with how much many".split())
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


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


def reciprocal_rank(relevant: Sequence[bool]) -> float:
    """1 / the rank of the first relevant item (1-based); 0.0 when none is relevant."""
    for k, is_relevant in enumerate(relevant, start=1):
        if is_relevant:
            return 1.0 / k
    return 0.0


def gold_chunks(item: MetricInput) -> list[str] | None:
    """The row's gold chunk ids (``metadata.gold_chunks``), or None when it names none."""
    value = item.metadata.get("gold_chunks")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and len(w) > 1}


def supports(passage: str, statement: str) -> bool:
    """Whether ``passage`` states what ``statement`` says, as far as text can tell.

    A statement with figures is supported when every figure in it is stated in the passage
    (same quantity, allowing for rounding and an implicit scale: :func:`figures_match`); a
    statement without figures when the passage contains at least 60% of its content words.
    An entailment-style check without a model: a figure that must be calculated from the
    passage is not found (use gold chunk ids or ``mode="llm"`` for those).
    """
    figures = parse_financial_numbers(statement)
    if figures:
        stated = parse_financial_numbers(passage)
        return all(any(figures_match(candidate, figure) for candidate in stated)
                   for figure in figures)
    words = _words(statement)
    if not words:
        return False
    return len(words & _words(passage)) / len(words) >= _WORD_COVERAGE


def split_statements(text: str) -> list[str]:
    """Split a reference answer into sentences (statements), dropping empty ones."""
    parts = re.split(r"(?<=[.!?;])\s+|\n+", text.strip())
    return [p.strip() for p in parts if p.strip()]


def _retrieval_figures(item: MetricInput) -> dict[str, Any]:
    return {k: item.metadata[k] for k in _RETRIEVAL_KEYS if item.metadata.get(k) is not None}


class RagOptions(JudgeOptions):
    """Options of ``context_precision`` and ``context_recall`` (see the module docstring)."""

    #: how a passage's relevance is decided
    mode: Literal["auto", "gold", "support", "embedding", "llm"] = "auto"
    #: embedding mode: the cosine at which a passage counts as relevant
    relevance_threshold: float = Field(DEFAULT_RELEVANCE, ge=-1.0, le=1.0)
    #: score at or above which ``passed`` is true
    threshold: float = Field(0.5, ge=0.0, le=1.0)


class RetrievalOptions(MetricOptions):
    """Options of ``hit_rate`` and ``mrr``: relevance by gold ids or the support check."""

    mode: Literal["auto", "gold", "support"] = "auto"


class PrecisionJudgment(_Judgment):
    relevant: list[bool]


class RecallJudgment(_Judgment):
    attributed: list[bool]


class _PrecisionJudge(JudgeMetric):
    name = "context_precision"
    Options = RagOptions
    options: RagOptions
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
        return score, None, score >= self.options.threshold


class _RecallJudge(JudgeMetric):
    name = "context_recall"
    Options = RagOptions
    options: RagOptions
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
        return score, None, score >= self.options.threshold


class _RagMetric(Metric):
    """Shared mode handling: gold ids or the support check by default, embedding mode in
    batches, llm mode delegates to a judge."""

    kind = "deterministic"
    Options: ClassVar[type[MetricOptions]] = RagOptions
    options: RagOptions | RetrievalOptions
    _judge_class: ClassVar[type[JudgeMetric]]

    def __init__(self, options: MetricOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        super().__init__(options, **more)
        self.mode = self.options.mode
        self.judge: JudgeMetric | None = None
        if isinstance(self.options, RagOptions):
            if self.mode == "llm":
                self.judge = self._judge_class(self.options)
            self.threshold = self.options.relevance_threshold

    @classmethod
    def needs_judge(cls, options: MetricOptions) -> bool:
        """A judge model labels the passages in llm mode only."""
        return isinstance(options, RagOptions) and options.mode == "llm"

    @classmethod
    def needs_embeddings(cls, options: MetricOptions) -> bool:
        """The local embedding model decides relevance in embedding mode only."""
        return isinstance(options, RagOptions) and options.mode == "embedding"

    @property
    def stored_version(self) -> str:
        """``<version>-<mode>``: scores made by different modes never mix."""
        return f"{self.version}-{self.mode}"

    def _labels(self, item: MetricInput) -> tuple[str, list[bool], list[str] | None] | str:
        """Which retrieved passages are relevant, and how that was decided.

        Returns ``(method, relevant per passage, gold ids or None)``, or why the item cannot be
        scored in this mode.
        """
        gold = gold_chunks(item)
        ids = item.retrieved_ids
        if self.mode in ("auto", "gold") and gold is not None and ids is not None:
            if not gold:
                return "not scored: the row names no gold chunk (nothing to retrieve)"
            wanted = set(gold)
            return "gold_chunks", [i in wanted for i in ids], gold
        if self.mode == "gold":
            return ("not scored: mode=gold needs the row's metadata.gold_chunks and the "
                    "retriever's ids" + ("" if gold is not None else " (the row names none)"))
        if gold == [] and self.mode == "auto":
            return "not scored: the row names no gold chunk (nothing to retrieve)"
        statements = split_statements(item.ground_truth or "")
        if not statements:
            return "not scored: the example has no ground_truth"
        relevant = [any(supports(c, st) for st in statements) for c in item.contexts]
        return "support", relevant, None

    def _support_many(self, items: Sequence[MetricInput]) -> list[MetricResult]:
        results = []
        for item in items:
            labels = self._labels(item)
            if isinstance(labels, str):
                results.append(MetricResult(error=labels, raw=_retrieval_figures(item) or None))
                continue
            results.append(self._from_labels(item, *labels))
        return results

    def _from_labels(self, item: MetricInput, method: str, relevant: list[bool],
                     gold: list[str] | None) -> MetricResult:
        raise NotImplementedError

    def _pass_mark(self) -> float:
        return self.options.threshold if isinstance(self.options, RagOptions) else 0.5

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

    Options: ``mode`` ("auto" | "gold" | "support" | "llm" | "embedding"), ``judge`` (llm
    mode), ``relevance_threshold`` (embedding cosine, default 0.5), ``threshold`` (pass mark
    on the score, default 0.5).
    """

    # 3: the support check reads figures as correctness v5 does (a year in parentheses is no
    #    figure; an unstated scale is read upward only; a reference written out in full takes
    #    no scale)
    # 4: a figure written to a reference's own decimals is held to them, trailing zeros
    #    included ("$0.12" does not state "$0.10"; see figures_match)
    # 5: figures read as correctness v9 reads them (a number hyphenated to a word,
    #    "COVID-19", is no figure; a bare figure below one takes no unstated scale)
    version = "5"
    requires = ("contexts",)
    _judge_class = _PrecisionJudge

    def _from_labels(self, item: MetricInput, method: str, relevant: list[bool],
                     gold: list[str] | None) -> MetricResult:
        score = average_precision(relevant)
        return MetricResult(
            score=score, passed=score >= self._pass_mark(),
            reason=f"{sum(relevant)} of {len(relevant)} passages relevant ({method})",
            raw={"method": method, "relevant": relevant, "retrieved": item.retrieved_ids,
                 "gold": gold, **_retrieval_figures(item)})

    def score_many(self, items: Sequence[MetricInput]) -> list[MetricResult]:
        """Scores of many items (embedding mode: one batched encode)."""
        if self.mode != "embedding":
            return self._support_many(items)
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
                score=score, passed=score >= self._pass_mark(),
                reason=f"{sum(relevant)} of {len(relevant)} passages relevant", raw=raw))
        return results


@register_metric("context_recall")
class ContextRecall(_RagMetric):
    """Do the retrieved passages contain what the reference answer says?

    With gold chunk ids: the share of the gold chunks retrieved. Otherwise the share of the
    reference's statements some passage supports. Options as :class:`ContextPrecision`; needs
    a ground truth.
    """

    # 3: the support check reads figures as correctness v5 does (a year in parentheses is no
    #    figure; an unstated scale is read upward only; a reference written out in full takes
    #    no scale)
    # 4: a figure written to a reference's own decimals is held to them, trailing zeros
    #    included ("$0.12" does not state "$0.10"; see figures_match)
    # 5: figures read as correctness v9 reads them (a number hyphenated to a word,
    #    "COVID-19", is no figure; a bare figure below one takes no unstated scale)
    version = "5"
    requires = ("contexts", "ground_truth")
    _judge_class = _RecallJudge

    def _from_labels(self, item: MetricInput, method: str, relevant: list[bool],
                     gold: list[str] | None) -> MetricResult:
        if gold is not None:
            found = sorted(set(gold) & set(item.retrieved_ids or []))
            score = len(found) / len(set(gold))
            reason = f"{len(found)} of {len(set(gold))} gold chunks retrieved"
            raw: dict[str, Any] = {"method": method, "found": found, "gold": gold,
                                   "retrieved": item.retrieved_ids}
        else:
            statements = split_statements(item.ground_truth or "")
            attributed = [any(supports(c, st) for c in item.contexts) for st in statements]
            score = sum(attributed) / len(attributed)
            reason = (f"{sum(attributed)} of {len(attributed)} reference statements supported "
                      f"by the contexts")
            raw = {"method": method, "statements": len(statements), "attributed": attributed}
        return MetricResult(score=score, passed=score >= self._pass_mark(), reason=reason,
                            raw={**raw, **_retrieval_figures(item)})

    def score_many(self, items: Sequence[MetricInput]) -> list[MetricResult]:
        """Scores of many items (embedding mode: one batched encode)."""
        if self.mode != "embedding":
            return self._support_many(items)
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
                score=score, passed=score >= self._pass_mark(),
                reason=f"{sum(attributed)} of {len(attributed)} reference statements found "
                       f"in the contexts", raw=raw))
        return results


@register_metric("hit_rate")
class HitRate(_RagMetric):
    """Was a relevant passage retrieved at all? 1 or 0 per query (the mean is the hit rate).

    Relevance by gold chunk ids when the row has them, else by :func:`supports` (options
    ``mode``: "auto" | "gold" | "support"). With a retriever's top k, this is hit rate at k.
    """

    # 2: the support check reads figures as correctness v5 does (see context_precision)
    # 3: trailing zeros of a reference's figure held (see context_precision's version 4)
    # 4: figures read as correctness v9 reads them (see context_precision's version 5)
    version = "4"
    kind = "deterministic"
    Options = RetrievalOptions
    requires = ("contexts",)

    def _from_labels(self, item: MetricInput, method: str, relevant: list[bool],
                     gold: list[str] | None) -> MetricResult:
        hit = any(relevant)
        return MetricResult(score=1.0 if hit else 0.0, passed=hit,
                            reason=("a relevant passage was retrieved" if hit
                                    else "no relevant passage was retrieved") + f" ({method})",
                            raw={"method": method, "relevant": relevant, "gold": gold,
                                 "retrieved": item.retrieved_ids, **_retrieval_figures(item)})

    def score_many(self, items: Sequence[MetricInput]) -> list[MetricResult]:
        """Scores of many items."""
        return self._support_many(items)


@register_metric("mrr")
class MeanReciprocalRank(_RagMetric):
    """1 / the rank of the first relevant passage (0 when none): the mean over queries is MRR.

    Relevance as :class:`HitRate`. ``passed`` is set when the first relevant passage ranks
    first.
    """

    # 2: the support check reads figures as correctness v5 does (see context_precision)
    # 3: trailing zeros of a reference's figure held (see context_precision's version 4)
    # 4: figures read as correctness v9 reads them (see context_precision's version 5)
    version = "4"
    kind = "deterministic"
    Options = RetrievalOptions
    requires = ("contexts",)

    def _from_labels(self, item: MetricInput, method: str, relevant: list[bool],
                     gold: list[str] | None) -> MetricResult:
        score = reciprocal_rank(relevant)
        rank = next((k for k, r in enumerate(relevant, start=1) if r), None)
        return MetricResult(score=score, passed=None,
                            reason=(f"first relevant passage at rank {rank}" if rank
                                    else "no relevant passage retrieved") + f" ({method})",
                            raw={"method": method, "rank": rank, "relevant": relevant,
                                 "gold": gold, "retrieved": item.retrieved_ids,
                                 **_retrieval_figures(item)})

    def score_many(self, items: Sequence[MetricInput]) -> list[MetricResult]:
        """Scores of many items."""
        return self._support_many(items)
