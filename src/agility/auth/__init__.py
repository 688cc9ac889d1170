"""Accounts and authentication shared by agility's web apps (the review app, the gateway's
admin API).

Framework-free (importing this package never imports a web framework); the Starlette glue is
:mod:`agility.auth.asgi`.

Accounts
    ``add_account(store, name, role, roles={...}, actor=...) -> (AccountRecord, secret)``
    creates an account and returns its one-time secret ``NAME:RANDOM``, shown once: only an
    scrypt hash is stored. The secret is both the login password and the bearer token.
    ``reset_secret`` issues a new one (old secret and sessions stop working),
    ``disable_account`` locks an account out. Roles are plain strings each app checks
    (review: ``reviewer``, ``lead``).

Requests
    ``Authenticator(store)`` is what an app holds:

    - ``authenticate(cookie=..., authorization=...) -> Principal`` (``aauthenticate`` in a
      loop: the slow hash runs in a thread). ``Authorization: Bearer TOKEN`` wins over the
      cookie; a verified token is remembered in memory for ``token_cache_s`` (keyed by an
      HMAC, invalidated by a secret reset or a disabled account). Raises
      ``AuthenticationFailed`` (HTTP 401).
    - ``login(name, secret) -> IssuedSession`` (``alogin``): opens a session; its
      ``cookie_value`` is ``SESSION_ID.HMAC`` and the store keeps only the id's SHA-256.
    - ``logout(principal)`` revokes the session everywhere.
    - ``require_csrf(principal, token)``: every state-changing request of a *session* must
      carry ``principal.csrf_token`` (an HMAC of the session); bearer requests need none.
      Raises ``PermissionDenied`` (HTTP 403).
    - ``require_role(principal, roles, action)`` raises ``PermissionDenied``.

    ``Principal`` holds the ``account``, ``via`` (``session``/``bearer``), and for sessions
    ``session_hash`` and ``csrf_token``.

Events
    ``account.created``, ``account.secret_reset``, ``account.disabled``, ``auth.login``,
    ``auth.login_failed`` (existing accounts only) and ``auth.logout`` are written to the
    store's events with their actor, in the same transaction as the change.

Starlette (``agility.auth.asgi``)
    ``StarletteAuth(authenticator).principal(request)``, ``.require_csrf``,
    ``.set_session(response, issued, request)`` (HttpOnly, SameSite=Strict, Secure over
    https), ``.clear_session``; ``SecurityHeaders(app, csp=DEFAULT_CSP)`` adds a strict CSP,
    ``nosniff``, ``DENY`` framing, ``no-referrer`` and ``no-store``; ``json_error(exc)`` and
    ``error_status(exc)`` map agility errors to 401/403/404/409/400.
"""

from agility.auth._accounts import (
    TokenVerifier,
    add_account,
    disable_account,
    reset_secret,
    verify_login,
)
from agility.auth._authenticator import Authenticator, bearer_token
from agility.auth._secrets import (
    NAME_PATTERN,
    check_name,
    hash_secret,
    new_secret,
    split_secret,
    verify_secret,
)
from agility.auth._sessions import IssuedSession, Principal, SessionManager

__all__ = [
    "NAME_PATTERN",
    "Authenticator",
    "IssuedSession",
    "Principal",
    "SessionManager",
    "TokenVerifier",
    "add_account",
    "bearer_token",
    "check_name",
    "disable_account",
    "hash_secret",
    "new_secret",
    "reset_secret",
    "split_secret",
    "verify_login",
    "verify_secret",
]
