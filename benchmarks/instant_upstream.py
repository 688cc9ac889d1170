"""An instant OpenAI-compatible upstream for gateway benchmarks: canned answers, no delay.

    python benchmarks/instant_upstream.py PORT

A bare asyncio protocol (on uvloop when installed) that answers every POST with the same
pre-built response: an SSE stream (a role chunk, five content chunks, a finish chunk, a usage
chunk, ``[DONE]``) when the body asks for ``"stream": true``, else a whole
``chat.completion``. It costs about 15 us of CPU a request, so a gateway benchmark measures
the gateway, not the fake. Prints ``listening PORT`` once bound.
"""

from __future__ import annotations

import asyncio
import json
import sys

WORDS = ["The ", "answer ", "is ", "forty ", "two."]
_BASE = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0,
         "model": "bench-model"}


def _sse() -> bytes:
    chunks = [{**_BASE, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                     "finish_reason": None}]}]
    chunks += [{**_BASE, "choices": [{"index": 0, "delta": {"content": w},
                                      "finish_reason": None}]} for w in WORDS]
    chunks.append({**_BASE, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    chunks.append({**_BASE, "choices": [], "usage": {"prompt_tokens": 12,
                                                     "completion_tokens": 5,
                                                     "total_tokens": 17}})
    return ("".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n").encode()


def _whole() -> bytes:
    return json.dumps({"id": "chatcmpl-bench", "object": "chat.completion", "created": 0,
                       "model": "bench-model",
                       "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant",
                                                "content": "".join(WORDS)}}],
                       "usage": {"prompt_tokens": 12, "completion_tokens": 5,
                                 "total_tokens": 17}}).encode()


def _response(body: bytes, content_type: bytes) -> bytes:
    return (b"HTTP/1.1 200 OK\r\ncontent-type: " + content_type +
            b"\r\ncontent-length: %d\r\n\r\n" % len(body) + body)


STREAM = _response(_sse(), b"text/event-stream")
WHOLE = _response(_whole(), b"application/json")


class _Upstream(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15:].split(b"\r\n", 1)[0]) if at >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4:end + 4 + length]
            self.buffer = self.buffer[end + 4 + length:]
            streamed = b'"stream":true' in body.replace(b" ", b"")
            self.transport.write(STREAM if streamed else WHOLE)


async def main(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(_Upstream, "127.0.0.1", port,
                                                            backlog=4096)
    print(f"listening {server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop
        uvloop.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    except ImportError:
        asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
