"""The runner: benchmark a model over a golden dataset (async, bounded, retried, resumable).

Each call goes through :class:`agility.client.Client`; ``RateLimit``, ``RetryPolicy`` and
``call_with_retry`` are re-exported from there.
"""

from agility.client import (
    RateLimit,
    RateLimiter,
    RetryExhausted,
    RetryPolicy,
    call_with_retry,
    estimate_tokens,
)
from agility.runner._cache import cache_key
from agility.runner._call import RunMasks, mask_result
from agility.runner._interleave import Turnstile
from agility.runner._report import (
    EXPORT_COLUMNS,
    SPAN_COLUMNS,
    export_run,
    export_spans,
    percentile,
    run_figures,
)
from agility.runner._run import (
    RunSummary,
    arun_interleaved,
    arun_model,
    arun_system,
    check_run_options,
    run_interleaved,
    run_model,
    run_system,
)
from agility.runner._setup import model_price

__all__ = [
    "EXPORT_COLUMNS",
    "SPAN_COLUMNS",
    "RateLimit",
    "RateLimiter",
    "RetryExhausted",
    "RetryPolicy",
    "RunMasks",
    "RunSummary",
    "Turnstile",
    "arun_interleaved",
    "arun_model",
    "arun_system",
    "cache_key",
    "call_with_retry",
    "check_run_options",
    "estimate_tokens",
    "export_run",
    "export_spans",
    "mask_result",
    "model_price",
    "percentile",
    "run_figures",
    "run_interleaved",
    "run_model",
    "run_system",
]
