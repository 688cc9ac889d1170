"""Semantic similarity with a local embedding model (all-MiniLM-L6-v2, fully offline).

The model loader and :func:`embed` live in the neutral module :mod:`agility.embeddings`
(the retriever uses them too); they are re-exported here so ``agility.metrics.embed`` keeps
working.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from agility.embeddings import embed, load_embedding_model
from agility.metrics._base import Metric, MetricInput, MetricResult, register_metric
from agility.metrics._options import MetricOptions

__all__ = ["SemanticSimilarity", "SimilarityOptions", "cosine_to_unit", "embed",
           "load_embedding_model"]


class SimilarityOptions(MetricOptions):
    """Options of ``semantic_similarity``."""

    #: score at or above which ``passed`` is true (0.8 is a cosine of 0.6)
    threshold: float = Field(0.8, ge=0.0, le=1.0)


def cosine_to_unit(cosine: float) -> float:
    """Map a cosine in [-1, 1] to a score in [0, 1] (clamped against rounding)."""
    return float(min(1.0, max(0.0, (cosine + 1.0) / 2.0)))


@register_metric("semantic_similarity")
class SemanticSimilarity(Metric):
    """Cosine similarity of the output's and the ground truth's MiniLM embeddings, in [0, 1].

    Options:
        threshold: score at or above which ``passed`` is true (default 0.8, i.e. cosine 0.6).
    """

    version = "1"
    kind = "embedding"
    Options = SimilarityOptions
    options: SimilarityOptions
    requires = ("output", "ground_truth")
    requires_embeddings = True

    def score(self, item: MetricInput) -> MetricResult:
        """Score one answer (prefer :meth:`score_many`, which batches)."""
        return self.score_many([item])[0]

    def score_many(self, items: Sequence[MetricInput]) -> list[MetricResult]:
        """Score many answers with two batched encodes."""
        import numpy as np  # here, not at the top: `agility metrics list` stays light

        threshold = self.options.threshold
        # one encode for both sides: fewer, fuller batches
        vectors = embed([i.output or "" for i in items] + [i.ground_truth or "" for i in items])
        outputs, truths = vectors[:len(items)], vectors[len(items):]
        cosines = np.sum(outputs * truths, axis=1)
        results = []
        for cosine in cosines:
            score = cosine_to_unit(float(cosine))
            results.append(MetricResult(
                score=score, passed=score >= threshold,
                reason=f"cosine {float(cosine):.3f} between answer and ground truth",
                raw={"cosine": round(float(cosine), 6)},
            ))
        return results
