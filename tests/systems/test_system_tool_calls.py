"""A system's tool calls are stored with its result and scored by the tool-call metrics
against the golden row's expected calls (real runner, real store, real scoring)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from agility.metrics import score_run
from agility.runner import run_system
from agility.store import Store

EXPECTED = [{"name": "find_flight", "arguments": {"passengers": 2, "to": "Paris"}},
            {"name": "book", "arguments": {"flight": "AF12", "seats": 2}}]


def test_tool_calls_are_stored_and_scored(store: Store, golden: Callable[..., Path]) -> None:
    path = golden(3, metadata={"expected_tool_calls": EXPECTED})
    summary = run_system(path, "python:systems_apps:books_a_trip", name="agent", store=store,
                         progress=False)
    assert summary.n_done == 3 and summary.n_errors == 0
    run = store.require_run("agent")
    stored = {r.example_id: r.tool_calls for r in store.results(run.id)}
    # normalised to {name, arguments}; an empty list is kept (recorded: no tool called)
    assert stored["ex-000"] == [
        {"name": "find_flight", "arguments": {"to": "Paris", "passengers": "2"}},
        {"name": "book", "arguments": {"seats": 2, "flight": "AF12"}}]
    assert stored["ex-002"] == []
    summaries = score_run(store, "agent", ["tool_calls", "tool_trajectory"])
    scores = {(s.metric, s.example_id): (s.score, s.passed) for s in store.scores(run.id)}
    assert scores[("tool_calls", "ex-000")] == (1.0, True)  # "2" is 2; key order is free
    assert scores[("tool_calls", "ex-001")] == (1.0, True)  # any order by default
    assert scores[("tool_trajectory", "ex-001")] == (0.0, False)  # the order matters here
    assert scores[("tool_calls", "ex-002")] == (0.0, False)
    assert summaries["tool_calls"].n == 3


def test_a_plain_model_run_cannot_be_scored_on_tool_calls(store: Store,
                                                          golden: Callable[..., Path]) -> None:
    path = golden(2, metadata={"expected_tool_calls": EXPECTED})
    run_system(path, "python:systems_apps:echo_only", name="plain", store=store,
               progress=False)
    score_run(store, "plain", ["tool_calls"])
    run = store.require_run("plain")
    errors = [s.error for s in store.scores(run.id)]
    # echo_only returns a string: its tool calls were recorded as none, so they score 0;
    # a result that never recorded them is an error, never a score
    assert errors == [None, None]
    legacy = store.results(run.id)[0].model_copy(update={"tool_calls": None})
    store.save_results(run.id, [legacy])
    reread = {r.example_id: r.tool_calls for r in store.results(run.id)}
    assert reread[legacy.example_id] is None and [] in reread.values()
    score_run(store, "plain", ["tool_calls"], rescore=True)
    again = {s.example_id: s for s in store.scores(run.id)}
    assert again[legacy.example_id].score is None
    assert "were not recorded" in json.dumps(again[legacy.example_id].error)
