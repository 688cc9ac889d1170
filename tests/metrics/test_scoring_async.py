"""Async-first scoring: ascore_run is the primary API, score_run and Metric.score work inside a
running event loop, progress goes to a callback, and a run larger than a chunk is scored a
chunk at a time (resuming only what is missing)."""

from __future__ import annotations

import json

import pytest
from run_builder import store_run

from agility.metrics import (
    Metric,
    MetricInput,
    MetricResult,
    ascore_run,
    get_metric,
    score_run,
)
from agility.store import ScoreRecord, Store
from agility.testing import FakeOpenAIServer

SAFE = json.dumps({"reason": "fine", "verdict": "safe"})


class Progress:
    """Records every progress report."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, int]] = []

    def __call__(self, metric: str, done: int, total: int) -> None:
        self.events.append((metric, done, total))


async def test_ascore_run_scores_a_judge_metric_on_the_callers_loop(tmp_store: Store) -> None:
    store_run(tmp_store, {"a": "one", "b": "two"})
    progress = Progress()
    with FakeOpenAIServer(responder=lambda body: SAFE) as server:
        out = await ascore_run(tmp_store, "run", ["safety", "exact_match"], judge="openai/j",
                               judge_options={"base_url": server.base_url},
                               on_progress=progress)
    assert out["safety"].n_scored == 2 and out["exact_match"].n == 2
    for metric in ("safety", "exact_match"):
        seen = [(done, total) for name, done, total in progress.events if name == metric]
        assert seen[0] == (0, 2) and seen[-1] == (2, 2)
        assert [d for d, _ in seen] == sorted(d for d, _ in seen)


async def test_score_run_works_inside_a_running_event_loop(tmp_store: Store) -> None:
    store_run(tmp_store, {"a": "one"})
    with FakeOpenAIServer(responder=lambda body: SAFE) as server:
        out = score_run(tmp_store, "run", ["safety"], judge="openai/j",
                        judge_options={"base_url": server.base_url})
    assert out["safety"].pass_rate == 1.0


async def test_an_async_only_metric_scores_synchronously_inside_a_running_loop() -> None:
    with FakeOpenAIServer(responder=lambda body: SAFE) as server:
        metric = get_metric("safety", judge="openai/j",
                            judge_options={"base_url": server.base_url})
        result = metric.score(MetricInput(example_id="x", output="hello"))
    assert result.passed is True and result.judge_model == "openai/j"


def test_a_metric_with_only_ascore_scores_synchronously_and_closes() -> None:
    closed = []

    class AsyncOnly(Metric):
        async def ascore(self, item: MetricInput) -> MetricResult:
            return MetricResult(score=0.5, reason=item.output or "")

        async def aclose(self) -> None:
            closed.append(True)

    metric = AsyncOnly()
    assert metric.is_async  # scoring sends it through ascore, under the concurrency bound
    result = metric.score(MetricInput(example_id="e", output="hi"))
    assert (result.score, result.reason, closed) == (0.5, "hi", [True])


def test_a_metric_with_neither_score_nor_ascore_says_so() -> None:
    class Empty(Metric):
        pass

    with pytest.raises(NotImplementedError, match="neither score nor ascore"):
        Empty().score(MetricInput(example_id="e", output="x"))


def test_a_run_larger_than_a_chunk_is_scored_whole_and_resumed_by_the_chunk(
        tmp_store: Store) -> None:
    # 1,300 answers: three chunks of at most 500; every tenth call failed
    answers: dict[str, str | None] = {
        f"e{i:04d}": None if i % 10 == 9 else ("x" if i % 2 else "y") for i in range(1300)}
    run_id = store_run(tmp_store, answers)
    progress = Progress()
    out = score_run(tmp_store, "run", ["exact_match"], on_progress=progress)
    summary = out["exact_match"]
    assert (summary.n, summary.n_scored, summary.n_failed) == (1170, 1170, 0)
    # odd i answer "x", the truth: 650 odd, less the 130 failed calls (i % 10 == 9)
    assert summary.mean == pytest.approx(520 / 1170)
    assert progress.events[0] == ("exact_match", 0, 1170)
    assert progress.events[-1] == ("exact_match", 1170, 1170)
    # three scores spoiled in the second and third chunks: only those are scored again
    spoiled = ["e0600", "e1100", "e1298"]
    tmp_store.save_scores(run_id, [ScoreRecord(example_id=e, metric="exact_match",
                                               error="judge down") for e in spoiled])
    again = Progress()
    out = score_run(tmp_store, "run", ["exact_match"], on_progress=again)
    assert again.events[0] == ("exact_match", 0, 3) and again.events[-1][1:] == (3, 3)
    assert out["exact_match"].n_failed == 0 and out["exact_match"].n_scored == 1170
    assert all(s.error is None for s in tmp_store.scores(run_id, "exact_match"))
