"""The exceptions agility raises.

One hierarchy; the user's mistakes are kept apart from provider and runtime failures::

    AgilityError                      base of everything agility raises on purpose
    ├── UsageError                    the user asked for something that cannot be done as asked
    │   ├── InvalidArgument           an argument is out of range (argument, value, requirement)
    │   ├── UnknownName               no metric/provider/... of that name (kind, name, known)
    │   ├── JudgeRequired             a metric needs a judge model and none was given (metric)
    │   ├── RunExists                 a new run's name is taken (run)
    │   ├── RunNotFound               no run of that name (run, known)
    │   ├── RunSettingsChanged        a resumed run was asked with other settings
    │   │                             (run, field, before, now)
    │   ├── RunInProgress             another live process is writing the run (run, owner,
    │   │                             seconds since its last heartbeat)
    │   ├── PriceNotFound             no price for a model id in a region, and how to give one
    │   │                             (provider, model, region, reason)
    │   ├── ConfigError               a config/plan/criteria file is invalid (names file and field)
    │   │   └── OptionsError          options of a provider or metric are invalid
    │   │                             (owner, problems: each option, message, allowed names)
    │   ├── DatasetError              a dataset file has problems (carries every Problem found)
    │   │   └── FrozenDatasetChanged  a frozen dataset no longer matches its manifest
    │   ├── HoldoutAccessError        code asked for holdout rows without saying so explicitly
    │   ├── PolicyViolation           a governance policy refuses the step (policy, reason)
    │   ├── MissingExtraError         an optional dependency is not installed (names the extra)
    │   └── NameTaken                 a new thing's name is taken (kind, name)
    ├── AuthError                     a request is not authenticated or not allowed
    │   ├── AuthenticationFailed      no valid session, token or secret (HTTP 401)
    │   └── PermissionDenied          authenticated, but not allowed to do this (HTTP 403)
    ├── StoreError                    the SQLite store cannot be opened, migrated or written
    ├── RunStopped                    a run stopped early: every call failed, or the
    │                                 provider refused the credentials (run, reason, summary)
    ├── SystemCallError               a system under test failed on one example: cannot be
    │                                 imported, raised, timed out, answered without the
    │                                 answer, looped past its step limit (system, reason)
    └── ProviderError                 a model provider failed (status, provider, model, request id)
        ├── ProviderAuthError         bad or missing credentials: never retried
        ├── ContextOverflowError      the prompt does not fit the model's context window
        ├── RateLimitError            429 / throttling: retried, honouring retry_after_s
        ├── ProviderTimeout           no (complete) answer in time: retried
        └── StreamError               the stream broke or sent something unreadable: retried whole

Messages say what is wrong, where, and what to do, in the library's terms (argument and option
names, not command-line flags); each error carries its fields so that callers decide on them,
never on the message, and the CLI adds flag hints from those fields. Messages never contain API
keys: provider errors are built from status codes and the provider's error text, which we scrub
with :func:`scrub_secrets` before raising.

Every error exits the CLI with status 2: status 1 is reserved for a FAIL or INCOMPLETE verdict
(or a run that ended with failed calls), so CI can tell an error from a verdict.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AgilityError",
    "AuthError",
    "AuthenticationFailed",
    "ConfigError",
    "ContextOverflowError",
    "DatasetError",
    "FrozenDatasetChanged",
    "HoldoutAccessError",
    "InvalidArgument",
    "JudgeRequired",
    "MissingExtraError",
    "NameTaken",
    "OptionProblem",
    "OptionsError",
    "PermissionDenied",
    "PolicyViolation",
    "PriceNotFound",
    "Problem",
    "ProviderAuthError",
    "ProviderError",
    "ProviderTimeout",
    "RateLimitError",
    "RunExists",
    "RunInProgress",
    "RunNotFound",
    "RunSettingsChanged",
    "RunStopped",
    "StoreError",
    "StreamError",
    "SystemCallError",
    "UnknownName",
    "UnsafeBuildError",
    "UsageError",
    "scrub_secrets",
]


class AgilityError(Exception):
    """Base class of every error agility raises on purpose.

    Args:
        message: what is wrong and what to do, in library terms.
        argument: the library argument the error is about (``concurrency``, ``timeout_s``,
            ``store``...), when there is one: the CLI turns it into a flag hint.
    """

    #: process exit status the CLI uses for this error (1 is kept for verdicts)
    exit_code: int = 2

    def __init__(self, message: str = "", *, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument


class UsageError(AgilityError):
    """The user asked for something that cannot be done as asked."""


class InvalidArgument(UsageError):
    """An argument's value is outside what it accepts.

    Attributes:
        argument: the argument's name (``concurrency``).
        value: the value given.
        requirement: what it must be (``must be at least 1``).
    """

    def __init__(self, argument: str, value: Any, requirement: str) -> None:
        self.value, self.requirement = value, requirement
        super().__init__(f"{argument} {requirement}, got {value!r}", argument=argument)


class UnknownName(UsageError):
    """No registered thing of this kind has this name.

    Attributes:
        kind: ``metric``, ``provider``, ``preset``...
        name: the name asked for.
        known: the names that exist.
    """

    def __init__(self, kind: str, name: str, known: Sequence[str], *,
                 argument: str | None = None) -> None:
        self.kind, self.name, self.known = kind, name, list(known)
        shown = ", ".join(self.known) if self.known else "none"
        super().__init__(f"unknown {kind} '{name}'. Known {kind}s: {shown}", argument=argument)


class JudgeRequired(UsageError):
    """A metric judged by a model was asked for without a judge model."""

    def __init__(self, metric: str) -> None:
        self.metric = metric
        super().__init__(f"metric '{metric}' needs a judge model (provider/model, for example "
                         f"openai/gpt-4o-mini)", argument="judge")


class RunExists(UsageError):
    """A new run was started under a name the store already holds."""

    def __init__(self, run: str, store: str) -> None:
        self.run, self.store = run, store
        super().__init__(f"a run named '{run}' already exists in {store}: resume it, or give "
                         f"the new run another name", argument="name")


class RunNotFound(UsageError):
    """No run of this name is in the store."""

    def __init__(self, run: str, store: str, known: Sequence[str]) -> None:
        self.run, self.store, self.known = run, store, list(known)
        hint = (f" Known runs: {', '.join(self.known[:20])}." if self.known
                else " The store has no runs yet.")
        super().__init__(f"no run named '{run}' in {store}.{hint}")


class RunSettingsChanged(UsageError):
    """A run was resumed with settings other than those it was started with.

    Attributes:
        run: the run's name.
        field: what changed (``dataset hash``, ``model``, ``prompt template hash``,
            ``generation config``).
        before: the stored value.
        now: the value asked for now.
    """

    def __init__(self, run: str, field: str, before: Any, now: Any) -> None:
        self.run, self.field, self.before, self.now = run, field, before, now
        super().__init__(f"cannot resume run '{run}': its {field} was {before!r} and is now "
                         f"{now!r}. Resume it with the same dataset, model, prompt and settings, "
                         f"or start a new run under another name")


class RunInProgress(UsageError):
    """Another live process holds the run's lease: a second writer would pay for every call
    twice.

    Attributes:
        run: the run's name.
        owner: the writer (``host:pid``).
        heartbeat_age_s: seconds since the writer's last heartbeat.
    """

    def __init__(self, run: str, owner: str, heartbeat_age_s: float) -> None:
        self.run, self.owner, self.heartbeat_age_s = run, owner, heartbeat_age_s
        super().__init__(f"run '{run}' is being written by {owner} (last heartbeat "
                         f"{heartbeat_age_s:.0f} s ago): wait for it to finish, or stop it "
                         f"first; a killed writer's lease lapses by itself")


class PriceNotFound(UsageError):
    """The price table holds no price for a model id (in the region it is called from).

    Attributes:
        provider: the provider (``bedrock``).
        model: the model id as given.
        region: the region the price was looked up for (None: none given).
        reason: why no price applies, in a sentence.
    """

    def __init__(self, provider: str, model: str, region: str | None, reason: str, *,
                 example_model: str | None = None) -> None:
        self.provider, self.model, self.region, self.reason = provider, model, region, reason
        where = f" in {region}" if region else ""
        entry = (f"{{provider: {provider}, model: {example_model or model}"
                 + (f", region: {region}" if region else "") + ", input: ..., output: ...}")
        super().__init__(
            f"no price for {provider}/{model}{where}: {reason}. Price it yourself: "
            f"price_input and price_output (USD per 1M tokens; a plan candidate's 'price'), or "
            f"a price file with an entry {entry}.", argument="prices")


class ConfigError(UsageError):
    """A configuration, plan or criteria file is invalid."""


@dataclass(frozen=True)
class OptionProblem:
    """One invalid option: its name (dotted for nested ones), what is wrong, what is allowed."""

    option: str
    message: str
    allowed: tuple[str, ...] = ()

    def __str__(self) -> str:
        allowed = f" (allowed: {', '.join(self.allowed)})" if self.allowed else ""
        return f"{self.option}: {self.message}{allowed}"


class OptionsError(ConfigError):
    """The options given to a provider or a metric are invalid.

    Attributes:
        owner: what the options are for (``provider openai``, ``metric token_f1``).
        problems: every invalid option.
    """

    def __init__(self, owner: str, problems: Sequence[OptionProblem], *,
                 where: str | None = None) -> None:
        self.owner, self.problems, self.where = owner, list(problems), where
        head = f"{where}: " if where else ""
        super().__init__(f"{head}invalid options for {owner}: "
                         + "; ".join(str(p) for p in self.problems))


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


class PolicyViolation(UsageError):
    """A governance policy of the plan (residency, sign-off, ...) refuses what was asked.

    Attributes:
        policy: the plan section (``residency``, ``signoff``, ...).
        reason: why, in a sentence.
    """

    def __init__(self, policy: str, reason: str) -> None:
        self.policy, self.reason = policy, reason
        super().__init__(f"{policy}: {reason}")


class MissingExtraError(UsageError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        self.package, self.extra = package, extra
        super().__init__(
            f"{purpose} needs the Python package '{package}', which is not installed. "
            f"Install it with: pip install 'agility[{extra}]'"
        )


class NameTaken(UsageError):
    """A new thing was to be created under a name the store already holds.

    Attributes:
        kind: ``account``, ``review queue``...
        name: the name asked for.
    """

    def __init__(self, kind: str, name: str) -> None:
        self.kind, self.name = kind, name
        super().__init__(f"a {kind} named '{name}' already exists: pick another name",
                         argument="name")


class AuthError(AgilityError):
    """A request is not authenticated, or not allowed to do what it asked."""


class AuthenticationFailed(AuthError):
    """No valid session, bearer token or secret came with the request.

    The message never says which part was wrong (unknown name or bad secret), so it cannot
    be used to find out which accounts exist.
    """

    def __init__(self, message: str = "authentication required: log in, or send "
                                      "'Authorization: Bearer TOKEN'") -> None:
        super().__init__(message)


class PermissionDenied(AuthError):
    """The account is authenticated but its role or assignments do not allow the action.

    Attributes:
        account: the account's name.
        action: what it tried (``resolve flags``, ``read queue q1``).
    """

    def __init__(self, account: str, action: str) -> None:
        self.account, self.action = account, action
        super().__init__(f"account '{account}' may not {action}")


class UnsafeBuildError(UsageError):
    """The installed llama-cpp-python was built with CPU features known to crash it here.

    A segmentation fault cannot be caught, so agility refuses to load a model with such a build
    and says how to rebuild instead of letting the process die mid-run.
    """

    def __init__(self, package: str, version: str, features: list[str]) -> None:
        self.package, self.version, self.features = package, version, features
        super().__init__(
            f"{package} {version} was built with {', '.join(features)}, which crashes "
            f"(segmentation fault) when it generates. Rebuild it for generic x86-64: "
            f"CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" pip install --no-cache-dir --force-reinstall "
            f"--no-deps {package}=={version}")


class StoreError(AgilityError):
    """The store (SQLite or PostgreSQL) cannot be opened, migrated or written.

    Attributes:
        path: the store's file or URL.
        unreachable: the store's server could not be reached (a PostgreSQL restart or
            failover that outlasted the wait): writing the same thing again later may work.
    """

    def __init__(self, message: str, *, path: str | None = None,
                 unreachable: bool = False) -> None:
        self.path = path
        self.unreachable = unreachable
        super().__init__(message, argument="store")


class RunStopped(AgilityError):
    """A run stopped before its end because going on would only fail or waste money.

    Attributes:
        run: the run's name.
        reason: why, in a sentence.
        summary: what the run did before it stopped (a ``RunSummary``).
        cause: the error that stopped it, if one did.
    """

    def __init__(self, run: str, reason: str, summary: Any = None,
                 cause: BaseException | None = None) -> None:
        self.run, self.reason, self.summary, self.cause = run, reason, summary, cause
        super().__init__(f"run '{run}' stopped: {reason}. What was done is stored: fix the "
                         f"cause, then resume the run")


class SystemCallError(AgilityError):
    """A system under test (``python:``, ``http:``, ``langgraph:``) failed on one example.

    Recorded with the example's result (the run goes on and the failure counts against the
    system), never raised out of a run.

    Attributes:
        system: the system's spec (``python:app.rag:answer``).
        reason: what went wrong, in a sentence.
    """

    def __init__(self, system: str, reason: str) -> None:
        self.system, self.reason = system, scrub_secrets(reason)
        super().__init__(f"{system}: {self.reason}")


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
        retryable: bool | None = None,
    ) -> None:
        self.provider, self.model, self.status = provider, model, status
        self.request_id, self.retry_after_s = request_id, retry_after_s
        if retryable is not None:
            self.retryable = retryable
        bits = [b for b in (
            f"{provider}/{model}" if provider else None,
            f"status {status}" if status is not None else None,
            f"request {request_id}" if request_id else None,
        ) if b]
        #: the scrubbed message without the provider/status/request suffix (to group failures)
        self.detail = scrub_secrets(message)
        super().__init__(f"{self.detail} ({', '.join(bits)})" if bits else self.detail)


class ProviderAuthError(ProviderError):
    """Credentials are missing or rejected. Never retried."""


class ContextOverflowError(ProviderError):
    """The prompt (plus the room asked for the answer) does not fit the model's context
    window. Never retried: the same prompt would not fit again."""


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
    re.compile(r"(?i)(bearer)((?:\s|\+|%20)+)[^\s\"',}&]+"),
    # a key-like name followed by ":" or "=" (a JSON field, a header, a query parameter, also
    # URL-encoded); a bare space is not enough, or prose such as "set $ANTHROPIC_API_KEY
    # (anthropic/x)" loses words
    re.compile(r"(?i)(api[_-]?key|authorization|x-api-key)"
               r"((?:[\"' +]|%(?:20|22|27))*(?:[:=]|%3a|%3d)(?:[\"' +]|%(?:20|22|27))*)"
               r"[^\s\"',}&]+"),
    re.compile(r"AKIA[0-9A-Z]{16}"),  # AWS access key ids
]
#: runs of text a server may have encoded a credential into (URL-encoding, base64)
_PERCENT_RUN = re.compile(r"[A-Za-z0-9._~+\-]*(?:%[0-9A-Fa-f]{2}[A-Za-z0-9._~+\-]*)+")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_\-]{16,}={0,2}")


def _has_secret(text: str) -> bool:
    return any(pattern.search(text) for pattern in _SECRET_PATTERNS)


def _base64_decodings(run: str) -> list[str]:
    import base64
    import binascii

    padded = run + "=" * (-len(run) % 4)
    decoded = []
    for altchars in (b"+/", b"-_"):
        try:
            raw = base64.b64decode(padded, altchars=altchars, validate=True)
        except (binascii.Error, ValueError):
            continue
        decoded.append(raw.decode("utf-8", "ignore"))
    return decoded


def _scrub_encoded(text: str, holds_secret: Callable[[str], bool]) -> str:
    """``text`` with each URL-encoded or base64 run whose decoding holds a secret replaced by
    ``***`` (the whole run: no fragment of the encoding is left to decode)."""
    from urllib.parse import unquote_plus

    text = _PERCENT_RUN.sub(
        lambda m: "***" if holds_secret(unquote_plus(m.group())) else m.group(), text)
    return _BASE64_RUN.sub(
        lambda m: "***" if any(holds_secret(d) for d in _base64_decodings(m.group()))
        else m.group(), text)


def scrub_secrets(text: str) -> str:
    """Replace anything that looks like a credential in ``text`` with ``***``.

    Encoded forms count too: a server that echoes a key URL-encoded (``Bearer%20sk-...``) or
    base64-encoded (a Basic auth header, a token in a blob) has it scrubbed as well.
    """
    text = _scrub_encoded(text, _has_secret)
    for pattern in _SECRET_PATTERNS:
        if pattern.groups >= 2:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
        else:
            text = pattern.sub("***", text)
    return text
