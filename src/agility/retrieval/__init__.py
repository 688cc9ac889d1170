"""Retrieval for RAG pipelines: the interface the runner calls, and a local embedding retriever."""

from agility.retrieval._base import Retrieval, Retriever
from agility.retrieval._embedding import Chunk, EmbeddingRetriever, load_corpus

__all__ = ["Chunk", "EmbeddingRetriever", "Retrieval", "Retriever", "load_corpus"]
