"""The public surface of agility.providers and agility.testing is what __all__ says."""

from __future__ import annotations

import subprocess
import sys

import agility.providers
import agility.testing
import agility.testing.fake_openai


def test_all_names_exist_and_public_names_are_all_listed() -> None:
    for module in (agility.providers, agility.testing):
        assert all(hasattr(module, name) for name in module.__all__)
        public = {n for n, v in vars(module).items() if not n.startswith("_")
                  and n[0].isupper() and getattr(v, "__module__", "").startswith("agility")}
        assert public <= set(module.__all__), public - set(module.__all__)
    assert agility.testing.Fault is agility.testing.fake_openai.Fault


def test_importing_providers_imports_no_provider_sdk() -> None:
    code = ("import sys, agility.providers; "
            "print(sorted(m for m in ('anthropic', 'boto3', 'llama_cpp') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
