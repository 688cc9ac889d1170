"""The retry policy's arithmetic: full jitter within the cap, never shorter than Retry-After."""

from __future__ import annotations

import pytest

from agility.errors import RateLimitError
from agility.runner import RetryPolicy


def test_backoff_doubles_and_is_capped_without_jitter():
    policy = RetryPolicy(base_delay_s=1, max_delay_s=5, jitter=False)
    assert [policy.delay_s(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]


def test_full_jitter_stays_between_zero_and_the_backoff():
    policy = RetryPolicy(base_delay_s=1, max_delay_s=60)
    delays = [policy.delay_s(3) for _ in range(500)]
    assert all(0 <= d <= 4 for d in delays)
    assert max(delays) - min(delays) > 1  # actually random, not a constant


def test_retry_after_is_a_floor_even_above_the_cap():
    policy = RetryPolicy(base_delay_s=0.01, max_delay_s=0.1)
    exc = RateLimitError("slow down", retry_after_s=7)
    assert all(policy.delay_s(1, exc) >= 7 for _ in range(50))


def test_invalid_policy_is_refused():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
