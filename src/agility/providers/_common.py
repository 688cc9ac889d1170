"""Helpers the provider adapters share: error classification, Retry-After, token estimates."""

from __future__ import annotations

import email.utils
import math
import os
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from agility.chat import ChatRequest
from agility.errors import (
    ContextOverflowError,
    ProviderAuthError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    _scrub_encoded,
)

__all__ = [
    "HeaderCredentials",
    "error_for_status",
    "estimate_input_tokens",
    "estimate_tokens",
    "hide",
    "is_context_overflow",
    "is_sensitive_header",
    "parse_retry_after",
    "provider_extra",
    "read_api_key",
    "redact_headers",
]

#: average characters per token of English text for the usual BPE tokenizers
CHARS_PER_TOKEN = 4.0


def estimate_tokens(text: str) -> int:
    """A tokenizer-free token estimate for ``text`` (about 4 characters a token)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def estimate_input_tokens(request: ChatRequest) -> int:
    """Estimated prompt tokens: the messages' text plus a few tokens of framing each."""
    return sum(estimate_tokens(m.content) + 4 for m in request.messages)


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``Retry-After`` (seconds or HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


def error_for_status(status: int, message: str, *, provider: str, model: str,
                     request_id: str | None = None, retry_after_s: float | None = None,
                     key_env: str | None = None, code: str | None = None) -> ProviderError:
    """The agility error for an HTTP error status from a provider.

    401/403 are auth failures (never retried), 429 a rate limit (unless the quota is gone),
    408 a timeout, 5xx and 529 (overloaded) retryable, any other 4xx not retryable.
    """
    common: dict[str, Any] = {"provider": provider, "model": model, "status": status,
                              "request_id": request_id}
    if status in (401, 403):
        hint = f" Check the key in ${key_env}." if key_env else " Check your credentials."
        return ProviderAuthError(f"authentication failed: {message}.{hint}", **common)
    if status == 429:
        if code == "insufficient_quota":
            return ProviderError(f"quota exhausted: {message}", **common)
        return RateLimitError(f"rate limited: {message}", retry_after_s=retry_after_s, **common)
    if status == 408:
        return ProviderTimeout(f"request timed out: {message}", **common)
    if status in (400, 413) and is_context_overflow(message, code):
        return ContextOverflowError(
            f"the prompt does not fit the model's context window: {message}. Shorten the "
            f"prompt or lower max_tokens, or serve the model with a larger context (the "
            f"llama.cpp server's --n_ctx)", **common)
    error = ProviderError(f"provider error: {message}", **common)
    error.retryable = status >= 500 or status == 529
    return error


_OVERFLOW = re.compile(r"(?i)context (?:length|window)|maximum context|too many tokens|"
                       r"prompt is too long|input is too long")


def is_context_overflow(message: str, code: str | None = None) -> bool:
    """Whether a provider's error says the prompt exceeds the context window (OpenAI and the
    servers that copy it: code ``context_length_exceeded``; Anthropic: "prompt is too long")."""
    return code == "context_length_exceeded" or bool(_OVERFLOW.search(message))


def read_api_key(env_name: str | None) -> str | None:
    """The API key in environment variable ``env_name`` (read at call time, never stored)."""
    if not env_name:
        return None
    return os.environ.get(env_name) or None


def _encoded_forms(secret: str) -> list[str]:
    """How a server may echo ``secret``: URL-encoded, or inside base64 at any alignment."""
    import base64
    from urllib.parse import quote, quote_plus

    forms = {quote(secret, safe=""), quote_plus(secret), quote(secret)}
    raw = secret.encode("utf-8")
    for shift in range(3):
        # the base64 characters that depend only on the secret, wherever it sits in a blob
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * shift + raw).decode("ascii").rstrip("=")
            start = -(-shift * 4 // 3)  # characters touched by the prefix
            end = len(encoded) - (1 if (shift + len(raw)) % 3 else 0)
            if end - start >= 6:
                forms.add(encoded[start:end])
    return sorted((f for f in forms if f != secret and len(f) >= 4), key=len, reverse=True)


def hide(text: str, *secrets: str | None) -> str:
    """``text`` with each given secret value replaced by ``***`` (before any logging/raising).

    Encoded forms of each secret are replaced too: URL-encoded (in any letter case) and
    base64-encoded, alone or inside a longer base64 blob (a Basic auth header echoed back).
    """
    import re

    def holder(secret: str) -> Callable[[str], bool]:
        return lambda decoded: secret in decoded

    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
            # whole encoded runs that decode to something holding the secret
            text = _scrub_encoded(text, holder(secret))
            # and what is left: the secret's own encodings inside runs that do not decode
            for form in _encoded_forms(secret):
                flags = re.IGNORECASE if "%" in form else 0
                text = re.sub(re.escape(form), "***", text, flags=flags)
    return text


def provider_extra(extra: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The entries of a GenerationConfig ``extra`` meant for one provider, prefix removed."""
    tag = f"{prefix}_"
    return {k[len(tag):]: v for k, v in extra.items() if k.startswith(tag)}


_SENSITIVE_HEADER_WORDS = ("auth", "key", "secret", "token", "cookie", "signature", "password")


def is_sensitive_header(name: str) -> bool:
    """Whether a header's value may be a credential (``Authorization``, ``api-key``, ...)."""
    lowered = name.lower()
    return any(word in lowered for word in _SENSITIVE_HEADER_WORDS)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` with the value of every credential-like header replaced by ``***``."""
    return {k: ("***" if is_sensitive_header(k) else v) for k, v in headers.items()}


class HeaderCredentials:
    """Mixin for HTTP providers with user-set ``headers``: keeps the key and credential-like
    header values out of error messages and of the options recorded with a run.

    Put it before :class:`~agility.providers.Provider` in the bases.
    """

    headers: dict[str, str]

    def _secrets(self, api_key: str | None) -> list[str | None]:
        """Values to blank out of any message: the key and credential-like header values."""
        return [api_key, *(v for k, v in self.headers.items() if is_sensitive_header(k))]

    def public_options(self) -> dict[str, Any]:
        """Options worth recording with a run, credential-like header values blanked."""
        options: dict[str, Any] = super().public_options()  # type: ignore[misc]
        if "headers" in options:
            options["headers"] = redact_headers(options["headers"] or {})
        return options
