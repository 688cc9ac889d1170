"""One object a web app holds: who is this request, log in, log out, check a form's token."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from agility.auth._accounts import TokenVerifier, verify_login
from agility.auth._sessions import IssuedSession, Principal, SessionManager
from agility.errors import AuthenticationFailed, PermissionDenied
from agility.store import AccountRecord, Store

__all__ = ["Authenticator", "bearer_token"]

T = TypeVar("T")

# Slow hashes run on a few threads of their own: each scrypt holds 16 MiB, and a thread that
# ran one keeps that memory in its malloc arena; a server's general thread pool (40 threads)
# would keep up to 640 MiB. One thread per core is all the CPU can use anyway.
_SLOW_POOL = ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1),
                                thread_name_prefix="agility-auth")


async def _slow(func: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_SLOW_POOL, func, *args)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class Authenticator:
    """Authenticates requests by session cookie or bearer token (framework-free).

    Args:
        store: the store holding accounts and sessions.
        session_ttl_s: lifetime of a login session.
        token_cache_s: how long a verified bearer token is remembered in memory.
        token_recheck_s: how long a remembered token is trusted without re-reading its
            account (see :class:`TokenVerifier`; 0, the default, re-reads every time).
    """

    def __init__(self, store: Store, *, session_ttl_s: float = 12 * 3600,
                 token_cache_s: float = 300.0, token_recheck_s: float = 0.0) -> None:
        self.store = store
        self.sessions = SessionManager(store, ttl_s=session_ttl_s)
        self.tokens = TokenVerifier(store, cache_s=token_cache_s, recheck_s=token_recheck_s)
        # slow verifications under way, by a digest of the token: requests that carry the same
        # token while it is being verified wait for that one scrypt (when a busy client's
        # remembered token expires, its concurrent requests would otherwise each run one)
        self._verifying: dict[bytes, asyncio.Future[AccountRecord]] = {}

    def authenticate(self, *, cookie: str | None, authorization: str | None) -> Principal:
        """The principal of a request (a bearer token wins over a cookie). Sync and possibly
        slow (one scrypt for a token not seen recently); see :meth:`aauthenticate`.

        Raises:
            AuthenticationFailed: neither a valid session nor a valid token.
        """
        token = bearer_token(authorization)
        if token is not None:
            return Principal(account=self.tokens.verify(token), via="bearer")
        if authorization:
            raise AuthenticationFailed("unsupported Authorization scheme: use 'Bearer TOKEN'")
        principal = self.sessions.resolve(cookie)
        if principal is None:
            raise AuthenticationFailed()
        return principal

    async def aauthenticate(self, *, cookie: str | None,
                            authorization: str | None) -> Principal:
        """:meth:`authenticate` for an event loop: the slow hash runs in a worker thread."""
        token = bearer_token(authorization)
        if token is not None:
            account = self.tokens.cached(token)
            if account is not None:
                return Principal(account=account, via="bearer")
            return Principal(account=await self._verify_once(token), via="bearer")
        return self.authenticate(cookie=cookie, authorization=authorization)

    async def _verify_once(self, token: str) -> AccountRecord:
        """Verify ``token`` in the slow pool, sharing a verification already under way."""
        loop = asyncio.get_running_loop()
        key = hashlib.sha256(token.encode()).digest()
        future = self._verifying.get(key)
        if future is None or future.get_loop() is not loop:
            future = loop.run_in_executor(_SLOW_POOL, self.tokens.verify, token)
            # mark the outcome retrieved even if every waiter was cancelled meanwhile
            future.add_done_callback(lambda done: done.cancelled() or done.exception())
            self._verifying[key] = future
            future.add_done_callback(lambda done: self._forget(key, done))
        # shielded: a waiter that is cancelled (its client left) does not cancel the others'
        return await asyncio.shield(future)

    def _forget(self, key: bytes, future: asyncio.Future[AccountRecord]) -> None:
        if self._verifying.get(key) is future:
            del self._verifying[key]

    def login(self, name: str, secret: str) -> IssuedSession:
        """Check a name and secret and open a session (slow: one scrypt).

        Raises:
            AuthenticationFailed: wrong name or secret, or a disabled account.
        """
        return self.sessions.open(verify_login(self.store, name, secret))

    async def alogin(self, name: str, secret: str) -> IssuedSession:
        """:meth:`login` with the slow hash in a worker thread."""
        return await _slow(self.login, name, secret)

    def logout(self, principal: Principal) -> None:
        """End the principal's session, if it has one."""
        self.sessions.close(principal)

    def require_csrf(self, principal: Principal, token: str | None) -> None:
        """Refuse a state-changing request of a session that lacks its CSRF token.

        Raises:
            PermissionDenied: the token is missing or wrong.
        """
        if not self.sessions.check_csrf(principal, token):
            raise PermissionDenied(principal.name, "submit a form without its CSRF token "
                                                   "(reload the page and try again)")

    @staticmethod
    def require_role(principal: Principal, roles: Collection[str], action: str) -> None:
        """Refuse ``action`` unless the principal's role is one of ``roles``.

        Raises:
            PermissionDenied: it is not.
        """
        if principal.role not in roles:
            raise PermissionDenied(principal.name, action)
