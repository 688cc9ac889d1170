"""Cached, cache-write and reasoning tokens as each provider's wire reports them, priced at their
rates: the real adapters (httpx, the Anthropic SDK, boto3) against the fake servers.

Expected costs are worked out by hand from what each fake server counts (words of the prompt
and of the answer) and the prices below, independently of the pricing code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agility.chat import ChatRequest, Message
from agility.client import Client
from agility.pricing import Price, cost_usd
from agility.providers import get_provider
from agility.runner import run_model
from agility.store import Store
from agility.testing import FakeAnthropicServer, FakeBedrockServer, FakeOpenAIServer

# USD per 1M tokens: input 2, output 8, cache read 0.5, cache write 2.5
PRICE = Price(input=2.0, output=8.0, cached_input=0.5, cache_write_input=2.5)
# "be brief" (2 words) + "alpha beta gamma delta epsilon" (5): 7 prompt tokens; the echo: 5
REQUEST = ChatRequest(messages=[Message(role="system", content="be brief"),
                                Message(role="user", content="alpha beta gamma delta epsilon")])


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-cache-0123456789")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-cache-0123456789")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAABCDEFGHIJKLMNOP")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-value-never-shown")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/agility-test")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/agility-test")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)


async def _call(provider_spec: str, price: Price | None, **options: Any) -> Any:
    client = Client(get_provider(provider_spec, options), price=price)
    try:
        return await client.call(REQUEST)
    finally:
        await client.aclose()


async def test_openai_cached_tokens_cost_the_cache_rate_and_reasoning_is_counted() -> None:
    with FakeOpenAIServer(cached_tokens=4, reasoning_tokens=2) as server:
        outcome = await _call("openai/m", PRICE, base_url=server.base_url)
    c = outcome.completion
    # OpenAI: prompt_tokens (7) includes the 4 cached; completion_tokens (5) the 2 reasoning
    assert (c.input_tokens, c.cached_input_tokens, c.cache_write_input_tokens) == (7, 4, None)
    assert (c.output_tokens, c.reasoning_tokens) == (5, 2)
    # 3 plain x $2 + 4 cached x $0.5 + 5 output x $8 = $48 per 1M calls
    assert outcome.cost_usd == pytest.approx(48e-6, abs=1e-15)


async def test_anthropic_cache_reads_and_writes_cost_their_rates() -> None:
    pytest.importorskip("anthropic")
    with FakeAnthropicServer(cached_tokens=4, cache_write_tokens=3) as server:
        outcome = await _call("anthropic/m", PRICE, base_url=server.base_url)
    c = outcome.completion
    # Anthropic reports input_tokens (7) apart from cache reads (4) and writes (3)
    assert (c.input_tokens, c.cached_input_tokens, c.cache_write_input_tokens) == (14, 4, 3)
    assert c.reasoning_tokens is None  # not reported: not measured
    # 7 x $2 + 4 x $0.5 + 3 x $2.5 + 5 x $8 = $63.5 per 1M calls
    assert outcome.cost_usd == pytest.approx(63.5e-6, abs=1e-15)


async def test_bedrock_cache_fields_cost_their_rates() -> None:
    pytest.importorskip("boto3")
    with FakeBedrockServer(cached_tokens=4, cache_write_tokens=3) as server:
        outcome = await _call("bedrock/anthropic.m-v1:0", PRICE, endpoint_url=server.base_url,
                              region="us-east-1")
    c = outcome.completion
    # Bedrock reports inputTokens (7) apart from cacheReadInputTokens/cacheWriteInputTokens
    assert (c.input_tokens, c.cached_input_tokens, c.cache_write_input_tokens) == (14, 4, 3)
    assert outcome.cost_usd == pytest.approx(63.5e-6, abs=1e-15)


async def test_nothing_reported_is_not_measured_and_costs_the_plain_rate() -> None:
    with FakeOpenAIServer() as server:
        outcome = await _call("openai/m", PRICE, base_url=server.base_url)
    c = outcome.completion
    assert (c.cached_input_tokens, c.cache_write_input_tokens, c.reasoning_tokens) == (
        None, None, None)
    assert outcome.cost_usd == pytest.approx((7 * 2 + 5 * 8) / 1e6, abs=1e-15)


async def test_cache_writes_without_a_write_price_are_not_priced_at_another_rate() -> None:
    pytest.importorskip("anthropic")
    no_write_price = Price(input=2.0, output=8.0, cached_input=0.5)
    with FakeAnthropicServer(cached_tokens=4, cache_write_tokens=3) as server:
        outcome = await _call("anthropic/m", no_write_price, base_url=server.base_url)
    assert outcome.completion.cache_write_input_tokens == 3
    assert outcome.cost_usd is None
    with FakeAnthropicServer(cached_tokens=4, cache_write_tokens=0) as server:
        outcome = await _call("anthropic/m", no_write_price, base_url=server.base_url)
    assert outcome.cost_usd == pytest.approx((7 * 2 + 4 * 0.5 + 5 * 8) / 1e6, abs=1e-15)


def test_batch_prices_are_used_only_when_the_table_has_them() -> None:
    assert cost_usd(PRICE, 1000, 100, batch=True) is None  # no batch price: not measured
    batch = Price(input=2.0, output=8.0, batch_input=1.0, batch_output=4.0)
    assert cost_usd(batch, 1000, 100, batch=True) == pytest.approx((1000 * 1 + 100 * 4) / 1e6)
    assert cost_usd(batch, 1000, 100) == pytest.approx((1000 * 2 + 100 * 8) / 1e6)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "golden.jsonl"
    rows = [{"id": f"ex-{i}", "source_prompt": f"What was revenue in year {i}?",
             "ground_truth": str(i)} for i in range(3)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def bedrock_server() -> Iterator[FakeBedrockServer]:
    pytest.importorskip("boto3")
    with FakeBedrockServer(cached_tokens=4, cache_write_tokens=3) as server:
        yield server


def test_a_run_through_a_us_profile_stores_cache_tokens_priced_at_the_regional_table_rates(
        dataset: Path, tmp_path: Path, bedrock_server: FakeBedrockServer) -> None:
    model = "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0"
    with Store(tmp_path / "s.db") as store:
        run_model(dataset, model, name="haiku", store=store, progress=False,
                  provider_options={"endpoint_url": bedrock_server.base_url,
                                    "region": "us-east-1"})
        run = store.require_run("haiku")
        results = store.results(run.id)
    # the built-in table's us-east-1 row of the base model: 0.80 / 4.00, cache 0.08 / 1.00
    assert run.prices["priced_as"] == "anthropic.claude-3-5-haiku-20241022-v1:0"
    assert run.prices["region"] == "us-east-1"
    assert len(results) == 3
    for r in results:
        assert (r.cached_input_tokens, r.cache_write_input_tokens) == (4, 3)
        plain = r.input_tokens - 4 - 3
        assert r.cost_usd == pytest.approx(
            (plain * 0.80 + 4 * 0.08 + 3 * 1.00 + r.output_tokens * 4.00) / 1e6, abs=1e-15)
