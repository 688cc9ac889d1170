"""Test doubles that ship with agility: local servers speaking the providers' wire formats,
and a real one (llama.cpp's OpenAI-compatible server with the packaged model).

Tests and benchmarks point the real clients (aiohttp in `openai/`, the ``anthropic`` SDK, boto3) at these
servers on 127.0.0.1 instead of patching agility's own code; web apps run under uvicorn
(``UvicornServer``). The names are loaded on first
access, so ``python -m agility.testing.fake_openai`` runs the module only once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agility.testing._postgres import PostgresServer
    from agility.testing._uvicorn import UvicornServer
    from agility.testing.fake_anthropic import FakeAnthropicServer
    from agility.testing.fake_bedrock import FakeBedrockServer
    from agility.testing.fake_openai import FakeOpenAIServer, Fault
    from agility.testing.llama_server import LlamaServerError, llama_cpp_server

__all__ = ["FakeAnthropicServer", "FakeBedrockServer", "FakeOpenAIServer", "Fault",
           "LlamaServerError", "PostgresServer", "UvicornServer", "llama_cpp_server"]

_HOMES = {"FakeAnthropicServer": "fake_anthropic", "FakeBedrockServer": "fake_bedrock",
          "FakeOpenAIServer": "fake_openai", "Fault": "fake_openai",
          "LlamaServerError": "llama_server", "PostgresServer": "_postgres",
          "UvicornServer": "_uvicorn", "llama_cpp_server": "llama_server"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"agility.testing.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'agility.testing' has no attribute {name!r}")
