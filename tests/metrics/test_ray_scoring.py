"""``score --executor ray`` on a real local Ray cluster (a raylet and two worker processes, not
local mode), its workers writing to a real PostgreSQL store: the same scores as a local
scoring, the embedding model loaded once per worker, a killed worker's answers scored
elsewhere without paying twice, and resume across executors."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from run_builder import store_run

from agility.metrics import ascore_on_ray, score_run
from agility.store import Store
from agility.testing import FakeOpenAIServer, Fault

pytestmark = pytest.mark.slow

SAFE = json.dumps({"reason": "fine", "verdict": "safe"})
UNSAFE = json.dumps({"reason": "names a person", "verdict": "unsafe"})


def _judge(body: dict[str, Any]) -> str:
    """A deterministic judge: an answer mentioning 7 is unsafe, any other safe."""
    text = json.dumps(body.get("messages"))
    return UNSAFE if "answer 7" in text else SAFE


ANSWERS = {f"e{i:02d}": f"answer {i} is {i % 3}" for i in range(40)}


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


def _scores(store: Store, name: str) -> set[tuple[Any, ...]]:
    run = store.require_run(name)
    return {(s.example_id, s.repeat_index, s.metric, s.metric_version, s.score, s.verdict,
             s.passed, s.reason, s.judge_model, s.error) for s in store.scores(run.id)}


def test_ray_scores_are_a_local_scoring_s_and_the_embedding_model_loads_once_per_worker(
        ray_cluster: None, pg_store: Store) -> None:
    pytest.importorskip("sentence_transformers", reason="needs agility[embeddings]")
    store_run(pg_store, ANSWERS, name="local", truth="answer 3 is 0")
    store_run(pg_store, ANSWERS, name="ray", truth="answer 3 is 0")
    metrics = ["exact_match", "token_f1", "semantic_similarity", "safety"]
    with FakeOpenAIServer(responder=_judge) as server:
        options = {"base_url": server.base_url}
        local = score_run(pg_store, "local", metrics, judge="openai/j", judge_options=options)
        spread = ascore_on_ray_sync(pg_store, "ray", metrics, judge="openai/j",
                                    judge_options=options)
        assert len(server.requests) == 80  # each answer judged once per scoring
    assert spread.summaries == local
    assert local["safety"].pass_rate == pytest.approx(39 / 40)  # the judge's verdicts counted
    assert _scores(pg_store, "ray") == _scores(pg_store, "local")
    record = spread.executor
    assert record["kind"] == "ray" and record["cpus"] == 2
    workers = record["workers"]
    assert len(workers) == 2 and len({w["pid"] for w in workers}) == 2
    assert sum(w["shards"] for w in workers) == record["shards"] > len(workers)
    # each worker that scored loaded the embedding model once, however many shards it ran
    busy = [w for w in workers if w["shards"]]
    assert any(w["shards"] >= 2 for w in busy)
    assert all(w["model_loads"] == {"embedding": 1} for w in busy)


def ascore_on_ray_sync(store: Store, run: str, metrics: list[str], **kwargs: Any) -> Any:
    from agility._sync import run_sync

    return run_sync(ascore_on_ray(store, run, metrics, **kwargs))


def _worker_pids() -> list[int]:
    """Processes of Ray actors scoring now (Ray titles them ``ray::ScoreWorker...``)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(b"ray::ScoreWorker.score"):
                pids.append(int(entry))
    return pids


def test_a_killed_worker_s_answers_are_scored_elsewhere_without_paying_twice(
        ray_cluster: None, pg_store: Store) -> None:
    run_id = store_run(pg_store, {f"e{i:02d}": f"answer {i}" for i in range(60)}, name="k")
    outcome: list[Any] = []
    with FakeOpenAIServer(responder=_judge, ttft_ms=60) as server:
        def score() -> None:
            try:
                outcome.append(score_run(pg_store, "k", ["safety"], judge="openai/j",
                                         judge_options={"base_url": server.base_url},
                                         concurrency=2, executor="ray"))
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                outcome.append(exc)

        driver = threading.Thread(target=score)
        driver.start()
        killed: list[int] = []
        deadline = time.monotonic() + 300
        while not killed and driver.is_alive() and time.monotonic() < deadline:
            pids = _worker_pids()
            if len(pg_store.scores(run_id, "safety")) >= 8 and pids:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
            time.sleep(0.02)
        driver.join(600)
        calls = len(server.requests)
    assert killed, "no worker was seen scoring to kill"
    [summaries] = outcome
    assert not isinstance(summaries, BaseException), summaries
    assert summaries["safety"].n_scored == 60 and summaries["safety"].n_failed == 0
    scores = pg_store.scores(run_id, "safety")
    assert len(scores) == 60 and all(s.error is None for s in scores)
    # the restarted worker scored only what had no score: at most the killed worker's one
    # judge call in flight (concurrency 2 over 2 workers) was paid twice
    assert 60 <= calls <= 61


@pytest.mark.parametrize("first,then", [("ray", "local"), ("local", "ray")])
def test_a_scoring_resumes_across_executors(ray_cluster: None, pg_store: Store, first: str,
                                            then: str) -> None:
    store_run(pg_store, ANSWERS, name="r")
    with FakeOpenAIServer(responder=_judge) as server:
        options = {"base_url": server.base_url}
        server.set_faults([Fault.server_error(400)] * 5)  # not retried: 5 failed judgments
        before = score_run(pg_store, "r", ["safety"], judge="openai/j", judge_options=options,
                           executor=first)
        assert (before["safety"].n_scored, before["safety"].n_failed) == (35, 5)
        calls = len(server.requests)
        after = score_run(pg_store, "r", ["safety"], judge="openai/j", judge_options=options,
                          executor=then)
        assert len(server.requests) - calls == 5  # only the failed judgments were asked again
    assert (after["safety"].n_scored, after["safety"].n_failed) == (40, 0)


def test_the_cli_scores_on_ray_with_a_sqlite_store(ray_cluster: None, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from agility.cli.main import _register, app

    _register()
    path = tmp_path / "s.db"
    with Store(path) as db:
        store_run(db, ANSWERS, name="cli", truth="answer 3 is 0")
    done = CliRunner().invoke(app, ["score", "cli", "--metrics", "exact_match,token_f1",
                                    "--store", str(path), "--executor", "ray", "--no-progress"])
    assert done.exit_code == 0, done.output
    with Store(path) as db:
        assert len(db.scores(db.require_run("cli").id)) == 80
        exact = [s for s in db.scores(db.require_run("cli").id) if s.metric == "exact_match"]
        assert sum(bool(s.passed) for s in exact) == 1
    bad = CliRunner().invoke(app, ["score", "cli", "--metrics", "exact_match", "--store",
                                   str(path), "--executor", "spark"])
    assert bad.exit_code == 2 and "must be local or ray" in bad.output
    # a judge refusing the credentials inside a worker is the same one line as locally
    with FakeOpenAIServer(responder=_judge) as server:
        server.set_faults([Fault.auth_error()] * 100)
        refused = CliRunner().invoke(app, [
            "score", "cli", "--metrics", "safety", "--judge", "openai/j", "--base-url",
            server.base_url, "--store", str(path), "--executor", "ray", "--no-progress"])
    assert refused.exit_code == 2 and refused.output.startswith("error: authentication failed")
    assert "Traceback" not in refused.output and "sk-test" not in refused.output
