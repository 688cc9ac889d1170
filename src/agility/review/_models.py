"""Typed inputs and views of SME review: the sampling policy, a verdict, what a page shows."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agility.errors import InvalidArgument

__all__ = [
    "FLAGS",
    "REVIEW_ROLES",
    "VERDICTS",
    "AutomatedVerdict",
    "ItemSummary",
    "ItemView",
    "QueueInfo",
    "ResolveInput",
    "ReviewInput",
    "ReviewPolicy",
    "parse_input",
]

#: roles of the review app: reviewers judge their queues; leads see every queue, adjudicate
#: disagreements and resolve flags
REVIEW_ROLES = ("reviewer", "lead")
VERDICTS = ("correct", "incorrect", "refusal")
FLAGS = ("hallucination", "safety", "pii", "format")
MAX_NOTES = 4000

Verdict = Literal["correct", "incorrect", "refusal"]
Flag = Literal["hallucination", "safety", "pii", "format"]
Side = Literal["source", "target"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewPolicy(_Strict):
    """Which answers go to the SMEs (the playbook's sample) and how the work is shared.

    ``failure_share`` of the target's failures and ``pass_share`` of its passes on ``metric``
    (seeded by ``seed``), every failure of an example tagged ``safety_tag``, and, when
    ``disagreements``, every example on which the automated metrics disagree with each other.
    ``per_reviewer`` caps how many items one reviewer judges; ``overlap`` is the share of
    items that need two reviewers (for inter-reviewer agreement).
    """

    metric: str = "correctness"
    failure_share: float = Field(default=0.10, ge=0, le=1)
    pass_share: float = Field(default=0.02, ge=0, le=1)
    seed: int = 0
    safety_tag: str = "safety"
    disagreements: bool = True
    per_reviewer: int | None = Field(default=None, ge=1)
    overlap: float = Field(default=0.0, ge=0, le=1)


class ReviewInput(_Strict):
    """One SME verdict, as posted to ``POST /api/reviews``.

    ``adjudicate`` (leads only) settles an item on which reviewers disagreed. Types are
    strict: ``"3"`` is not a score.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    queue: str = Field(min_length=1, max_length=200)
    example_id: str = Field(min_length=1, max_length=500)
    side: Side = "target"
    verdict: Verdict
    score: int = Field(ge=1, le=5)
    flags: list[Flag] = Field(default_factory=list, max_length=len(FLAGS))
    notes: str = Field(default="", max_length=MAX_NOTES)
    adjudicate: bool = False


class ResolveInput(_Strict):
    """A lead's resolution of a flag, as posted to ``POST /api/flags/ID/resolve``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    resolution: str = Field(default="", max_length=MAX_NOTES)


def parse_input(model: type[BaseModel], data: Any) -> Any:
    """Validate request data against ``model``; every problem in one clear error.

    Raises:
        InvalidArgument: naming each bad field and what it must be.
    """
    if not isinstance(data, dict):
        raise InvalidArgument("body", type(data).__name__, "must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems, given = [], {}
        for error in exc.errors():
            where = _shown_name(".".join(str(part) for part in error["loc"]) or "body")
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = f"unknown field (allowed: {', '.join(model.model_fields)})"
            if error["type"] != "missing":  # the value at fault, shown back (a missing one is not)
                given[where] = _shown(error.get("input"))
            problems.append(f"{where}: {message}")
        raise InvalidArgument("body", given, "is invalid: " + "; ".join(problems)) from None


def _shown_name(name: str, limit: int = 40) -> str:
    """A field's name as the error shows it: an unknown one comes from the request, so it is
    cut and its control characters escaped (an error stays one short line)."""
    shown = name if name.isprintable() else repr(name)[1:-1]
    return shown if len(shown) <= limit else shown[:limit] + "..."


def _shown(value: Any, limit: int = 80) -> Any:
    """A rejected value as the error shows it: long text cut, so an error stays one line."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "..."
    if isinstance(value, (dict, list)):
        text = repr(value)
        return text if len(text) <= limit else text[:limit] + "..."
    return value


class QueueInfo(_Strict):
    """A queue as a reviewer sees it in a list, with their progress."""

    name: str
    source_run: str
    target_run: str
    items: int
    settled: int
    mine_done: int
    mine_total: int
    unresolved_flags: int
    disagreements: int
    reviewers: list[str]
    created_at: str


class ItemSummary(_Strict):
    """One item of a queue in a list (``GET /api/queues/NAME/items``)."""

    example_id: str
    position: int
    reasons: list[str]
    required_reviews: int
    reviews: int
    my_verdict: str | None
    status: Literal["pending", "done", "closed"]
    disagreement: bool
    unresolved_flags: int


class AutomatedVerdict(_Strict):
    """One automated metric's judgment of one answer."""

    metric: str
    verdict: str | None
    passed: bool | None
    score: float | None
    reason: str | None
    error: str | None


class ItemView(_Strict):
    """Everything the review page shows about one item."""

    queue: str
    example_id: str
    position: int
    total: int
    reasons: list[str]
    question: str | None
    contexts: list[str]
    ground_truth: str | None
    stratum: str | None
    tags: list[str]
    source_answer: str | None
    target_answer: str | None
    source_error: str | None
    target_error: str | None
    automated: dict[str, list[AutomatedVerdict]]
    my_review: dict[str, Any] | None
    other_reviews: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    disagreement: bool
    previous_id: str | None
    next_id: str | None
    next_pending_id: str | None
    mine_done: int
    mine_total: int
