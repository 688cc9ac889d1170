"""The OpenAI Chat Completions wire format: parse a request, write an answer or a stream.

Requests are checked by hand, field by field, so a bad one gets a 400 that names the field
(OpenAI's error shape), never a 500, and so parsing costs a few microseconds. What the gateway
cannot honour on every arm (tools, logprobs, several choices, response formats) is refused
rather than silently dropped; ``user``, ``metadata`` and ``store`` are accepted and not
forwarded (``user`` is a routing key).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from agility.chat import ChatRequest, Completion, GenerationConfig, Message

__all__ = ["OpenAIRequest", "WireError", "chunk_bytes", "completion_body", "error_body",
           "finish_reason", "parse_request"]

_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
_IGNORED = frozenset({"user", "metadata", "store", "service_tier", "stream_options", "model",
                      "messages", "stream", "temperature", "top_p", "max_tokens",
                      "max_completion_tokens", "stop", "seed"})
#: accepted only at their default value: anything else changes the answer in a way not every
#: arm can honour
_DEFAULT_ONLY: dict[str, Any] = {"n": 1, "frequency_penalty": 0, "presence_penalty": 0,
                                 "logprobs": False, "parallel_tool_calls": None}
_FINISH = {"stop": "stop", "end_turn": "stop", "stop_sequence": "stop", "length": "length",
           "max_tokens": "length", "content_filter": "content_filter",
           "content_filtered": "content_filter", "guardrail_intervened": "content_filter"}


class WireError(Exception):
    """A request the gateway refuses, with the HTTP status and OpenAI's error fields."""

    def __init__(self, status: int, message: str, *, param: str | None = None,
                 code: str | None = None, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind = \
            status, message, param, code, kind

    def body(self) -> bytes:
        """The JSON error body."""
        return error_body(self.message, kind=self.kind, param=self.param, code=self.code)


def error_body(message: str, *, kind: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> bytes:
    """An OpenAI-shaped error body."""
    return orjson.dumps({"error": {"message": message, "type": kind, "param": param,
                                   "code": code}})


@dataclass(slots=True)
class OpenAIRequest:
    """A parsed chat completions request."""

    model: str
    request: ChatRequest
    stream: bool
    include_usage: bool
    user: str | None


def _bad(message: str, param: str | None, code: str = "invalid_value") -> WireError:
    return WireError(400, message, param=param, code=code)


def _content(value: Any, index: int) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for n, part in enumerate(value):
            if not isinstance(part, dict) or part.get("type") != "text" \
                    or not isinstance(part.get("text"), str):
                raise _bad("only text content parts are supported ({'type': 'text', 'text': "
                           "...})", f"messages[{index}].content[{n}]")
            parts.append(part["text"])
        return "".join(parts)
    if value is None:
        raise _bad("a message needs content", f"messages[{index}].content")
    raise _bad("content must be a string or a list of text parts", f"messages[{index}].content")


def _messages(value: Any) -> list[Message]:
    if not isinstance(value, list) or not value:
        raise _bad("messages must be a non-empty list", "messages")
    out = []
    for index, message in enumerate(value):
        if not isinstance(message, dict):
            raise _bad("each message must be an object with role and content",
                       f"messages[{index}]")
        role = _ROLES.get(message.get("role"))  # type: ignore[arg-type]
        if role is None:
            raise _bad(f"unsupported role {message.get('role')!r}: use system, developer, user "
                       f"or assistant (tool calls are not supported)", f"messages[{index}].role")
        # every field given: pydantic's model_construct calls a field's default_factory
        # through inspect.signature (about 0.2 ms for `list`), the gateway's costliest step
        out.append(Message.model_construct(role=role, content=_content(message.get("content"),
                                                                       index),
                                           tool_calls=[], tool_call_id=None))
    return out


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not low <= value <= high:
        raise _bad(f"{name} must be a number from {low:g} to {high:g}", name)
    return float(value)


def _integer(body: dict[str, Any], name: str, low: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _bad(f"{name} must be an integer of at least {low}", name)
    return value


def _stop(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and len(value) <= 16 and all(isinstance(s, str) for s in value):
        return list(value)
    raise _bad("stop must be a string or a list of at most 16 strings", "stop")


def parse_request(raw: bytes) -> OpenAIRequest:
    """Parse a chat completions request body.

    Raises:
        WireError: 400, naming the field, for anything the gateway cannot serve as asked.
    """
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _bad("the body is not valid JSON", None, "invalid_json") from None
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object", None)
    for name in body:
        if name in _IGNORED:
            continue
        if name in _DEFAULT_ONLY:
            if body[name] not in (_DEFAULT_ONLY[name], None):
                raise _bad(f"{name}={body[name]!r} is not supported by the agility gateway "
                           f"(only {_DEFAULT_ONLY[name]!r})", name, "unsupported_value")
            continue
        raise _bad(f"unsupported parameter '{name}': the agility gateway serves text chat "
                   f"(model, messages, stream, temperature, top_p, max_tokens, stop, seed)",
                   name, "unsupported_parameter")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("model must be a non-empty string", "model")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise _bad("stream must be true or false", "stream")
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise _bad("stream_options must be an object", "stream_options")
    include_usage = bool((options or {}).get("include_usage", False))
    user = body.get("user")
    if user is not None and not isinstance(user, str):
        raise _bad("user must be a string", "user")
    max_tokens = _integer(body, "max_completion_tokens", 1)
    if max_tokens is None:
        max_tokens = _integer(body, "max_tokens", 1)
    seed = _integer(body, "seed", -(2**63))
    config = GenerationConfig.model_construct(
        temperature=_number(body, "temperature", 0.0, 2.0),
        top_p=_number(body, "top_p", 0.0, 1.0), max_tokens=max_tokens,
        stop=_stop(body.get("stop")), seed=seed, extra={})
    if config.top_p == 0.0:
        raise _bad("top_p must be above 0", "top_p")
    request = ChatRequest.model_construct(messages=_messages(body.get("messages")),
                                          config=config, tools=[], tool_choice=None)
    return OpenAIRequest(model=model, request=request, stream=stream,
                         include_usage=include_usage, user=user)


def finish_reason(completion: Completion) -> str:
    """OpenAI's finish reason for a completion of any provider."""
    return _FINISH.get(completion.finish_reason or "stop", "stop")


def _usage(completion: Completion) -> dict[str, int]:
    prompt, output = completion.input_tokens or 0, completion.output_tokens or 0
    return {"prompt_tokens": prompt, "completion_tokens": output,
            "total_tokens": prompt + output}


def completion_body(request_id: str, created: int, model: str, completion: Completion) -> bytes:
    """A whole ``chat.completion`` answer."""
    return orjson.dumps({
        "id": request_id, "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "finish_reason": finish_reason(completion),
                     "message": {"role": "assistant", "content": completion.text}}],
        "usage": _usage(completion)})


def chunk_bytes(request_id: str, created: int, model: str, *, content: str | None = None,
                role: bool = False, finish: str | None = None,
                usage: Completion | None = None) -> bytes:
    """One ``data: {...}`` event of a streamed answer (a content delta, the opening role
    delta, the finish, or the usage chunk)."""
    base: dict[str, Any] = {"id": request_id, "object": "chat.completion.chunk",
                            "created": created, "model": model}
    if usage is not None:
        base["choices"] = []
        base["usage"] = _usage(usage)
    else:
        delta: dict[str, Any] = {}
        if role:
            delta = {"role": "assistant", "content": ""}
        elif content is not None:
            delta = {"content": content}
        base["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish}]
    return b"data: " + orjson.dumps(base) + b"\n\n"
