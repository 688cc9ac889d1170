"""Login sessions in a signed cookie, and the CSRF token derived from each session.

The cookie holds ``SESSION_ID.SIGNATURE``: 32 random bytes and their HMAC-SHA256 under the
store's ``session`` key. The store keeps only the SHA-256 of the id, with its account, expiry
and revocation, so a logout ends the session everywhere and a copy of the database cannot be
turned into cookies. The CSRF token of a session is an HMAC of the session's hash under the
same key: nothing more to store, and it differs per session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from agility.store import AccountRecord, NewEvent, Store

__all__ = ["IssuedSession", "Principal", "SessionManager"]


@dataclass(frozen=True)
class Principal:
    """Who is making a request, and how they proved it.

    Attributes:
        account: the account.
        via: ``session`` (cookie: forms must carry ``csrf_token``) or ``bearer`` (a token in
            the Authorization header: no ambient credential, so no CSRF token is needed).
        session_hash: SHA-256 of the session id (sessions only).
        csrf_token: the token every form of this session must send back (sessions only).
    """

    account: AccountRecord
    via: Literal["session", "bearer"]
    session_hash: str | None = None
    csrf_token: str | None = None

    @property
    def name(self) -> str:
        """The account's name."""
        return self.account.name

    @property
    def role(self) -> str:
        """The account's role."""
        return self.account.role


@dataclass(frozen=True)
class IssuedSession:
    """A session just opened: the cookie value to set and when it expires."""

    principal: Principal
    cookie_value: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class SessionManager:
    """Opens, resolves and closes login sessions over the store.

    Args:
        store: the store (sessions and the signing key live there, so several server
            processes on one store share sessions).
        ttl_s: how long a session lasts.
    """

    def __init__(self, store: Store, *, ttl_s: float = 12 * 3600) -> None:
        self._store = store
        self._ttl = timedelta(seconds=ttl_s)
        self._key = store.signing_key("session")

    def _sign(self, purpose: str, value: str) -> str:
        return _b64(hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).digest())

    def csrf_token(self, session_hash: str) -> str:
        """The CSRF token of the session with this hash."""
        return self._sign("csrf", session_hash)

    def open(self, account: AccountRecord) -> IssuedSession:
        """Open a session for ``account`` (logs ``auth.login`` with the account as actor)."""
        session_id = secrets.token_urlsafe(32)
        session_hash = hashlib.sha256(session_id.encode()).hexdigest()
        expires = datetime.now(UTC) + self._ttl
        self._store.create_session(session_hash, account.id, expires.isoformat(), event=NewEvent(
            kind="auth.login", subject=account.name, actor=account.name,
            payload={"via": "session", "expires_at": expires.isoformat()}))
        principal = Principal(account=account, via="session", session_hash=session_hash,
                              csrf_token=self.csrf_token(session_hash))
        return IssuedSession(principal, f"{session_id}.{self._sign('session', session_id)}",
                             expires)

    def resolve(self, cookie_value: str | None) -> Principal | None:
        """The principal of a session cookie, or None when it is missing, forged, expired,
        revoked, or its account is disabled."""
        if not cookie_value or cookie_value.count(".") != 1:
            return None
        session_id, signature = cookie_value.split(".")
        if not hmac.compare_digest(signature, self._sign("session", session_id)):
            return None
        session_hash = hashlib.sha256(session_id.encode()).hexdigest()
        session = self._store.get_session(session_hash)
        if session is None or session.revoked_at is not None \
                or datetime.fromisoformat(session.expires_at) <= datetime.now(UTC):
            return None
        account = self._store.get_account_by_id(session.account_id)
        if account is None or not account.active:
            return None
        return Principal(account=account, via="session", session_hash=session_hash,
                         csrf_token=self.csrf_token(session_hash))

    def close(self, principal: Principal) -> None:
        """End the principal's session (logs ``auth.logout``); bearer principals have none."""
        if principal.session_hash is not None:
            self._store.revoke_session(principal.session_hash, event=NewEvent(
                kind="auth.logout", subject=principal.name, actor=principal.name))

    def check_csrf(self, principal: Principal, token: str | None) -> bool:
        """Whether ``token`` is the CSRF token of the principal's session (always True for
        bearer principals, whose credential a browser never sends by itself)."""
        if principal.via == "bearer":
            return True
        return bool(token) and principal.csrf_token is not None \
            and hmac.compare_digest(str(token), principal.csrf_token)
