"""The gateway's ASGI application and how it is served (uvicorn).

The three OpenAI routes are dispatched before any framework code runs (a path and method
compare), because they carry the traffic; everything else (``/healthz``, ``/metrics``, the
admin API) is a small Starlette application behind them.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agility._serving import bind, serving, url_of
from agility.auth.asgi import SecurityHeaders, hide_location, json_error
from agility.canary._roles import VIEWER_ROLES
from agility.canary.gateway._admin import admin_routes
from agility.canary.gateway._gateway import Gateway, Receive, Scope, Send
from agility.canary.gateway._metrics import CONTENT_TYPE_LATEST
from agility.canary.gateway._wire import error_body
from agility.errors import AgilityError
from agility.store import Store

if TYPE_CHECKING:
    from agility.migrate import Plan

__all__ = ["GatewayApp", "create_app", "serve"]


class GatewayApp:
    """The ASGI application of a :class:`Gateway`."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            await gateway.start()
            try:
                yield
            finally:
                await gateway.stop()

        self.framework = SecurityHeaders(Starlette(routes=[
            Route("/healthz", self.healthz, methods=["GET"]),
            Route("/metrics", self.metrics, methods=["GET"]),
            *admin_routes(gateway.auth, gateway.store, gateway.plan,
                         gateway.rollout.refresh),
        ], lifespan=lifespan))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path == "/v1/chat/completions":
                if scope["method"] == "POST":
                    await self.gateway.chat_completions(scope, receive, send)
                    return
                await _method_not_allowed(send, "POST")
                return
            if path == "/v1/completions":
                if scope["method"] == "POST":
                    await self.gateway.completions(scope, receive, send)
                    return
                await _method_not_allowed(send, "POST")
                return
            if path == "/v1/models":
                if scope["method"] == "GET":
                    await self.gateway.models(scope, receive, send)
                    return
                await _method_not_allowed(send, "GET")
                return
        await self.framework(scope, receive, send)

    async def healthz(self, request: Request) -> Response:
        """``GET /healthz``: the gateway answers (nothing about the rollout is disclosed)."""
        return JSONResponse({"status": "ok"})

    async def metrics(self, request: Request) -> Response:
        """``GET /metrics``: Prometheus' text format (a ``canary-viewer`` or ``canary-admin``
        token)."""
        try:
            await self.gateway.auth.account(request.headers.get("authorization"),
                                            VIEWER_ROLES, "read the metrics")
        except AgilityError as exc:
            return json_error(exc)
        return Response(self.gateway.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


async def _method_not_allowed(send: Send, allow: str) -> None:
    body = error_body(f"method not allowed: use {allow}", code="method_not_allowed")
    await send({"type": "http.response.start", "status": 405,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"allow", allow.encode())]})
    await send({"type": "http.response.body", "body": body})


def create_app(plan: Plan, store: Store, **options: Any) -> GatewayApp:
    """The gateway's ASGI application for ``plan`` (see :class:`Gateway` for ``options``)."""
    hide_location(store.path)  # callers and operators' clients are never told where it is
    return GatewayApp(Gateway(plan, store, **options))


def serve(plan: Plan, store: Store, *, host: str = "127.0.0.1", port: int = 8080,
          actor: str, allow_unapproved: bool = False, flush_every_s: float = 0.1,
          client_auth: bool = True) -> None:
    """Serve the gateway under uvicorn until interrupted (SIGINT/SIGTERM stop it cleanly).

    Prints ``listening http://HOST:PORT`` once the port is bound (``port=0`` picks a free one).

    Raises:
        InvalidArgument: the port is taken.
        UsageError: the rollout cannot start (the migration did not pass).
        ConfigError: the plan cannot be served.
    """
    import uvicorn

    sock = bind(host, port)
    try:
        app = create_app(plan, store, actor=actor, allow_unapproved=allow_unapproved,
                         flush_every_s=flush_every_s, client_auth=client_auth)
    except BaseException:
        sock.close()
        raise
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            loop=_best("uvloop", "auto"), http=_best("httptools", "auto"),
                            timeout_graceful_shutdown=10, backlog=2048)
    server = uvicorn.Server(config)
    print(f"listening {url_of(host, sock)}", flush=True)
    try:
        with serving():  # the switch interval and allocator a server needs (see _serving)
            server.run(sockets=[sock])
    finally:
        sock.close()
    sys.stdout.flush()


def _best(module: str, fallback: str) -> str:
    """``module`` if it can be imported, else ``fallback`` (uvloop, httptools are optional)."""
    try:
        __import__(module)
    except ImportError:
        return fallback
    return module
