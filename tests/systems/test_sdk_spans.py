"""Calls through the official OpenAI SDK inside a system are recorded as spans while the run
instruments the SDK: model, latency, TTFT of a stream, tokens, cost; an agility span around a
call names it; outside a run the SDK is left as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agility.runner import run_system
from agility.store import Store
from agility.testing import FakeOpenAIServer

openai = pytest.importorskip("openai", reason="needs the official OpenAI SDK")


def test_async_sdk_calls_are_spans_with_their_figures(store: Store,
                                                      golden: Callable[..., Path]) -> None:
    with FakeOpenAIServer(ttft_ms=40) as server:
        summary = run_system(golden(2), {"python": "systems_apps:openai_sdk",
                                         "options": {"base_url": server.base_url}},
                             name="sdk", store=store, progress=False)
    assert summary.n_errors == 0
    for result in store.results(store.require_run("sdk").id):
        assert [(s.name, s.kind) for s in result.spans] == [("generate", "llm"),
                                                            ("answer", "llm")]
        plain, streamed = result.spans
        assert plain.model == streamed.model == "openai/gpt-4o-mini"
        assert plain.ttft_ms is None  # not streamed: no first token to time
        assert streamed.ttft_ms is not None and streamed.ttft_ms >= 40
        assert plain.input_tokens == 2 and plain.output_tokens == 2  # the fake server counts
        assert streamed.input_tokens is not None and streamed.output_tokens is not None
        # gpt-4o-mini is in the price table: 0.15 / 0.60 USD per 1M tokens
        assert plain.cost_usd == pytest.approx((2 * 0.15 + 2 * 0.60) / 1e6)
        assert result.cost_usd == pytest.approx(plain.cost_usd + streamed.cost_usd)
        assert result.output == f"answer plan: {result.example_id}"
        assert result.ttft_ms is not None and result.ttft_ms >= streamed.start_ms + 40


def test_a_sync_sdk_call_is_a_span_and_an_unknown_model_is_not_priced(
        store: Store, golden: Callable[..., Path]) -> None:
    with FakeOpenAIServer() as server:
        run_system(golden(1), {"python": "systems_apps:openai_sdk_sync",
                               "options": {"base_url": server.base_url}},
                   name="sync-sdk", store=store, progress=False)
    [result] = store.results(store.require_run("sync-sdk").id)
    [call] = result.spans
    assert call.model == "openai/not-in-the-price-table" and call.cost_usd is None
    assert call.duration_ms is not None and result.cost_usd is None  # not measured, never 0


def test_a_failed_sdk_call_is_a_failed_span(store: Store, golden: Callable[..., Path]) -> None:
    from agility.testing import Fault

    with FakeOpenAIServer(faults=[Fault.server_error(400)]) as server:
        run_system(golden(1), {"python": "systems_apps:openai_sdk_sync",
                               "options": {"base_url": server.base_url}},
                   name="failing", store=store, progress=False)
    [result] = store.results(store.require_run("failing").id)
    assert result.error is not None and "BadRequestError" in result.error
    assert result.spans[0].error is not None and "BadRequestError" in result.spans[0].error


def test_the_sdk_is_left_as_it_was_outside_a_run(store: Store,
                                                 golden: Callable[..., Path]) -> None:
    from openai.resources.chat.completions import completions

    before = completions.AsyncCompletions.create
    with FakeOpenAIServer() as server:
        run_system(golden(1), {"python": "systems_apps:openai_sdk",
                               "options": {"base_url": server.base_url}},
                   name="restore", store=store, progress=False)
    assert completions.AsyncCompletions.create is before
