"""Calls through the official Anthropic SDK inside a system are recorded as spans while the run
instruments the SDK: model, latency, TTFT of a stream, tokens, cost, errors; a call agility's own
provider makes through the SDK is one span, not two; outside a run the SDK is left as it was.
Against the fake Anthropic server (the SDK's real wire format)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agility.runner import run_system
from agility.store import Store
from agility.testing import FakeAnthropicServer, Fault

anthropic = pytest.importorskip("anthropic", reason="needs the official Anthropic SDK")


def test_async_sdk_calls_are_spans_with_their_figures(store: Store,
                                                      golden: Callable[..., Path]) -> None:
    with FakeAnthropicServer(ttft_ms=40) as server:
        summary = run_system(golden(2), {"python": "systems_apps:anthropic_sdk",
                                         "options": {"base_url": server.base_url}},
                             name="sdk", store=store, progress=False)
    assert summary.n_errors == 0
    for result in store.results(store.require_run("sdk").id):
        assert [(s.name, s.kind) for s in result.spans] == [("generate", "llm"),
                                                            ("answer", "llm")]
        plain, streamed = result.spans
        assert plain.model == streamed.model == "anthropic/claude-haiku-4-5"
        assert plain.attributes["sdk"] == "anthropic"
        assert plain.ttft_ms is None  # not streamed: no first token to time
        assert streamed.ttft_ms is not None and streamed.ttft_ms >= 40
        # the fake server counts words: "plan: ex-00N" in, "plan: ex-00N" out
        assert (plain.input_tokens, plain.output_tokens) == (2, 2)
        # streamed: input from message_start, output from the last message_delta (not the
        # start's placeholder of 1)
        assert streamed.input_tokens == 3 and streamed.output_tokens == 3  # "answer plan: ex-00N"
        # claude-haiku-4-5 is in the price table: 1.00 / 5.00 USD per 1M tokens
        assert plain.cost_usd == pytest.approx((2 * 1.0 + 2 * 5.0) / 1e6)
        assert result.cost_usd == pytest.approx(plain.cost_usd + streamed.cost_usd)
        assert result.output == f"answer plan: {result.example_id}"


def test_a_sync_sdk_call_is_a_span_and_an_unknown_model_is_not_priced(
        store: Store, golden: Callable[..., Path]) -> None:
    with FakeAnthropicServer() as server:
        run_system(golden(1), {"python": "systems_apps:anthropic_sdk_sync",
                               "options": {"base_url": server.base_url}},
                   name="sync-sdk", store=store, progress=False)
    [result] = store.results(store.require_run("sync-sdk").id)
    [call] = result.spans
    assert call.model == "anthropic/not-in-the-price-table" and call.cost_usd is None
    assert call.input_tokens == 1 and call.output_tokens == 1
    assert call.duration_ms is not None and result.cost_usd is None  # not measured, never 0


def test_a_failed_sdk_call_is_a_failed_span(store: Store, golden: Callable[..., Path]) -> None:
    with FakeAnthropicServer(faults=[Fault.server_error(529)]) as server:
        run_system(golden(1), {"python": "systems_apps:anthropic_sdk_sync",
                               "options": {"base_url": server.base_url}},
                   name="failing", store=store, progress=False)
    [result] = store.results(store.require_run("failing").id)
    assert result.error is not None and "OverloadedError" in result.error
    assert result.spans[0].error is not None and "OverloadedError" in result.spans[0].error


def test_agilitys_own_anthropic_calls_are_one_span_and_the_sdk_is_restored(
        store: Store, golden: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from anthropic.resources.messages import messages

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-agility-test-0123456789")
    before = messages.AsyncMessages.create
    with FakeAnthropicServer() as server:
        run_system(golden(1), "python:systems_apps:through_agility", name="own", store=store,
                   model="anthropic/claude-haiku-4-5",
                   provider_options={"base_url": server.base_url}, progress=False)
        assert len(server.requests) == 1
    [result] = store.results(store.require_run("own").id)
    [call] = result.spans  # the provider's SDK call is not recorded a second time
    assert call.model == "anthropic/claude-haiku-4-5" and "sdk" not in call.attributes
    assert messages.AsyncMessages.create is before


def test_the_stream_helper_is_a_span_with_its_first_token_and_tokens(
        store: Store, golden: Callable[..., Path]) -> None:
    with FakeAnthropicServer(ttft_ms=40) as server:
        summary = run_system(golden(2), {"python": "systems_apps:anthropic_stream_helper",
                                         "options": {"base_url": server.base_url}},
                             name="helper", store=store, progress=False)
        assert all(body.get("stream") is True for body in server.requests)
    assert summary.n_errors == 0
    for result in store.results(store.require_run("helper").id):
        [call] = result.spans
        assert (call.name, call.kind) == ("generate", "llm")  # an unnamed call's name
        assert call.model == "anthropic/claude-haiku-4-5"
        assert call.attributes["sdk"] == "anthropic" and call.error is None
        assert call.ttft_ms is not None and call.ttft_ms >= 40
        assert call.duration_ms is not None and call.duration_ms >= call.ttft_ms
        # "answer ex-00N": 2 words in, echoed: 2 out (message_start's and message_delta's)
        assert (call.input_tokens, call.output_tokens) == (2, 2)
        assert call.cost_usd == pytest.approx((2 * 1.0 + 2 * 5.0) / 1e6)
        assert result.cost_usd == pytest.approx(call.cost_usd)
        assert result.output == f"answer {result.example_id}"


def test_a_stream_helper_left_early_ends_its_span_at_the_close(
        store: Store, golden: Callable[..., Path]) -> None:
    with FakeAnthropicServer(ttft_ms=20, token_delay_ms=300) as server:
        run_system(golden(1), {"python": "systems_apps:anthropic_stream_helper_sync",
                               "options": {"base_url": server.base_url, "first_only": True}},
                   name="early", store=store, progress=False)
    [result] = store.results(store.require_run("early").id)
    assert result.error is None and result.output is not None
    assert result.output.strip() == "say"  # the first text only
    [call] = result.spans
    assert call.error is None and call.ttft_ms is not None and call.ttft_ms >= 20
    # the reply's four words take 3 x 300 ms after the first: left after the first, the span
    # ends at the close, well before the stream would have
    assert call.duration_ms is not None and call.duration_ms < 900
    assert call.input_tokens == 4 and call.output_tokens is None  # no message_delta read


def test_a_failed_stream_helper_is_a_failed_span_and_the_helper_is_restored(
        store: Store, golden: Callable[..., Path]) -> None:
    from anthropic.resources.messages import messages

    before = (messages.Messages.stream, messages.AsyncMessages.stream)
    with FakeAnthropicServer(faults=[Fault.server_error(529)]) as server:
        run_system(golden(1), {"python": "systems_apps:anthropic_stream_helper",
                               "options": {"base_url": server.base_url}},
                   name="helper-fails", store=store, progress=False)
    [result] = store.results(store.require_run("helper-fails").id)
    assert result.error is not None and "OverloadedError" in result.error
    [call] = result.spans
    assert call.model == "anthropic/claude-haiku-4-5"
    assert call.error is not None and "OverloadedError" in call.error
    assert (messages.Messages.stream, messages.AsyncMessages.stream) == before
