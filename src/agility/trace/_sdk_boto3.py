"""Bedrock model calls through boto3 as spans, while a system runs (see :mod:`._instrument`).

botocore's ``BaseClient._make_api_call`` is wrapped: a ``Converse``, ``ConverseStream``,
``InvokeModel`` or ``InvokeModelWithResponseStream`` call of a ``bedrock-runtime`` client inside
an example is an ``llm`` span ``bedrock/MODEL_ID`` priced for the client's region
(:class:`agility.trace._sdk_call.SdkCall`). A stream's latency runs until the caller has read
it to its end (or closed it). Every other call of every other client goes straight through.

- Converse: tokens from the reply's ``usage`` (``inputTokens``, ``outputTokens``), for a stream
  its ``metadata`` event; TTFT at the first ``contentBlockDelta`` or the start of a ``toolUse``
  block.
- InvokeModel: the body is the model's own format and is left unread (the caller reads it);
  tokens from the service's ``x-amzn-bedrock-input-token-count``/``-output-token-count``
  headers (None when absent). A response stream's ``chunk`` events are read as the caller reads
  them: tokens from the last chunk's ``amazon-bedrock-invocationMetrics``; TTFT at the first
  chunk carrying text (an Anthropic ``content_block_delta`` or ``tool_use`` start; other
  families' ``outputText``, ``generation``, ``completion``, ``outputs``, ``text``,
  ``contentBlockDelta``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import Any

from agility.trace._calls import in_agility_call
from agility.trace._sdk_call import SdkCall
from agility.trace._span import active_trace

__all__ = ["patch_botocore"]

_CONVERSE = ("Converse", "ConverseStream")
_INVOKE = ("InvokeModel", "InvokeModelWithResponseStream")
_TRACED = (*_CONVERSE, *_INVOKE)
#: what a non-Anthropic model's stream chunk carries its text in
_TEXT_KEYS = ("outputText", "generation", "completion", "outputs", "text", "contentBlockDelta")


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


def _count(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


class _InvokeCall(_BedrockCall):
    """An ``InvokeModel`` call: tokens from the service's headers or invocation metrics."""

    def read_reply(self, reply: Any) -> None:
        meta = reply.get("ResponseMetadata") if isinstance(reply, dict) else None
        headers = (meta or {}).get("HTTPHeaders") or {}
        self.input_tokens = _count(headers.get("x-amzn-bedrock-input-token-count"))
        self.output_tokens = _count(headers.get("x-amzn-bedrock-output-token-count"))

    def read_event(self, event: Any) -> bool:
        raw = (event.get("chunk") or {}).get("bytes") if isinstance(event, dict) else None
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            return False
        if not isinstance(payload, dict):
            return False
        metrics = payload.get("amazon-bedrock-invocationMetrics")
        if isinstance(metrics, dict):
            self.input_tokens = _count(metrics.get("inputTokenCount"))
            self.output_tokens = _count(metrics.get("outputTokenCount"))
        kind = payload.get("type")
        if kind == "content_block_delta":
            return True
        if kind == "content_block_start":
            return (payload.get("content_block") or {}).get("type") == "tool_use"
        if kind is not None:  # another Anthropic event: no text in it
            return False
        return any(payload.get(key) for key in _TEXT_KEYS)


class _WatchedStream:
    """The reply's event stream, read through the call's timing (``close`` passes on)."""

    def __init__(self, stream: Any, call: SdkCall) -> None:
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
        if trace is None or in_agility_call() or operation_name not in _TRACED \
                or self.meta.service_model.service_name != "bedrock-runtime":
            return original(self, operation_name, api_params)
        kind = _InvokeCall if operation_name in _INVOKE else _BedrockCall
        call = kind(trace, {"model": api_params.get("modelId")}, region=self.meta.region_name)
        try:
            response = original(self, operation_name, api_params)
        except Exception as exc:
            call.failed(exc)
            raise
        field = {"ConverseStream": "stream", "InvokeModelWithResponseStream": "body"}.get(
            operation_name)
        if field is not None and field in response:
            response[field] = _WatchedStream(response[field], call)
            return response
        call.done(response)
        return response

    BaseClient._make_api_call = make_api_call

    def undo() -> None:
        BaseClient._make_api_call = original

    return undo
