"""How far to trust a grader: its verdicts against human labels.

:func:`calibrate` takes (human, automated) verdict pairs and returns agreement, Cohen's kappa,
the confusion matrix and precision/recall/F1 per class. Labels are normalised first, so
FinanceBench's ``Correct Answer`` / ``Incorrect Answer`` / ``Refusal`` meet the grader's
``correct`` / ``incorrect`` / ``refusal``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from agility.errors import DatasetError, Problem, UsageError

__all__ = ["CalibrationReport", "ClassStats", "calibrate", "calibrate_file", "normalize_label"]

_ALIASES = {
    "correct": "correct", "correct answer": "correct", "right": "correct", "pass": "correct",
    "passed": "correct", "true": "correct", "yes": "correct", "1": "correct",
    "incorrect": "incorrect", "incorrect answer": "incorrect", "wrong": "incorrect",
    "fail": "incorrect", "failed": "incorrect", "false": "incorrect", "no": "incorrect",
    "0": "incorrect", "wrong answer": "incorrect",
    "refusal": "refusal", "refused": "refusal", "refuse": "refusal", "abstain": "refusal",
    "abstained": "refusal", "no answer": "refusal", "declined": "refusal",
}


def normalize_label(label: object) -> str:
    """Map a verdict's common spellings to ``correct``, ``incorrect`` or ``refusal``.

    Unknown labels are returned lower-cased and trimmed, so other label sets still work.
    """
    text = re.sub(r"[\s_\-]+", " ", str(label).strip().lower())
    return _ALIASES.get(text, text)


class ClassStats(BaseModel):
    """Precision, recall and F1 of one class (None when undefined: no prediction/no label)."""

    label: str
    support: int
    predicted: int
    precision: float | None
    recall: float | None
    f1: float | None


class CalibrationReport(BaseModel):
    """Agreement between automated verdicts and human labels."""

    n: int
    labels: list[str]
    agreement: float
    kappa: float | None
    #: confusion[human][automated] = count
    confusion: dict[str, dict[str, int]]
    per_class: list[ClassStats]


def calibrate(pairs: Iterable[tuple[object, object]]) -> CalibrationReport:
    """Compare automated verdicts with human labels.

    Args:
        pairs: (human label, automated verdict) pairs; labels are normalised with
            :func:`normalize_label`.

    Returns:
        A :class:`CalibrationReport`. ``kappa`` is None when chance agreement is 1 (a
        single class everywhere), where Cohen's kappa is undefined.

    Raises:
        UsageError: when there are no pairs.
    """
    normalised = [(normalize_label(h), normalize_label(a)) for h, a in pairs]
    if not normalised:
        raise UsageError("nothing to calibrate: no rows with both a human label and a verdict")
    n = len(normalised)
    labels = _ordered_labels(normalised)
    counts = Counter(normalised)
    confusion = {h: {a: counts[(h, a)] for a in labels} for h in labels}
    human_totals = Counter(h for h, _ in normalised)
    auto_totals = Counter(a for _, a in normalised)
    agreement = sum(counts[(k, k)] for k in labels) / n
    chance = sum(human_totals[k] * auto_totals[k] for k in labels) / (n * n)
    kappa = (agreement - chance) / (1 - chance) if chance < 1 else None
    per_class = [_class_stats(k, counts[(k, k)], human_totals[k], auto_totals[k]) for k in labels]
    return CalibrationReport(n=n, labels=labels, agreement=agreement, kappa=kappa,
                             confusion=confusion, per_class=per_class)


def _ordered_labels(pairs: list[tuple[str, str]]) -> list[str]:
    seen = {label for pair in pairs for label in pair}
    known = [k for k in ("correct", "incorrect", "refusal") if k in seen]
    return known + sorted(seen - set(known))


def _class_stats(label: str, hits: int, support: int, predicted: int) -> ClassStats:
    precision = hits / predicted if predicted else None
    recall = hits / support if support else None
    f1 = (2 * precision * recall / (precision + recall)
          if precision is not None and recall is not None and precision + recall > 0
          else (0.0 if precision is not None and recall is not None else None))
    return ClassStats(label=label, support=support, predicted=predicted,
                      precision=precision, recall=recall, f1=f1)


def calibrate_file(path: Path, *, human_field: str = "label",
                   auto_field: str = "verdict") -> CalibrationReport:
    """Calibrate the verdicts stored in a graded JSONL file against its human labels.

    Args:
        path: a JSONL file (for example the output of ``agility grade``).
        human_field: the column holding the human label.
        auto_field: the column holding the automated verdict.

    Returns:
        The :class:`CalibrationReport` over every row.

    Raises:
        DatasetError: naming ``path:LINE: field`` for each row lacking either label.
    """
    from agility.metrics._grade import read_rows

    pairs: list[tuple[object, object]] = []
    problems: list[Problem] = []
    for row in read_rows(path):
        line = row.get("__line__")
        for field in (human_field, auto_field):
            if row.get(field) in (None, ""):
                problems.append(Problem(str(path), line, field, "missing label; grade the row "
                                        "again or name the columns that hold the labels "
                                        "(human_field, auto_field)"))
        pairs.append((row.get(human_field), row.get(auto_field)))
    if problems:
        raise DatasetError(f"{path}: {len(problems)} row(s) cannot be calibrated", problems)
    return calibrate(pairs)
