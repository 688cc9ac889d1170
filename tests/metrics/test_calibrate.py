"""Agreement statistics of a grader against human labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from agility.errors import DatasetError, UsageError
from agility.metrics import calibrate, calibrate_file, normalize_label


def test_kappa_and_agreement_match_the_textbook_two_by_two() -> None:
    # human yes/auto yes 20, yes/no 5, no/yes 10, no/no 15: po = 0.7, pe = 0.5, kappa = 0.4
    pairs = ([("correct", "correct")] * 20 + [("correct", "incorrect")] * 5
             + [("incorrect", "correct")] * 10 + [("incorrect", "incorrect")] * 15)
    report = calibrate(pairs)
    assert report.n == 50
    assert report.agreement == pytest.approx(0.7)
    assert report.kappa == pytest.approx(0.4)
    assert report.confusion["incorrect"]["correct"] == 10
    correct = next(c for c in report.per_class if c.label == "correct")
    assert correct.precision == pytest.approx(20 / 30)
    assert correct.recall == pytest.approx(20 / 25)
    assert correct.f1 == pytest.approx(2 * (2 / 3) * 0.8 / (2 / 3 + 0.8))


def test_financebench_label_spellings_are_normalised() -> None:
    assert normalize_label("Correct Answer") == "correct"
    assert normalize_label(" incorrect_answer ") == "incorrect"
    assert normalize_label("Refusal") == "refusal"
    report = calibrate([("Correct Answer", "correct"), ("Refusal", "refusal"),
                        ("Incorrect Answer", "correct")])
    assert report.labels == ["correct", "incorrect", "refusal"]
    assert report.agreement == pytest.approx(2 / 3)


def test_a_class_never_predicted_has_no_precision_rather_than_zero() -> None:
    report = calibrate([("correct", "correct"), ("refusal", "correct")])
    refusal = next(c for c in report.per_class if c.label == "refusal")
    assert refusal.predicted == 0 and refusal.precision is None and refusal.recall == 0.0


def test_single_class_everywhere_has_undefined_kappa() -> None:
    report = calibrate([("correct", "correct")] * 3)
    assert report.agreement == 1.0 and report.kappa is None


def test_no_pairs_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="nothing to calibrate"):
        calibrate([])


def test_file_rows_missing_a_label_are_named_by_line(tmp_path: Path) -> None:
    path = tmp_path / "graded.jsonl"
    path.write_text('{"label": "Correct Answer", "verdict": "correct"}\n'
                    '{"label": "Refusal"}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"graded.jsonl:2: verdict: missing label"):
        calibrate_file(path)
    fine = tmp_path / "ok.jsonl"
    fine.write_text('{"human": "refusal", "auto": "refusal"}\n', encoding="utf-8")
    assert calibrate_file(fine, human_field="human", auto_field="auto").agreement == 1.0
