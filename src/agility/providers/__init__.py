"""Model providers: one module per provider behind :class:`Provider`, found through a registry.

``get_provider("openai/gpt-4o-mini", base_url=...)`` builds one; third-party packages add
providers through the ``agility.providers`` entry-point group or :func:`register_provider`.
Importing this package does not import any provider SDK: each is imported when first used.
"""

from agility.providers._base import (
    Location,
    Provider,
    ProviderOptions,
    Stopwatch,
    available_providers,
    get_provider,
    parse_model_spec,
    provider_class,
    register_provider,
)
from agility.providers._routing import RoutingPolicy, routing_problems
from agility.providers.anthropic import AnthropicOptions, AnthropicProvider
from agility.providers.bedrock import BedrockOptions, BedrockProvider
from agility.providers.llamacpp import (
    PACKAGED_MODEL,
    LlamaCppOptions,
    LlamaCppProvider,
    packaged_model_path,
    server_command,
)
from agility.providers.mock import MockOptions, MockProvider
from agility.providers.openai import OpenAIOptions, OpenAIProvider
from agility.providers.replay import (
    RecordedAnswer,
    ReplayOptions,
    ReplayProvider,
    load_recorded_answers,
)

__all__ = [
    "PACKAGED_MODEL",
    "AnthropicOptions",
    "AnthropicProvider",
    "BedrockOptions",
    "BedrockProvider",
    "LlamaCppOptions",
    "LlamaCppProvider",
    "Location",
    "MockOptions",
    "MockProvider",
    "OpenAIOptions",
    "OpenAIProvider",
    "Provider",
    "ProviderOptions",
    "RecordedAnswer",
    "ReplayOptions",
    "ReplayProvider",
    "RoutingPolicy",
    "Stopwatch",
    "available_providers",
    "get_provider",
    "load_recorded_answers",
    "packaged_model_path",
    "parse_model_spec",
    "provider_class",
    "register_provider",
    "routing_problems",
    "server_command",
]
