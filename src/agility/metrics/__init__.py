"""Metrics: deterministic graders, embedding similarity, LLM judges, RAG metrics, adapters.

Metrics are found by name (:func:`get_metric`, :func:`available_metrics`): the built-ins,
classes registered with :func:`register_metric`, and third-party classes published under the
``agility.metrics`` entry-point group. :func:`ascore_run` (or its synchronous wrapper
:func:`score_run`) scores a stored run.
"""

from agility.metrics._base import (
    ENTRY_POINT_GROUP,
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
from agility.metrics._catalog import MetricInfo, describe_metrics
from agility.metrics._correctness import judge_financial_answer
from agility.metrics._embedding import embed, load_embedding_model
from agility.metrics._grade import grade_file, grade_rows
from agility.metrics._judge import JudgeMetric
from agility.metrics._judge_prompts import JudgePrompt
from agility.metrics._numbers import FinancialNumber, figures_match, parse_financial_numbers
from agility.metrics._options import JudgeOptions, MetricOptions
from agility.metrics._ray_scoring import RayScoring, ascore_on_ray
from agility.metrics._refusal_language import is_refusal
from agility.metrics._scoring import (
    ScoreProgress,
    ascore_run,
    judge_spread,
    metric_summary,
    metric_versions,
    score_run,
)
from agility.metrics._specs import (
    JudgeSettings,
    MetricSpec,
    SpecProblem,
    build_metric,
    spec_problems,
    validate_spec,
)
from agility.metrics._text import normalize_text, token_f1

__all__ = [
    "ENTRY_POINT_GROUP",
    "CalibrationReport",
    "ClassStats",
    "FinancialNumber",
    "JudgeMetric",
    "JudgeOptions",
    "JudgePrompt",
    "JudgeSettings",
    "Metric",
    "MetricInfo",
    "MetricInput",
    "MetricOptions",
    "MetricResult",
    "MetricSpec",
    "MetricSummary",
    "RayScoring",
    "ScoreProgress",
    "SpecProblem",
    "ascore_on_ray",
    "ascore_run",
    "available_metrics",
    "build_metric",
    "calibrate",
    "calibrate_file",
    "describe_metrics",
    "embed",
    "figures_match",
    "get_metric",
    "grade_file",
    "grade_rows",
    "is_refusal",
    "judge_financial_answer",
    "judge_spread",
    "load_embedding_model",
    "metric_class",
    "metric_summary",
    "metric_versions",
    "normalize_label",
    "normalize_text",
    "parse_financial_numbers",
    "register_metric",
    "score_run",
    "spec_problems",
    "summarize",
    "token_f1",
    "validate_spec",
]
