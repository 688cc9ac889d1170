"""Metrics: deterministic graders, embedding similarity, LLM judges, RAG metrics, adapters."""

from agility.metrics._base import (
    Metric,
    MetricInput,
    MetricResult,
    MetricSummary,
    available_metrics,
    get_metric,
    register_metric,
    summarize,
)

__all__ = [
    "Metric",
    "MetricInput",
    "MetricResult",
    "MetricSummary",
    "available_metrics",
    "get_metric",
    "register_metric",
    "summarize",
]
