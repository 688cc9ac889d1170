"""Model providers: one module per provider behind :class:`Provider`, found through a registry."""

from agility.providers._base import (
    Provider,
    Stopwatch,
    available_providers,
    get_provider,
    parse_model_spec,
    register_provider,
)

__all__ = [
    "Provider",
    "Stopwatch",
    "available_providers",
    "get_provider",
    "parse_model_spec",
    "register_provider",
]
