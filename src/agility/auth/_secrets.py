"""One-time secrets and their slow hashes (scrypt from the standard library).

A secret is ``NAME:RANDOM`` (32 random bytes, URL-safe base64): the name lets a bearer token
find its account without a lookup by hash, the random part is what is verified. Only
``scrypt$N$r$p$SALT$HASH`` is stored; the parameters travel with the hash so they can be raised
later without invalidating older secrets.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import threading

from agility.errors import InvalidArgument

__all__ = ["NAME_PATTERN", "check_name", "hash_secret", "new_secret", "split_secret", "verify_secret"]

#: account names: letters, digits, ``.``, ``_``, ``-``; 1-64 characters, no ``:``
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")

# Secrets are 256 random bits, so even a fast hash could not be brute-forced; scrypt at
# N=2^14, r=8 (16 MiB, ~0.1 s) still makes a stolen table useless for guessing and keeps a
# login under a second on a busy 2-core machine.
_N, _R, _P = 2**14, 8, 1
_MAXMEM = 64 * 1024 * 1024
# each scrypt holds 16 MiB while it runs: at most one per core at a time, so twenty logins at
# once cost 16 MiB x cores of memory, not 320 MiB (the CPU is the limit either way)
_SLOW = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_name(name: str) -> str:
    """``name`` when it is a valid account name.

    Raises:
        InvalidArgument: it is not (see :data:`NAME_PATTERN`).
    """
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise InvalidArgument("name", name, "must be 1-64 letters, digits, '.', '_' or '-', "
                                            "starting with a letter or digit")
    return name


def new_secret(name: str) -> str:
    """A fresh one-time secret for the account ``name`` (``NAME:RANDOM``)."""
    return f"{check_name(name)}:{secrets.token_urlsafe(32)}"


def split_secret(secret: str) -> tuple[str, str] | None:
    """``(name, random part)`` of a secret, or None when it is not shaped like one."""
    name, sep, rest = secret.rpartition(":")
    if not sep or not NAME_PATTERN.match(name) or not 20 <= len(rest) <= 128:
        return None
    return name, rest


def hash_secret(secret: str) -> str:
    """The storable scrypt hash of ``secret`` (random salt; parameters included)."""
    salt = secrets.token_bytes(16)
    with _SLOW:
        digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAXMEM,
                                dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches the ``stored`` hash (constant-time comparison).

    A malformed stored hash never matches.
    """
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        with _SLOW:
            got = hashlib.scrypt(secret.encode(), salt=_unb64(salt), n=int(n), r=int(r),
                                 p=int(p), maxmem=_MAXMEM, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)
