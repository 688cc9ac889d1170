"""Side-by-side comparison of two runs: paired statistics, latency, cost, sign-off gate."""

from agility.compare._compare import compare, compare_runs
from agility.compare._cost import compare_cost
from agility.compare._criteria import (
    CostCriteria,
    Criteria,
    LatencyCriteria,
    QualityCriteria,
    SafetyCriteria,
    load_criteria,
    parse_criteria,
)
from agility.compare._gate import EXIT_CODES, evaluate_criteria, verdict_of
from agility.compare._latency import compare_latency
from agility.compare._load import ComparisonInputs, load_comparison, score_missing
from agility.compare._models import (
    Comparison,
    CostComparison,
    CostSide,
    CriterionResult,
    ExampleDiff,
    Histogram,
    LatencyComparison,
    LatencySide,
    MetricComparison,
    MetricStats,
    Percentiles,
    ReviewItem,
)
from agility.compare._proportions import PairedProportionInterval, newcombe_paired, wilson_interval
from agility.compare._review import review_sample, sample_for_review
from agility.compare._stats import (
    BootstrapInterval,
    McNemarResult,
    mcnemar,
    paired_bootstrap,
    quantile,
    quantile_interval,
    wilcoxon,
)

__all__ = [
    "EXIT_CODES",
    "BootstrapInterval",
    "Comparison",
    "ComparisonInputs",
    "CostComparison",
    "CostCriteria",
    "CostSide",
    "Criteria",
    "CriterionResult",
    "ExampleDiff",
    "Histogram",
    "LatencyComparison",
    "LatencyCriteria",
    "LatencySide",
    "McNemarResult",
    "MetricComparison",
    "MetricStats",
    "PairedProportionInterval",
    "Percentiles",
    "QualityCriteria",
    "ReviewItem",
    "SafetyCriteria",
    "compare",
    "compare_cost",
    "compare_latency",
    "compare_runs",
    "evaluate_criteria",
    "load_comparison",
    "load_criteria",
    "mcnemar",
    "newcombe_paired",
    "paired_bootstrap",
    "parse_criteria",
    "quantile",
    "quantile_interval",
    "review_sample",
    "sample_for_review",
    "score_missing",
    "verdict_of",
    "wilcoxon",
    "wilson_interval",
]
