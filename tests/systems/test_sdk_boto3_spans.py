"""Bedrock ConverseStream calls through boto3 inside a system are recorded as spans while the
run instruments botocore: model, region's price, TTFT, tokens of the metadata event, errors; a
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
