"""Conversations turn by turn (``turns="each"``): every assistant turn of a conversation row is
generated, stored and scored as a result of its own and compared per turn; its history is the
transcript's, or with ``history="own"`` the answers the model gave to the earlier turns (a turn
whose earlier turn failed is not sent, and a resumed run takes the stored answers). Against the
fake OpenAI server, which records what each request carried."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agility.compare import compare_runs
from agility.errors import RunSettingsChanged, UsageError
from agility.metrics import score_run
from agility.runner import RetryPolicy, run_model
from agility.store import Store
from agility.testing import FakeOpenAIServer

ROWS = [
    {"id": "c1", "source_prompt": [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "c1 q1: my name is Ann"},
        {"role": "assistant", "content": "Hello Ann"},
        {"role": "user", "content": "c1 q2: what is my name?"}], "ground_truth": "Ann",
     "source_output": "Ann", "stratum": "chat"},
    {"id": "c2", "source_prompt": [
        {"role": "user", "content": "c2 q1"}, {"role": "assistant", "content": "c2 a1"},
        {"role": "user", "content": "c2 q2"}, {"role": "assistant", "content": "c2 a2"},
        {"role": "user", "content": "c2 q3"}], "ground_truth": "c2 a3", "stratum": "chat"},
    {"id": "p1", "source_prompt": "p1 q", "ground_truth": "p1 a", "stratum": "plain"},
]
ONCE = RetryPolicy(max_attempts=1)


def _answer(body: dict[str, Any]) -> str:
    """The reference for the transcript's questions, so exact_match tells turns apart:
    'c2 q2' is answered wrong."""
    last = body["messages"][-1]["content"]
    return {"c1 q1: my name is Ann": "Hello Ann", "c1 q2: what is my name?": "Ann",
            "c2 q1": "c2 a1", "c2 q2": "wrong", "c2 q3": "c2 a3"}.get(last, f"re: {last}")


class Server(FakeOpenAIServer):
    """The fake server; a request whose text holds ``fail_on`` gets an HTTP 500."""

    fail_on: str | None = None

    async def handle(self, request: Any, responder: Any) -> None:
        if self.fail_on is not None and self.fail_on.encode() in request.body:
            await responder.send(500, {"error": {"message": "the server had an error"}})
            return
        await super().handle(request, responder)


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(responder=_answer) as srv:
        yield srv


@pytest.fixture
def golden(tmp_path: Path) -> Path:
    path = tmp_path / "conversations.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    return path


@pytest.fixture
def run(store: Store, server: Server, golden: Path) -> Callable[..., Any]:
    def go(name: str, **kwargs: Any) -> Any:
        kwargs.setdefault("progress", False)
        kwargs.setdefault("retry", ONCE)
        return run_model(golden, "openai/gpt-4o-mini", name=name, store=store,
                         provider_options={"base_url": server.base_url}, turns="each",
                         **kwargs)
    return go


def _sent(server: Server) -> dict[str, list[tuple[str, str]]]:
    """Each request's messages by its last user message."""
    return {b["messages"][-1]["content"]: [(m["role"], m["content"]) for m in b["messages"]]
            for b in server.requests}


def test_each_turn_is_a_result_with_the_transcript_as_history_scored_and_compared(
        run: Callable[..., Any], server: Server, store: Store) -> None:
    summary = run("a", concurrency=1)
    assert summary.n_examples == summary.n_done == 6 and summary.n_errors == 0
    results = {r.example_id: r for r in store.results(summary.run_id)}
    assert sorted(results) == ["c1#t1", "c1#t2", "c2#t1", "c2#t2", "c2#t3", "p1"]
    sent = _sent(server)
    assert sent["c1 q1: my name is Ann"] == [("system", "Answer briefly."),
                                            ("user", "c1 q1: my name is Ann")]
    # the later turns carry the transcript's answers, not the model's ('wrong' for c2 q2)
    assert sent["c2 q3"] == [("user", "c2 q1"), ("assistant", "c2 a1"), ("user", "c2 q2"),
                             ("assistant", "c2 a2"), ("user", "c2 q3")]
    assert results["c2#t2"].output == "wrong"
    score_run(store, "a", ["exact_match"])
    scores = {s.example_id: s.score for s in store.scores(summary.run_id, "exact_match")}
    assert scores == {"c1#t1": 1.0, "c1#t2": 1.0, "c2#t1": 1.0, "c2#t2": 0.0, "c2#t3": 1.0,
                      "p1": 0.0}
    run("b", concurrency=1)
    comparison = compare_runs(store, "a", "b", metrics=["exact_match"], n_resamples=200)
    [metric] = [m for m in comparison.metrics if m.metric == "exact_match"]
    assert {"turn:1", "turn:2", "turn:3", "turn:last"} <= set(metric.by_tag)
    assert metric.by_tag["turn:2"].n == 2 and metric.by_tag["turn:3"].n == 1
    assert metric.by_tag["turn:last"].n == 2  # c1's 2nd turn and c2's 3rd


def test_own_history_sends_the_models_own_earlier_answers(
        run: Callable[..., Any], server: Server, store: Store) -> None:
    summary = run("own", history="own", concurrency=4)
    assert summary.n_done == 6 and summary.n_errors == 0
    sent = _sent(server)
    assert sent["c2 q3"] == [("user", "c2 q1"), ("assistant", "c2 a1"), ("user", "c2 q2"),
                             ("assistant", "wrong"), ("user", "c2 q3")]
    run_record = store.require_run("own")
    assert run_record.meta["turns"] == "each" and run_record.meta["history"] == "own"
    [stored] = [r for r in store.results(summary.run_id) if r.example_id == "c2#t3"]
    assert stored.prompt is not None and stored.prompt[3].content == "wrong"  # as sent


def test_a_failed_turn_leaves_the_next_unsent_and_a_resume_uses_the_stored_answers(
        run: Callable[..., Any], server: Server, store: Store) -> None:
    server.fail_on = "c2 q2"
    first = run("r", history="own", concurrency=2)
    results = {r.example_id: r for r in store.results(first.run_id)}
    assert results["c2#t1"].error is None
    assert results["c2#t2"].error is not None and "500" in results["c2#t2"].error
    assert results["c2#t3"].error == ("TurnNotSent: turn 2 of conversation c2 has no answer, "
                                      "and the model's own answers are this turn's history")
    assert first.n_errors == 2 and "c2 q3" not in _sent(server)
    server.fail_on = None
    before = len(server.requests)
    again = run("r", history="own", concurrency=2, resume=True)
    assert again.n_done == 2 and again.n_errors == 0 and again.skipped_on_resume == 4
    sent_now = [b["messages"][-1]["content"] for b in server.requests[before:]]
    assert sorted(sent_now) == ["c2 q2", "c2 q3"]  # turn 1 was not asked again
    # turn 3's history: the stored answer of turn 1, this run's answer of turn 2
    assert _sent(server)["c2 q3"][1] == ("assistant", "c2 a1")
    assert _sent(server)["c2 q3"][3] == ("assistant", "wrong")


def test_a_resume_with_another_history_is_refused(run: Callable[..., Any]) -> None:
    run("h", history="own")
    with pytest.raises(RunSettingsChanged) as changed:
        run("h", history="transcript", resume=True)
    assert changed.value.field == "history"


@pytest.mark.parametrize("kwargs, argument", [
    ({"turns": "last", "history": "own"}, "history"),
    ({"executor": "ray"}, "executor"),
])
def test_settings_that_do_not_go_together_are_refused(
        store: Store, golden: Path, kwargs: dict[str, Any], argument: str) -> None:
    kwargs = {"turns": "each", **kwargs}
    with pytest.raises(UsageError) as refused:
        run_model(golden, "mock/echo", name="x", store=store, progress=False, **kwargs)
    assert refused.value.argument == argument
    assert store.list_runs() == []


def test_the_cli_runs_turn_by_turn_and_refuses_a_bad_value_in_one_line(
        tmp_path: Path, golden: Path, server: Server) -> None:
    from typer.testing import CliRunner

    from agility.cli.main import _register, app

    _register()
    db = tmp_path / "cli.db"
    base = ["run", "--dataset", str(golden), "--model", "openai/gpt-4o-mini", "--base-url",
            server.base_url, "--store", str(db)]
    done = CliRunner().invoke(app, [*base, "--name", "cli", "--turns", "each", "--history",
                                    "own"])
    assert done.exit_code == 0, done.output
    with Store(db) as store:
        run = store.require_run("cli")
        assert sorted(r.example_id for r in store.results(run.id)) == [
            "c1#t1", "c1#t2", "c2#t1", "c2#t2", "c2#t3", "p1"]
    bad = CliRunner().invoke(app, [*base, "--name", "bad", "--turns", "every"])
    assert bad.exit_code == 2 and "turns" in bad.output and "Traceback" not in bad.output


def test_a_plan_compares_two_models_turn_by_turn(tmp_path: Path, golden: Path, server: Server,
                                                 store: Store) -> None:
    from agility.migrate import migrate

    (tmp_path / "plan.yaml").write_text(
        f"name: chat\ndataset: {{path: {golden.name}, turns: each, history: own}}\n"
        f"source: {{name: a, model: openai/gpt-4o-mini, provider_options: "
        f"{{base_url: '{server.base_url}'}}}}\n"
        f"target: {{name: b, model: openai/gpt-4o-mini, provider_options: "
        f"{{base_url: '{server.base_url}'}}}}\n"
        "metrics: [exact_match]\noutput: report\n", encoding="utf-8")
    result = migrate(tmp_path / "plan.yaml", store=store, progress=False)
    for side in ("chat/a", "chat/b"):
        run = store.require_run(side)
        assert run.meta["history"] == "own" and store.count_results(run.id) == 6
    [metric] = [m for m in result.comparison.metrics if m.metric == "exact_match"]
    assert metric.by_tag["turn:3"].n == 1 and metric.overall.n == 6
    assert "turn:2" in result.report_markdown.read_text(encoding="utf-8")
