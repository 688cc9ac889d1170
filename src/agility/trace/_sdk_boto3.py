"""Bedrock Converse calls through boto3 as spans, while a system runs (see :mod:`._instrument`).

botocore's ``BaseClient._make_api_call`` is wrapped: a ``Converse`` or ``ConverseStream`` call
of a ``bedrock-runtime`` client inside an example is an ``llm`` span ``bedrock/MODEL_ID``
priced for the client's region (:class:`agility.trace._sdk_call.SdkCall`). Tokens are the
reply's ``usage`` (``inputTokens``, ``outputTokens``), for a stream its ``metadata`` event; a
stream's TTFT is its first ``contentBlockDelta`` or the start of a ``toolUse`` block, its
latency runs until the caller has read the stream to its end (or closed it). Every other call
of every other client goes straight through. Not recorded this way: ``InvokeModel``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from agility.trace._calls import in_agility_call
from agility.trace._sdk_call import SdkCall
from agility.trace._span import active_trace

__all__ = ["patch_botocore"]

_CONVERSE = ("Converse", "ConverseStream")


class _BedrockCall(SdkCall):
    provider = "bedrock"
    sdk = "boto3"

    def _usage(self, usage: Any) -> None:
        if isinstance(usage, dict):
            self.input_tokens = usage.get("inputTokens")
            self.output_tokens = usage.get("outputTokens")

    def read_reply(self, reply: Any) -> None:
        self._usage(reply.get("usage") if isinstance(reply, dict) else None)

    def read_event(self, event: Any) -> bool:
        if not isinstance(event, dict):
            return False
        if "metadata" in event:
            self._usage((event["metadata"] or {}).get("usage"))
        if "contentBlockDelta" in event:
            return True
        start = (event.get("contentBlockStart") or {}).get("start") or {}
        return "toolUse" in start


class _WatchedStream:
    """The reply's event stream, read through the call's timing (``close`` passes on)."""

    def __init__(self, stream: Any, call: _BedrockCall) -> None:
        self._stream, self._call = stream, call

    def __iter__(self) -> Iterator[Any]:
        return self._call.watch(iter(self._stream))

    def close(self) -> None:
        self._stream.close()
        self._call._record()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def patch_botocore(module: Any) -> Callable[[], None]:
    """Wrap the API calls of the imported ``botocore`` package; returns the undo."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    @functools.wraps(original)
    def make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        trace = active_trace()
        if trace is None or in_agility_call() or operation_name not in _CONVERSE \
                or self.meta.service_model.service_name != "bedrock-runtime":
            return original(self, operation_name, api_params)
        call = _BedrockCall(trace, {"model": api_params.get("modelId")},
                            region=self.meta.region_name)
        try:
            response = original(self, operation_name, api_params)
        except Exception as exc:
            call.failed(exc)
            raise
        if operation_name == "ConverseStream" and "stream" in response:
            response["stream"] = _WatchedStream(response["stream"], call)
            return response
        call.done(response)
        return response

    BaseClient._make_api_call = make_api_call

    def undo() -> None:
        BaseClient._make_api_call = original

    return undo
