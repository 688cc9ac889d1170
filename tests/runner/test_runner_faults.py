"""Retries, timeouts and recorded failures, against the fault-injecting fake OpenAI server."""

from __future__ import annotations

import time

import pytest

from agility.errors import RunStopped
from agility.runner import RetryPolicy
from agility.testing import Fault


def test_rate_limited_call_waits_for_retry_after(run, make_dataset, server, store):
    server.set_faults([Fault.rate_limit(retry_after_s=1)])
    started = time.perf_counter()
    summary = run(make_dataset(1), concurrency=1)
    elapsed = time.perf_counter() - started
    [result] = store.results(summary.run_id)
    assert result.error is None and result.attempts == 2
    assert elapsed >= 1.0  # the backoff alone (<= 0.05 s) would not wait this long
    assert len(server.requests) == 2


def test_server_errors_are_retried_until_success(run, make_dataset, server, store):
    server.set_faults([Fault.server_error(503), Fault.server_error(500)])
    summary = run(make_dataset(1), concurrency=1)
    [result] = store.results(summary.run_id)
    assert result.error is None and result.attempts == 3
    assert result.output == "What happened in ex-000?"


def test_hung_call_times_out_and_is_retried(run, make_dataset, server, store):
    server.set_faults([Fault.hang(5)])
    started = time.perf_counter()
    summary = run(make_dataset(1), concurrency=1, timeout_s=0.3)
    [result] = store.results(summary.run_id)
    assert result.error is None and result.attempts == 2
    assert time.perf_counter() - started < 3.0  # did not wait for the 5 s hang


def test_broken_stream_is_retried_whole(run, make_dataset, server, store):
    server.set_faults([Fault.cut_stream(after_tokens=2)])
    summary = run(make_dataset(1), concurrency=1)
    [result] = store.results(summary.run_id)
    assert result.attempts == 2
    # the partial first answer is discarded, not glued to the second one
    assert result.output == "What happened in ex-000?"


def test_auth_error_is_not_retried_and_is_recorded_without_the_key(run, make_dataset, server,
                                                                    store, api_key):
    server.set_faults([Fault.auth_error()])
    # a rejected key stops the run at once: no further call is sent and paid for
    with pytest.raises(RunStopped) as raised:
        run(make_dataset(3), concurrency=1)
    summary = raised.value.summary
    [result] = store.results(summary.run_id)
    assert result.attempts == 1 and len(server.requests) == 1
    assert result.error is not None and result.error.startswith("ProviderAuthError")
    assert api_key not in result.error and api_key not in str(raised.value)
    assert summary.n_errors == 1 and "refused the credentials" in raised.value.reason
    assert store.require_run("bench").status == "failed"


def test_failing_example_is_recorded_and_the_run_goes_on(run, make_dataset, server, store):
    server.set_faults([Fault.server_error(500), Fault.server_error(500)])
    summary = run(make_dataset(5), concurrency=1,
                  retry=RetryPolicy(max_attempts=2, base_delay_s=0.01))
    results = {r.example_id: r for r in store.results(summary.run_id)}
    assert len(results) == 5 and summary.n_errors == 1
    assert results["ex-000"].error is not None and results["ex-000"].attempts == 2
    assert results["ex-000"].output is None and results["ex-000"].cost_usd is None
    assert all(results[f"ex-{i:03d}"].error is None for i in range(1, 5))
    assert store.get_run(summary.name).status == "finished"
