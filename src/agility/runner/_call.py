"""One (example, repeat): retrieve, render, cache, call with retries, price, make the record."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from agility.chat import ChatRequest, Completion, GenerationConfig, Message
from agility.errors import AgilityError, scrub_secrets
from agility.pricing import Price, cost_usd
from agility.prompts import PromptTemplate
from agility.providers import Provider
from agility.retrieval import Retriever
from agility.runner._cache import cache_get, cache_key, cache_put
from agility.runner._ratelimit import RateLimiter, estimate_tokens
from agility.runner._retry import RetryExhausted, RetryPolicy, call_with_retry
from agility.store import ResultRecord, Store

__all__ = ["CallContext", "call_example", "build_request", "describe_error"]

log = logging.getLogger(__name__)


@dataclass
class CallContext:
    """What every call of a run shares."""

    store: Store
    provider: Provider
    template: PromptTemplate | None
    config: GenerationConfig | None
    retriever: Retriever | None
    price: Price | None
    extra_cost_usd: float
    limiter: RateLimiter
    policy: RetryPolicy
    timeout_s: float | None
    cache: bool


def describe_error(exc: BaseException) -> str:
    """How a failure is recorded: its type and its (scrubbed) message."""
    return f"{type(exc).__name__}: {scrub_secrets(str(exc))}"


def build_request(ctx: CallContext, example: Any, contexts: list[str] | None) -> ChatRequest:
    """The request for one example: template (or the recorded prompt) and merged config."""
    messages: list[Message] = (ctx.template.render(example, contexts) if ctx.template
                               else example.prompt_messages())
    return ChatRequest(messages=messages, config=example.generation_config.merged(ctx.config))


async def call_example(ctx: CallContext, example: Any, repeat_index: int) -> ResultRecord:
    """Produce the result record of one (example, repeat); provider failures become an error
    record, never an exception (template errors do raise: they are the user's to fix)."""
    extra: dict[str, Any] = {}
    extra_usd = ctx.extra_cost_usd
    contexts: list[str] | None = None
    if ctx.retriever is not None:
        try:
            found = await ctx.retriever.retrieve(example)
        except Exception as exc:  # noqa: BLE001 - a failed retrieval fails this example only
            return ResultRecord(example_id=example.id, repeat_index=repeat_index,
                                error=f"retrieval failed: {describe_error(exc)}", attempts=0)
        contexts = list(found.contexts)
        # what the model was shown: RAG metrics must judge these, not the golden input_context
        extra["contexts"] = contexts
        extra["retrieval_ms"] = found.latency_ms
        if found.details:
            extra["retrieval"] = found.details
        extra_usd += found.cost_usd or 0.0
    request = build_request(ctx, example, contexts)
    key = cache_key(ctx.provider, request, repeat_index) if ctx.cache else None
    if key is not None:
        hit = cache_get(ctx.store, key)
        if hit is not None:
            extra["cached_ttft_ms"], extra["cached_latency_ms"] = hit.ttft_ms, hit.latency_ms
            return _record(ctx, example.id, repeat_index, hit, 0, extra, extra_usd, cached=True)
    estimate = estimate_tokens(request.messages, request.config.max_tokens)
    try:
        completion, attempts = await call_with_retry(
            lambda: ctx.provider.complete(request, example_id=example.id), ctx.policy,
            timeout_s=ctx.timeout_s, is_retryable=ctx.provider.is_retryable,
            before_attempt=lambda: ctx.limiter.acquire(estimate))
    except RetryExhausted as failed:
        return ResultRecord(example_id=example.id, repeat_index=repeat_index,
                            error=describe_error(failed.error), attempts=failed.attempts,
                            request_id=getattr(failed.error, "request_id", None), extra=extra)
    used = (None if completion.input_tokens is None or completion.output_tokens is None
            else completion.input_tokens + completion.output_tokens)
    ctx.limiter.correct(estimate, used)
    if key is not None:
        cache_put(ctx.store, key, completion)
    return _record(ctx, example.id, repeat_index, completion, attempts, extra, extra_usd)


def _record(ctx: CallContext, example_id: str, repeat_index: int, completion: Completion,
            attempts: int, extra: dict[str, Any], extra_usd: float,
            cached: bool = False) -> ResultRecord:
    extra_usd += completion.extra_cost_usd or 0.0
    if completion.provider_metrics:
        extra["provider_metrics"] = completion.provider_metrics
    if extra.get("retrieval_ms") is not None and completion.latency_ms is not None and not cached:
        extra["end_to_end_ms"] = extra["retrieval_ms"] + completion.latency_ms
    return ResultRecord(
        example_id=example_id, repeat_index=repeat_index, output=completion.text,
        # a cached answer was not timed now: its latency must not enter latency figures
        ttft_ms=None if cached else completion.ttft_ms,
        latency_ms=None if cached else completion.latency_ms,
        input_tokens=completion.input_tokens, output_tokens=completion.output_tokens,
        cached_input_tokens=completion.cached_input_tokens,
        tokens_estimated=completion.tokens_estimated,
        cost_usd=cost_usd(ctx.price, completion.input_tokens, completion.output_tokens,
                          cached_input_tokens=completion.cached_input_tokens, extra_usd=extra_usd),
        extra_cost_usd=extra_usd or None, finish_reason=completion.finish_reason,
        request_id=completion.request_id, attempts=attempts, cached=cached, extra=extra)


async def warm_up(ctx: CallContext, example: Any, calls: int) -> None:
    """Make ``calls`` unrecorded calls with ``example``'s prompt (loads models, opens pools)."""
    request = build_request(ctx, example, None if ctx.retriever is None else list(example.contexts))
    for _ in range(calls):
        try:
            await call_with_retry(lambda: ctx.provider.complete(request, example_id=example.id),
                                  RetryPolicy(max_attempts=1), timeout_s=ctx.timeout_s,
                                  is_retryable=ctx.provider.is_retryable)
        except RetryExhausted as failed:
            if isinstance(failed.error, AgilityError):
                log.warning("warm-up call failed (not recorded): %s", describe_error(failed.error))
            else:
                raise failed.error from None
