"""Bedrock ConverseStream and InvokeModel (whole and streamed) calls through boto3 inside a
system are recorded as spans while the run instruments botocore: model, region's price, TTFT,
tokens of the metadata event, the service's token headers or invocation metrics, errors; a
call agility's own bedrock/ provider makes is one span; outside a run botocore is left as it
was. Against the fake Bedrock server (the real event-stream wire format)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agility.runner import run_system
from agility.store import Store
from agility.testing import FakeBedrockServer, Fault

boto3 = pytest.importorskip("boto3", reason="needs boto3 (pip install 'agility[bedrock]')")


@pytest.fixture(autouse=True)
def _aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/agility-test")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/agility-test")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def test_a_converse_stream_call_is_a_span_priced_for_its_region(
        store: Store, golden: Callable[..., Path]) -> None:
    with FakeBedrockServer(ttft_ms=40) as server:
        summary = run_system(golden(2), {"python": "systems_apps:bedrock_sdk",
                                         "options": {"endpoint_url": server.base_url}},
                             name="boto", store=store, progress=False)
    assert summary.n_errors == 0
    for result in store.results(store.require_run("boto").id):
        [call] = result.spans
        assert (call.name, call.kind) == ("generate", "llm")
        assert call.model == "bedrock/anthropic.claude-3-haiku-20240307-v1:0"
        assert call.attributes["sdk"] == "boto3"
        assert call.ttft_ms is not None and call.ttft_ms >= 40
        # "answer ex-00N" in and echoed back: 2 words each way (the fake server counts words)
        assert (call.input_tokens, call.output_tokens) == (2, 2)
        # us-east-1 on-demand: 0.25 / 1.25 USD per 1M tokens
        assert call.cost_usd == pytest.approx((2 * 0.25 + 2 * 1.25) / 1e6)
        assert result.output == f"answer {result.example_id}"


def test_a_failed_converse_call_is_a_failed_span_and_botocore_is_restored(
        store: Store, golden: Callable[..., Path]) -> None:
    from botocore.client import BaseClient

    before = BaseClient._make_api_call
    with FakeBedrockServer(faults=[Fault.server_error(400)]) as server:
        run_system(golden(1), {"python": "systems_apps:bedrock_sdk",
                               "options": {"endpoint_url": server.base_url}},
                   name="failing", store=store, progress=False)
    [result] = store.results(store.require_run("failing").id)
    assert result.error is not None and "ValidationException" in result.error
    assert result.spans[0].error is not None
    assert "ValidationException" in result.spans[0].error
    assert BaseClient._make_api_call is before


def test_agilitys_own_bedrock_calls_are_one_span(store: Store,
                                                 golden: Callable[..., Path]) -> None:
    with FakeBedrockServer() as server:
        run_system(golden(1), "python:systems_apps:through_agility", name="own", store=store,
                   model="bedrock/anthropic.claude-3-haiku-20240307-v1:0",
                   provider_options={"endpoint_url": server.base_url, "region": "us-east-1"},
                   progress=False)
        assert len(server.requests) == 1
    [result] = store.results(store.require_run("own").id)
    [call] = result.spans
    assert call.model == "bedrock/anthropic.claude-3-haiku-20240307-v1:0"
    assert "sdk" not in call.attributes


def test_invoke_model_calls_are_spans_with_the_services_token_counts(
        store: Store, golden: Callable[..., Path]) -> None:
    with FakeBedrockServer(ttft_ms=40) as server:
        summary = run_system(golden(2), {"python": "systems_apps:bedrock_invoke",
                                         "options": {"endpoint_url": server.base_url,
                                                     "stream": True}},
                             name="invoke", store=store, progress=False)
        assert len(server.requests) == 4
    assert summary.n_errors == 0
    price = (0.25, 1.25)  # us-east-1 on-demand, USD per 1M tokens
    for result in store.results(store.require_run("invoke").id):
        whole, streamed = result.spans
        for call in (whole, streamed):
            assert call.kind == "llm"
            assert call.model == "bedrock/anthropic.claude-3-haiku-20240307-v1:0"
            assert call.attributes["sdk"] == "boto3" and call.error is None
        # InvokeModel: the body is left for the caller; tokens from the service's headers
        assert whole.ttft_ms is None
        assert (whole.input_tokens, whole.output_tokens) == (2, 2)  # "answer ex-00N" echoed
        assert whole.cost_usd == pytest.approx((2 * price[0] + 2 * price[1]) / 1e6)
        # the response stream: TTFT at the first text chunk, tokens from invocation metrics
        assert streamed.ttft_ms is not None and streamed.ttft_ms >= 40
        assert (streamed.input_tokens, streamed.output_tokens) == (3, 3)
        assert streamed.start_ms >= whole.start_ms + (whole.duration_ms or 0)
        assert result.cost_usd == pytest.approx(whole.cost_usd + streamed.cost_usd)
        assert result.output == f"again answer {result.example_id}"


def test_a_failed_invoke_model_call_is_a_failed_span(store: Store,
                                                     golden: Callable[..., Path]) -> None:
    with FakeBedrockServer(faults=[Fault.server_error(400)]) as server:
        run_system(golden(1), {"python": "systems_apps:bedrock_invoke",
                               "options": {"endpoint_url": server.base_url}},
                   name="invoke-fails", store=store, progress=False)
    [result] = store.results(store.require_run("invoke-fails").id)
    assert result.error is not None and "ValidationException" in result.error
    [call] = result.spans
    assert call.model == "bedrock/anthropic.claude-3-haiku-20240307-v1:0"
    assert call.error is not None and "ValidationException" in call.error


def test_a_throttled_invoke_model_call_boto3_retries_is_one_span(
        store: Store, golden: Callable[..., Path]) -> None:
    with FakeBedrockServer(faults=[Fault.rate_limit(retry_after_s=0)]) as server:
        run_system(golden(1), {"python": "systems_apps:bedrock_invoke",
                               "options": {"endpoint_url": server.base_url}},
                   name="invoke-retried", store=store, progress=False)
        assert len(server.requests) == 2  # botocore's own retry
    [result] = store.results(store.require_run("invoke-retried").id)
    [call] = result.spans  # the call the system made, its retry inside it
    assert call.error is None and (call.input_tokens, call.output_tokens) == (2, 2)
