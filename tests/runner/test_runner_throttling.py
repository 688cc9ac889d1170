"""Throttling is expected, not a failure: a throttled call waits and tries again within a time
budget, the run slows down while the provider throttles (adaptive concurrency), and backoff is
kept out of the measured latency. Against the real fake server, throttling on a clock."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from agility.client import AdaptiveConcurrency, RetryPolicy
from agility.runner import run_model
from agility.store import Store
from agility.testing import FakeOpenAIServer, Fault


class ThrottlingServer(FakeOpenAIServer):
    """Answers 429 (Retry-After 0.2 s) to every request for the first ``seconds``."""

    def __init__(self, seconds: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.until = 0.0
        self.seconds = seconds
        self.throttled = 0
        self.most_in_flight_late = 0
        self._in_flight = 0

    async def handle(self, request: Any, responder: Any) -> None:
        if not self.until:
            self.until = time.monotonic() + self.seconds
        if time.monotonic() < self.until and request.method == "POST":
            self.throttled += 1
            self.set_faults([Fault.rate_limit(retry_after_s=0.2)])
        await super().handle(request, responder)


@pytest.mark.slow
def test_a_provider_that_throttles_for_seconds_loses_no_example(make_dataset, store: Store,
                                                                 api_key: str) -> None:
    dataset = make_dataset(24)
    with ThrottlingServer(seconds=2.0, ttft_ms=20) as server:
        # three attempts would not outlast two seconds of 429s at Retry-After 0.2 s: the
        # throttle budget does
        summary = run_model(dataset, "openai/gpt-4o-mini", name="t", store=store,
                            provider_options={"base_url": server.base_url}, concurrency=8,
                            retry=RetryPolicy(max_attempts=3, base_delay_s=0.05,
                                              throttle_budget_s=60), progress=False)
    results = store.results(summary.run_id)
    assert summary.n_errors == 0 and len(results) == 24 and all(r.ok for r in results)
    assert server.throttled >= 8 and summary.n_throttled >= 8
    assert summary.lowest_concurrency < 8  # the run slowed down while throttled
    # the waiting is recorded apart and is not in the call's latency
    waited = [r for r in results if r.retry_wait_ms]
    assert waited and all(r.latency_ms is not None and r.latency_ms < r.retry_wait_ms
                          for r in waited)


def test_throttles_beyond_the_budget_fail_and_other_failures_keep_max_attempts(
        make_dataset, store: Store, api_key: str) -> None:
    with FakeOpenAIServer() as server:
        server.set_faults([Fault.rate_limit(retry_after_s=0.05)] * 3)
        summary = run_model(make_dataset(1), "openai/gpt-4o-mini", name="b", store=store,
                            provider_options={"base_url": server.base_url},
                            retry=RetryPolicy(max_attempts=5, throttle_budget_s=0.08),
                            progress=False)
        [result] = store.results(summary.run_id)
        assert result.error is not None and "rate limited" in result.error
        server.set_faults([Fault.server_error()] * 2)
        summary = run_model(make_dataset(1, name="g2.jsonl"), "openai/gpt-4o-mini", name="c",
                            store=store, provider_options={"base_url": server.base_url},
                            retry=RetryPolicy(max_attempts=2, base_delay_s=0.01),
                            progress=False)
        [result] = store.results(summary.run_id)
        assert result.error is not None and result.attempts == 2


async def test_adaptive_concurrency_halves_on_a_throttle_and_grows_back() -> None:
    gate = AdaptiveConcurrency(8, cooldown_s=0.0)
    gate.throttled()
    assert gate.current == 4
    gate.throttled()
    assert gate.current == 2 and gate.lowest == 2
    for _ in range(40):
        async with gate:
            gate.succeeded()
    assert gate.current == 8  # additive increase back to the maximum

    # the limit holds: with the limit at 1, a second entrant waits for the first to leave
    gate = AdaptiveConcurrency(4, cooldown_s=0.0)
    for _ in range(3):
        gate.throttled()
    assert gate.current == 1
    order: list[str] = []

    async def hold(name: str) -> None:
        async with gate:
            order.append(f"{name} in")
            await asyncio.sleep(0.02)
            order.append(f"{name} out")

    await asyncio.gather(hold("a"), hold("b"))
    assert order == ["a in", "a out", "b in", "b out"]


def test_one_burst_of_throttles_is_one_cut() -> None:
    gate = AdaptiveConcurrency(16, cooldown_s=10.0)
    for _ in range(5):
        gate.throttled()
    assert gate.current == 8 and gate.cuts == 1
