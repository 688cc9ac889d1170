"""The price table, overrides and the cost formula."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from agility.errors import ConfigError, UsageError
from agility.pricing import Price, cost_usd, load_price_table, resolve_price


def test_builtin_table_has_a_version_and_common_models():
    table = load_price_table()
    assert table.version
    for provider, model, region in (("openai", "gpt-4o-mini", None),
                                    ("anthropic", "claude-sonnet-4-5", None),
                                    ("bedrock", "amazon.nova-pro-v1:0", "us-east-1")):
        price = table.lookup(provider, model, region)
        assert price is not None and price.input > 0 and price.output > price.input


def test_region_specific_price_applies_only_in_its_region():
    table = load_price_table()
    assert table.lookup("bedrock", "amazon.nova-pro-v1:0", "us-east-1") is not None
    assert table.lookup("bedrock", "amazon.nova-pro-v1:0", "eu-west-3") is None


def test_cost_formula_uses_per_million_prices_cached_input_and_extras():
    price = Price(input=3.0, output=15.0, cached_input=0.3)
    assert cost_usd(price, 1000, 200) == pytest.approx(1000 * 3e-6 + 200 * 15e-6)
    assert cost_usd(price, 1000, 200, cached_input_tokens=400, extra_usd=0.002) == pytest.approx(
        600 * 3e-6 + 400 * 0.3e-6 + 200 * 15e-6 + 0.002)


def test_unknown_tokens_or_price_give_no_cost_not_zero():
    assert cost_usd(None, 10, 10) is None
    assert cost_usd(Price(input=1, output=1), None, 10) is None


def test_local_models_cost_zero_unless_priced():
    table = load_price_table()
    assert resolve_price(table, "llamacpp", "gemma3-270m").input == 0.0
    priced = resolve_price(table, "llamacpp", "gemma3-270m", price_input=0.1, price_output=0.2)
    assert (priced.input, priced.output, priced.source) == (0.1, 0.2, "user override")


def test_unpriced_model_warns_and_gives_none(caplog):
    with caplog.at_level(logging.WARNING):
        assert resolve_price(load_price_table(), "openai", "my-finetune") is None
    assert "no price for openai/my-finetune" in caplog.text
    assert "price_input and price_output" in caplog.text and "price file" in caplog.text


def test_half_an_override_needs_a_listed_model():
    table = load_price_table()
    assert resolve_price(table, "openai", "gpt-4o", price_output=1.0).input == 2.5
    with pytest.raises(UsageError, match="price_input and price_output"):
        resolve_price(table, "openai", "my-finetune", price_input=1.0)


def test_user_price_file_overrides_the_builtin_table(tmp_path):
    path = tmp_path / "prices.yaml"
    path.write_text("version: mine-1\nprices:\n"
                    "  - {provider: openai, model: gpt-4o, input: 1.0, output: 2.0}\n")
    table = load_price_table().merged(load_price_table(path))
    assert table.lookup("openai", "gpt-4o").input == 1.0
    assert "mine-1" in table.version


def test_invalid_price_file_names_the_field(tmp_path):
    path = tmp_path / "prices.yaml"
    path.write_text("version: x\nprices:\n  - {provider: openai, model: m, input: -1, output: 2}\n")
    with pytest.raises(ConfigError, match=r"prices\.0\.input"):
        load_price_table(path)


def test_a_bad_price_entry_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("version: x\nprices:\n  - {provider: openai, model: m, input: -1, output: 2}\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"prices.yaml:3: prices.0.input: Input should be"):
        load_price_table(path)
