"""The optional response cache (off by default), kept in the store's ``response_cache`` table."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from agility.chat import ChatRequest, Completion
from agility.providers import Provider
from agility.store import Store

__all__ = ["cache_get", "cache_key", "cache_put"]


def cache_key(provider: Provider, request: ChatRequest, repeat_index: int = 0) -> str:
    """sha256 of provider, model, public options, config, messages and repeat index.

    The repeat index is part of the key so that ``--repeat K`` still makes K real calls.
    """
    payload: dict[str, Any] = {
        "provider": provider.name,
        "model": provider.model,
        "options": provider.public_options(),
        "config": request.config.model_dump(mode="json"),
        "messages": [m.model_dump() for m in request.messages],
        "repeat": repeat_index,
    }
    if request.tools:  # only then: the keys of requests without tools stay what they were
        payload["tools"] = [t.model_dump(mode="json") for t in request.tools]
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_get(store: Store, key: str) -> Completion | None:
    """The cached completion for ``key``, or None."""
    data = store.cache_get(key)
    return None if data is None else Completion.model_validate(data)


def cache_put(store: Store, key: str, completion: Completion) -> None:
    """Remember a successful completion under ``key``."""
    store.cache_put(key, completion.model_dump(mode="json"))
