"""Retrieval for RAG pipelines: the interface the runner calls, and a local embedding retriever.

The embedding retriever (numpy, and the model behind it) is imported on first use, so a run
without retrieval never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agility.retrieval._base import Retrieval, Retriever

if TYPE_CHECKING:
    from agility.retrieval._embedding import Chunk, EmbeddingRetriever, load_corpus

__all__ = ["Chunk", "EmbeddingRetriever", "Retrieval", "Retriever", "load_corpus"]

_LAZY = {"Chunk", "EmbeddingRetriever", "load_corpus"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'agility.retrieval' has no attribute {name!r}")
    from agility.retrieval import _embedding

    return getattr(_embedding, name)
