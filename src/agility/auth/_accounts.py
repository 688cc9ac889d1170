"""Accounts: create one with a one-time secret, verify a login or a bearer token.

Every change and every login is an event in the store with its actor.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Collection

from agility.auth._secrets import check_name, hash_secret, new_secret, split_secret, verify_secret
from agility.errors import AuthenticationFailed, InvalidArgument, UnknownName
from agility.store import AccountRecord, NewEvent, Store

__all__ = ["TokenVerifier", "add_account", "disable_account", "reset_secret", "verify_login"]


def add_account(store: Store, name: str, role: str, *, roles: Collection[str] | None = None,
                actor: str | None = None) -> tuple[AccountRecord, str]:
    """Create an account and return it with its one-time secret.

    The secret is shown once: only its scrypt hash is stored. It serves both as the login
    password and as the ``Authorization: Bearer`` token.

    Args:
        store: the store.
        name: the account's name (letters, digits, ``.``, ``_``, ``-``).
        role: the account's role, e.g. ``reviewer`` or ``lead``.
        roles: the roles the calling app allows (None: any non-empty role).
        actor: who created it (recorded in the ``account.created`` event).

    Returns:
        ``(account, secret)``.

    Raises:
        InvalidArgument: the name or role is invalid.
        NameTaken: the name is taken.
    """
    check_name(name)
    if roles is not None and role not in roles:
        raise InvalidArgument("role", role, f"must be one of {', '.join(sorted(roles))}")
    if not role:
        raise InvalidArgument("role", role, "must not be empty")
    secret = new_secret(name)
    account = store.create_account(name, role, hash_secret(secret), event=NewEvent(
        kind="account.created", subject=name, actor=actor, payload={"role": role}))
    return account, secret


def _require(store: Store, name: str) -> AccountRecord:
    account = store.get_account(name)
    if account is None:
        raise UnknownName("account", name, [a.name for a in store.list_accounts()],
                          argument="name")
    return account


def reset_secret(store: Store, name: str, *, actor: str | None = None) -> str:
    """Give an account a new one-time secret; the old one and its sessions stop working.

    Raises:
        UnknownName: no such account.
    """
    account = _require(store, name)
    secret = new_secret(name)
    store.update_account(account.id, secret_hash=hash_secret(secret), event=NewEvent(
        kind="account.secret_reset", subject=name, actor=actor))
    return secret


def disable_account(store: Store, name: str, *, actor: str | None = None) -> None:
    """Disable an account: it can no longer log in and its sessions end.

    Raises:
        UnknownName: no such account.
    """
    account = _require(store, name)
    store.update_account(account.id, disabled=True, event=NewEvent(
        kind="account.disabled", subject=name, actor=actor))


def verify_login(store: Store, name: str, secret: str) -> AccountRecord:
    """The active account ``name`` if ``secret`` is its secret (slow: one scrypt).

    Raises:
        AuthenticationFailed: unknown name, disabled account or wrong secret (one message
            for all three).
    """
    parts = split_secret(secret)
    account = store.get_account(name) if isinstance(name, str) else None
    stored = store.account_secret_hash(account.id) if account is not None else None
    ok = (account is not None and account.active and stored is not None
          and parts is not None and parts[0] == name and verify_secret(secret, stored))
    if not ok:
        if account is not None:  # failed attempts on real accounts are worth an audit line
            store.log_event(NewEvent(kind="auth.login_failed", subject=name, actor=name))
        raise AuthenticationFailed("unknown account or wrong secret")
    assert account is not None
    return account


class TokenVerifier:
    """Verifies bearer tokens, remembering good ones for ``cache_s`` seconds.

    A script sends its token with every request; one scrypt per request would cost ~0.1 s of
    CPU. A verified token is remembered in memory only, keyed by an HMAC of the token under
    a per-process random key, together with the hash it matched: a reset secret or a
    disabled account is noticed on the next request.

    Args:
        store: the store.
        cache_s: how long a verified token is remembered.
        recheck_s: how long a remembered token is trusted without re-reading its account
            (0: re-read on every request, so a reset or disabled account is refused at once;
            a busy service such as the canary gateway takes 1 s to skip two store reads per
            request, and refuses a reset or disabled account within that time).
    """

    def __init__(self, store: Store, *, cache_s: float = 300.0, recheck_s: float = 0.0) -> None:
        import secrets

        self._store = store
        self._cache_s = cache_s
        self._recheck_s = recheck_s
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        # digest -> (account id, secret hash, expiry, account, when the store was last read)
        self._known: dict[bytes, tuple[int, str, float, AccountRecord | None, float]] = {}

    def cached(self, token: str) -> AccountRecord | None:
        """The account of ``token`` when it was verified recently and is still valid (fast)."""
        digest = hmac.new(self._key, token.encode(), hashlib.sha256).digest()
        with self._lock:
            hit = self._known.get(digest)
        now = time.monotonic()
        if hit is None or hit[2] < now:
            return None
        if hit[3] is not None and now - hit[4] < self._recheck_s:
            return hit[3]
        account = self._store.get_account_by_id(hit[0])
        if account is None or not account.active \
                or self._store.account_secret_hash(account.id) != hit[1]:
            with self._lock:
                self._known.pop(digest, None)
            return None
        with self._lock:
            self._known[digest] = (hit[0], hit[1], hit[2], account, now)
        return account

    def verify(self, token: str) -> AccountRecord:
        """The active account whose secret is ``token`` (slow on a cache miss).

        Raises:
            AuthenticationFailed: the token is malformed, unknown or wrong.
        """
        account = self.cached(token)
        if account is not None:
            return account
        parts = split_secret(token)
        if parts is None:
            raise AuthenticationFailed("malformed bearer token")
        account = self._store.get_account(parts[0])
        stored = self._store.account_secret_hash(account.id) if account else None
        if account is None or not account.active or stored is None \
                or not verify_secret(token, stored):
            raise AuthenticationFailed("unknown or wrong bearer token")
        digest = hmac.new(self._key, token.encode(), hashlib.sha256).digest()
        with self._lock:
            if len(self._known) > 10_000:
                self._known.clear()
            now = time.monotonic()
            self._known[digest] = (account.id, stored, now + self._cache_s, account, now)
        return account
