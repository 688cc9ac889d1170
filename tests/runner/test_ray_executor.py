"""The Ray executor on a real local Ray cluster (a raylet and two worker processes, not
local mode), its shards writing to a real PostgreSQL store: the same results as a local run,
a killed worker's examples retried elsewhere without paying twice, and resume across
executors."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from agility.client import RetryPolicy
from agility.runner import run_model
from agility.runner._ray import plan_shards
from agility.store import Store
from agility.testing import FakeOpenAIServer, Fault

pytestmark = pytest.mark.slow

MODEL = "openai/gpt-4o-mini"


@pytest.fixture()
def golden(tmp_path: Path) -> Path:
    path = tmp_path / "golden.jsonl"
    path.write_text("".join(json.dumps({"id": f"q{i:03d}", "source_prompt":
                                        f"question number {i} about the filing?",
                                        "ground_truth": "a"}) + "\n" for i in range(60)))
    return path


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


def _figures(store: Store, name: str) -> set[tuple[Any, ...]]:
    run = store.require_run(name)
    return {(r.example_id, r.repeat_index, r.output, r.input_tokens, r.output_tokens,
             r.cost_usd, r.error, r.finish_reason) for r in store.results(run.id)}


def test_shards_cover_every_pair_once() -> None:
    items = [(f"e{i}", 0) for i in range(103)]
    shards = plan_shards(items, cpus=2)
    assert len(shards) == 8 and all(shards)
    assert [pair for shard in shards for pair in shard] == items
    assert plan_shards(items[:3], cpus=2) == [[items[0]], [items[1]], [items[2]]]


def test_a_ray_run_gives_the_results_of_a_local_run(ray_cluster: None, pg_store: Store,
                                                   golden: Path) -> None:
    with FakeOpenAIServer() as server:
        options = {"base_url": server.base_url}
        local = run_model(golden, MODEL, name="local", store=pg_store,
                          provider_options=options, progress=False)
        spread = run_model(golden, MODEL, name="ray", store=pg_store,
                           provider_options=options, progress=False, executor="ray")
        assert len(server.requests) == 120
    assert (spread.n_done, spread.n_errors) == (local.n_done, local.n_errors) == (60, 0)
    assert spread.total_cost_usd == pytest.approx(local.total_cost_usd)
    assert _figures(pg_store, "ray") == _figures(pg_store, "local")
    run = pg_store.require_run("ray")
    assert run.status == "finished" and run.lease_owner is None
    assert run.meta["executor"]["kind"] == "ray" and run.meta["executor"]["cpus"] == 2


def _shard_pids() -> list[int]:
    """Worker processes running a shard now (Ray titles them ``ray::RunWorker.run``)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(b"ray::RunWorker.run"):
                pids.append(int(entry))
    return pids


def test_a_killed_worker_s_examples_are_retried_without_paying_twice(
        ray_cluster: None, pg_store: Store, golden: Path) -> None:
    outcome: list[Any] = []
    with FakeOpenAIServer(ttft_ms=60) as server:
        def run() -> None:
            try:
                outcome.append(run_model(golden, MODEL, name="killed", store=pg_store,
                                         provider_options={"base_url": server.base_url},
                                         progress=False, executor="ray", concurrency=2))
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                outcome.append(exc)

        driver = threading.Thread(target=run)
        driver.start()
        killed: list[int] = []
        deadline = time.monotonic() + 300
        while not killed and driver.is_alive() and time.monotonic() < deadline:
            run_rec = pg_store.get_run("killed")
            written = pg_store.count_results(run_rec.id) if run_rec else 0
            pids = _shard_pids()
            if written >= 8 and pids:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
            time.sleep(0.02)
        driver.join(600)
        calls = len(server.requests)
    assert killed, "no shard was seen running to kill"
    [summary] = outcome
    assert not isinstance(summary, BaseException), summary
    run = pg_store.require_run("killed")
    results = pg_store.results(run.id)
    assert len(results) == 60 and all(r.error is None for r in results)
    assert summary.n_done == 60 and summary.n_errors == 0
    # a shard that ran again called only what had no result: at most the killed worker's one
    # call in flight was paid twice
    assert 60 <= calls <= 61


def test_a_run_resumes_across_executors(ray_cluster: None, pg_store: Store,
                                        golden: Path) -> None:
    with FakeOpenAIServer() as server:
        options = {"base_url": server.base_url}
        server.set_faults([Fault.server_error(500)] * 5)
        first = run_model(golden, MODEL, name="mixed", store=pg_store, provider_options=options,
                          progress=False, executor="ray", retry=RetryPolicy(max_attempts=1))
        assert first.n_errors == 5 and first.n_done == 60
        before = len(server.requests)
        second = run_model(golden, MODEL, name="mixed", store=pg_store,
                           provider_options=options, progress=False, resume=True,
                           retry=RetryPolicy(max_attempts=1))
        assert len(server.requests) - before == 5  # only the failed ones were called again
    assert second.skipped_on_resume == 55 and second.n_errors == 0
    results = pg_store.results(pg_store.require_run("mixed").id)
    assert len(results) == 60 and all(r.error is None for r in results)


def test_the_cli_runs_on_ray_with_a_sqlite_store(ray_cluster: None, golden: Path,
                                                 tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from agility.cli.main import _register, app

    _register()
    store = tmp_path / "s.db"
    with FakeOpenAIServer() as server:
        done = CliRunner().invoke(app, ["run", "--dataset", str(golden), "--model", MODEL,
                                        "--name", "cli-ray", "--store", str(store),
                                        "--base-url", server.base_url, "--executor", "ray"])
    assert done.exit_code == 0, done.output
    with Store(store) as db:
        results = db.results(db.require_run("cli-ray").id)
        assert len(results) == 60 and all(r.error is None for r in results)
    bad = CliRunner().invoke(app, ["run", "--dataset", str(golden), "--model", MODEL,
                                   "--name", "x", "--store", str(store), "--executor", "spark"])
    assert bad.exit_code == 2 and "'spark' is not one of 'local', 'ray'" in \
        " ".join(bad.output.replace("│", " ").split())


def test_a_local_model_loads_once_per_worker_and_answers_as_locally(
        ray_cluster: None, pg_store: Store, tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python (the 'local' extra)")
    from agility.chat import GenerationConfig

    golden = tmp_path / "small.jsonl"
    golden.write_text("".join(json.dumps({"id": f"q{i:02d}", "source_prompt":
                                          f"Name the number {i}.", "ground_truth": str(i)})
                              + "\n" for i in range(16)))
    settings: dict[str, Any] = dict(store=pg_store, progress=False,
                                    config=GenerationConfig(max_tokens=4, temperature=0.0))
    local = run_model(golden, "llamacpp/gemma3-270m", name="llama-local", **settings)
    spread = run_model(golden, "llamacpp/gemma3-270m", name="llama-ray", executor="ray",
                       **settings)
    assert (spread.n_done, spread.n_errors) == (local.n_done, local.n_errors) == (16, 0)
    outputs = {name: {r.example_id: (r.output, r.output_tokens) for r in
                      pg_store.results(pg_store.require_run(name).id)}
               for name in ("llama-local", "llama-ray")}
    assert outputs["llama-ray"] == outputs["llama-local"]  # greedy: the same answers
    record = pg_store.require_run("llama-ray").meta["executor"]
    workers = record["workers"]
    assert len(workers) == 2 and len({w["pid"] for w in workers}) == 2
    assert sum(w["shards"] for w in workers) == record["shards"] == 8
    # each worker loaded the model once, however many shards it ran
    busy = [w for w in workers if w["shards"]]
    assert any(w["shards"] >= 2 for w in busy)
    assert all(w["model_loads"] == {"llamacpp": 1} for w in busy)


def test_the_rate_limit_is_one_budget_held_by_an_actor_for_every_worker(
        ray_cluster: None) -> None:
    import asyncio

    import ray

    from agility.client import RateLimit
    from agility.runner._ray import SharedLimiter, TokenBuckets

    buckets = ray.remote(num_cpus=0)(TokenBuckets).remote(RateLimit(rpm=60))  # 1 a second
    first, second = SharedLimiter(buckets), SharedLimiter(buckets)

    async def both() -> float:
        await first.acquire(10)  # the bucket holds one request: taken at once
        started = time.monotonic()
        await second.acquire(10)  # another client, the same budget: waits for the refill
        return time.monotonic() - started

    try:
        assert asyncio.run(both()) >= 0.8
    finally:
        ray.kill(buckets)


def test_a_ray_run_keeps_the_whole_run_s_rate_limit(ray_cluster: None, pg_store: Store,
                                                     golden: Path) -> None:
    from agility.client import RateLimit

    with FakeOpenAIServer() as server:
        started = time.monotonic()
        summary = run_model(golden, MODEL, name="limited", store=pg_store, rows=24,
                            provider_options={"base_url": server.base_url}, progress=False,
                            executor="ray", rate_limit=RateLimit(rpm=240))
        wall = time.monotonic() - started
    assert summary.n_done == 24 and summary.n_errors == 0
    # 4 requests a second for the whole cluster (a bucket of 4): 24 calls take at least 5 s
    # whichever worker sends them; without the limit they take well under a second
    assert wall >= 5.0
    record = pg_store.require_run("limited").meta["executor"]
    assert record["rate_limit"] == "shared by all workers"


def test_a_masked_run_on_ray_masks_on_every_worker_as_a_local_run_does(
        ray_cluster: None, pg_store: Store, tmp_path: Path,
        stored_bytes: Any) -> None:
    pytest.importorskip("presidio_analyzer", reason="needs the privacy extra (Presidio)")
    from agility.governance import PiiMasker
    from agility.runner import RunMasks

    email, ssn = "canary.ray@example.com", "536-80-4398"
    golden = tmp_path / "pii.jsonl"
    golden.write_text("".join(json.dumps({
        "id": f"p{i:02d}", "source_prompt": f"Row {i}: write to {email} about SSN {ssn}.",
        "ground_truth": "ok"}) + "\n" for i in range(12)))
    # a random key (no $AGILITY_MASK_KEY): only the settings handed over make the workers'
    # tokens the driver's
    masker = PiiMasker(["EMAIL_ADDRESS", "US_SSN"], "hash")
    masks = RunMasks(providers=masker.mask, store=masker.mask, masker=masker,
                     policy={"mask": ["EMAIL_ADDRESS", "US_SSN"], "mode": "hash"})
    with FakeOpenAIServer() as server:  # it echoes the prompt: the answer leaks it back
        options = {"base_url": server.base_url}
        local = run_model(golden, MODEL, name="masked-local", store=pg_store,
                          provider_options=options, progress=False, masks=masks)
        spread = run_model(golden, MODEL, name="masked-ray", store=pg_store,
                           provider_options=options, progress=False, executor="ray",
                           masks=masks)
        sent = json.dumps(server.requests)
    assert (spread.n_done, spread.n_errors) == (local.n_done, local.n_errors) == (12, 0)
    assert pg_store.require_run("masked-ray").meta["executor"]["cpus"] == 2
    # nothing unmasked left for the model, from the driver or from a worker
    assert len(server.requests) == 24 and email not in sent and ssn not in sent
    # every worker masked with the driver's key: the same tokens as the local run
    assert _figures(pg_store, "masked-ray") == _figures(pg_store, "masked-local")
    outputs = {r.output for r in pg_store.results(pg_store.require_run("masked-ray").id)}
    assert all("<EMAIL_ADDRESS:" in o and "<US_SSN:" in o for o in outputs if o)
    calls = [e for e in pg_store.events(subject="masked-ray") if e.kind == "model.call"]
    assert len(calls) == 12
    everything = stored_bytes(pg_store)
    assert email.encode() not in everything and ssn.encode() not in everything
    assert pg_store.verify_audit().ok


def test_masks_that_cannot_be_rebuilt_on_a_worker_are_refused_before_the_run(
        pg_store: Store, golden: Path) -> None:
    pytest.importorskip("presidio_analyzer", reason="needs the privacy extra (Presidio)")
    from agility.errors import UsageError
    from agility.governance import PiiMasker
    from agility.runner import RunMasks

    pseudonyms = PiiMasker(["EMAIL_ADDRESS"], "pseudonymize")
    for masks, why in ((RunMasks(store=str.upper), "name none"),
                       (RunMasks(store=pseudonyms.mask, masker=pseudonyms), "numbering")):
        with pytest.raises(UsageError) as refused:
            run_model(golden, MODEL, name="refused", store=pg_store, executor="ray",
                      provider_options={"base_url": "http://127.0.0.1:9/v1"},
                      progress=False, masks=masks)
        assert refused.value.argument == "executor" and why in str(refused.value)
    assert pg_store.list_runs() == []
