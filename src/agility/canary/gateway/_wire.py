"""OpenAI's two wire formats the gateway serves: parse a request, write an answer or a stream.

Chat Completions (``parse_request``, :data:`CHAT`) and the legacy Completions API of a raw
text prompt (``parse_completion_request``, :data:`TEXT`: what vLLM, the llama.cpp server and
Ollama serve, and what ``agility port`` ships for a ``format: text`` prompt). Both parse into
an :class:`OpenAIRequest` whose ``api`` writes the answer in the format the request came in.

Requests are checked by hand, field by field, so a bad one gets a 400 that names the field
(OpenAI's error shape), never a 500, and so parsing costs a few microseconds. What the gateway
cannot honour on every arm (tools, logprobs, several choices, response formats, token-array
prompts, echoing the prompt) is refused rather than silently dropped; ``user``, ``metadata``
and ``store`` are accepted and not forwarded (``user`` is a routing key).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from agility.chat import ChatRequest, Completion, GenerationConfig, Message

__all__ = ["CHAT", "TEXT", "OpenAIRequest", "WireAPI", "WireError", "chunk_bytes",
           "completion_body", "error_body", "finish_reason", "parse_completion_request",
           "parse_request", "text_chunk_bytes", "text_completion_body"]

_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
_IGNORED = frozenset({"user", "metadata", "store", "service_tier", "stream_options", "model",
                      "messages", "stream", "temperature", "top_p", "max_tokens",
                      "max_completion_tokens", "stop", "seed"})
#: accepted only at their default value: anything else changes the answer in a way not every
#: arm can honour
_DEFAULT_ONLY: dict[str, Any] = {"n": 1, "frequency_penalty": 0, "presence_penalty": 0,
                                 "logprobs": False, "parallel_tool_calls": None}
_TEXT_IGNORED = frozenset({"user", "stream_options", "model", "prompt", "stream",
                           "temperature", "top_p", "max_tokens", "stop", "seed"})
#: the Completions API's settings accepted only at their default (an absent field or null is
#: the default too)
_TEXT_DEFAULT_ONLY: dict[str, Any] = {"n": 1, "best_of": 1, "echo": False, "logprobs": None,
                                      "suffix": None, "frequency_penalty": 0,
                                      "presence_penalty": 0, "logit_bias": None}
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


class WireAPI:
    """How the answers of one of OpenAI's APIs are written: a whole answer, and a stream's
    opening, pieces, finish and usage chunks (each one ``data: {...}`` event)."""

    #: what the ids of its answers start with (``chatcmpl``, ``cmpl``)
    id_kind: str
    #: ``chat`` or ``text``: the :class:`~agility.chat.ChatRequest` ``prompt_format`` it sends
    prompt_format: str

    def whole(self, request_id: str, created: int, model: str, completion: Completion) -> bytes:
        """A whole answer's body."""
        raise NotImplementedError

    def opening(self, request_id: str, created: int, model: str) -> bytes:
        """What a stream starts with, before the first piece (may be empty)."""
        raise NotImplementedError

    def piece(self, request_id: str, created: int, model: str, text: str) -> bytes:
        """One piece of the answer's text."""
        raise NotImplementedError

    def finish(self, request_id: str, created: int, model: str, reason: str) -> bytes:
        """The chunk carrying the finish reason."""
        raise NotImplementedError

    def usage(self, request_id: str, created: int, model: str, completion: Completion) -> bytes:
        """The usage chunk (sent when the client asked for it)."""
        raise NotImplementedError


class _ChatAPI(WireAPI):
    id_kind, prompt_format = "chatcmpl", "chat"

    def whole(self, request_id: str, created: int, model: str, completion: Completion) -> bytes:
        return completion_body(request_id, created, model, completion)

    def opening(self, request_id: str, created: int, model: str) -> bytes:
        return chunk_bytes(request_id, created, model, role=True)

    def piece(self, request_id: str, created: int, model: str, text: str) -> bytes:
        return chunk_bytes(request_id, created, model, content=text)

    def finish(self, request_id: str, created: int, model: str, reason: str) -> bytes:
        return chunk_bytes(request_id, created, model, finish=reason)

    def usage(self, request_id: str, created: int, model: str, completion: Completion) -> bytes:
        return chunk_bytes(request_id, created, model, usage=completion)


class _TextAPI(WireAPI):
    id_kind, prompt_format = "cmpl", "text"

    def whole(self, request_id: str, created: int, model: str, completion: Completion) -> bytes:
        return text_completion_body(request_id, created, model, completion)

    def opening(self, request_id: str, created: int, model: str) -> bytes:
        return b""  # a Completions stream has no role chunk: its first event is text

    def piece(self, request_id: str, created: int, model: str, text: str) -> bytes:
        return text_chunk_bytes(request_id, created, model, text=text)

    def finish(self, request_id: str, created: int, model: str, reason: str) -> bytes:
        return text_chunk_bytes(request_id, created, model, finish=reason)

    def usage(self, request_id: str, created: int, model: str, completion: Completion) -> bytes:
        return text_chunk_bytes(request_id, created, model, usage=completion)


#: Chat Completions (``POST /v1/chat/completions``)
CHAT: WireAPI = _ChatAPI()
#: the legacy Completions API of a raw text prompt (``POST /v1/completions``)
TEXT: WireAPI = _TextAPI()


@dataclass(slots=True)
class OpenAIRequest:
    """A parsed request: a chat completion, or (``api`` :data:`TEXT`) a text completion whose
    ``request`` is a ``text`` :class:`~agility.chat.ChatRequest` (one user message: the
    prompt)."""

    model: str
    request: ChatRequest
    stream: bool
    include_usage: bool
    user: str | None
    api: WireAPI = CHAT


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


def _object(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _bad("the body is not valid JSON", None, "invalid_json") from None
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object", None)
    return body


def _is_default(value: Any, default: Any) -> bool:
    """Whether ``value`` is ``default`` (or null), a boolean never standing for a number."""
    if value is None:
        return True
    if isinstance(default, bool) or default is None:
        return value is default
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value == default


def _known_fields(body: dict[str, Any], accepted: frozenset[str],
                  default_only: dict[str, Any], serves: str) -> None:
    for name in body:
        if name in accepted:
            continue
        if name in default_only:
            if not _is_default(body[name], default_only[name]):
                raise _bad(f"{name}={body[name]!r} is not supported by the agility gateway "
                           f"(only {default_only[name]!r})", name, "unsupported_value")
            continue
        raise _bad(f"unsupported parameter '{name}': the agility gateway serves {serves}",
                   name, "unsupported_parameter")


def _settings(body: dict[str, Any], max_tokens: int | None
              ) -> tuple[str, bool, bool, str | None, GenerationConfig]:
    """What both APIs share: model, stream, include_usage, user and the sampling settings."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("model must be a non-empty string", "model")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise _bad("stream must be true or false", "stream")
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise _bad("stream_options must be an object", "stream_options")
    include_usage = (options or {}).get("include_usage")
    if include_usage is not None and not isinstance(include_usage, bool):
        raise _bad("stream_options.include_usage must be true or false",
                   "stream_options.include_usage")
    user = body.get("user")
    if user is not None and not isinstance(user, str):
        raise _bad("user must be a string", "user")
    if max_tokens is None:
        max_tokens = _integer(body, "max_tokens", 1)
    seed = _integer(body, "seed", -(2**63))
    config = GenerationConfig.model_construct(
        temperature=_number(body, "temperature", 0.0, 2.0),
        top_p=_number(body, "top_p", 0.0, 1.0), max_tokens=max_tokens,
        stop=_stop(body.get("stop")), seed=seed, extra={})
    if config.top_p == 0.0:
        raise _bad("top_p must be above 0", "top_p")
    return model, stream, bool(include_usage), user, config


def parse_request(raw: bytes) -> OpenAIRequest:
    """Parse a chat completions request body.

    Raises:
        WireError: 400, naming the field, for anything the gateway cannot serve as asked.
    """
    body = _object(raw)
    _known_fields(body, _IGNORED, _DEFAULT_ONLY,
                  "text chat (model, messages, stream, temperature, top_p, max_tokens, stop, "
                  "seed)")
    model, stream, include_usage, user, config = _settings(
        body, _integer(body, "max_completion_tokens", 1))
    request = ChatRequest.model_construct(messages=_messages(body.get("messages")),
                                          config=config, tools=[], tool_choice=None)
    return OpenAIRequest(model=model, request=request, stream=stream,
                         include_usage=include_usage, user=user)


def _prompt(value: Any) -> str:
    """The one text prompt of a Completions request (a string, or a list of one string)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value) or \
                all(isinstance(v, list) for v in value):
            raise _bad("token-array prompts are not supported: send the prompt as text (the "
                       "arms may not share a tokenizer)", "prompt", "unsupported_value")
        if all(isinstance(v, str) for v in value):
            if len(value) > 1:
                raise _bad(f"{len(value)} prompts in one request are not supported: send "
                           f"one prompt per request", "prompt", "unsupported_value")
            return str(value[0])
    if value is None:
        raise _bad("prompt is required (a string)", "prompt")
    raise _bad("prompt must be a string (or a list of exactly one string)", "prompt")


def parse_completion_request(raw: bytes) -> OpenAIRequest:
    """Parse a (legacy) completions request body: a raw text prompt for the model to continue.

    Accepted: ``model``, ``prompt`` (a string, or a list of exactly one string), ``stream``,
    ``stream_options.include_usage``, ``temperature``, ``top_p``, ``max_tokens``, ``stop``,
    ``seed``, ``user`` (a routing key, not forwarded); ``n``, ``best_of``, ``echo``,
    ``logprobs``, ``suffix``, ``frequency_penalty``, ``presence_penalty`` and ``logit_bias``
    only at their defaults.

    Returns:
        the request, its ``request`` a ``text`` :class:`~agility.chat.ChatRequest` holding
        the prompt as its one user message, its ``api`` :data:`TEXT`.

    Raises:
        WireError: 400, naming the field, for anything the gateway cannot serve as asked
            (token-array prompts, several prompts, any unknown field).
    """
    body = _object(raw)
    _known_fields(body, _TEXT_IGNORED, _TEXT_DEFAULT_ONLY,
                  "text completions (model, prompt, stream, temperature, top_p, max_tokens, "
                  "stop, seed)")
    prompt = _prompt(body.get("prompt"))
    model, stream, include_usage, user, config = _settings(body, None)
    # every field given: model_construct skips the validators and calls default factories
    message = Message.model_construct(role="user", content=prompt, tool_calls=[],
                                      tool_call_id=None)
    request = ChatRequest.model_construct(messages=[message], config=config, tools=[],
                                          tool_choice=None, prompt_format="text")
    return OpenAIRequest(model=model, request=request, stream=stream,
                         include_usage=include_usage, user=user, api=TEXT)


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


def text_completion_body(request_id: str, created: int, model: str,
                         completion: Completion) -> bytes:
    """A whole ``text_completion`` answer (the legacy Completions API)."""
    return orjson.dumps({
        "id": request_id, "object": "text_completion", "created": created, "model": model,
        "choices": [{"text": completion.text, "index": 0, "logprobs": None,
                     "finish_reason": finish_reason(completion)}],
        "usage": _usage(completion)})


def text_chunk_bytes(request_id: str, created: int, model: str, *, text: str = "",
                     finish: str | None = None, usage: Completion | None = None) -> bytes:
    """One ``data: {...}`` event of a streamed text completion (a piece of text, the finish,
    or the usage chunk, whose ``choices`` is empty)."""
    base: dict[str, Any] = {"id": request_id, "object": "text_completion", "created": created,
                            "model": model}
    if usage is not None:
        base["choices"] = []
        base["usage"] = _usage(usage)
    else:
        base["choices"] = [{"text": text, "index": 0, "logprobs": None,
                            "finish_reason": finish}]
    return b"data: " + orjson.dumps(base) + b"\n\n"
