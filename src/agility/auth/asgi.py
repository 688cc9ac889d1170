"""Starlette glue for :mod:`agility.auth`: cookies, CSRF on forms, security headers, errors.

Imports Starlette, so only a web app imports this module (never the CLI or the core).

    auth = StarletteAuth(Authenticator(store))
    principal = await auth.principal(request)          # 401 AuthenticationFailed if none
    auth.require_csrf(principal, form.get("csrf_token"))  # sessions only; 403 otherwise
    auth.set_session(response, issued, request)        # after Authenticator.alogin(...)
    app = SecurityHeaders(app, csp=DEFAULT_CSP)        # wraps any ASGI app
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from agility.auth._authenticator import Authenticator
from agility.auth._sessions import IssuedSession, Principal
from agility.errors import (
    AgilityError,
    AuthenticationFailed,
    NameTaken,
    PermissionDenied,
    StoreError,
    UnknownName,
    UsageError,
)

__all__ = [
    "COOKIE_NAME",
    "DEFAULT_CSP",
    "SecurityHeaders",
    "StarletteAuth",
    "error_message",
    "error_status",
    "hide_location",
    "json_error",
]

_log = logging.getLogger(__name__)

#: what a client is told when the store fails under a request: where the store is (a file
#: path, a database host and name) is the operator's business, not the caller's
STORE_UNAVAILABLE = "the service's store cannot be used right now; try again shortly"
_STORE_LOG_EVERY_S = 10.0
_last_store_log = [-_STORE_LOG_EVERY_S]
#: locations no client is told (the services' stores): a message naming one says this
_HIDDEN = "the service's store"
_hidden_locations: set[str] = set()

COOKIE_NAME = "agility_session"

#: same-origin scripts, styles and images only; no inline script, no framing, no plugins
DEFAULT_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
               "connect-src 'self'; form-action 'self'; base-uri 'none'; "
               "frame-ancestors 'none'")


def error_status(exc: AgilityError) -> int:
    """The HTTP status of an agility error (401, 403, 404, 409, 400; 503 when the store
    failed, a PostgreSQL restart say: the request may succeed later; 500 for the rest)."""
    if isinstance(exc, StoreError):
        return 503
    if isinstance(exc, AuthenticationFailed):
        return 401
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, UnknownName):
        return 404
    if isinstance(exc, NameTaken):
        return 409
    if isinstance(exc, UsageError):
        return 400
    return 500


def hide_location(location: object) -> None:
    """Never tell a client ``location`` (a service's store: its file path or database URL):
    an error message naming it ("the rollout ... has not started in postgresql://...") says
    "the service's store" instead. Services call it for the store they serve from."""
    text = str(location)
    if text:
        _hidden_locations.add(text)


def error_message(exc: AgilityError) -> str:
    """What a client is told of ``exc``: its message, but never where the store is (a store
    error is logged here for the operator and told as :data:`STORE_UNAVAILABLE`; a location
    registered with :func:`hide_location` is replaced in any other message)."""
    if isinstance(exc, StoreError):
        now = time.monotonic()
        if now - _last_store_log[0] >= _STORE_LOG_EVERY_S:  # one line, not one per request
            _last_store_log[0] = now
            _log.warning("requests fail on the store (told %r): %s", STORE_UNAVAILABLE, exc)
        return STORE_UNAVAILABLE
    message = str(exc)
    # the longest first: a database URL may contain a shorter registered one
    for location in sorted(_hidden_locations, key=len, reverse=True):
        if location in message:
            message = message.replace(location, _HIDDEN)
    return message


def json_error(exc: AgilityError) -> JSONResponse:
    """A JSON error response ``{"error": message, "type": class name}`` with its status."""
    status = error_status(exc)
    headers = {"WWW-Authenticate": 'Bearer realm="agility"'} if status == 401 else \
        {"Retry-After": "1"} if status == 503 else None
    return JSONResponse({"error": error_message(exc), "type": type(exc).__name__},
                        status_code=status, headers=headers)


class StarletteAuth:
    """An :class:`Authenticator` speaking Starlette requests and responses.

    Args:
        authenticator: the framework-free authenticator.
        cookie_name: the session cookie's name.
    """

    def __init__(self, authenticator: Authenticator, *, cookie_name: str = COOKIE_NAME) -> None:
        self.authenticator = authenticator
        self.cookie_name = cookie_name

    async def principal(self, request: Request) -> Principal:
        """Who sent ``request`` (bearer token or session cookie).

        Raises:
            AuthenticationFailed: nobody we know.
        """
        return await self.authenticator.aauthenticate(
            cookie=request.cookies.get(self.cookie_name),
            authorization=request.headers.get("authorization"))

    def require_csrf(self, principal: Principal, token: str | None) -> None:
        """Refuse a session's state-changing request without its CSRF token (403)."""
        self.authenticator.require_csrf(principal, token)

    def set_session(self, response: Response, issued: IssuedSession, request: Request) -> None:
        """Set the session cookie: HttpOnly, SameSite=Strict, Secure when served over https."""
        response.set_cookie(
            self.cookie_name, issued.cookie_value, expires=issued.expires_at, path="/",
            httponly=True, samesite="strict", secure=request.url.scheme == "https")

    def clear_session(self, response: Response, request: Request) -> None:
        """Remove the session cookie from the browser."""
        response.delete_cookie(self.cookie_name, path="/", httponly=True, samesite="strict",
                               secure=request.url.scheme == "https")


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class SecurityHeaders:
    """ASGI middleware adding a strict Content Security Policy and related headers to every
    HTTP response (and ``Cache-Control: no-store``, since pages hold private data).

    Args:
        app: the wrapped ASGI app.
        csp: the Content-Security-Policy value.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], *,
                 csp: str = DEFAULT_CSP) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
