"""``mock/echo``, ``mock/fixed``: a scriptable in-process model for tests, demos and the CLI.

- ``mock/echo`` answers with the last user message.
- ``mock/fixed`` answers with the ``output`` option (default ``"ok"``).
- any model name with a ``responder`` option: ``responder(request) -> str`` decides the answer.

Options ``ttft_ms`` and ``token_delay_ms`` simulate streaming time; ``fail_times=N`` makes the
first N calls for each example fail with a retryable error (``fail_with``: ``server_error``,
``rate_limit``, ``timeout``, ``stream`` or ``auth``). Every request received is kept in
:attr:`MockProvider.requests`, so a test can check the exact prompt a judge sent.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any, Literal

from pydantic import Field

from agility.chat import ChatRequest, Completion, StreamEnd, StreamEvent, TextDelta
from agility.errors import (
    ConfigError,
    ProviderAuthError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    StreamError,
)
from agility.providers._base import LOCAL, Location, Provider, ProviderOptions, Stopwatch

__all__ = ["MockOptions", "MockProvider"]

_FAILURES: dict[str, type[ProviderError]] = {
    "server_error": ProviderError, "rate_limit": RateLimitError, "timeout": ProviderTimeout,
    "stream": StreamError, "auth": ProviderAuthError,
}


class MockOptions(ProviderOptions):
    """Options of ``mock/``: see the module docstring."""

    output: str = "ok"
    ttft_ms: float = Field(0.0, ge=0)
    token_delay_ms: float = Field(0.0, ge=0)
    fail_times: int = Field(0, ge=0)
    fail_with: Literal["server_error", "rate_limit", "timeout", "stream", "auth"] = "server_error"
    responder: Callable[[ChatRequest], str] | None = Field(None, exclude=True)


class MockProvider(Provider):
    """A deterministic model that needs no network and no key."""

    name = "mock"
    Options = MockOptions
    options: MockOptions
    local = True
    supports_text = True  # echo answers a text prompt as it answers a chat one

    def __init__(self, model: str, options: MockOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        super().__init__(model, options, **more)
        opts = self.options
        self.responder = opts.responder
        if self.responder is None and model not in ("echo", "fixed"):
            raise ConfigError(f"unknown mock model 'mock/{model}': use mock/echo, mock/fixed "
                              f"(with output=...), or pass a responder callable")
        self.output = opts.output
        self.ttft_ms = opts.ttft_ms
        self.token_delay_ms = opts.token_delay_ms
        self.fail_times = opts.fail_times
        self.fail_with = opts.fail_with
        self.requests: list[ChatRequest] = []
        self._calls: Counter[str | None] = Counter()

    def answer(self, request: ChatRequest) -> str:
        """The text this mock gives for ``request``."""
        if self.responder is not None:
            return str(self.responder(request))
        if self.model == "fixed":
            return self.output
        users = [m.content for m in request.messages if m.role == "user"]
        return users[-1] if users else ""


    def location(self) -> Location:
        """A mock answers in this process."""
        return LOCAL
    async def stream(self, request: ChatRequest, *,
                     example_id: str | None = None) -> AsyncGenerator[StreamEvent, None]:
        """Answer ``request`` word by word after the configured delays (or fail, if told to)."""
        self.requests.append(request)
        self._calls[example_id] += 1
        if self._calls[example_id] <= self.fail_times:
            raise self._failure(example_id)
        watch = Stopwatch()
        text = self.answer(request)
        limit = request.config.max_tokens
        words = text.split()
        finish = "length" if limit is not None and len(words) > limit else "stop"
        if finish == "length":
            text = " ".join(words[:limit])
        pieces = _split_words(text)
        if self.ttft_ms:
            await asyncio.sleep(self.ttft_ms / 1000.0)
        for index, piece in enumerate(pieces):
            if index and self.token_delay_ms:
                await asyncio.sleep(self.token_delay_ms / 1000.0)
            watch.mark_first_token()
            yield TextDelta(piece)
        watch.mark_first_token()
        watch.stop()
        yield StreamEnd(Completion(
            text=text, ttft_ms=watch.ttft_ms, latency_ms=watch.latency_ms,
            input_tokens=sum(len(m.content.split()) for m in request.messages),
            output_tokens=len(text.split()), finish_reason=finish,
            request_id=f"mock-{len(self.requests)}"))

    def _failure(self, example_id: str | None) -> ProviderError:
        cls = _FAILURES[self.fail_with]
        call = self._calls[example_id]
        error = cls(f"mock failure {call} of {self.fail_times} for example {example_id}",
                    provider=self.name, model=self.model,
                    status=429 if cls is RateLimitError else 503 if cls is ProviderError else None,
                    retry_after_s=0.0 if cls is RateLimitError else None)
        if cls is ProviderError:
            error.retryable = True
        return error


def _split_words(text: str) -> list[str]:
    """``text`` in pieces of one word with the spaces around it (they join back to ``text``)."""
    return re.findall(r"\s*\S+\s*|\s+", text) if text else []
