"""The chat types shared by datasets, prompt templates, providers and the runner.

They sit below everything else so that a dataset row, a rendered template and a provider
request all speak the same types without depending on each other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["ChatRequest", "Completion", "GenerationConfig", "Message", "StreamEnd", "StreamEvent",
           "TextDelta", "ToolCall", "ToolSpec", "mask_json", "mask_message",
           "mask_tool_calls"]

Role = Literal["system", "user", "assistant", "tool"]


def _empty(value: Any) -> bool:
    return not value


def _none(value: Any) -> bool:
    return value is None


class Message(BaseModel):
    """One chat message.

    An agent's turns use two more fields: an ``assistant`` message that called tools carries
    them in ``tool_calls`` (its ``content`` may be empty), and a ``tool`` message holds one
    tool's result for the call ``tool_call_id``. Both are left out of a dump when unset, so a
    plain message serialises (and hashes) as it always did.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    content: str
    tool_calls: list[ToolCall] = Field(default_factory=list, exclude_if=_empty)
    tool_call_id: str | None = Field(default=None, exclude_if=_none)

    @model_validator(mode="after")
    def _tool_fields(self) -> Message:
        if self.tool_calls and self.role != "assistant":
            raise ValueError("only an assistant message carries tool_calls")
        if (self.role == "tool") != (self.tool_call_id is not None):
            raise ValueError("a tool message (and only a tool message) names the tool_call_id "
                             "it answers")
        return self


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
    string), OpenAI's ``{id, type: function, function: {name, arguments}}``, Anthropic's
    ``{type: tool_use, id, name, input}`` and LangChain's ``{name, args, id}``. ``id`` is the
    provider's handle for the call (a tool's result names it); metrics compare calls by what
    they do, never by id.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)
    id: str | None = Field(default=None, exclude_if=_none)

    @model_validator(mode="before")
    @classmethod
    def _any_form(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        data = dict(value)
        if isinstance(data.get("function"), Mapping):  # OpenAI
            data = {**dict(data["function"]), "id": data.get("id")}
        elif data.get("type") == "tool_use" or "input" in data:  # Anthropic
            data = {"name": data.get("name"), "arguments": data.get("input", {}),
                    "id": data.get("id")}
        elif "args" in data and "arguments" not in data:  # LangChain
            data = {"name": data.get("name"), "arguments": data.get("args"), "id": data.get("id")}
        data = {k: v for k, v in data.items() if k in ("name", "arguments", "id")}
        if data.get("id") is None:
            data.pop("id", None)
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


def mask_json(value: Any, mask: Callable[[str], str]) -> Any:
    """Every text inside a JSON-like value through ``mask`` (keys kept)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, Mapping):
        return {k: mask_json(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_json(v, mask) for v in value]
    return value


def mask_tool_calls(calls: list[ToolCall], mask: Callable[[str], str]) -> list[ToolCall]:
    """``calls`` with every text in their arguments through ``mask`` (a privacy policy's
    masking: a model's call may carry the personal data it was given)."""
    return [c.model_copy(update={"arguments": mask_json(c.arguments, mask)}) for c in calls]


def mask_message(message: Message, mask: Callable[[str], str]) -> Message:
    """``message`` with its text and its tool calls' arguments through ``mask``."""
    update: dict[str, Any] = {"content": mask(message.content)}
    if message.tool_calls:
        update["tool_calls"] = mask_tool_calls(message.tool_calls, mask)
    return message.model_copy(update=update)


class ToolSpec(BaseModel):
    """A tool the model may call: its name, what it does, and its arguments' JSON schema.

    Built from ``{name, description, parameters}``, OpenAI's ``{type: function, function:
    {...}}`` or Anthropic's ``{name, description, input_schema}``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    description: str | None = None
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}})

    @model_validator(mode="before")
    @classmethod
    def _any_form(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        data = dict(value)
        if isinstance(data.get("function"), Mapping):  # OpenAI
            data = dict(data["function"])
        if "input_schema" in data and "parameters" not in data:  # Anthropic
            data["parameters"] = data.pop("input_schema")
        return {k: v for k, v in data.items() if k != "strict"}


class ChatRequest(BaseModel):
    """What the runner asks a provider for.

    ``tools`` the model may call; ``tool_choice`` is ``auto`` (the provider's default when
    tools are given), ``none``, ``required`` (some tool) or one tool's name (that tool).
    Both are left out of a dump when unset.

    ``prompt_format`` is ``chat`` (the messages go through the model's chat template) or
    ``text``: one user message whose content is the whole prompt, sent as raw text for the
    model to continue (a completions API: what a base model, or a GGUF without a chat
    template, is trained on). Left out of a dump when ``chat``, so cache keys stay as they were.
    """

    model_config = ConfigDict(extra="forbid")

    messages: list[Message]
    config: GenerationConfig = Field(default_factory=GenerationConfig)
    tools: list[ToolSpec] = Field(default_factory=list, exclude_if=_empty)
    tool_choice: str | None = Field(default=None, exclude_if=_none)
    prompt_format: Literal["chat", "text"] = Field(default="chat",
                                                   exclude_if=lambda v: v == "chat")

    @property
    def text(self) -> str:
        """The raw prompt of a ``text`` request (its one user message)."""
        return self.messages[0].content if self.messages else ""

    @model_validator(mode="after")
    def _one_text(self) -> ChatRequest:
        if self.prompt_format == "text" and (
                len(self.messages) != 1 or self.messages[0].role != "user" or self.tools):
            raise ValueError("a text prompt is one user message without tools (the raw text "
                             "the model continues)")
        return self

    @model_validator(mode="after")
    def _known_tool(self) -> ChatRequest:
        if self.tool_choice is not None and self.tool_choice not in ("auto", "none", "required") \
                and self.tool_choice not in {t.name for t in self.tools}:
            raise ValueError(f"tool_choice {self.tool_choice!r} is neither auto, none, required "
                             f"nor one of the tools")
        return self


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
    #: the tools the model called, in order (``text`` may then be empty)
    tool_calls: list[ToolCall] = Field(default_factory=list, exclude_if=_empty)


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
