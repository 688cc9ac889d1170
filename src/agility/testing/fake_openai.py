"""A fault-injecting OpenAI-compatible Chat Completions server for tests and benchmarks.

    from agility.testing import FakeOpenAIServer, Fault
    with FakeOpenAIServer(ttft_ms=20) as server:
        server.base_url          # "http://127.0.0.1:PORT/v1"
        server.set_faults([Fault.rate_limit(retry_after_s=1), Fault.cut_stream(after_tokens=2)])

The answer (by default the last user message, echoed) is split on whitespace and streamed as
SSE: a role-only chunk, then -- after ``ttft_ms`` -- content chunks ``token_delay_ms`` apart, a
finish chunk, a usage chunk when the request asks for one, and ``data: [DONE]``. A request
header ``x-fake-ttft-ms`` overrides ``ttft_ms`` for that request.

A responder may answer with tool calls too: it returns ``{"content": text, "tool_calls":
[{"name": ..., "arguments": {...}}]}`` instead of a string, and the calls are streamed as
OpenAI does (a first delta with the call's id and name, then its arguments' JSON in pieces;
finish reason ``tool_calls``).

Run it as a separate process with ``python -m agility.testing.fake_openai --port N``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from agility.testing._http import BackgroundHTTPServer, HTTPRequest, HTTPResponder

__all__ = ["FakeOpenAIServer", "Fault", "default_responder", "split_tokens"]

Responder = Callable[[dict[str, Any]], "str | dict[str, Any]"]


@dataclass(frozen=True)
class Fault:
    """One injected failure, applied to one request. Build with the class methods."""

    kind: str
    status: int | None = None
    retry_after_s: float | None = None
    seconds: float | None = None
    after_tokens: int | None = None

    def cuts_before(self, index: int) -> bool:
        """Whether this fault drops the stream before content chunk number ``index``."""
        return self.kind == "cut_stream" and index >= (self.after_tokens or 0)

    @classmethod
    def rate_limit(cls, retry_after_s: float = 1) -> Fault:
        """HTTP 429 with a ``Retry-After`` header."""
        return cls("rate_limit", status=429, retry_after_s=retry_after_s)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        """An HTTP 5xx (or any status) with an OpenAI-style error body."""
        return cls("server_error", status=status)

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Fault:
        """Send nothing for ``seconds``, then drop the connection (the client should time out)."""
        return cls("hang", seconds=seconds)

    @classmethod
    def cut_stream(cls, after_tokens: int = 1) -> Fault:
        """Start streaming, then drop the connection after ``after_tokens`` content chunks."""
        return cls("cut_stream", after_tokens=after_tokens)

    @classmethod
    def malformed_chunk(cls) -> Fault:
        """Stream a chunk whose data is not JSON after the first content chunk."""
        return cls("malformed_chunk")

    def errors_before(self, index: int) -> bool:
        """Whether this fault sends an in-stream error before content chunk ``index``."""
        return self.kind == "midstream_error" and index >= (self.after_tokens or 0)

    @classmethod
    def midstream_error(cls, after_tokens: int = 1, status: int = 500) -> Fault:
        """Start streaming (HTTP 200), then send the wire format's error event and end."""
        return cls("midstream_error", status=status, after_tokens=after_tokens)

    @classmethod
    def auth_error(cls) -> Fault:
        """HTTP 401 whose message quotes the API key sent, as some servers do."""
        return cls("auth_error", status=401)


def split_tokens(text: str) -> list[str]:
    """Split ``text`` into whitespace "tokens" that join back to exactly ``text``."""
    return re.findall(r"\s*\S+\s*|\s+", text) if text else []


def default_responder(body: dict[str, Any]) -> str:
    """Echo the content of the last user message (a Completions request's ``prompt``)."""
    if "prompt" in body:
        return str(body["prompt"])
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            return str(content or "")
    return ""


def _count_prompt_tokens(body: dict[str, Any]) -> int:
    if "prompt" in body:
        return len(str(body["prompt"]).split())
    return sum(len(str(m.get("content", "")).split()) for m in body.get("messages") or [])


class FakeOpenAIServer(BackgroundHTTPServer):
    """OpenAI-compatible ``/v1/chat/completions``, ``/v1/completions`` (a text prompt, as
    vLLM and the llama.cpp server serve it) and ``/v1/models`` on 127.0.0.1.

    Args:
        responder: ``responder(body) -> str`` gives the answer for a request body (default:
            echo the last user message).
        ttft_ms: delay between the role-only chunk and the first content chunk.
        token_delay_ms: delay between content chunks.
        tokens_per_chunk: whitespace tokens per content chunk.
        usage: send a usage chunk when the request asks for one (``stream_options``).
        faults: faults applied to the first requests, in order.
        port: port to bind (0: a free one).
        cached_tokens: prompt tokens to report as read from the prompt cache (None: the
            field is not sent). Each wire format reports them its own way (see
            :meth:`_usage`).
        cache_write_tokens: prompt tokens to report as written to the cache (Anthropic and
            Bedrock only; OpenAI reports none).
        reasoning_tokens: completion tokens to report as reasoning (OpenAI only).
        ttft_for: ``ttft_for(body) -> ms or None`` gives the delay before the first content
            chunk for one request (None: ``ttft_ms``); for tests that slow some calls only.
        delay_whole_answers: a non-streamed answer goes out after the time its stream would
            take (the first chunk's delay, then one token delay per further chunk), so a
            client that does not stream does the same job (benchmarks); by default it goes
            out at once.
    """

    def __init__(self, responder: Responder | None = None, ttft_ms: float = 0.0,
                 token_delay_ms: float = 0.0, tokens_per_chunk: int = 1, usage: bool = True,
                 faults: Iterable[Fault] | None = None, port: int = 0, *,
                 cached_tokens: int | None = None, cache_write_tokens: int | None = None,
                 reasoning_tokens: int | None = None,
                 ttft_for: Callable[[dict[str, Any]], float | None] | None = None,
                 delay_whole_answers: bool = False) -> None:
        super().__init__(port=port)
        self.delay_whole_answers = delay_whole_answers
        self.ttft_for = ttft_for
        self.responder = responder or default_responder
        self.ttft_ms, self.token_delay_ms = ttft_ms, token_delay_ms
        self.tokens_per_chunk = max(1, tokens_per_chunk)
        self.usage = usage
        self.cached_tokens, self.cache_write_tokens = cached_tokens, cache_write_tokens
        self.reasoning_tokens = reasoning_tokens
        self._lock = threading.Lock()
        self._faults: deque[Fault] = deque(faults or [])
        self._requests: list[dict[str, Any]] = []
        self._completed = 0
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        """The base URL to give an OpenAI client, ending in ``/v1``."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """A copy of the request bodies received so far."""
        with self._lock:
            return list(self._requests)

    @property
    def completed(self) -> int:
        """How many responses were sent to the end (``[DONE]`` or a whole JSON body)."""
        with self._lock:
            return self._completed

    def set_faults(self, faults: Iterable[Fault]) -> None:
        """Replace the fault queue: the next requests get these faults, one each, in order."""
        with self._lock:
            self._faults = deque(faults)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _ttft(self, body: dict[str, Any], request: HTTPRequest) -> float:
        """The delay before the first content chunk of this request, in ms."""
        if "x-fake-ttft-ms" in request.headers:
            return float(request.headers["x-fake-ttft-ms"])
        chosen = self.ttft_for(body) if self.ttft_for is not None else None
        return self.ttft_ms if chosen is None else float(chosen)

    def _finish(self) -> None:
        with self._lock:
            self._completed += 1

    # -- routes ----------------------------------------------------------------------------
    async def handle(self, request: HTTPRequest, responder: HTTPResponder) -> None:
        path = request.path.rstrip("/")
        if request.method == "GET" and path.endswith("/models"):
            await responder.send(200, {"object": "list", "data": [
                {"id": "fake-model", "object": "model", "owned_by": "agility"}]})
            return
        if request.method != "POST" or not path.endswith("/completions"):
            await responder.send(404, {"error": {"message": f"no route {request.method} {path}"}})
            return
        try:
            body = request.json()
        except ValueError:
            await responder.send(400, {"error": {"message": "body is not JSON",
                                                 "type": "invalid_request_error"}})
            return
        with self._lock:
            self._requests.append(body)
        request_id = f"req_{next(self._ids):06d}"
        fault = self._next_fault()
        if fault is not None and await self._apply_early_fault(fault, request, responder,
                                                               request_id):
            return
        text, calls = _reply(self.responder(body))
        # /v1/completions: a text prompt continued, choices carry "text" (no tool calls)
        as_text = not path.endswith("/chat/completions")
        if as_text:
            body = {**body, "_text_api": True}
            calls = []
        if body.get("stream"):
            await self._stream(body, request, responder, request_id, text, fault, calls)
        else:
            await self._whole(body, request, responder, request_id, text, calls)

    async def _apply_early_fault(self, fault: Fault, request: HTTPRequest,
                                 responder: HTTPResponder, request_id: str) -> bool:
        """Apply a fault that replaces the response; return True when it did."""
        headers = {"x-request-id": request_id}
        if fault.kind == "rate_limit":
            headers["retry-after"] = _format_seconds(fault.retry_after_s or 1)
            await responder.send(429, _error("Rate limit reached, retry later.",
                                             "rate_limit_exceeded"), headers)
        elif fault.kind == "server_error":
            await responder.send(fault.status or 500, _error("The server had an error.",
                                                             "server_error"), headers)
        elif fault.kind == "auth_error":
            sent = request.headers.get("authorization", "").removeprefix("Bearer ")
            sent = sent or request.headers.get("api-key", "")
            await responder.send(401, _error(f"Incorrect API key provided: {sent}.",
                                             "invalid_api_key"), headers)
        elif fault.kind == "hang":
            await asyncio.sleep(fault.seconds or 30.0)
            responder.abort()
        else:
            return False
        return True

    async def _whole(self, body: dict[str, Any], request: HTTPRequest, responder: HTTPResponder,
                     request_id: str, text: str,
                     calls: list[dict[str, Any]] | None = None) -> None:
        completion_tokens = len(split_tokens(text))
        if self.delay_whole_answers:
            chunks = -(-completion_tokens // self.tokens_per_chunk)  # as _stream cuts them
            await asyncio.sleep((self._ttft(body, request)
                                 + max(0, chunks - 1) * self.token_delay_ms) / 1000.0)
        if body.get("_text_api"):
            payload = {"id": f"cmpl-{request_id}", "object": "text_completion",
                       "created": int(time.time()), "model": body.get("model", "fake-model"),
                       "choices": [{"index": 0, "text": text, "logprobs": None,
                                    "finish_reason": "stop"}],
                       "usage": self._usage(body, completion_tokens)}
            self._finish()
            await responder.send(200, payload, {"x-request-id": request_id})
            return
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            message["tool_calls"] = [
                {"id": f"call_{request_id}_{i}", "type": "function",
                 "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])}}
                for i, c in enumerate(calls)]
        payload = {
            "id": f"chatcmpl-{request_id}", "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "choices": [{"index": 0, "finish_reason": "tool_calls" if calls else "stop",
                         "message": message}],
            "usage": self._usage(body, completion_tokens),
        }
        self._finish()  # before the answer goes out: see _stream
        await responder.send(200, payload, {"x-request-id": request_id})

    async def _stream(self, body: dict[str, Any], request: HTTPRequest, responder: HTTPResponder,
                      request_id: str, text: str, fault: Fault | None,
                      calls: list[dict[str, Any]] | None = None) -> None:
        ttft_ms = self._ttft(body, request)
        base = {"id": f"chatcmpl-{request_id}", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": body.get("model", "fake-model")}

        as_text = bool(body.get("_text_api"))
        if as_text:
            base.update(id=f"cmpl-{request_id}", object="text_completion")

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish}
            if as_text:  # a Completions chunk: the piece as "text", no delta
                choice = {"index": 0, "text": delta.get("content", ""), "logprobs": None,
                          "finish_reason": finish}
            data = {**base, "choices": [choice]}
            return f"data: {json.dumps(data)}\n\n"

        await responder.start_stream(200, {"x-request-id": request_id})
        if not as_text:
            await responder.write_chunk(chunk({"role": "assistant", "content": ""}))
        tokens = split_tokens(text)
        pieces = ["".join(tokens[i:i + self.tokens_per_chunk])
                  for i in range(0, len(tokens), self.tokens_per_chunk)]
        for index, piece in enumerate(pieces):
            if fault is not None and fault.cuts_before(index):
                responder.abort()
                return
            if fault is not None and fault.errors_before(index):
                error = _error("The server had an error while streaming.", "server_error")
                await responder.write_chunk(f"data: {json.dumps(error)}\n\n")
                await responder.end_stream()
                return
            await asyncio.sleep((ttft_ms if index == 0 else self.token_delay_ms) / 1000.0)
            await responder.write_chunk(chunk({"content": piece}))
            if fault is not None and fault.kind == "malformed_chunk":
                await responder.write_chunk('data: {"id": "broken", "choices": [\n\n')
                fault = None
        if fault is not None and fault.kind == "cut_stream":
            responder.abort()
            return
        for index, call in enumerate(calls or ()):
            if index == 0 and not pieces:
                await asyncio.sleep(ttft_ms / 1000.0)
            arguments = json.dumps(call["arguments"])
            half = len(arguments) // 2
            await responder.write_chunk(chunk({"tool_calls": [
                {"index": index, "id": f"call_{request_id}_{index}", "type": "function",
                 "function": {"name": call["name"], "arguments": ""}}]}))
            for part in (arguments[:half], arguments[half:]):
                await responder.write_chunk(chunk({"tool_calls": [
                    {"index": index, "function": {"arguments": part}}]}))
        await responder.write_chunk(chunk({}, "tool_calls" if calls else "stop"))
        wants_usage = (body.get("stream_options") or {}).get("include_usage")
        if self.usage and wants_usage:
            usage = {**base, "choices": [], "usage": self._usage(body, len(tokens))}
            await responder.write_chunk(f"data: {json.dumps(usage)}\n\n")
        await responder.write_chunk("data: [DONE]\n\n")
        # counted before the last bytes go out, so a client that has read to the end always
        # sees its call counted (counting after raced the client's return)
        self._finish()
        await responder.end_stream()

    def _usage(self, body: dict[str, Any], completion_tokens: int) -> dict[str, Any]:
        """OpenAI usage: ``prompt_tokens`` includes the cached ones, which
        ``prompt_tokens_details.cached_tokens`` counts; ``completion_tokens`` includes the
        reasoning ones (``completion_tokens_details.reasoning_tokens``)."""
        prompt_tokens = _count_prompt_tokens(body)
        usage: dict[str, Any] = {"prompt_tokens": prompt_tokens,
                                 "completion_tokens": completion_tokens,
                                 "total_tokens": prompt_tokens + completion_tokens}
        if self.cached_tokens is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": min(self.cached_tokens,
                                                                   prompt_tokens)}
        if self.reasoning_tokens is not None:
            usage["completion_tokens_details"] = {
                "reasoning_tokens": min(self.reasoning_tokens, completion_tokens)}
        return usage


def _reply(answer: str | dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """A responder's answer as its text and its tool calls."""
    if isinstance(answer, str):
        return answer, []
    return str(answer.get("content") or ""), list(answer.get("tool_calls") or [])


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": code, "param": None, "code": code}}


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def main(argv: list[str] | None = None) -> None:
    """Run the fake server in the foreground (prints its base URL, then serves)."""
    parser = argparse.ArgumentParser(prog="python -m agility.testing.fake_openai",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument("--ttft-ms", type=float, default=0.0)
    parser.add_argument("--token-delay-ms", type=float, default=0.0)
    parser.add_argument("--tokens-per-chunk", type=int, default=1)
    parser.add_argument("--no-usage", action="store_true", help="never send a usage chunk")
    parser.add_argument("--delay-whole-answers", action="store_true",
                        help="send a non-streamed answer after the time its stream would take")
    parser.add_argument("--api", choices=("openai", "anthropic", "bedrock"), default="openai",
                        help="wire format to speak (default openai)")
    args = parser.parse_args(argv)
    if args.delay_whole_answers and args.api != "openai":
        parser.error("--delay-whole-answers is for the openai wire format only")
    server_class: type[FakeOpenAIServer] = FakeOpenAIServer
    if args.api == "anthropic":
        from agility.testing.fake_anthropic import FakeAnthropicServer as server_class
    elif args.api == "bedrock":
        from agility.testing.fake_bedrock import FakeBedrockServer as server_class
    server = server_class(ttft_ms=args.ttft_ms, token_delay_ms=args.token_delay_ms,
                          tokens_per_chunk=args.tokens_per_chunk, usage=not args.no_usage,
                          port=args.port, delay_whole_answers=args.delay_whole_answers)
    try:
        server.serve_forever(lambda: print(f"listening {server.base_url}", flush=True))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
