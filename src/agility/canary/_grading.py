"""Online grading: a sample of live answers of both arms graded with the plan's metrics.

Live traffic has no ground truth, so only metrics that judge an answer on its own (or against
its question) can grade it: answered, safety, a rubric, format and length checks. Grading runs
beside the traffic, never in a request's way: at most ``max_concurrency`` answers at once, at
most ``max_pending`` waiting; an answer that finds the queue full is not graded (counted in
:attr:`OnlineGrader.dropped`). The target is sampled at ``sample_rate``; the source at a rate
scaled by the arms' shares, so both arms collect about as many grades.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agility.canary._router import Arm
from agility.canary._spec import GradingSpec
from agility.chat import Message
from agility.errors import AgilityError
from agility.metrics import Metric, MetricInput, get_metric, metric_class

if TYPE_CHECKING:
    from agility.migrate import Plan

__all__ = ["ONLINE_FIELDS", "OnlineGrader", "online_metric_specs"]

_log = logging.getLogger(__name__)

#: what a live answer offers a metric: no ground truth, no retrieved context
ONLINE_FIELDS = frozenset({"output", "question", "prompt"})

MetricSpec = str | dict[str, Any]


def _name_of(spec: MetricSpec) -> str:
    return spec if isinstance(spec, str) else str(spec.get("name", ""))


def online_metric_specs(metrics: list[MetricSpec]) -> tuple[list[MetricSpec], dict[str, str]]:
    """Split metric specs into those that can grade live answers and why the rest cannot.

    Returns:
        ``(usable specs, {name: reason not usable})``.
    """
    usable: list[MetricSpec] = []
    skipped: dict[str, str] = {}
    for spec in metrics:
        name = _name_of(spec)
        try:
            needs = set(metric_class(name).requires) - ONLINE_FIELDS
        except AgilityError as exc:
            skipped[name] = str(exc)
            continue
        if needs:
            skipped[name] = f"needs {', '.join(sorted(needs))}, which live traffic lacks"
        else:
            usable.append(spec)
    return usable, skipped


class OnlineGrader:
    """Grades sampled answers in the background and reports each grade to ``on_grade``.

    Args:
        plan: the plan (its ``metrics``, ``judge`` and ``judge_options``).
        spec: the rollout's grading section.
        on_grade: ``on_grade(arm, metric, score)`` for each grade (score None: the metric
            could not grade that answer).
        seed: seeds the sampling (tests).
        mask: applied to every text a metric is given (a privacy policy that masks
            ``judges``), in a worker thread, off the request path.
    """

    def __init__(self, plan: Plan, spec: GradingSpec,
                 on_grade: Callable[[Arm, str, float | None], None],
                 seed: int | None = None, mask: Callable[[str], str] | None = None) -> None:
        specs = spec.metrics if spec.metrics is not None else list(plan.metrics)
        usable, self.skipped = online_metric_specs(specs)
        self.spec = spec
        self.on_grade = on_grade
        self.mask = mask
        judge = {"judge": plan.judge, **plan.judge_options} if plan.judge else {}
        self.metrics: list[tuple[str, Metric]] = []
        for metric_spec in usable:
            name = _name_of(metric_spec)
            options = {k: v for k, v in metric_spec.items() if k != "name"} \
                if isinstance(metric_spec, dict) else {}
            if metric_class(name).kind in ("judge", "adapter"):
                options = {**judge, **options}
            try:
                self.metrics.append((name, get_metric(name, **options)))
            except AgilityError as exc:
                self.skipped[name] = str(exc)
        self._random = random.Random(seed)
        self._slots = asyncio.Semaphore(spec.max_concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        #: answers not graded because max_pending were already waiting
        self.dropped = 0
        #: answers handed to the metrics so far
        self.submitted = 0

    @property
    def active(self) -> bool:
        """Whether any metric grades live answers."""
        return bool(self.metrics) and self.spec.sample_rate > 0

    def sample_rate(self, arm: Arm, percent: float) -> float:
        """The share of ``arm``'s answers graded while the target has ``percent`` of users."""
        rate = self.spec.sample_rate
        if arm == "target" or percent <= 0:
            return rate
        if percent >= 100:
            return 0.0
        return min(1.0, rate * percent / (100.0 - percent))

    def maybe_grade(self, arm: Arm, percent: float, messages: list[Message],
                    output: str) -> bool:
        """Grade this answer in the background if it is sampled; returns whether it was."""
        if not self.active or self._random.random() >= self.sample_rate(arm, percent):
            return False
        if len(self._tasks) >= self.spec.max_pending:
            self.dropped += 1
            return False
        users = [m.content for m in messages if m.role == "user"]
        item = MetricInput(example_id="live", question=users[-1] if users else None,
                           output=output,
                           prompt="\n\n".join(f"{m.role}: {m.content}" for m in messages))
        task = asyncio.get_running_loop().create_task(self._grade(arm, item))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self.submitted += 1
        return True

    async def _grade(self, arm: Arm, item: MetricInput) -> None:
        async with self._slots:
            if self.mask is not None:
                item = await asyncio.to_thread(self._masked, item)
            for name, metric in self.metrics:
                try:
                    result = await metric.ascore(item)
                    score = None if result.error is not None else result.score
                except Exception as exc:  # noqa: BLE001 - a grader failure is counted, not fatal
                    _log.warning("online grading with %s failed: %s", name, exc)
                    score = None
                self.on_grade(arm, name, score)

    def _masked(self, item: MetricInput) -> MetricInput:
        assert self.mask is not None
        mask = self.mask
        return item.model_copy(update={
            "question": None if item.question is None else mask(item.question),
            "output": None if item.output is None else mask(item.output),
            "prompt": None if item.prompt is None
            else mask(item.prompt)})

    async def aclose(self) -> None:
        """Wait for the grades in progress (briefly), then release the metrics."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
            for task in list(self._tasks):
                task.cancel()
        for _name, metric in self.metrics:
            await metric.aclose()
