"""The retrieval step of a RAG pipeline, as the runner sees it.

A retriever turns a golden example into the documents the prompt is built from, and reports its
own latency and per-query cost so that a run's time and cost include retrieval.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from agility.dataset import GoldenExample

__all__ = ["Retrieval", "Retriever"]


class Retrieval(BaseModel):
    """What a retriever found for one example."""

    model_config = ConfigDict(extra="forbid")

    contexts: list[str] = Field(default_factory=list)
    latency_ms: float | None = None
    cost_usd: float | None = None
    #: ids/scores of the retrieved chunks, kept with the result for inspection
    details: list[dict[str, Any]] = Field(default_factory=list)


@runtime_checkable
class Retriever(Protocol):
    """Anything with an async ``retrieve(example) -> Retrieval``."""

    async def retrieve(self, example: GoldenExample) -> Retrieval: ...
