"""The provider interface and its registry.

An adapter implements one async stream, :meth:`Provider.stream`, which yields the answer's text
as it arrives and ends with the whole :class:`~agility.chat.Completion` and its measurements;
:meth:`Provider.complete` reads a stream to its end. (An adapter that cannot stream, such as
replay, implements ``complete`` instead and streams its answer as one piece.) Retries, rate
limits, timing and cost live once, in :class:`agility.client.Client`.
Adapters raise :mod:`agility.errors` provider errors so the retry policy can tell a throttle
(retry after a while) from a bad key (stop). Each adapter declares its options as a strict
model (``Options``), so ``get_provider("openai/x", base_ulr=...)`` is an error, not a call to
the public endpoint.
"""

from __future__ import annotations

import abc
import importlib
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, ClassVar

from agility._options import Options, parse_options
from agility.chat import ChatRequest, Completion, StreamEnd, StreamEvent, TextDelta
from agility.errors import ProviderError, StreamError, UnknownName, UsageError

__all__ = [
    "LOCAL",
    "Location",
    "Provider",
    "ProviderOptions",
    "Stopwatch",
    "available_providers",
    "get_provider",
    "host_location",
    "parse_model_spec",
    "provider_class",
    "register_provider",
]

_CREDENTIAL_WORDS = ("key", "secret", "token", "password", "credential", "authorization")


@dataclass(frozen=True)
class Location:
    """Where a model runs, as its provider can tell.

    Attributes:
        regions: the regions a call may be served from (``local``: this host; ``eu-*``: any
            region of a geography, as a cross-region profile routes); empty when unknown.
        basis: how this is known, in a sentence.
        host: the API host, for a location the user declares per host (OpenAI, Anthropic).
    """

    regions: tuple[str, ...]
    basis: str
    host: str | None = None


LOCAL = Location(("local",), "runs on this host")


def host_location(url: str | None, default_host: str) -> Location:
    """The location of an HTTP API: loopback is this host, any other host is as declared."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname if url else None) or default_host
    if host in ("127.0.0.1", "localhost", "::1"):
        return Location(("local",), f"served from {host}", host=host)
    return Location((), f"{host} does not say where it runs: declare it", host=host)


class ProviderOptions(Options):
    """Base of a provider's options (strict: an unknown option is an error)."""


class Provider(abc.ABC):
    """One model behind one wire protocol.

    Subclasses set ``name`` (the prefix users type, as in ``openai/gpt-4o``) and implement
    :meth:`stream` (or, if they cannot stream, :meth:`complete`). Constructors must not do network I/O and must not store API keys
    anywhere they could be serialised (read them from the environment when the call is made).
    """

    name: ClassVar[str]
    #: the provider's option model; subclasses declare their own
    Options: ClassVar[type[ProviderOptions]] = ProviderOptions
    #: True when calls cost nothing by default (a local model); the pricing layer uses it.
    local: ClassVar[bool] = False
    #: True when answers were recorded elsewhere (replay): their cost is unknown, not 0.
    recorded: ClassVar[bool] = False
    #: calls the provider can work on at once (None: no limit of its own); a model in this
    #: process answers one at a time, and the client queues the others outside their timeout
    max_parallel_calls: ClassVar[int | None] = None
    #: True when the adapter sends a request's ``tools`` and reads the calls back
    #: (``Completion.tool_calls``); a request with tools to any other provider is refused
    supports_tools: ClassVar[bool] = False
    #: True when the adapter sends a ``text`` request (``ChatRequest.prompt_format``) as raw
    #: text for the model to continue (a completions API); any other provider refuses one
    supports_text: ClassVar[bool] = False

    def __init__(self, model: str, options: ProviderOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        """Build the provider for ``model``.

        Raises:
            OptionsError: an unknown option or an invalid value.
        """
        self.model = model
        self.options = parse_options(self.Options, f"provider {self.name}", options, **more)

    @property
    def spec(self) -> str:
        """The ``provider/model`` string this provider was made from."""
        return f"{self.name}/{self.model}"

    async def complete(self, request: ChatRequest, *, example_id: str | None = None) -> Completion:
        """Send ``request``, stream the answer and return it with its measurements.

        Args:
            request: the messages and sampling settings.
            example_id: the golden example this call is for (the replay provider looks its
                answer up by it; other providers ignore it).

        Raises:
            ProviderError: or one of its subclasses, for every failure.
        """
        if type(self).stream is Provider.stream:
            raise NotImplementedError(f"{type(self).__name__} implements neither stream "
                                      f"nor complete")
        async with aclosing(self.stream(request, example_id=example_id)) as events:
            async for event in events:
                if isinstance(event, StreamEnd):
                    return event.completion
        raise StreamError("the stream ended without its final event", provider=self.name,
                          model=self.model)

    async def stream(self, request: ChatRequest, *,
                     example_id: str | None = None) -> AsyncGenerator[StreamEvent, None]:
        """Send ``request`` and yield the answer as it streams: :class:`~agility.chat.TextDelta`
        events (non-empty text, in order), then one :class:`~agility.chat.StreamEnd` holding
        the whole completion with its TTFT, latency and usage.

        Closing the iterator early (``aclose``, or cancelling the task reading it) stops the
        call and releases its connection: use ``contextlib.aclosing``. A provider that cannot
        stream (replay) yields its whole answer as one delta.

        Raises:
            ProviderError: or one of its subclasses, for every failure, also mid-stream.
        """
        if type(self).complete is Provider.complete:
            raise NotImplementedError(f"{type(self).__name__} implements neither stream "
                                      f"nor complete")
        completion = await self.complete(request, example_id=example_id)
        if completion.text:
            yield TextDelta(completion.text)
        yield StreamEnd(completion)

    def check_credentials(self) -> None:
        """Fail before the first call when the credentials the calls need are missing.

        The default checks nothing (local models, replay, servers that need no key).

        Raises:
            ProviderAuthError: a key or credential the provider will need is not set.
        """

    def location(self) -> Location:
        """Where this model runs (data residency); unknown by default."""
        return Location((), f"the {self.name}/ provider does not report where it runs")

    def is_retryable(self, exc: BaseException) -> bool:
        """Whether the runner should try this call again after ``exc``."""
        if isinstance(exc, ProviderError):
            return exc.retryable
        return False

    def price_region(self) -> str | None:
        """The region a price applies to (the one the requests are made from), if any.

        The default is the ``region`` option when the provider has one.
        """
        region = getattr(self.options, "region", None)
        return region if isinstance(region, str) else None

    def public_options(self) -> dict[str, Any]:
        """The options given, worth recording with a run (never credentials, never live
        objects such as a session or a callable)."""
        data = self.options.model_dump(exclude_unset=True, mode="python")
        return {k: v for k, v in data.items()
                if not any(word in k.lower() for word in _CREDENTIAL_WORDS)
                and isinstance(v, (str, int, float, bool, list, dict, type(None)))}

    async def aclose(self) -> None:
        """Release connections or models. Safe to call twice."""


_REGISTRY: dict[str, type[Provider] | str] = {
    # built-ins are imported lazily so that a missing optional SDK only matters when used
    "openai": "agility.providers.openai:OpenAIProvider",
    "anthropic": "agility.providers.anthropic:AnthropicProvider",
    "bedrock": "agility.providers.bedrock:BedrockProvider",
    "llamacpp": "agility.providers.llamacpp:LlamaCppProvider",
    "replay": "agility.providers.replay:ReplayProvider",
    "mock": "agility.providers.mock:MockProvider",
}
_ENTRY_POINT_GROUP = "agility.providers"


def register_provider(name: str) -> Callable[[type[Provider]], type[Provider]]:
    """Class decorator registering a provider under ``name`` (the ``name/`` prefix)."""

    def decorator(cls: type[Provider]) -> type[Provider]:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorator


def provider_class(name: str) -> type[Provider]:
    """The provider class registered under ``name`` (built-in, registered or entry point).

    Raises:
        UnknownName: no provider has this name.
    """
    target = _REGISTRY.get(name)
    if target is None:
        for ep in entry_points(group=_ENTRY_POINT_GROUP):
            if ep.name == name:
                target = ep.load()
                break
    if target is None:
        raise UnknownName("provider", name, available_providers())
    if isinstance(target, str):
        module_name, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module_name), attr)
        _REGISTRY[name] = target
    return target


def available_providers() -> list[str]:
    """Names of the built-in, registered and entry-point providers."""
    names = set(_REGISTRY)
    names.update(ep.name for ep in entry_points(group=_ENTRY_POINT_GROUP))
    return sorted(names)


def parse_model_spec(spec: str) -> tuple[str, str]:
    """Split ``provider/model`` into its two parts (the model part may contain ``/``)."""
    provider, sep, model = spec.partition("/")
    if not sep or not provider or not model:
        raise UsageError(
            f"model spec '{spec}' is not of the form provider/model "
            f"(for example openai/gpt-4o-mini or llamacpp/gemma3-270m)"
        )
    return provider, model


def get_provider(spec: str, options: ProviderOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> Provider:
    """Build the provider for ``spec`` (``provider/model``) with ``options`` (and ``more``).

    Raises:
        UsageError: ``spec`` is not ``provider/model``.
        UnknownName: no provider has that name.
        OptionsError: an unknown option or an invalid value.
    """
    provider_name, model = parse_model_spec(spec)
    return provider_class(provider_name)(model, options, **more)


class Stopwatch:
    """Monotonic timing of one call: start, first content token, end (milliseconds)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.first_token: float | None = None
        self.end: float | None = None

    def mark_first_token(self) -> None:
        if self.first_token is None:
            self.first_token = time.perf_counter()

    def stop(self) -> None:
        self.end = time.perf_counter()

    @property
    def ttft_ms(self) -> float | None:
        return None if self.first_token is None else (self.first_token - self.start) * 1000.0

    @property
    def latency_ms(self) -> float | None:
        return None if self.end is None else (self.end - self.start) * 1000.0
