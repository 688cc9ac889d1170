"""Who may use the gateway, and its admin API: the same decisions as the CLI, behind a token.

Accounts are the shared web accounts of :mod:`agility.auth` (``agility canary user add``), a
role each (see :mod:`agility.canary._roles`).

Every request carries ``Authorization: Bearer TOKEN`` (no cookies: a JSON API for people's
scripts and for Prometheus). The actor of a decision is the account's name.

    GET  /admin/status                         -> the rollout status (JSON)
    POST /admin/promote   {"note", "force"}    -> the new state
    POST /admin/pause     {"reason"}
    POST /admin/resume    {}
    POST /admin/rollback  {"reason"}           (reason required)
    POST /admin/flag      {"note", "request_id"}
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agility.auth import Authenticator, bearer_token
from agility.auth.asgi import json_error
from agility.canary._roles import ADMIN_ROLES, FLAG_ROLES, VIEWER_ROLES
from agility.canary._state import flag_answer, pause, promote, resume, rollback
from agility.canary._summary import rollout_status
from agility.errors import AgilityError, AuthenticationFailed, PermissionDenied
from agility.store import AccountRecord, Store

if TYPE_CHECKING:
    from agility.migrate import Plan

__all__ = ["GatewayAuth", "admin_routes"]

_MAX_ADMIN_BODY = 16 * 1024
_log = logging.getLogger(__name__)


class GatewayAuth:
    """Bearer-token checks of the gateway over the shared :class:`Authenticator`.

    A token verified once is trusted for ``recheck_s`` before its account is read again (a
    disabled account or a reset secret is refused within that time), so a request costs an
    HMAC and a dictionary lookup.
    """

    def __init__(self, store: Store, *, recheck_s: float = 1.0) -> None:
        self.authenticator = Authenticator(store, token_recheck_s=recheck_s)

    async def account(self, authorization: str | None, roles: frozenset[str],
                      action: str) -> AccountRecord:
        """The account behind ``authorization``, allowed to ``action``.

        Raises:
            AuthenticationFailed: no or a wrong token (HTTP 401).
            PermissionDenied: the account's role does not allow ``action`` (HTTP 403).
        """
        token = bearer_token(authorization)
        if token is None:
            raise AuthenticationFailed("send 'Authorization: Bearer TOKEN' (a token of "
                                       "`agility canary user add`)")
        account = self.authenticator.tokens.cached(token)
        if account is None:
            principal = await self.authenticator.aauthenticate(cookie=None,
                                                               authorization=authorization)
            account = principal.account
        if account.role not in roles:
            raise PermissionDenied(account.name, action)
        return account


class _Promote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000)
    force: bool = False


class _Pause(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=2000)


class _Resume(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Rollback(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class _Flag(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000)
    request_id: str | None = Field(default=None, max_length=200)


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"error": message, "type": "InvalidRequest"}, status_code=400)


async def _body(request: Request, model: type[BaseModel]) -> BaseModel | JSONResponse:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > _MAX_ADMIN_BODY):
        return JSONResponse({"error": f"the body is larger than {_MAX_ADMIN_BODY} bytes",
                             "type": "InvalidRequest"}, status_code=413)
    raw = await request.body()
    if len(raw) > _MAX_ADMIN_BODY:
        return JSONResponse({"error": f"the body is larger than {_MAX_ADMIN_BODY} bytes",
                             "type": "InvalidRequest"}, status_code=413)
    try:
        data = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError:
        return _bad_request("the body is not valid JSON")
    if not isinstance(data, dict):
        return _bad_request("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '-'}: {e['msg']}"
                             for e in exc.errors())
        return _bad_request(problems)


def _state(record: Any) -> dict[str, Any]:
    return {"name": record.name, "status": record.status, "stage": record.stage + 1,
            "percent": record.percent, "version": record.version}


def admin_routes(auth: GatewayAuth, store: Store, plan: Plan,
                 on_decision: Callable[[], Awaitable[None]]) -> list[Route]:
    """The admin API's routes (see the module docstring).

    Args:
        auth: the gateway's token checks.
        store: the store holding the rollout.
        plan: the plan served.
        on_decision: awaited after a decision, before its answer (the gateway re-reads the
            state, so the answer means this gateway already routes by it).
    """
    from agility.canary._state import rollout_spec

    spec = rollout_spec(plan)

    async def guarded(request: Request, roles: frozenset[str], action: str,
                      model: type[BaseModel] | None,
                      act: Callable[[str, Any], Any]) -> Response:
        try:
            account = await auth.account(request.headers.get("authorization"), roles, action)
        except AgilityError as exc:
            return json_error(exc)
        body: Any = None
        if model is not None:
            body = await _body(request, model)
            if isinstance(body, JSONResponse):
                return body
        try:
            result = await asyncio.to_thread(act, account.name, body)
        except AgilityError as exc:
            return json_error(exc)
        if model is not None:
            try:
                await on_decision()
            except Exception:  # noqa: BLE001 - decided and stored; the next tick adopts it
                _log.exception("canary: re-reading the rollout after a decision failed")
        return JSONResponse(result)

    async def status(request: Request) -> Response:
        def read(_actor: str, _body: Any) -> Any:
            found = rollout_status(store, plan.name, spec)
            return found.model_dump(mode="json") if found is not None else None
        return await guarded(request, VIEWER_ROLES, "read the rollout's status", None, read)

    async def do_promote(request: Request) -> Response:
        def act(actor: str, body: Any) -> Any:
            return _state(promote(store, plan, actor=actor, note=body.note, force=body.force))
        return await guarded(request, ADMIN_ROLES, "promote the rollout", _Promote, act)

    async def do_pause(request: Request) -> Response:
        def act(actor: str, body: Any) -> Any:
            return _state(pause(store, plan, actor=actor, reason=body.reason))
        return await guarded(request, ADMIN_ROLES, "pause the rollout", _Pause, act)

    async def do_resume(request: Request) -> Response:
        def act(actor: str, body: Any) -> Any:
            return _state(resume(store, plan, actor=actor))
        return await guarded(request, ADMIN_ROLES, "resume the rollout", _Resume, act)

    async def do_rollback(request: Request) -> Response:
        def act(actor: str, body: Any) -> Any:
            return _state(rollback(store, plan, actor=actor, reason=body.reason))
        return await guarded(request, ADMIN_ROLES, "roll the rollout back", _Rollback, act)

    async def do_flag(request: Request) -> Response:
        def act(actor: str, body: Any) -> Any:
            event = flag_answer(store, plan, actor=actor, note=body.note,
                                request_id=body.request_id)
            return {"event": event.id}
        return await guarded(request, FLAG_ROLES, "flag an answer", _Flag, act)

    return [Route("/admin/status", status, methods=["GET"]),
            Route("/admin/promote", do_promote, methods=["POST"]),
            Route("/admin/pause", do_pause, methods=["POST"]),
            Route("/admin/resume", do_resume, methods=["POST"]),
            Route("/admin/rollback", do_rollback, methods=["POST"]),
            Route("/admin/flag", do_flag, methods=["POST"])]
