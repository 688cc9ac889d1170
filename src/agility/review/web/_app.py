"""The review web app: Starlette routes over :class:`ReviewService`, pages and JSON API.

Public routes are only ``/login`` and ``/static/*`` (code and styles, no data); every other
route needs a session cookie or ``Authorization: Bearer TOKEN``. Pages without a session
redirect to the login page; the API answers 401. State-changing requests of a session carry
its CSRF token (a form field, or the ``X-CSRF-Token`` header for the API).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from agility.auth import Principal
from agility.auth.asgi import (
    SecurityHeaders,
    StarletteAuth,
    error_message,
    error_status,
    hide_location,
    json_error,
)
from agility.errors import AgilityError, AuthenticationFailed, InvalidArgument
from agility.review._models import FLAGS, VERDICTS
from agility.review.web._handlers import ReviewService
from agility.store import Store

__all__ = ["MAX_BODY_BYTES", "create_app"]

HERE = Path(__file__).parent
#: request bodies above this are refused (413) before they are read whole
MAX_BODY_BYTES = 64 * 1024
_LOGIN_CSRF = "agility_login_csrf"

Handler = Callable[[Request], Awaitable[Response]]


class _TooLarge(InvalidArgument):
    pass


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise _TooLarge("body", declared, f"must be at most {MAX_BODY_BYTES} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge("body", size, f"must be at most {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _json_body(request: Request) -> Any:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise InvalidArgument("content-type", kind or "none", "must be application/json")
    try:
        return json.loads(await _body(request) or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument("body", "", f"must be valid JSON ({exc})") from None


async def _form(request: Request) -> dict[str, list[str]]:
    try:
        text = (await _body(request)).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgument("body", "", "must be UTF-8 form data") from None
    return parse_qs(text, keep_blank_values=True, max_num_fields=50)


def _one(form: dict[str, list[str]], key: str) -> str | None:
    values = form.get(key)
    return values[-1] if values else None


def create_app(store: Store | str | Path, *, context_ttl_s: float = 30.0) -> Any:
    """The review app as an ASGI application (Starlette wrapped in security headers).

    Args:
        store: the store, or its path.
        context_ttl_s: how long a queue's answers and scores stay cached.

    Returns:
        The ASGI app; serve it with uvicorn (``agility review serve``).
    """
    store = store if isinstance(store, Store) else Store(store)
    hide_location(store.path)  # reviewers are never told where the store is
    service = ReviewService(store, context_ttl_s=context_ttl_s)
    auth = StarletteAuth(service.auth)
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(VERDICTS=VERDICTS, FLAGS=FLAGS)
    env.filters["urlpart"] = lambda value: quote(str(value), safe="")

    def page(name: str, code: int = 200, **data: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**data), status_code=code)

    def error_page(exc: AgilityError, principal: Principal | None) -> Response:
        status = 413 if isinstance(exc, _TooLarge) else error_status(exc)
        return page("error.html", status, message=error_message(exc), status=status,
                    me=principal)

    def api(handler: Callable[[Request, Principal], Awaitable[Any]], *,
            write: bool = False) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                principal = await auth.principal(request)
                if write:
                    auth.require_csrf(principal, request.headers.get("x-csrf-token"))
                result = await handler(request, principal)
            except _TooLarge as exc:
                return JSONResponse({"error": str(exc), "type": "PayloadTooLarge"},
                                    status_code=413)
            except AgilityError as exc:
                return json_error(exc)
            return JSONResponse(result)
        return endpoint

    def html(handler: Callable[[Request, Principal], Awaitable[Response]], *,
             write: bool = False) -> Handler:
        async def endpoint(request: Request) -> Response:
            principal = None
            try:
                principal = await auth.principal(request)
                if write:
                    form = await _form(request)
                    auth.require_csrf(principal, _one(form, "csrf_token"))
                    request.state.form = form
                return await handler(request, principal)
            except AuthenticationFailed:
                target = quote(request.url.path, safe="/")
                return RedirectResponse(f"/login?next={target}", status_code=303)
            except AgilityError as exc:
                return error_page(exc, principal)
        return endpoint

    # -- JSON API ---------------------------------------------------------------------------

    async def api_queues(request: Request, me: Principal) -> Any:
        return [q.model_dump() for q in service.queues(me)]

    async def api_items(request: Request, me: Principal) -> Any:
        status = request.query_params.get("status", "pending")
        return [i.model_dump() for i in service.items(me, request.path_params["name"], status)]

    async def api_item(request: Request, me: Principal) -> Any:
        return service.item(me, request.path_params["name"],
                            request.path_params["example_id"]).model_dump()

    async def api_review(request: Request, me: Principal) -> Any:
        record, flags = service.review(me, await _json_body(request))
        return {"review": record.model_dump(), "flags": [f.model_dump() for f in flags]}

    async def api_resolve(request: Request, me: Principal) -> Any:
        body = await _body(request)
        data = {}
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError as exc:
                raise InvalidArgument("body", "", f"must be valid JSON ({exc})") from None
        return service.resolve(me, request.path_params["flag_id"], data).model_dump()

    async def api_agreement(request: Request, me: Principal) -> Any:
        return service.agreement(me, request.path_params["name"]).model_dump()

    async def api_me(request: Request, me: Principal) -> Any:
        return {"name": me.name, "role": me.role, "via": me.via}

    # -- pages ------------------------------------------------------------------------------

    async def login_page(request: Request) -> Response:
        token = secrets.token_urlsafe(24)
        next_url = request.query_params.get("next", "/")
        response = page("login.html", login_csrf=token, next=_safe_next(next_url), error=None)
        response.set_cookie(_LOGIN_CSRF, token, httponly=True, samesite="strict", path="/login",
                            secure=request.url.scheme == "https")
        return response

    async def login_submit(request: Request) -> Response:
        try:
            form = await _form(request)
        except AgilityError as exc:
            return error_page(exc, None)
        cookie_token = request.cookies.get(_LOGIN_CSRF)
        sent = _one(form, "csrf_token")
        if not cookie_token or not sent or not secrets.compare_digest(cookie_token, sent):
            return page("error.html", 403, status=403, me=None,
                        message="the login form was sent without its CSRF token: reload the "
                                "login page and try again")
        next_url = _safe_next(_one(form, "next") or "/")
        try:
            issued = await service.auth.alogin(_one(form, "name") or "", _one(form, "secret") or "")
        except AuthenticationFailed as exc:
            token = secrets.token_urlsafe(24)
            failed = page("login.html", 401, login_csrf=token, next=next_url, error=str(exc))
            failed.set_cookie(_LOGIN_CSRF, token, httponly=True, samesite="strict",
                              path="/login", secure=request.url.scheme == "https")
            return failed
        response = RedirectResponse(next_url, status_code=303)
        auth.set_session(response, issued, request)
        response.delete_cookie(_LOGIN_CSRF, path="/login")
        return response

    async def logout(request: Request, me: Principal) -> Response:
        service.auth.logout(me)
        response = RedirectResponse("/login", status_code=303)
        auth.clear_session(response, request)
        return response

    async def home(request: Request, me: Principal) -> Response:
        return page("queues.html", me=me, queues=service.queues(me))

    async def queue_page(request: Request, me: Principal) -> Response:
        name = request.path_params["name"]
        info = service.queue(me, name)
        items = service.items(me, name, "all")
        agreement = service.agreement(me, name) if me.role == "lead" else None
        flags = [f for f in service.store.flags(service.store.get_queue(name).id,  # type: ignore[union-attr]
                                                unresolved_only=True)] if me.role == "lead" else []
        return page("queue.html", me=me, queue=info, items=items, agreement=agreement,
                    flags=flags)

    async def start(request: Request, me: Principal) -> Response:
        name = request.path_params["name"]
        pending = service.items(me, name, "pending")
        if not pending:
            return RedirectResponse(f"/queues/{quote(name, safe='')}?done=1", status_code=303)
        return RedirectResponse(f"/queues/{quote(name, safe='')}/items/"
                                f"{quote(pending[0].example_id, safe='')}", status_code=303)

    async def item_page(request: Request, me: Principal) -> Response:
        view = service.item(me, request.path_params["name"], request.path_params["example_id"])
        return page("item.html", me=me, item=view, saved=request.query_params.get("saved"))

    async def item_submit(request: Request, me: Principal) -> Response:
        form: dict[str, list[str]] = request.state.form
        name, example_id = request.path_params["name"], request.path_params["example_id"]
        score = _one(form, "score")
        data = {"queue": name, "example_id": example_id, "side": _one(form, "side") or "target",
                "verdict": _one(form, "verdict"),
                "score": int(score) if score and score.isdigit() and len(score) < 3 else score,
                "flags": form.get("flags", []), "notes": _one(form, "notes") or "",
                "adjudicate": _one(form, "adjudicate") == "1"}
        try:
            service.review(me, data)
        except InvalidArgument as exc:
            view = service.item(me, name, example_id)
            return page("item.html", 400, me=me, item=view, error=str(exc), saved=None)
        view = service.item(me, name, example_id)
        after = view.next_pending_id
        quoted = quote(name, safe="")
        if after is None:
            return RedirectResponse(f"/queues/{quoted}?done=1", status_code=303)
        return RedirectResponse(f"/queues/{quoted}/items/{quote(after, safe='')}?saved="
                                f"{quote(example_id, safe='')}", status_code=303)

    async def resolve_submit(request: Request, me: Principal) -> Response:
        form: dict[str, list[str]] = request.state.form
        flag = service.resolve(me, request.path_params["flag_id"],
                               {"resolution": _one(form, "resolution") or ""})
        queue = next((q.name for q in service.store.list_queues() if q.id == flag.queue_id), "")
        return RedirectResponse(f"/queues/{quote(queue, safe='')}", status_code=303)

    routes = [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", html(logout, write=True), methods=["POST"]),
        Route("/", html(home), methods=["GET"]),
        Route("/queues/{name}", html(queue_page), methods=["GET"]),
        Route("/queues/{name}/start", html(start), methods=["GET"]),
        Route("/queues/{name}/items/{example_id:path}", html(item_page), methods=["GET"]),
        Route("/queues/{name}/items/{example_id:path}", html(item_submit, write=True),
              methods=["POST"]),
        Route("/flags/{flag_id}/resolve", html(resolve_submit, write=True), methods=["POST"]),
        Route("/api/me", api(api_me), methods=["GET"]),
        Route("/api/queues", api(api_queues), methods=["GET"]),
        Route("/api/queues/{name}/items", api(api_items), methods=["GET"]),
        Route("/api/queues/{name}/items/{example_id:path}", api(api_item), methods=["GET"]),
        Route("/api/queues/{name}/agreement", api(api_agreement), methods=["GET"]),
        Route("/api/reviews", api(api_review, write=True), methods=["POST"]),
        Route("/api/flags/{flag_id}/resolve", api(api_resolve, write=True), methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.service = service
    return SecurityHeaders(app)


def _safe_next(value: str) -> str:
    """Only same-site paths after login (never ``//host`` or a full URL)."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value
