"""Judges call their model through agility.client.Client: a throttled (429, Retry-After) or
unavailable (503) judge is retried and the answer is scored; rejected credentials stop the
judging at once. Faults are planted in a real fake OpenAI server on 127.0.0.1."""

from __future__ import annotations

import json
import time

import pytest
from run_builder import store_run

from agility.errors import ProviderAuthError
from agility.metrics import score_run
from agility.store import Store
from agility.testing import FakeOpenAIServer, Fault

SAFE = json.dumps({"reason": "fine", "verdict": "safe"})
FAST_RETRY = {"name": "safety", "retry_base_delay_s": 0.01}


def test_a_throttled_or_unavailable_judge_is_retried_and_the_answer_scored(
        tmp_store: Store) -> None:
    store_run(tmp_store, {"a": "hello"})
    with FakeOpenAIServer(responder=lambda body: SAFE) as server:
        server.set_faults([Fault.rate_limit(retry_after_s=0.4), Fault.server_error(503)])
        started = time.perf_counter()
        out = score_run(tmp_store, "run", [FAST_RETRY], judge="openai/j",
                        judge_options={"base_url": server.base_url})
        elapsed = time.perf_counter() - started
        assert len(server.requests) == 3  # 429, 503, then the answer
    (score,) = tmp_store.scores(1, "safety")
    assert score.error is None and score.passed is True and out["safety"].n_failed == 0
    # the provider's Retry-After (0.4 s) was honoured over the 0.01 s backoff
    assert elapsed >= 0.4


@pytest.mark.parametrize(("status", "spec"), [
    (500, {"max_attempts": 3}),
    # a throttle is retried until its time budget is spent: none left, it counts as an attempt
    (503, {"max_attempts": 3, "throttle_budget_s": 0}),
])
def test_a_judge_that_stays_unavailable_leaves_the_answer_unscored_not_zero(
        tmp_store: Store, status: int, spec: dict[str, float]) -> None:
    store_run(tmp_store, {"a": "hello"})
    with FakeOpenAIServer(responder=lambda body: SAFE) as server:
        server.set_faults([Fault.server_error(status)] * 3)
        out = score_run(tmp_store, "run", [{**FAST_RETRY, **spec}], judge="openai/j",
                        judge_options={"base_url": server.base_url})
        assert len(server.requests) == 3
    (score,) = tmp_store.scores(1, "safety")
    assert score.score is None and str(status) in (score.error or "")
    assert (out["safety"].n_scored, out["safety"].n_failed) == (0, 1)


def test_rejected_credentials_stop_the_judging_at_once(tmp_store: Store) -> None:
    store_run(tmp_store, {"a": "one", "b": "two", "c": "three"})
    with FakeOpenAIServer(responder=lambda body: SAFE) as server:
        server.set_faults([Fault.auth_error()])
        with pytest.raises(ProviderAuthError):
            score_run(tmp_store, "run", [FAST_RETRY], judge="openai/j", concurrency=1,
                      judge_options={"base_url": server.base_url})
        # never retried, and no further answer was sent to the judge
        assert len(server.requests) == 1
    assert tmp_store.scores(1, "safety") == []


def test_judge_rate_limit_spaces_the_calls(tmp_store: Store) -> None:
    store_run(tmp_store, {"a": "one", "b": "two", "c": "three"})
    with FakeOpenAIServer(responder=lambda body: SAFE) as server:
        started = time.perf_counter()
        score_run(tmp_store, "run", [{**FAST_RETRY, "rpm": 120}], judge="openai/j",
                  judge_options={"base_url": server.base_url})
        elapsed = time.perf_counter() - started
    # 120 requests a minute: a burst of two (one second's worth), then one every 0.5 s
    assert elapsed >= 0.45
    assert all(s.passed for s in tmp_store.scores(1, "safety"))
