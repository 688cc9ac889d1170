"""Retrieval for RAG pipelines: the interface the runner calls, and a local embedding retriever."""

from agility.retrieval._base import Retrieval, Retriever

__all__ = ["Retrieval", "Retriever"]
