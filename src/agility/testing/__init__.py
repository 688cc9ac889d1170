"""Test doubles that ship with agility: local servers speaking the providers' wire formats.

Tests and benchmarks point the real clients (httpx, the ``anthropic`` SDK, boto3) at these
servers on 127.0.0.1 instead of patching agility's own code.
"""

from agility.testing.fake_anthropic import FakeAnthropicServer
from agility.testing.fake_bedrock import FakeBedrockServer
from agility.testing.fake_openai import FakeOpenAIServer, Fault

__all__ = ["FakeAnthropicServer", "FakeBedrockServer", "FakeOpenAIServer", "Fault"]
