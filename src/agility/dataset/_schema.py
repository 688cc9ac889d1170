"""The golden example: one row of a golden dataset, as the playbook describes it.

Required: ``id``, ``source_prompt`` and ``ground_truth``. Everything else is optional and
``None`` means "not recorded" (never 0). The file field ``model_config`` is exposed as
:attr:`GoldenExample.generation_config` because pydantic reserves the name ``model_config``.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
)

from agility.chat import GenerationConfig, Message, ToolSpec

__all__ = ["SCHEMA_VERSION", "GoldenExample", "SystemUserPrompt", "canonical_json", "row_hash"]

#: version of the golden example schema written into manifests
SCHEMA_VERSION = 1

Split = Literal["dev", "holdout"]
_ROLES = ("system", "user", "assistant", "tool")
_GENERATION_KEYS = ("temperature", "top_p", "max_tokens", "stop", "seed")


class SystemUserPrompt(BaseModel):
    """A prompt recorded as a system instruction plus a user message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    system: str | None = None
    user: str


def _type_name(value: Any) -> str:
    known = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "an integer", float: "a number", type(None): "null"}
    return known.get(type(value), f"a {type(value).__name__}")


def _check_message(item: Any, where: str) -> Message:
    if not isinstance(item, dict):
        raise ValueError(f"{where} must be an object {{role, content}}, got {_type_name(item)}")
    unknown = sorted(set(item) - {"role", "content", "tool_calls", "tool_call_id"})
    if unknown:
        raise ValueError(f"{where} has unknown key(s) {', '.join(unknown)}; a message has "
                         f"'role' and 'content' (and in an agent's transcript 'tool_calls' on "
                         f"an assistant message, 'tool_call_id' on a tool result)")
    if item.get("role") not in _ROLES:
        raise ValueError(f"{where}.role must be one of {', '.join(_ROLES)}, "
                         f"got {item.get('role')!r}")
    content = item.get("content")
    if content is None and item.get("tool_calls"):  # an assistant that only called tools
        content = ""
    if not isinstance(content, str):
        raise ValueError(f"{where}.content must be a string, got {_type_name(content)}")
    calls = item.get("tool_calls") or []
    if not isinstance(calls, list):
        raise ValueError(f"{where}.tool_calls must be a list, got {_type_name(calls)}")
    try:
        return Message.model_validate({**item, "content": content, "tool_calls": calls})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{where}{'.' + field if field else ''}: "
                         f"{first['msg'].removeprefix('Value error, ')}") from None


def _check_prompt(value: Any) -> str | SystemUserPrompt | list[Message]:
    if isinstance(value, SystemUserPrompt):
        return value
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty")
        return value
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"system", "user"})
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)}; use 'system' and 'user', "
                             f"or a list of {{role, content}} messages")
        if not isinstance(value.get("user"), str) or not value["user"].strip():
            raise ValueError("needs a non-empty string 'user'")
        if value.get("system") is not None and not isinstance(value["system"], str):
            raise ValueError(f"'system' must be a string, got {_type_name(value['system'])}")
        return SystemUserPrompt(**value)
    if isinstance(value, list):
        messages = [m if isinstance(m, Message) else _check_message(m, f"[{i}]")
                    for i, m in enumerate(value)]
        if not any(m.role == "user" for m in messages):
            raise ValueError("a message list needs at least one 'user' message")
        return messages
    raise ValueError(f"must be a string, an object {{system, user}} or a list of "
                     f"{{role, content}} messages, got {_type_name(value)}")


def _check_context(value: Any) -> str | list[str] | list[Message] | None:
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise ValueError(f"must be a string or a list (documents, or {{role, content}} "
                         f"messages of a conversation history), got {_type_name(value)}")
    if all(isinstance(item, str) for item in value):
        return list(value)
    if all(isinstance(item, (dict, Message)) for item in value):
        for i, item in enumerate(value):
            if isinstance(item, dict) and "role" not in item:
                raise ValueError(f"[{i}] is an object without 'role': documents must be strings "
                                 f"(when importing, map their text, e.g. "
                                 f"--map input_context=docs.text)")
        return [m if isinstance(m, Message) else _check_message(m, f"[{i}]")
                for i, m in enumerate(value)]
    raise ValueError("a list must hold only strings (documents) or only {role, content} "
                     "messages (a conversation history), not a mix")


def _non_finite(value: Any) -> str | None:
    """Where ``value`` holds NaN or an infinity (``x.y[2]``; ``""`` for itself), or None."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return where
        if isinstance(item, dict):
            stack.extend((f"{where}.{k}" if where else str(k), v) for k, v in item.items())
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(item))
    return None


class GoldenExample(BaseModel):
    """One golden example: a recorded prompt, its reference answer and the source model's run.

    ``source_prompt`` is a string (one user message), ``{"system": ..., "user": ...}`` or a
    list of ``{role, content}`` messages. ``input_context`` is the retrieved documents (a
    string or a list of strings) or a conversation history (a list of messages).
    """

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, protected_namespaces=(), validate_assignment=True,
        # NaN and infinities are not numbers a score can hold, and JSON has no way to write
        # them: they used to be hashed as null, so a frozen NaN could become null unnoticed
        allow_inf_nan=False,
    )

    id: str = Field(min_length=1)
    source_prompt: str | SystemUserPrompt | list[Message]
    input_context: str | list[str] | list[Message] | None = None
    generation_config: GenerationConfig = Field(
        default_factory=GenerationConfig, alias="model_config"
    )
    ground_truth: str
    source_output: str | None = None
    latency_ms: float | None = Field(default=None, ge=0)
    input_tokens: int | None = Field(default=None, ge=0)
    output_tokens: int | None = Field(default=None, ge=0)
    automated_score: float | None = None
    human_score: float | None = None
    notes: str | None = None
    stratum: str | None = None
    split: Split | None = None
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id", "stratum", mode="before")
    @classmethod
    def _int_to_text(cls, value: Any) -> Any:
        # ids and strata are often numbers in source files; they are labels, not quantities
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("source_prompt", mode="before")
    @classmethod
    def _prompt(cls, value: Any) -> Any:
        return _check_prompt(value)

    @field_validator("input_context", mode="before")
    @classmethod
    def _context(cls, value: Any) -> Any:
        return _check_context(value)

    @field_validator("ground_truth")
    @classmethod
    def _ground_truth(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty: a golden example needs a reference answer")
        return value

    @field_validator("metadata")
    @classmethod
    def _finite_metadata(cls, value: dict[str, Any]) -> dict[str, Any]:
        where = _non_finite(value)
        if where is not None:
            raise ValueError(f"{where} is NaN or infinite, which JSON cannot hold; write null "
                             f"if there is no value")
        tools = value.get("tools")
        if tools is not None:
            if not isinstance(tools, list):
                raise ValueError("tools must be a list of tool definitions ({name, "
                                 "description, parameters}, OpenAI's or Anthropic's form)")
            for index, tool in enumerate(tools):
                try:
                    ToolSpec.model_validate(tool)
                except ValueError as exc:
                    first = exc.errors()[0] if isinstance(exc, ValidationError) else None
                    detail = first["msg"] if first else str(exc)
                    field = ".".join(map(str, first["loc"])) if first and first["loc"] else ""
                    raise ValueError(f"tools[{index}]{'.' + field if field else ''}: "
                                     f"{detail}") from None
        return value

    def tools(self) -> list[ToolSpec]:
        """The tools the model may call for this example (``metadata.tools``), sent with a
        plain model call; ``[]`` when the row names none."""
        return [ToolSpec.model_validate(t) for t in self.metadata.get("tools") or ()]

    @field_validator("generation_config", mode="before")
    @classmethod
    def _generation(cls, value: Any) -> Any:
        if value is None:
            return GenerationConfig()
        if isinstance(value, dict):
            known = {k: v for k, v in value.items() if k in _GENERATION_KEYS}
            if isinstance(known.get("stop"), str):
                known["stop"] = [known["stop"]]
            extra = {k: v for k, v in value.items() if k not in _GENERATION_KEYS and k != "extra"}
            if isinstance(value.get("extra"), dict):
                extra = {**value["extra"], **extra}
            return {**known, "extra": extra}
        return value

    @field_serializer("generation_config")
    def _dump_generation(self, config: GenerationConfig) -> dict[str, Any]:
        data = {k: v for k, v in config.model_dump(exclude={"extra"}).items() if v is not None}
        return {**config.extra, **data}

    # -- views the rest of agility uses ------------------------------------------------

    def _prompt_list(self) -> list[Message]:
        prompt = self.source_prompt
        if isinstance(prompt, str):
            return [Message(role="user", content=prompt)]
        if isinstance(prompt, SystemUserPrompt):
            head = [Message(role="system", content=prompt.system)] if prompt.system else []
            return [*head, Message(role="user", content=prompt.user)]
        return list(prompt)

    @property
    def question(self) -> str:
        """The text of the last user message of ``source_prompt`` (without any context)."""
        return next(m.content for m in reversed(self._prompt_list()) if m.role == "user")

    @property
    def contexts(self) -> list[str]:
        """``input_context`` as a list of documents; ``[]`` if none or a conversation history."""
        if self.input_context is None:
            return []
        if isinstance(self.input_context, str):
            return [self.input_context]
        return [d for d in self.input_context if isinstance(d, str)]

    @property
    def history(self) -> list[Message]:
        """``input_context`` when it is a conversation history, else ``[]``."""
        if isinstance(self.input_context, list):
            return [m for m in self.input_context if isinstance(m, Message)]
        return []

    def prompt_messages(self) -> list[Message]:
        """The prompt as recorded, with its ``input_context`` put where a model would see it.

        Documents are numbered (``[1] ...``), joined with blank lines and placed under a
        ``Context:`` heading ahead of the last user message's text, unless the prompt already
        holds every document verbatim. A conversation history is inserted before the last
        user message.

        Returns:
            The messages to send, in order.
        """
        messages = self._prompt_list()
        last_user = max(i for i, m in enumerate(messages) if m.role == "user")
        if self.history:
            return [*messages[:last_user], *self.history, *messages[last_user:]]
        docs = [d for d in self.contexts if d.strip()]
        prompt_text = "\n".join(m.content for m in messages)
        if not docs or all(d.strip() in prompt_text for d in docs):
            return messages
        block = "\n\n".join(f"[{i}] {doc.strip()}" for i, doc in enumerate(docs, start=1))
        user = messages[last_user]
        messages[last_user] = Message(role="user", content=f"Context:\n{block}\n\n{user.content}")
        return messages

    def to_row(self) -> dict[str, Any]:
        """The example as a file row: by alias, ``None`` and empty optional fields dropped."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        for key in ("model_config", "tags", "metadata"):
            if not data.get(key):
                data.pop(key, None)
        return data


def canonical_json(example: GoldenExample) -> str:
    """The canonical row: :meth:`GoldenExample.to_row` as compact JSON with sorted keys."""
    return json.dumps(example.to_row(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(example: GoldenExample) -> str:
    """sha256 (hex) of the example's canonical row."""
    return hashlib.sha256(canonical_json(example).encode("utf-8")).hexdigest()
