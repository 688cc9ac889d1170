"""The exceptions agility raises.

One hierarchy; the user's mistakes are kept apart from provider and runtime failures::

    AgilityError                      base of everything agility raises on purpose
    ├── UsageError                    the user asked for something that cannot be done as asked
    │   ├── ConfigError               a config/plan/criteria file is invalid (names file and field)
    │   ├── DatasetError              a dataset file has problems (carries every Problem found)
    │   │   └── FrozenDatasetChanged  a frozen dataset no longer matches its manifest
    │   ├── HoldoutAccessError        code asked for holdout rows without saying so explicitly
    │   └── MissingExtraError         an optional dependency is not installed (names the extra)
    ├── StoreError                    the SQLite store cannot be opened, migrated or written
    └── ProviderError                 a model provider failed (status, provider, model, request id)
        ├── ProviderAuthError         bad or missing credentials: never retried
        ├── RateLimitError            429 / throttling: retried, honouring retry_after_s
        ├── ProviderTimeout           no (complete) answer in time: retried
        └── StreamError               the stream broke or sent something unreadable: retried whole

Messages say what is wrong, where, and what to do. They never contain API keys: provider
errors are built from status codes and the provider's error text, which we scrub with
:func:`scrub_secrets` before raising.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "AgilityError",
    "ConfigError",
    "DatasetError",
    "FrozenDatasetChanged",
    "HoldoutAccessError",
    "MissingExtraError",
    "Problem",
    "ProviderAuthError",
    "ProviderError",
    "ProviderTimeout",
    "RateLimitError",
    "StoreError",
    "StreamError",
    "UsageError",
    "scrub_secrets",
]


class AgilityError(Exception):
    """Base class of every error agility raises on purpose."""

    #: process exit status the CLI uses for this error
    exit_code: int = 1


class UsageError(AgilityError):
    """The user asked for something that cannot be done as asked."""

    exit_code = 2


class ConfigError(UsageError):
    """A configuration, plan or criteria file is invalid."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file, located as precisely as we can."""

    path: str
    line: int | None
    field: str | None
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        field = self.field or "-"
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {field}: {prefix}{self.message}"


class DatasetError(UsageError):
    """A dataset file has problems; ``problems`` lists every one of them."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        self.problems = list(problems or [])
        if self.problems:
            shown = "\n".join(str(p) for p in self.problems[:50])
            more = len(self.problems) - 50
            if more > 0:
                shown += f"\n... and {more} more"
            message = f"{message}\n{shown}"
        super().__init__(message)


class FrozenDatasetChanged(DatasetError):
    """A frozen dataset no longer matches its manifest."""

    def __init__(
        self,
        path: str,
        added: list[str],
        removed: list[str],
        edited: list[str],
    ) -> None:
        self.path, self.added, self.removed, self.edited = path, added, removed, edited
        parts = []
        for label, ids in (("added", added), ("removed", removed), ("edited", edited)):
            if ids:
                parts.append(f"{label}: {', '.join(ids[:20])}" + (" ..." if len(ids) > 20 else ""))
        detail = "; ".join(parts) or "the file's content hash differs"
        super().__init__(
            f"{path} has changed since it was frozen ({detail}). Restore the frozen file, or "
            f"re-freeze it with `agility dataset freeze {path}` and start the comparison again."
        )


class HoldoutAccessError(UsageError):
    """Code asked for holdout rows without saying so explicitly."""


class MissingExtraError(UsageError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        self.package, self.extra = package, extra
        super().__init__(
            f"{purpose} needs the Python package '{package}', which is not installed. "
            f"Install it with: pip install 'agility[{extra}]'"
        )


class StoreError(AgilityError):
    """The SQLite store cannot be opened, migrated or written."""


class ProviderError(AgilityError):
    """A model provider failed. Carries what a user needs to look the failure up."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        self.provider, self.model, self.status = provider, model, status
        self.request_id, self.retry_after_s = request_id, retry_after_s
        bits = [b for b in (
            f"{provider}/{model}" if provider else None,
            f"status {status}" if status is not None else None,
            f"request {request_id}" if request_id else None,
        ) if b]
        text = scrub_secrets(message)
        super().__init__(f"{text} ({', '.join(bits)})" if bits else text)


class ProviderAuthError(ProviderError):
    """Credentials are missing or rejected. Never retried."""


class RateLimitError(ProviderError):
    """The provider throttled us (HTTP 429 or equivalent)."""

    retryable = True


class ProviderTimeout(ProviderError):
    """No complete answer arrived in time."""

    retryable = True


class StreamError(ProviderError):
    """The stream broke midway or sent something unreadable; the call is retried whole."""

    retryable = True


_SECRET_PATTERNS = [
    re.compile(r"sk-[A-Za-z0-9_\-]{8,}"),  # OpenAI / Anthropic style keys
    re.compile(r"(?i)(api[_-]?key|authorization|x-api-key|bearer)([\"'=: ]+)[^\s\"',}]+"),
    re.compile(r"AKIA[0-9A-Z]{16}"),  # AWS access key ids
]


def scrub_secrets(text: str) -> str:
    """Replace anything that looks like a credential in ``text`` with ``***``."""
    for pattern in _SECRET_PATTERNS:
        if pattern.groups >= 2:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
        else:
            text = pattern.sub("***", text)
    return text
