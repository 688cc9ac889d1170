"""A local server speaking Amazon Bedrock ConverseStream and InvokeModel, for boto3 with
``endpoint_url``.

``POST /model/{modelId}/invoke`` and ``.../invoke-with-response-stream`` take and give the
Anthropic Messages body as Bedrock carries it (``anthropic_version``, ``messages``; the reply's
``usage``, and the ``x-amzn-bedrock-input-token-count``/``-output-token-count`` headers; a stream's
``chunk`` events hold the Messages stream events, the last one with
``amazon-bedrock-invocationMetrics``).

``POST /model/{modelId}/converse-stream`` answers with ``application/vnd.amazon.eventstream``
binary frames (prelude: total length, headers length, prelude CRC32; headers ``:event-type``,
``:content-type``, ``:message-type``; JSON payload; message CRC32): ``messageStart``,
``contentBlockDelta`` text deltas, ``contentBlockStop``, ``messageStop``, ``metadata`` (usage
and the service's ``latencyMs``). Errors carry ``x-amzn-ErrorType`` as the service does.
Faults as :class:`~agility.testing.FakeOpenAIServer`; ``Fault.malformed_chunk()`` sends a frame
with a wrong CRC. Use dummy credentials: ``aws_access_key_id="test"``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import zlib
from typing import Any
from urllib.parse import unquote

from agility.testing._http import HTTPRequest, HTTPResponder
from agility.testing.fake_openai import FakeOpenAIServer, Fault, _reply, split_tokens

__all__ = ["FakeBedrockServer", "encode_event"]

_ERROR_CODES = {400: "ValidationException", 403: "AccessDeniedException",
                404: "ResourceNotFoundException", 424: "ModelErrorException",
                429: "ThrottlingException", 500: "InternalServerException",
                503: "ServiceUnavailableException"}

_STREAM_EXCEPTIONS = {429: "throttlingException", 503: "serviceUnavailableException",
                      500: "internalServerException", 424: "modelStreamErrorException",
                      400: "validationException"}


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    # value type 7 = string
    return struct.pack("!B", len(raw_name)) + raw_name + struct.pack("!BH", 7, len(raw_value)) \
        + raw_value


def encode_event(event_type: str, payload: dict[str, Any], *, message_type: str = "event",
                 corrupt: bool = False) -> bytes:
    """One ``vnd.amazon.eventstream`` frame; ``corrupt`` spoils its message CRC."""
    type_header = ":event-type" if message_type == "event" else ":exception-type"
    headers = (_header(type_header, event_type) + _header(":content-type", "application/json")
               + _header(":message-type", message_type))
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack("!II", total, len(headers))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    message = prelude + headers + body
    crc = zlib.crc32(message) ^ (0xFFFFFFFF if corrupt else 0)
    return message + struct.pack("!I", crc)


def _text_of(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return str(content or "")


def bedrock_echo(body: dict[str, Any]) -> str:
    """Echo the text of the last user message of a Converse body."""
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            return _text_of(message.get("content"))
    return ""


class FakeBedrockServer(FakeOpenAIServer):
    """Bedrock Runtime ConverseStream on 127.0.0.1 (``endpoint_url`` = :attr:`base_url`).

    ``requests`` holds the Converse bodies, each with the model id added as ``"modelId"``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "responder" not in kwargs and not args:
            self.responder = bedrock_echo

    @property
    def base_url(self) -> str:
        """The ``endpoint_url`` to give boto3."""
        return f"http://{self.host}:{self.port}"

    async def handle(self, request: HTTPRequest, responder: HTTPResponder) -> None:
        parts = request.path.strip("/").split("/")
        if request.method != "POST" or len(parts) != 3 or parts[0] != "model" \
                or parts[2] not in ("converse-stream", "invoke", "invoke-with-response-stream"):
            await self._error(responder, 404, "no such route", "req-none")
            return
        body = {**request.json(), "modelId": unquote(parts[1])}
        with self._lock:
            self._requests.append(body)
        request_id = f"req-{next(self._ids):06d}"
        fault = self._next_fault()
        if fault is not None and await self._early_fault(fault, responder, request_id):
            return
        if parts[2] == "invoke":
            await self._invoke(body, request, responder, request_id)
        elif parts[2] == "invoke-with-response-stream":
            await self._invoke_stream(body, request, responder, request_id, fault)
        else:
            await self._converse_stream(body, request, responder, request_id, fault)

    def _prompt_words(self, body: dict[str, Any]) -> int:
        words = sum(len(_text_of(m.get("content")).split()) for m in body.get("messages") or [])
        system = body.get("system")
        return words + len((system if isinstance(system, str) else _text_of(system)).split())

    async def _invoke(self, body: dict[str, Any], request: HTTPRequest,
                      responder: HTTPResponder, request_id: str) -> None:
        """InvokeModel with an Anthropic Messages body: one JSON message."""
        await asyncio.sleep(self._ttft(body, request) / 1000.0)
        text, _calls = _reply(self.responder(body))
        words_in, words_out = self._prompt_words(body), len(split_tokens(text))
        reply = {"id": f"msg_bdrk_{request_id}", "type": "message", "role": "assistant",
                 "model": body["modelId"], "content": [{"type": "text", "text": text}],
                 "stop_reason": "end_turn", "stop_sequence": None,
                 "usage": {"input_tokens": words_in, "output_tokens": words_out}}
        self._finish()
        await responder.send(200, reply, {
            "x-amzn-requestid": request_id,
            "x-amzn-bedrock-input-token-count": str(words_in),
            "x-amzn-bedrock-output-token-count": str(words_out)})

    async def _invoke_stream(self, body: dict[str, Any], request: HTTPRequest,
                             responder: HTTPResponder, request_id: str,
                             fault: Fault | None) -> None:
        """InvokeModelWithResponseStream: the Messages stream events, one ``chunk`` each."""
        ttft_ms = self._ttft(body, request)
        text, _calls = _reply(self.responder(body))
        tokens = split_tokens(text)
        words_in = self._prompt_words(body)
        started = asyncio.get_running_loop().time()

        def chunk(event: dict[str, Any]) -> bytes:
            data = base64.b64encode(json.dumps(event).encode()).decode()
            return encode_event("chunk", {"bytes": data})

        await responder.start_stream(200, {"x-amzn-requestid": request_id},
                                     content_type="application/vnd.amazon.eventstream")
        await responder.write_chunk(chunk({"type": "message_start", "message": {
            "id": f"msg_bdrk_{request_id}", "type": "message", "role": "assistant",
            "model": body["modelId"], "content": [],
            "usage": {"input_tokens": words_in, "output_tokens": 1}}}))
        await responder.write_chunk(chunk({"type": "content_block_start", "index": 0,
                                           "content_block": {"type": "text", "text": ""}}))
        for index, token in enumerate(tokens):
            if fault is not None and fault.cuts_before(index):
                responder.abort()
                return
            await asyncio.sleep((ttft_ms if index == 0 else self.token_delay_ms) / 1000.0)
            await responder.write_chunk(chunk({"type": "content_block_delta", "index": 0,
                                               "delta": {"type": "text_delta", "text": token}}))
        latency_ms = int((asyncio.get_running_loop().time() - started) * 1000)
        await responder.write_chunk(chunk({"type": "content_block_stop", "index": 0}))
        await responder.write_chunk(chunk({"type": "message_delta",
                                           "delta": {"stop_reason": "end_turn"},
                                           "usage": {"output_tokens": len(tokens)}}))
        await responder.write_chunk(chunk({"type": "message_stop",
                                           "amazon-bedrock-invocationMetrics": {
                                               "inputTokenCount": words_in,
                                               "outputTokenCount": len(tokens),
                                               "invocationLatency": latency_ms,
                                               "firstByteLatency": int(ttft_ms)}}))
        self._finish()
        await responder.end_stream()

    async def _error(self, responder: HTTPResponder, status: int, message: str,
                     request_id: str, code: str | None = None) -> None:
        code = code or _ERROR_CODES.get(status, "InternalServerException")
        await responder.send(status, {"message": message},
                             {"x-amzn-errortype": f"{code}:http://internal.amazon.com/coral/",
                              "x-amzn-requestid": request_id})

    async def _early_fault(self, fault: Fault, responder: HTTPResponder,
                           request_id: str) -> bool:
        if fault.kind == "rate_limit":
            await self._error(responder, 429, "Too many requests, please wait before trying "
                                              "again.", request_id)
        elif fault.kind == "server_error":
            await self._error(responder, fault.status or 500, "The server had an error.",
                              request_id)
        elif fault.kind == "auth_error":
            await self._error(responder, 403, "The security token included in the request is "
                                              "invalid.", request_id, "UnrecognizedClientException")
        elif fault.kind == "hang":
            await asyncio.sleep(fault.seconds or 30.0)
            responder.abort()
        else:
            return False
        return True

    async def _converse_stream(self, body: dict[str, Any], request: HTTPRequest,
                               responder: HTTPResponder, request_id: str,
                               fault: Fault | None) -> None:
        ttft_ms = self._ttft(body, request)
        text, calls = _reply(self.responder(body))
        tokens = split_tokens(text)
        started = asyncio.get_running_loop().time()
        await responder.start_stream(200, {"x-amzn-requestid": request_id},
                                     content_type="application/vnd.amazon.eventstream")
        await responder.write_chunk(encode_event("messageStart", {"role": "assistant"}))
        for index, token in enumerate(tokens):
            if fault is not None and fault.cuts_before(index):
                responder.abort()
                return
            if fault is not None and fault.errors_before(index):
                kind = _STREAM_EXCEPTIONS.get(fault.status or 500, "internalServerException")
                await responder.write_chunk(encode_event(
                    kind, {"message": "The stream failed."}, message_type="exception"))
                await responder.end_stream()
                return
            await asyncio.sleep((ttft_ms if index == 0 else self.token_delay_ms) / 1000.0)
            await responder.write_chunk(encode_event(
                "contentBlockDelta", {"delta": {"text": token}, "contentBlockIndex": 0},
                corrupt=fault is not None and fault.kind == "malformed_chunk"))
        await responder.write_chunk(encode_event("contentBlockStop", {"contentBlockIndex": 0}))
        for index, call in enumerate(calls, start=1):
            if index == 1 and not tokens:
                await asyncio.sleep(ttft_ms / 1000.0)
            await responder.write_chunk(encode_event("contentBlockStart", {
                "start": {"toolUse": {"toolUseId": f"tooluse_{request_id}_{index}",
                                      "name": call["name"]}}, "contentBlockIndex": index}))
            arguments = json.dumps(call["arguments"])
            half = len(arguments) // 2
            for part in (arguments[:half], arguments[half:]):
                await responder.write_chunk(encode_event("contentBlockDelta", {
                    "delta": {"toolUse": {"input": part}}, "contentBlockIndex": index}))
            await responder.write_chunk(encode_event("contentBlockStop",
                                                     {"contentBlockIndex": index}))
        await responder.write_chunk(encode_event(
            "messageStop", {"stopReason": "tool_use" if calls else "end_turn"}))
        prompt_words = sum(len(_text_of(m.get("content")).split())
                           for m in body.get("messages") or [])
        prompt_words += sum(len(_text_of([s]).split()) for s in body.get("system") or [])
        latency_ms = int((asyncio.get_running_loop().time() - started) * 1000)
        if self.usage:
            # Bedrock counts cache reads and writes apart from inputTokens
            usage = {"inputTokens": prompt_words, "outputTokens": len(tokens),
                     "totalTokens": prompt_words + len(tokens)}
            for key, value in (("cacheReadInputTokens", self.cached_tokens),
                               ("cacheWriteInputTokens", self.cache_write_tokens)):
                if value is not None:
                    usage[key] = value
                    usage["totalTokens"] += value
            await responder.write_chunk(encode_event("metadata", {
                "usage": usage, "metrics": {"latencyMs": latency_ms}}))
        # counted before the last bytes go out, so a client that has read to the end always
        # sees its call counted (counting after raced the client's return)
        self._finish()
        await responder.end_stream()
