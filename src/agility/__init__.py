"""agility: move an LLM application from one model to another without breaking production.

The names below are imported on first use (PEP 562), so ``import agility`` (and every
``import agility.x``, which imports this package first) costs nothing it does not need: the
command line starts without pydantic or the store.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# a literal, not importlib.metadata (which costs a third of `agility --version`)
from agility._version import __version__

if TYPE_CHECKING:
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

#: public name -> the module that defines it
_EXPORTS = {
    "ChatRequest": "agility.chat", "Completion": "agility.chat",
    "GenerationConfig": "agility.chat", "Message": "agility.chat",
    "AgilityError": "agility.errors", "ConfigError": "agility.errors",
    "DatasetError": "agility.errors", "FrozenDatasetChanged": "agility.errors",
    "HoldoutAccessError": "agility.errors", "MissingExtraError": "agility.errors",
    "ProviderError": "agility.errors", "StoreError": "agility.errors",
    "UsageError": "agility.errors", "Store": "agility.store",
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agility' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
