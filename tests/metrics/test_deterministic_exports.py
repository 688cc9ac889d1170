"""The public surface of the deterministic metrics, grading and calibration."""

from __future__ import annotations

from agility import metrics
from agility.metrics import available_metrics


def test_every_name_in_all_exists_and_ours_are_exported() -> None:
    missing = [name for name in metrics.__all__ if not hasattr(metrics, name)]
    assert missing == []
    ours = {"grade_rows", "grade_file", "calibrate", "calibrate_file", "CalibrationReport",
            "parse_financial_numbers", "figures_match", "judge_financial_answer",
            "normalize_label", "is_refusal", "token_f1", "normalize_text"}
    assert ours <= set(metrics.__all__)


def test_deterministic_metrics_are_registered_by_name() -> None:
    expected = {"exact_match", "token_f1", "contains", "regex", "length", "citation",
                "rouge_l", "bleu", "chrf", "json_schema", "answered", "refusal", "correctness"}
    assert expected <= set(available_metrics())
