"""Sticky routing: deterministic, monotone as the share grows, within 1 point of the share
over 10,000 users, independent between rollouts."""

from __future__ import annotations

import hashlib

import pytest

from agility.canary import SCALE, bucket_of, routes_to_target

SALT = hashlib.sha256(b"finance-rag-port").digest()
USERS = [f"user-{i}".encode() for i in range(10_000)]


@pytest.mark.parametrize("percent", [1, 5, 25, 50, 75])
def test_split_over_ten_thousand_users_is_within_one_point(percent: float) -> None:
    on_target = sum(routes_to_target(bucket_of(SALT, user), percent) for user in USERS)
    assert abs(100.0 * on_target / len(USERS) - percent) <= 1.0


def test_the_same_user_always_lands_on_the_same_arm() -> None:
    first = [routes_to_target(bucket_of(SALT, u), 25) for u in USERS[:500]]
    again = [routes_to_target(bucket_of(SALT, u), 25) for u in USERS[:500]]
    assert first == again


def test_a_ramp_only_moves_users_from_source_to_target() -> None:
    at_5 = {u for u in USERS if routes_to_target(bucket_of(SALT, u), 5)}
    at_25 = {u for u in USERS if routes_to_target(bucket_of(SALT, u), 25)}
    assert at_5 < at_25


def test_two_rollouts_split_users_independently() -> None:
    other = hashlib.sha256(b"another-plan").digest()
    a = {u for u in USERS if routes_to_target(bucket_of(SALT, u), 50)}
    b = {u for u in USERS if routes_to_target(bucket_of(other, u), 50)}
    # independent halves overlap on about a quarter of the users
    assert abs(len(a & b) / len(USERS) - 0.25) < 0.02


def test_edges() -> None:
    assert not routes_to_target(0, 0) and routes_to_target(SCALE - 1, 100)
    assert all(0 <= bucket_of(SALT, u) < SCALE for u in USERS[:100])
