"""Where each provider says it runs, and the residency check on it (no call made)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agility.errors import PolicyViolation
from agility.governance._policy import ResidencyPolicy
from agility.governance._residency import check_residency, declared_regions
from agility.providers import get_provider


def _policy(*allowed: str) -> ResidencyPolicy:
    return ResidencyPolicy(allowed=list(allowed))


def test_bedrock_reports_its_region_and_profiles_their_geography() -> None:
    regional = get_provider("bedrock/anthropic.claude-3-5-haiku-20241022-v1:0",
                            region="eu-central-1")
    assert check_residency(regional, _policy("eu-central-1"), role="target").regions == \
        ("eu-central-1",)
    profile = get_provider("bedrock/eu.anthropic.claude-3-5-haiku-20241022-v1:0",
                           region="eu-central-1")
    with pytest.raises(PolicyViolation, match=r"eu-\* \(a cross-region inference profile"):
        check_residency(profile, _policy("eu-central-1", "eu-west-1"), role="target")
    assert check_residency(profile, _policy("eu-*"), role="target").regions == ("eu-*",)
    world = get_provider("bedrock/global.anthropic.claude-sonnet-4-v1:0", region="eu-west-1")
    with pytest.raises(PolicyViolation):
        check_residency(world, _policy("eu-*"), role="target")


def test_hosted_apis_are_unknown_until_the_user_declares_the_host() -> None:
    openai = get_provider("openai/gpt-4o-mini")
    with pytest.raises(PolicyViolation, match="AGILITY_PROVIDER_REGIONS=api.openai.com="):
        check_residency(openai, _policy("eu-west-1"), role="source", declared={})
    declared = declared_regions("api.openai.com=us-east-1|us-west-2, x.openai.azure.com=swedencentral")
    with pytest.raises(PolicyViolation, match="us-east-1, us-west-2"):
        check_residency(openai, _policy("eu-west-1"), role="source", declared=declared)
    azure = get_provider("openai/gpt-4o", base_url="https://x.openai.azure.com/openai",
                         azure_api_version="2024-06-01")
    assert check_residency(azure, _policy("swedencentral"), role="source",
                           declared=declared).regions == ("swedencentral",)


def test_local_models_run_here() -> None:
    for spec in ("mock/echo", "llamacpp/gemma3-270m"):
        assert check_residency(get_provider(spec), _policy("local"), role="target").regions == \
            ("local",)


def test_a_plan_naming_a_bad_region_is_an_error_naming_the_line(tmp_path) -> None:
    from agility.errors import ConfigError
    from agility.migrate import parse_plan

    text = ("name: p\ndataset: {path: g.jsonl}\nsource: {name: a, model: mock/a}\n"
            "target: {name: b, model: mock/b}\nresidency:\n  allowed: [eu-central-1, 'mars 1']\n")
    with pytest.raises(ConfigError, match=r"plan.yaml:\d+: residency.allowed: 'mars 1' is not"):
        parse_plan(text, "plan.yaml", base=tmp_path)


def test_importing_governance_loads_no_heavy_library() -> None:
    # audit verify, store purge and signoff need neither Presidio nor the statistics stack
    code = ("import sys, agility.governance; print(sorted({m.split('.')[0] for m in sys.modules}"
            " & {'presidio_analyzer', 'presidio_anonymizer', 'spacy', 'scipy', 'numpy', "
            "'torch'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
