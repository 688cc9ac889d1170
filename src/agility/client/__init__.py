"""One measured call: request → completion with TTFT, tokens, cost, retries and rate limits.

The runner, the LLM judges, the gateway and the port loop all call models through
:class:`Client`, so retries, throttling, timing and cost are measured one way everywhere.
"""

from agility.client._adaptive import AdaptiveConcurrency
from agility.client._client import (
    CallOutcome,
    Client,
    ClientStream,
    call_attributes,
    describe_error,
)
from agility.client._ratelimit import RateLimit, RateLimiter, estimate_tokens
from agility.client._retry import RetryExhausted, RetryPolicy, call_with_retry, is_throttle

__all__ = [
    "AdaptiveConcurrency",
    "CallOutcome",
    "Client",
    "ClientStream",
    "RateLimit",
    "RateLimiter",
    "RetryExhausted",
    "RetryPolicy",
    "call_attributes",
    "call_with_retry",
    "describe_error",
    "estimate_tokens",
    "is_throttle",
]
