"""Sticky, deterministic routing: which arm answers a user at a given share.

A user's key is hashed (BLAKE2b, salted with the rollout's name) to a point in
``[0, 1_000_000)``; the user is on the target while the point is below the target's share.
So the same user stays on one arm through a stage, a ramp from 5% to 25% only moves users
from the source to the target (never back and forth), and two rollouts split users
independently. The key is the request's user header, else a hash of its API key, else the
client's address: the key itself is never kept.
"""

from __future__ import annotations

import hashlib
from typing import Literal

__all__ = ["SCALE", "Arm", "bucket_of", "routes_to_target"]

Arm = Literal["source", "target"]

#: the hash space: a share is resolved to a millionth (0.0001 percent)
SCALE = 1_000_000


def bucket_of(salt: bytes, key: bytes) -> int:
    """The user's point in ``[0, SCALE)`` for a rollout salted with ``salt``."""
    digest = hashlib.blake2b(key, digest_size=8, key=salt[:64]).digest()
    return int.from_bytes(digest, "big") % SCALE


def routes_to_target(bucket: int, percent: float) -> bool:
    """Whether a user at ``bucket`` is on the target while it has ``percent`` of users."""
    return bucket < round(percent * SCALE / 100)
