"""Provider options are typed and strict: a typo is an error naming the option, never a default."""

from __future__ import annotations

from pathlib import Path

import pytest

from agility.errors import ConfigError, OptionsError
from agility.migrate import load_plan
from agility.providers import MockProvider, OpenAIOptions, OpenAIProvider, get_provider


def test_a_typo_in_an_option_names_the_option_and_the_allowed_ones() -> None:
    with pytest.raises(OptionsError) as raised:
        get_provider("openai/gpt-4o-mini", base_ulr="http://127.0.0.1:9/v1")
    error = raised.value
    assert error.owner == "provider openai"
    assert [p.option for p in error.problems] == ["base_ulr"]
    assert "base_url" in error.problems[0].allowed
    assert isinstance(error, ConfigError)  # a user's mistake: exit status 2


def test_a_wrong_value_is_refused_with_the_option_named() -> None:
    with pytest.raises(OptionsError) as raised:
        get_provider("mock/echo", fail_with="meteor", ttft_ms=-1)
    assert sorted(p.option for p in raised.value.problems) == ["fail_with", "ttft_ms"]


def test_options_are_a_model_and_record_only_what_was_given() -> None:
    provider = get_provider("openai/m", OpenAIOptions(base_url="http://h/v1", timeout_s=5))
    assert isinstance(provider, OpenAIProvider) and provider.base_url == "http://h/v1"
    assert provider.public_options() == {"base_url": "http://h/v1", "timeout_s": 5.0}
    mock = MockProvider("fixed", {"output": "x"}, ttft_ms=1)
    assert (mock.output, mock.ttft_ms) == ("x", 1.0)


def test_credential_like_options_are_never_recorded() -> None:
    provider = get_provider("openai/m", api_key_env="MY_KEY", headers={"x-api-key": "s3cret"})
    recorded = provider.public_options()
    assert "api_key_env" not in recorded and recorded["headers"] == {"x-api-key": "***"}


def test_a_plan_with_a_typo_in_provider_options_fails_at_load_with_file_and_line(
        tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    (tmp_path / "golden.jsonl").write_text("", encoding="utf-8")
    plan.write_text(
        "name: p\ndataset: {path: golden.jsonl}\n"
        "source: {name: a, model: mock/echo}\n"
        "target:\n  name: b\n  model: openai/gpt-4o-mini\n"
        "  provider_options: {base_ulr: 'http://127.0.0.1:9/v1'}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_plan(plan)
    text = str(raised.value)
    assert "plan.yaml:" in text and "base_ulr" in text and "unknown option" in text
