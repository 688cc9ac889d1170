"""Prices for the model ids users pass: Bedrock profiles per region, and a clear message when
there is none (library and `agility prices show`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.errors import PriceNotFound
from agility.pricing import find_price, load_price_table, parse_bedrock_model_id, resolve_price
from agility.runner import model_price

_register()
HAIKU = "anthropic.claude-3-5-haiku-20241022-v1:0"


@pytest.fixture
def regional_table(tmp_path: Path):
    """The built-in table with a price file adding two EU regions at a price of their own."""
    path = tmp_path / "eu.yaml"
    path.write_text(
        "version: eu-1\nprices:\n"
        f"  - {{provider: bedrock, model: {HAIKU}, region: [eu-central-1, eu-west-3],\n"
        "     input: 0.90, output: 4.50, cached_input: 0.09, cache_write_input: 1.125}\n",
        encoding="utf-8")
    return load_price_table().merged(load_price_table(path))


def test_profile_ids_parse_into_base_model_prefix_and_arn_region() -> None:
    parsed = parse_bedrock_model_id(f"us.{HAIKU}")
    assert (parsed.kind, parsed.base_model, parsed.profile) == ("inference_profile", HAIKU, "us")
    assert parse_bedrock_model_id(HAIKU).kind == "foundation_model"
    arn = parse_bedrock_model_id(
        f"arn:aws:bedrock:eu-west-3:123456789012:inference-profile/eu.{HAIKU}")
    assert (arn.base_model, arn.profile, arn.arn_region) == (HAIKU, "eu", "eu-west-3")
    app_profile = parse_bedrock_model_id(
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3")
    assert app_profile.kind == "application_profile" and app_profile.base_model is None


def test_a_us_profile_gets_its_base_models_price_in_the_calling_region() -> None:
    match = find_price(load_price_table(), "bedrock", f"us.{HAIKU}", "us-east-1")
    p = match.price
    assert (p.input, p.output, p.cached_input, p.cache_write_input) == (0.80, 4.00, 0.08, 1.00)
    assert match.priced_as == HAIKU and match.region == "us-east-1"
    assert "aws.amazon.com/bedrock/pricing" in p.source
    assert any("cross-region inference profile 'us.'" in note for note in match.notes)


def test_the_same_profile_is_priced_per_region(regional_table) -> None:
    frankfurt = find_price(regional_table, "bedrock", f"eu.{HAIKU}", "eu-central-1").price
    paris = find_price(regional_table, "bedrock", f"eu.{HAIKU}", "eu-west-3").price
    virginia = find_price(regional_table, "bedrock", f"us.{HAIKU}", "us-east-1").price
    assert frankfurt.input == paris.input == 0.90 and virginia.input == 0.80
    arn = f"arn:aws:bedrock:eu-west-3:123456789012:inference-profile/eu.{HAIKU}"
    assert find_price(regional_table, "bedrock", arn, None).price.output == 4.50
    with pytest.raises(PriceNotFound) as info:  # listed in two EU regions, not in Ireland
        find_price(regional_table, "bedrock", f"eu.{HAIKU}", "eu-west-1")
    assert "only in eu-central-1, eu-west-3, us-east-1" in info.value.reason


@pytest.mark.parametrize(("model", "region", "reason"), [
    (f"us.{HAIKU}", "us-west-2", f"prices {HAIKU} only in us-east-1"),
    (f"eu.{HAIKU}", "us-east-1", "'eu.' inference profile is called from eu-central-1"),
    (f"global.{HAIKU}", "us-east-1", "does not map the 'global.' inference profile"),
    (f"us.{HAIKU}", None, "depend on the region the request is made from"),
    ("us.anthropic.claude-unknown-v9:0", "us-east-1", "has no entry for "
                                                      "anthropic.claude-unknown-v9:0"),
    ("arn:aws:bedrock:us-east-1:1:application-inference-profile/x", None,
     "does not say which model it runs"),
])
def test_an_unpriced_bedrock_id_says_why_and_how_to_price_it(model: str, region: str | None,
                                                             reason: str) -> None:
    with pytest.raises(PriceNotFound) as info:
        find_price(load_price_table(), "bedrock", model, region)
    err = info.value
    assert reason in err.reason, err.reason
    assert (err.provider, err.model) == ("bedrock", model)
    message = str(err)
    assert message.startswith(f"no price for bedrock/{model}")
    assert "price_input and price_output" in message and "price file" in message


def test_a_run_of_an_unpriced_profile_warns_and_measures_no_cost(caplog) -> None:
    table = load_price_table()
    assert resolve_price(table, "bedrock", f"us.{HAIKU}", region="us-west-2") is None
    assert f"no price for bedrock/us.{HAIKU} in us-west-2" in caplog.text
    assert "cost is not measured" in caplog.text


def test_model_price_reads_the_region_from_the_provider_options() -> None:
    match = model_price(f"bedrock/us.{HAIKU}", provider_options={"region": "us-east-1"})
    assert match.price.input == 0.80
    user = model_price(f"bedrock/us.{HAIKU}", provider_options={"region": "us-west-2"},
                       price_input=1.0, price_output=5.0, price_cache_write=1.25)
    assert (user.price.input, user.price.cache_write_input, user.price.cached_input) == (
        1.0, 1.25, None)
    assert user.price.source == "user override"


def test_cli_prices_show_prints_the_price_and_where_it_came_from() -> None:
    shown = CliRunner().invoke(app, ["prices", "show", f"bedrock/us.{HAIKU}", "--region",
                                     "us-east-1"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert f"priced as    bedrock/{HAIKU} in us-east-1" in shown.output
    assert "input        $0.80 per 1M tokens" in shown.output
    assert "cache write  $1.00 per 1M tokens" in shown.output
    assert "table 2026-11-30 (https://aws.amazon.com/bedrock/pricing/)" in shown.output
    assert "no provider agility calls runs a batch API" in shown.output


def test_cli_prices_show_of_an_unknown_profile_is_one_clear_line_and_exit_2() -> None:
    shown = CliRunner().invoke(app, ["prices", "show", f"bedrock/eu.{HAIKU}", "--region",
                                     "eu-west-1"], env={"COLUMNS": "300"})
    assert shown.exit_code == 2
    assert f"no price for bedrock/eu.{HAIKU} in eu-west-1" in shown.output
    assert "--price-input and --price-output, or --prices FILE" in shown.output
    assert "Traceback" not in shown.output
