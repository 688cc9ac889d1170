"""The chat types shared by datasets, prompt templates, providers and the runner.

They sit below everything else so that a dataset row, a rendered template and a provider
request all speak the same types without depending on each other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["ChatRequest", "Completion", "GenerationConfig", "Message", "StreamEnd", "StreamEvent",
           "TextDelta", "ToolCall"]

Role = Literal["system", "user", "assistant"]


class Message(BaseModel):
    """One chat message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    content: str


class GenerationConfig(BaseModel):
    """Sampling settings sent with a request. ``None`` means "use the provider's default".

    Provider-only settings go in ``extra`` with the provider's prefix
    (for example ``{"anthropic_top_k": 40}`` or ``{"openai_seed": 7}``).
    """

    model_config = ConfigDict(extra="forbid")

    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    max_tokens: int | None = Field(default=None, ge=1)
    stop: list[str] | None = None
    seed: int | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    def merged(self, override: GenerationConfig | None) -> GenerationConfig:
        """This config with every field that ``override`` sets taken from ``override``."""
        if override is None:
            return self
        data = self.model_dump()
        for key, value in override.model_dump(exclude_unset=True).items():
            if key == "extra":
                data["extra"] = {**data["extra"], **value}
            elif value is not None:
                data[key] = value
        return GenerationConfig(**data)


class ToolCall(BaseModel):
    """One call of a tool: its name and its arguments (a JSON object).

    Built from any of the usual forms: ``{name, arguments}`` (arguments an object or a JSON
    string), OpenAI's ``{type: function, function: {name, arguments}}`` and Anthropic's
    ``{type: tool_use, name, input}``. An ``id`` the provider gave is not kept (calls are
    compared by what they do).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _any_form(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        data = dict(value)
        if isinstance(data.get("function"), Mapping):  # OpenAI
            data = dict(data["function"])
        elif data.get("type") == "tool_use" or "input" in data:  # Anthropic
            data = {"name": data.get("name"), "arguments": data.get("input", {})}
        data = {k: v for k, v in data.items() if k in ("name", "arguments")}
        arguments = data.get("arguments")
        if isinstance(arguments, str):
            try:
                data["arguments"] = json.loads(arguments) if arguments.strip() else {}
            except ValueError as exc:
                raise ValueError(f"the arguments of tool call {data.get('name')!r} are not "
                                 f"JSON: {exc}") from None
        elif arguments is None:
            data["arguments"] = {}
        return data


class ChatRequest(BaseModel):
    """What the runner asks a provider for."""

    model_config = ConfigDict(extra="forbid")

    messages: list[Message]
    config: GenerationConfig = Field(default_factory=GenerationConfig)


class Completion(BaseModel):
    """A provider's answer and the measurements taken while it streamed.

    A figure that was not measured is ``None``, never 0. ``tokens_estimated`` is true when
    the provider reported no usage and the token counts were estimated locally. Token counts
    are as the provider reported them: ``input_tokens`` counts every input token, those read
    from (``cached_input_tokens``) and written to (``cache_write_input_tokens``) the prompt
    cache included; ``reasoning_tokens`` are part of ``output_tokens``. A count the provider
    did not report is None (not measured), never 0.
    """

    model_config = ConfigDict(extra="forbid")

    text: str
    ttft_ms: float | None = None
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    cache_write_input_tokens: int | None = None
    reasoning_tokens: int | None = None
    tokens_estimated: bool = False
    finish_reason: str | None = None
    request_id: str | None = None
    #: extra per-query cost the pipeline reported (retrieval, vector DB), in USD
    extra_cost_usd: float | None = None
    #: provider-reported figures kept for the record (e.g. Bedrock's own latencyMs)
    provider_metrics: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer, as it came off the stream (never empty)."""

    text: str


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """The last event of a stream: the whole answer with its measurements (TTFT, latency,
    usage, finish reason), the same :class:`Completion` that ``complete()`` returns."""

    completion: Completion


#: what :meth:`agility.providers.Provider.stream` yields: text deltas, then one end event
StreamEvent = TextDelta | StreamEnd
