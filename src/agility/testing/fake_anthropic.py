"""A local server speaking the Anthropic Messages API (``POST /v1/messages``, SSE streaming).

Same knobs and faults as :class:`~agility.testing.FakeOpenAIServer` (it reuses its queue and
counters); the wire format is Anthropic's (a request without ``stream: true`` gets one JSON
``message`` with its ``usage``; a streamed one): ``message_start`` (with input usage),
``content_block_start``, ``ping``, ``content_block_delta`` text deltas, ``content_block_stop``,
``message_delta`` (stop reason, output usage), ``message_stop``; a responder's tool calls
(see :class:`~agility.testing.FakeOpenAIServer`) follow as ``tool_use`` blocks whose input
streams as ``input_json_delta`` pieces (stop reason ``tool_use``). Errors are Anthropic error
bodies with a ``request-id`` header; ``Fault.server_error(529)`` is ``overloaded_error``.
Point the real SDK at it: ``AsyncAnthropic(base_url=server.base_url, api_key=...)``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from agility.testing._http import HTTPRequest, HTTPResponder
from agility.testing.fake_openai import FakeOpenAIServer, Fault, _reply, split_tokens

__all__ = ["FakeAnthropicServer"]

_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error",
                403: "permission_error", 404: "not_found_error", 429: "rate_limit_error",
                500: "api_error", 529: "overloaded_error"}


def _system_text(body: dict[str, Any]) -> str:
    system = body.get("system") or ""
    if isinstance(system, list):
        return " ".join(str(b.get("text", "")) for b in system if isinstance(b, dict))
    return str(system)


def _prompt_text(body: dict[str, Any]) -> str:
    return _system_text(body) + " " + " ".join(
        str(m.get("content")) for m in body.get("messages") or [])


class FakeAnthropicServer(FakeOpenAIServer):
    """Anthropic Messages API on 127.0.0.1; ``base_url`` has no ``/v1`` (the SDK adds it)."""

    @property
    def base_url(self) -> str:
        """The root URL to give the Anthropic SDK."""
        return f"http://{self.host}:{self.port}"

    async def handle(self, request: HTTPRequest, responder: HTTPResponder) -> None:
        if request.method != "POST" or request.path.rstrip("/") != "/v1/messages":
            await responder.send(404, _error(404, f"no route {request.method} {request.path}"))
            return
        body = request.json()
        with self._lock:
            self._requests.append(body)
        request_id = f"req_{next(self._ids):06d}"
        fault = self._next_fault()
        if fault is not None and await self._apply_early_fault(fault, request, responder,
                                                               request_id):
            return
        text, calls = _reply(self.responder(body))
        if body.get("stream"):
            await self._stream_messages(body, request, responder, request_id, text, fault, calls)
        else:
            await self._whole_message(body, responder, request_id, text, calls)

    async def _whole_message(self, body: dict[str, Any], responder: HTTPResponder,
                             request_id: str, text: str,
                             calls: list[dict[str, Any]] | None) -> None:
        """A reply that was not asked to stream: one JSON ``message``."""
        content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
        content += [{"type": "tool_use", "id": f"toolu_{request_id}_{i}", "name": c["name"],
                     "input": c["arguments"]} for i, c in enumerate(calls or (), start=1)]
        usage = {"input_tokens": len(_prompt_text(body).split()),
                 "output_tokens": len(split_tokens(text))} if self.usage else {}
        await responder.send(200, {
            "id": f"msg_{request_id}", "type": "message", "role": "assistant",
            "model": body.get("model"), "content": content,
            "stop_reason": "tool_use" if calls else "end_turn", "stop_sequence": None,
            "usage": usage}, {"request-id": request_id})
        self._finish()

    async def _apply_early_fault(self, fault: Fault, request: HTTPRequest,
                                 responder: HTTPResponder, request_id: str) -> bool:
        headers = {"request-id": request_id}
        if fault.kind == "rate_limit":
            headers["retry-after"] = f"{fault.retry_after_s or 1:g}"
            await responder.send(429, _error(429, "Number of requests has exceeded your rate "
                                                  "limit."), headers)
        elif fault.kind == "server_error":
            status = fault.status or 500
            await responder.send(status, _error(status, "Overloaded" if status == 529
                                                else "Internal server error"), headers)
        elif fault.kind == "auth_error":
            sent = request.headers.get("x-api-key", "")
            await responder.send(401, _error(401, f"invalid x-api-key {sent}"), headers)
        elif fault.kind == "hang":
            await asyncio.sleep(fault.seconds or 30.0)
            responder.abort()
        else:
            return False
        return True

    async def _stream_messages(self, body: dict[str, Any], request: HTTPRequest,
                               responder: HTTPResponder, request_id: str, text: str,
                               fault: Fault | None,
                               calls: list[dict[str, Any]] | None = None) -> None:
        ttft_ms = self._ttft(body, request)
        prompt = _prompt_text(body)
        tokens = split_tokens(text)

        async def event(name: str, data: dict[str, Any] | str) -> None:
            payload = data if isinstance(data, str) else json.dumps({"type": name, **data})
            await responder.write_chunk(f"event: {name}\ndata: {payload}\n\n")

        await responder.start_stream(200, {"request-id": request_id})
        usage_in: dict[str, Any] = {}
        if self.usage:
            # Anthropic counts cache reads and writes apart from input_tokens
            usage_in = {"input_tokens": len(prompt.split()), "output_tokens": 1}
            if self.cached_tokens is not None:
                usage_in["cache_read_input_tokens"] = self.cached_tokens
            if self.cache_write_tokens is not None:
                usage_in["cache_creation_input_tokens"] = self.cache_write_tokens
        await event("message_start", {"message": {
            "id": f"msg_{request_id}", "type": "message", "role": "assistant", "content": [],
            "model": body.get("model"), "stop_reason": None, "stop_sequence": None,
            "usage": usage_in}})
        await event("content_block_start", {"index": 0, "content_block": {"type": "text",
                                                                           "text": ""}})
        await event("ping", {})
        for index, token in enumerate(tokens):
            if fault is not None and fault.cuts_before(index):
                responder.abort()
                return
            if fault is not None and fault.errors_before(index):
                await event("error", _error(fault.status or 500, "Overloaded"))
                await responder.end_stream()
                return
            await asyncio.sleep((ttft_ms if index == 0 else self.token_delay_ms) / 1000.0)
            await event("content_block_delta", {"index": 0, "delta": {"type": "text_delta",
                                                                       "text": token}})
            if fault is not None and fault.kind == "malformed_chunk":
                await event("content_block_delta", '{"type": "content_block_delta", "ind')
                fault = None
        await event("content_block_stop", {"index": 0})
        for index, call in enumerate(calls or (), start=1):
            if index == 1 and not tokens:
                await asyncio.sleep(ttft_ms / 1000.0)
            await event("content_block_start", {"index": index, "content_block": {
                "type": "tool_use", "id": f"toolu_{request_id}_{index}", "name": call["name"],
                "input": {}}})
            arguments = json.dumps(call["arguments"])
            half = len(arguments) // 2
            for part in (arguments[:half], arguments[half:]):
                await event("content_block_delta", {"index": index, "delta": {
                    "type": "input_json_delta", "partial_json": part}})
            await event("content_block_stop", {"index": index})
        usage_out = {"output_tokens": len(tokens)} if self.usage else {}
        await event("message_delta", {"delta": {"stop_reason": "tool_use" if calls else "end_turn",
                                                "stop_sequence": None}, "usage": usage_out})
        await event("message_stop", {})
        # counted before the last bytes go out, so a client that has read to the end always
        # sees its call counted (counting after raced the client's return)
        self._finish()
        await responder.end_stream()


def _error(status: int, message: str) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return {"type": "error", "error": {"type": kind, "message": message}}
