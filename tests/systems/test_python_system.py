"""``python:`` systems: spans of each step, figures made from them, and faults per example."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agility.runner import run_system
from agility.store import Store
from agility.testing import FakeOpenAIServer

PRICE = {"price_input": 1.0, "price_output": 2.0}  # USD per 1M tokens


def _server_options(server: FakeOpenAIServer) -> dict[str, str]:
    return {"base_url": server.base_url}


def test_two_call_pipeline_records_a_span_per_step(store: Store, golden: Callable[..., Path],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-systems-0123456789")
    with FakeOpenAIServer(ttft_for=lambda body: 300 if "answer:" in str(body) else 0) as server:
        summary = run_system(golden(3), "python:systems_apps:two_calls", name="pipe",
                             store=store, model="openai/fake-model",
                             provider_options=_server_options(server), progress=False,
                             **PRICE)
    assert summary.n_done == 3 and summary.n_errors == 0
    run = store.require_run("pipe")
    assert run.model_spec == "python:systems_apps:two_calls [openai/fake-model]"
    assert run.meta["system"]["spec"] == "python:systems_apps:two_calls"
    for result in store.results(run.id):
        names = [s.name for s in result.spans]
        assert names == ["retrieve", "rewrite", "answer"]
        retrieve, rewrite, answer = result.spans
        assert retrieve.kind == "retrieval" and retrieve.cost_usd == 0.0001
        assert retrieve.attributes == {"documents": 1}
        assert rewrite.kind == answer.kind == "llm"
        assert rewrite.model == answer.model == "openai/fake-model"
        # the server waits 300 ms before the answer's first token, none for the rewrite's
        assert answer.ttft_ms is not None and answer.ttft_ms >= 300
        assert rewrite.ttft_ms is not None and rewrite.ttft_ms < answer.ttft_ms
        assert rewrite.start_ms >= retrieve.start_ms + (retrieve.duration_ms or 0)
        assert answer.start_ms >= rewrite.start_ms + (rewrite.duration_ms or 0)
        # the result's figures come from the spans
        assert result.output == f"answer: rewrite: What happened in {result.example_id}?"
        assert result.contexts == ["a document"]
        assert result.ttft_ms == pytest.approx(answer.start_ms + answer.ttft_ms)
        assert result.latency_ms == result.end_to_end_ms
        assert result.end_to_end_ms >= answer.start_ms + (answer.duration_ms or 0)
        assert result.input_tokens == rewrite.input_tokens + answer.input_tokens
        assert rewrite.cost_usd is not None and answer.cost_usd is not None
        assert result.cost_usd == pytest.approx(rewrite.cost_usd + answer.cost_usd + 0.0001)
        assert result.extra_cost_usd == pytest.approx(0.0001)
        assert result.retrieval_ms == retrieve.duration_ms
        assert [m.content for m in result.prompt or []] == [f"answer: {rewrite_text(result)}"]


def rewrite_text(result: Any) -> str:
    return f"rewrite: What happened in {result.example_id}?"


def test_unpriced_model_leaves_the_cost_not_measured(store: Store,
                                                      golden: Callable[..., Path]) -> None:
    with FakeOpenAIServer() as server:
        run_system(golden(2), "python:systems_apps:two_calls", name="unpriced", store=store,
                   model="openai/fake-model", provider_options=_server_options(server),
                   progress=False)
    for result in store.results(store.require_run("unpriced").id):
        assert result.error is None
        assert result.cost_usd is None  # a model call was not priced: no partial sum
        assert result.extra_cost_usd == pytest.approx(0.0001)


def test_sync_function_runs_in_a_thread_with_its_spans(store: Store,
                                                       golden: Callable[..., Path]) -> None:
    with FakeOpenAIServer() as server:
        summary = run_system(golden(2), "python:systems_apps:sync_pipeline", name="sync",
                             store=store, model="openai/fake-model",
                             provider_options=_server_options(server), progress=False)
    assert summary.n_errors == 0
    for result in store.results(store.require_run("sync").id):
        assert [s.name for s in result.spans] == ["prepare", "generate"]
        assert result.output == f"What happened in {result.example_id}?"


def test_function_without_settings_and_without_model(store: Store,
                                                     golden: Callable[..., Path]) -> None:
    summary = run_system(golden(2), "python:systems_apps:echo_only", name="echo", store=store,
                         progress=False)
    assert summary.n_errors == 0
    run = store.require_run("echo")
    assert run.model_spec == "python:systems_apps:echo_only"
    for result in store.results(run.id):
        assert result.output == f"WHAT HAPPENED IN {result.example_id.upper()}?"
        assert result.cost_usd is None and result.ttft_ms is None and result.spans == []


def test_a_failing_example_records_its_error_and_the_run_goes_on(
        store: Store, golden: Callable[..., Path]) -> None:
    summary = run_system(golden(3), "python:systems_apps:fails_on_one", name="flaky",
                         store=store, progress=False)
    assert (summary.n_done, summary.n_errors) == (3, 1)
    results = {r.example_id: r for r in store.results(store.require_run("flaky").id)}
    failed = results["ex-001"]
    assert failed.error == "RuntimeError: the lookup service is down"
    assert [(s.name, s.kind, s.error) for s in failed.spans] == [
        ("lookup", "tool", "RuntimeError: the lookup service is down")]
    assert results["ex-000"].output == "fine" and results["ex-000"].spans[0].error is None


@pytest.mark.parametrize(("target", "message"), [
    ("no_such_module_xyz:answer", "cannot import no_such_module_xyz"),
    ("systems_apps:missing", "systems_apps has no attribute 'missing'"),
    ("systems_apps:NOT_CALLABLE", "systems_apps:NOT_CALLABLE is not callable"),
    ("systems_apps:returns_nothing", "returned nothing"),
])
def test_bad_targets_fail_each_example_with_the_reason(
        store: Store, golden: Callable[..., Path], target: str, message: str) -> None:
    summary = run_system(golden(2), f"python:{target}", name="bad", store=store,
                         progress=False)
    assert (summary.n_done, summary.n_errors) == (2, 2)
    for result in store.results(store.require_run("bad").id):
        assert result.error is not None and message in result.error
        assert result.error.startswith("SystemCallError: python:")
        assert [(s.name, s.error) for s in result.spans] == [("system", result.error)]


def test_a_system_past_its_timeout_fails_the_example(store: Store,
                                                     golden: Callable[..., Path]) -> None:
    summary = run_system(golden(1), "python:systems_apps:too_slow", name="slow", store=store,
                         system_options={"timeout_s": 0.2}, progress=False)
    assert summary.n_errors == 1
    [result] = store.results(store.require_run("slow").id)
    assert result.error == ("SystemCallError: python:systems_apps:too_slow: no answer within "
                            "0.2 s (timeout_s)")
