"""Metrics: deterministic graders, embedding similarity, LLM judges, RAG metrics, adapters."""

from agility.metrics._base import (
    Metric,
    MetricInput,
    MetricResult,
    MetricSummary,
    available_metrics,
    get_metric,
    metric_class,
    register_metric,
    summarize,
)
from agility.metrics._calibrate import (
    CalibrationReport,
    ClassStats,
    calibrate,
    calibrate_file,
    normalize_label,
)
from agility.metrics._correctness import judge_financial_answer
from agility.metrics._embedding import embed, load_embedding_model
from agility.metrics._grade import grade_file, grade_rows
from agility.metrics._numbers import FinancialNumber, figures_match, parse_financial_numbers
from agility.metrics._refusal import is_refusal
from agility.metrics._scoring import metric_versions, score_run
from agility.metrics._text import normalize_text, token_f1

__all__ = [
    "CalibrationReport",
    "ClassStats",
    "FinancialNumber",
    "Metric",
    "MetricInput",
    "MetricResult",
    "MetricSummary",
    "available_metrics",
    "calibrate",
    "calibrate_file",
    "embed",
    "figures_match",
    "get_metric",
    "grade_file",
    "grade_rows",
    "is_refusal",
    "judge_financial_answer",
    "load_embedding_model",
    "metric_class",
    "metric_versions",
    "normalize_label",
    "normalize_text",
    "parse_financial_numbers",
    "register_metric",
    "score_run",
    "summarize",
    "token_f1",
]
