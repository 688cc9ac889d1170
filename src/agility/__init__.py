"""agility: move an LLM application from one model to another without breaking production."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("agility")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

from agility.chat import ChatRequest, Completion, GenerationConfig, Message
from agility.errors import (
    AgilityError,
    ConfigError,
    DatasetError,
    FrozenDatasetChanged,
    HoldoutAccessError,
    MissingExtraError,
    ProviderError,
    StoreError,
    UsageError,
)
from agility.store import Store

__all__ = [
    "AgilityError",
    "ChatRequest",
    "Completion",
    "ConfigError",
    "DatasetError",
    "FrozenDatasetChanged",
    "GenerationConfig",
    "HoldoutAccessError",
    "Message",
    "MissingExtraError",
    "ProviderError",
    "Store",
    "StoreError",
    "UsageError",
    "__version__",
]
