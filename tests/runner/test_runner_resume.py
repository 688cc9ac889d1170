"""Resume: an interrupted run continues with only the examples that have no successful result."""

from __future__ import annotations

import asyncio
import json

import pytest

from agility.errors import UsageError
from agility.runner import RetryPolicy, arun_model
from agility.testing import Fault


async def test_resume_after_interruption_calls_only_missing_examples(make_dataset, store,
                                                                     slow_server):
    dataset = make_dataset(20)
    with slow_server(ttft_ms=30) as server:
        options = {"base_url": server.base_url}
        task = asyncio.create_task(arun_model(
            dataset, "openai/gpt-4o-mini", name="r", store=store, provider_options=options,
            concurrency=2, progress=False))
        # the poll runs on the runner's own loop: nothing is saved between seeing 6 and cancelling
        while not task.done() and len(store.query("SELECT 1 FROM results")) < 6:
            await asyncio.sleep(0.002)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        run = store.get_run("r")
        assert run.status == "interrupted"
        done_before = {k[0] for k in store.finished_keys(run.id)}
        assert 6 <= len(done_before) < 20
        # a request sent just before the cancel may reach the (other-thread) server a moment
        # later: let the server settle so it is not counted as part of the resume
        calls_before, settled_at = -1, 0.0
        while len(server.requests) != calls_before or server.in_flight or \
                asyncio.get_running_loop().time() - settled_at < 0.2:
            if len(server.requests) != calls_before or server.in_flight:
                calls_before, settled_at = len(server.requests), asyncio.get_running_loop().time()
            await asyncio.sleep(0.01)

        summary = await arun_model(dataset, "openai/gpt-4o-mini", name="r", store=store,
                                   provider_options=options, concurrency=2, progress=False,
                                   resume=True)
        resumed_ids = server.requested_ids()[calls_before:]
    assert not set(resumed_ids) & done_before
    assert sorted(resumed_ids) == sorted({f"ex-{i:03d}" for i in range(20)} - done_before)
    assert summary.skipped_on_resume == len(done_before)
    results = store.results(run.id)
    assert sorted(r.example_id for r in results) == [f"ex-{i:03d}" for i in range(20)]
    assert store.get_run("r").status == "finished"


def test_resume_retries_failed_examples_only(run, make_dataset, server, store):
    dataset = make_dataset(4)
    server.set_faults([Fault.server_error()])
    first = run(dataset, name="f", concurrency=1, retry=RetryPolicy(max_attempts=1))
    failed = {r.example_id for r in store.results(first.run_id) if r.error}
    assert len(failed) == 1
    calls_before = len(server.requests)
    second = run(dataset, name="f", concurrency=1, resume=True)
    assert server.requested_ids()[calls_before:] == sorted(failed)
    assert second.skipped_on_resume == 3
    assert all(r.error is None for r in store.results(first.run_id))


def test_resume_refuses_a_changed_dataset(run, make_dataset, store):
    dataset = make_dataset(3)
    run(dataset, name="d")
    lines = dataset.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[0])
    row["ground_truth"] = "edited"
    dataset.write_text("\n".join([json.dumps(row), *lines[1:]]) + "\n", encoding="utf-8")
    with pytest.raises(UsageError, match="dataset hash"):
        run(dataset, name="d", resume=True)


def test_resume_refuses_another_model(make_dataset, store, server, run):
    dataset = make_dataset(2)
    run(dataset, name="m")
    from agility.runner import run_model

    with pytest.raises(UsageError, match="model"):
        run_model(dataset, "openai/gpt-4o", name="m", store=store, resume=True, progress=False,
                  provider_options={"base_url": server.base_url})
