"""One (example, repeat): retrieve, render, cache, call through the client, make the record."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agility.chat import (
    ChatRequest,
    Completion,
    GenerationConfig,
    Message,
    mask_json,
    mask_message,
)
from agility.client import CallOutcome, Client, RetryPolicy, call_attributes, describe_error
from agility.errors import AgilityError
from agility.pricing import Price, completion_cost
from agility.prompts import PromptTemplate, prompt_format
from agility.retrieval import Retrieval, Retriever
from agility.runner._cache import cache_get, cache_key, cache_put
from agility.runner._system_call import call_system
from agility.store import NewEvent, ResultRecord, SpanRecord, Store
from agility.systems import System, SystemSettings

__all__ = ["CallContext", "RunMasks", "build_request", "call_event", "call_example",
           "describe_error", "mask_result"]

log = logging.getLogger(__name__)


TextMask = Callable[[str], str]


@dataclass(frozen=True)
class RunMasks:
    """What a privacy policy masks in a run (built by :mod:`agility.governance`).

    ``providers`` masks the text sent to the model; ``store`` the text written to the store
    (the result's prompt, answer, contexts and error, and the call's audit event).
    """

    providers: TextMask | None = None
    store: TextMask | None = None
    #: the policy as the run records it (its ``meta["privacy"]``), so exports apply it later
    policy: dict[str, Any] | None = None
    #: the :class:`~agility.governance.PiiMasker` both masks come from: the Ray executor
    #: rebuilds it on each worker from its settings (None: masks that cannot go to Ray)
    masker: Any = None


def mask_result(result: ResultRecord, mask: TextMask | None) -> ResultRecord:
    """``result`` with every text it holds masked (None: unchanged): answer, error, contexts,
    prompt (tool calls' arguments included), the tool calls made, and each span's error and
    attributes (a system's spans may carry what it was asked)."""
    if mask is None:
        return result
    update: dict[str, Any] = {
        "output": None if result.output is None else mask(result.output),
        "error": None if result.error is None else mask(result.error),
        "contexts": None if result.contexts is None else [mask(c) for c in result.contexts],
        "retrieved": [mask_json(d, mask) for d in result.retrieved],
        "tool_calls": None if result.tool_calls is None else [
            {**c, "arguments": mask_json(c.get("arguments"), mask)} if "arguments" in c else c
            for c in result.tool_calls],
        "spans": [s.model_copy(update={
            "error": None if s.error is None else mask(s.error),
            "attributes": mask_json(s.attributes, mask)}) for s in result.spans],
    }
    if result.prompt is not None:
        update["prompt"] = [mask_message(m, mask) for m in result.prompt]
    return result.model_copy(update=update)


def call_event(run_name: str, model: str | None, result: ResultRecord, *,
               system: bool = False) -> NewEvent:
    """The audit event of one call: the prompt sent and the answer (as stored: masked when
    the policy masks the store), the tool calls the answer made when tools were offered,
    and, for a system's answer (``system``), each model call it made (its span's name,
    model, tokens and error)."""
    payload: dict[str, Any] = {
        "example_id": result.example_id, "repeat_index": result.repeat_index, "model": model,
        "prompt": None if result.prompt is None else [m.model_dump() for m in result.prompt],
        "response": result.output, "error": result.error, "request_id": result.request_id,
        "cached": result.cached}
    if result.tool_calls is not None:
        payload["tool_calls"] = result.tool_calls
    if system:
        payload["model_calls"] = [
            {"span": s.name, "model": s.model, "input_tokens": s.input_tokens,
             "output_tokens": s.output_tokens, "error": s.error}
            for s in result.spans if s.kind == "llm"]
    return NewEvent(kind="model.call", subject=run_name, payload=payload)


@dataclass
class CallContext:
    """What every call of a run shares."""

    store: Store
    client: Client | None  # None: a system that names no model
    template: PromptTemplate | None
    config: GenerationConfig | None
    retriever: Retriever | None
    extra_cost_usd: float
    cache: bool
    #: the system under test (None: the plain model call) and the settings it runs with
    system: System | None = None
    settings: SystemSettings | None = None
    #: ``(provider, model, region) -> Price | None`` for model calls seen on the wire
    span_price: Callable[[str, str, str | None], Price | None] | None = None
    #: masks what is written to the store (a privacy policy), None: stored as it is
    store_mask: TextMask | None = None


def build_request(ctx: CallContext, example: Any, contexts: list[str] | None) -> ChatRequest:
    """The request for one example: template (or the recorded prompt), merged config, and
    the tools the row offers the model (``metadata.tools``).

    Settings merge from the row's own, then the template's (what the prompt was written for),
    then the run's: the later wins field by field."""
    messages: list[Message] = (ctx.template.render(example, contexts) if ctx.template
                               else example.prompt_messages())
    config = example.generation_config
    if ctx.template is not None:
        config = config.merged(ctx.template.config)
    return ChatRequest(messages=messages, config=config.merged(ctx.config),
                       tools=example.tools(), prompt_format=prompt_format(ctx.template, example))



def _ms_since(start: float, now: float) -> float:
    return (now - start) * 1000.0


async def call_example(ctx: CallContext, example: Any, repeat_index: int) -> ResultRecord:
    """Produce the result record of one (example, repeat); provider failures become an error
    record, never an exception (template errors do raise: they are the user's to fix).
    With a system, the system answers instead (see :mod:`agility.runner._system_call`)."""
    if ctx.system is not None:
        return await call_system(ctx, example, repeat_index)
    assert ctx.client is not None
    started = time.perf_counter()
    spans: list[SpanRecord] = []
    found: Retrieval | None = None
    if ctx.retriever is not None:
        try:
            found = await ctx.retriever.retrieve(example)
        except Exception as exc:  # noqa: BLE001 - a failed retrieval fails this example only
            error = f"retrieval failed: {describe_error(exc)}"
            spans.append(SpanRecord(name="retrieve", kind="retrieval", error=error,
                                    duration_ms=_ms_since(started, time.perf_counter())))
            return ResultRecord(example_id=example.id, repeat_index=repeat_index, error=error,
                                attempts=0, spans=spans)
        spans.append(SpanRecord(name="retrieve", kind="retrieval", duration_ms=found.latency_ms,
                                cost_usd=found.cost_usd,
                                attributes={"documents": len(found.contexts)}))
    request = build_request(ctx, example, None if found is None else list(found.contexts))
    extra_usd = ctx.extra_cost_usd + (found.cost_usd or 0.0 if found is not None else 0.0)
    key = cache_key(ctx.client.provider, request, repeat_index) if ctx.cache else None
    if key is not None:
        hit = cache_get(ctx.store, key)
        if hit is not None:
            return _record(ctx, example.id, repeat_index, request, found, spans,
                           CallOutcome(completion=hit, error=None, attempts=0,
                                       cost_usd=_cost(ctx, hit, extra_usd), retry_wait_ms=0.0),
                           started, cached=True)
    call_start = _ms_since(started, time.perf_counter())
    outcome = await ctx.client.call(request, example_id=example.id, extra_cost_usd=extra_usd)
    if outcome.completion is not None and key is not None:
        cache_put(ctx.store, key, outcome.completion)
    spans.append(_generation_span(ctx, outcome, call_start))
    return _record(ctx, example.id, repeat_index, request, found, spans, outcome, started)


def _cost(ctx: CallContext, completion: Completion, extra_usd: float) -> float | None:
    assert ctx.client is not None
    return completion_cost(ctx.client.price, completion, extra_usd)


def _generation_span(ctx: CallContext, outcome: CallOutcome, start_ms: float) -> SpanRecord:
    assert ctx.client is not None
    completion = outcome.completion
    provider = ctx.client.provider
    return SpanRecord(
        name="generate", kind="llm", start_ms=start_ms + outcome.retry_wait_ms,
        duration_ms=None if completion is None else completion.latency_ms,
        ttft_ms=None if completion is None else completion.ttft_ms, model=provider.spec,
        input_tokens=None if completion is None else completion.input_tokens,
        output_tokens=None if completion is None else completion.output_tokens,
        # the call's own cost: the retrieval's and the run's per-query extras are not this
        # span's (the retrieve span declares its own), or the span table would count them twice
        cost_usd=None if ctx.client.price is None or completion is None
        else completion_cost(ctx.client.price, completion),
        error=outcome.error_text, attributes=call_attributes(outcome) or {})


def _record(ctx: CallContext, example_id: str, repeat_index: int, request: ChatRequest,
            found: Retrieval | None, spans: list[SpanRecord], outcome: CallOutcome,
            started: float, cached: bool = False) -> ResultRecord:
    common: dict[str, Any] = {
        "example_id": example_id, "repeat_index": repeat_index, "prompt": request.messages,
        "contexts": None if found is None else list(found.contexts),
        "retrieval_ms": None if found is None else found.latency_ms,
        "retrieved": [] if found is None else list(found.details),
        "attempts": outcome.attempts, "request_id": outcome.request_id, "spans": spans,
        "retry_wait_ms": outcome.retry_wait_ms or None,
    }
    completion = outcome.completion
    if completion is None:
        return ResultRecord(error=outcome.error_text, **common)
    extra_usd = ctx.extra_cost_usd + (found.cost_usd or 0.0 if found is not None else 0.0) \
        + (completion.extra_cost_usd or 0.0)
    end_to_end = None
    if found is not None and found.latency_ms is not None and completion.latency_ms is not None \
            and not cached:
        end_to_end = found.latency_ms + completion.latency_ms
    return ResultRecord(
        output=completion.text,
        # a cached answer was not timed now: its latency must not enter latency figures
        ttft_ms=None if cached else completion.ttft_ms,
        latency_ms=None if cached else completion.latency_ms,
        cached_ttft_ms=completion.ttft_ms if cached else None,
        cached_latency_ms=completion.latency_ms if cached else None,
        input_tokens=completion.input_tokens, output_tokens=completion.output_tokens,
        cached_input_tokens=completion.cached_input_tokens,
        cache_write_input_tokens=completion.cache_write_input_tokens,
        reasoning_tokens=completion.reasoning_tokens,
        tokens_estimated=completion.tokens_estimated, cost_usd=outcome.cost_usd,
        extra_cost_usd=extra_usd or None, finish_reason=completion.finish_reason,
        cached=cached, end_to_end_ms=end_to_end, provider_metrics=completion.provider_metrics,
        # offered tools: the calls are recorded ([]: none called); else not recorded (None)
        tool_calls=[c.model_dump(mode="json") for c in completion.tool_calls]
        if request.tools else None,
        **common)


async def warm_up(ctx: CallContext, example: Any, calls: int) -> None:
    """Make ``calls`` unrecorded calls with ``example``'s prompt (loads models, opens pools)."""
    if ctx.client is None:
        return
    request = build_request(ctx, example, None if ctx.retriever is None else list(example.contexts))
    once = Client(ctx.client.provider, retry=RetryPolicy(max_attempts=1),
                  timeout_s=ctx.client.timeout_s, mask=ctx.client.mask)
    for _ in range(calls):
        outcome = await once.call(request, example_id=example.id)
        if outcome.error is not None:
            if isinstance(outcome.error, AgilityError):
                log.warning("warm-up call failed (not recorded): %s", outcome.error_text)
            else:
                raise outcome.error
