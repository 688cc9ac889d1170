"""The gateway: each completion goes to the arm the rollout picks, through agility.client.

:class:`Gateway` owns the live rollout, one :class:`~agility.client.Client` per arm, the online
grader and the Prometheus metrics. Its request handlers are plain ASGI callables (no
framework objects on the hot path); :mod:`agility.canary.gateway._app` mounts them. Chat
completions and (legacy) text completions share every step but parsing and the wire format of
the answer (:mod:`agility.canary.gateway._wire`). A text completion is refused (400) when an
arm's provider has no completions API, before any call: both arms must take the same prompt.

A request is routed once; with ``fallback: source`` a target call that failed before any byte
reached the client is answered by the source (the target's failure still counts against it).
A streamed answer passes through piece by piece; if the client goes away mid-stream, the
upstream call is cancelled. Errors before the first byte get an HTTP status (429 throttled,
504 timed out, 502 upstream failure, the upstream's 4xx for a request it refused); after it,
an error event ends the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from agility.auth.asgi import error_message
from agility.canary._controller import LiveRollout
from agility.canary._grading import OnlineGrader
from agility.canary._report import write_rollout_report
from agility.canary._roles import CLIENT_ROLES
from agility.canary._router import Arm
from agility.canary._spec import RolloutSpec
from agility.canary._state import rollout_spec
from agility.canary._summary import rollout_status
from agility.canary.gateway._admin import GatewayAuth
from agility.canary.gateway._metrics import GatewayMetrics, stage_label
from agility.canary.gateway._wire import (
    OpenAIRequest,
    WireError,
    error_body,
    finish_reason,
    parse_completion_request,
    parse_request,
)
from agility.chat import ChatRequest, GenerationConfig
from agility.client import CallOutcome, Client, RetryPolicy
from agility.errors import (
    AgilityError,
    PermissionDenied,
    ProviderAuthError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    StoreError,
    scrub_secrets,
)
from agility.governance import (
    CallLog,
    PolicyMasks,
    check_residency,
    mask_logs,
    plan_models,
    policy_masks,
)
from agility.pricing import Price, load_price_table, resolve_price
from agility.providers import Provider, get_provider
from agility.store import RolloutRecord, Store

if TYPE_CHECKING:
    from agility.migrate import Plan

__all__ = ["ArmClient", "Gateway", "build_arm", "error_status", "read_body", "send_json"]

_log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_JSON = (b"content-type", b"application/json")
_SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"),
                (b"x-accel-buffering", b"no")]


@dataclass
class ArmClient:
    """One arm: its model behind a client, and the plan's generation settings as defaults."""

    arm: Arm
    model_spec: str
    client: Client
    config: GenerationConfig
    has_defaults: bool

    def request_for(self, request: ChatRequest) -> ChatRequest:
        """The request with the plan's settings under the client's own."""
        if not self.has_defaults:
            return request
        return request.model_copy(update={"config": self.config.merged(request.config)})


def build_arm(plan: Plan, arm: Arm, spec: RolloutSpec, *,
              mask: Callable[[str], str] | None = None,
              provider: Provider | None = None) -> ArmClient:
    """The client of one side of the plan, with the rollout's retry policy.

    Args:
        plan, arm, spec: the plan, the side, the rollout's settings.
        mask: applied to every message before it leaves (a privacy policy that masks
            ``providers``).
        provider: the side's model, already built (and checked for residency).

    Raises:
        ConfigError, OptionsError, UnknownName: the candidate's model or options are invalid.
        ProviderAuthError: a key the model needs is not in the environment.
    """
    candidate = getattr(plan, arm)
    if provider is None:
        provider = get_provider(candidate.model_spec, candidate.provider_options)
    provider.check_credentials()
    if candidate.price is not None:
        price: Price | None = Price(input=candidate.price.input_per_mtok,
                                    output=candidate.price.output_per_mtok, source="plan")
    else:
        price = resolve_price(load_price_table(), provider.name, provider.model,
                              local=provider.local)
    # a client is waiting: throttling counts against max_attempts like any failure (no
    # minutes-long throttle budget as in a batch run); the client gets the 429 instead
    retry = RetryPolicy(max_attempts=spec.retry.max_attempts,
                        base_delay_s=spec.retry.base_delay_s, max_delay_s=spec.retry.max_delay_s,
                        throttle_budget_s=0.0)
    config = candidate.config
    has_defaults = bool(config.model_dump(exclude_defaults=True))
    return ArmClient(arm=arm, model_spec=candidate.model_spec,
                     client=Client(provider, price=price, retry=retry,
                                   timeout_s=candidate.timeout_s, mask=mask),
                     config=config, has_defaults=has_defaults)


def _text_refusal(arms: dict[Arm, ArmClient]) -> str | None:
    """Why a text completion is refused when an arm's provider has no completions API (None:
    both arms take a text prompt). Both must: the canary compares the arms on one prompt."""
    unable = [arm for arm in arms.values() if not arm.client.provider.supports_text]
    if not unable:
        return None
    names = " and ".join(f"the {arm.arm} arm ({arm.model_spec})" for arm in unable)
    return (f"{names} cannot take a text prompt (its provider has no completions API), so "
            f"this canary serves no text completions: both arms must take one (openai/ "
            f"endpoints such as vLLM, the llama.cpp server and Ollama, or llamacpp/). Use "
            f"/v1/chat/completions")


def error_status(exc: BaseException) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    """The HTTP status, body and headers of an upstream failure (before the first byte)."""
    detail = scrub_secrets(getattr(exc, "detail", None) or str(exc))
    headers: list[tuple[bytes, bytes]] = []
    if isinstance(exc, RateLimitError):
        if exc.retry_after_s is not None:
            headers.append((b"retry-after", str(max(1, round(exc.retry_after_s))).encode()))
        return 429, error_body(f"the model is throttled: {detail}", kind="rate_limit_error",
                               code="rate_limited"), headers
    if isinstance(exc, ProviderTimeout):
        return 504, error_body(f"the model did not answer in time: {detail}",
                               kind="timeout", code="upstream_timeout"), headers
    if isinstance(exc, ProviderAuthError):
        return 502, error_body("the model refused the gateway's credentials (see the "
                               "gateway's log)", kind="upstream_error",
                               code="upstream_auth"), headers
    status = getattr(exc, "status", None)
    if isinstance(exc, ProviderError) and isinstance(status, int) and 400 <= status < 500:
        return status, error_body(f"the model refused the request: {detail}",
                                  code="upstream_rejected"), headers
    return 502, error_body(f"the model failed: {detail}", kind="upstream_error",
                           code="upstream_error"), headers


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The request body, refused (413) past ``limit`` bytes, before reading it when the
    ``Content-Length`` says so."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                raise WireError(400, "invalid Content-Length header") from None
            if declared > limit:
                raise WireError(413, f"the body is larger than {limit:,} bytes",
                                code="body_too_large")
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise WireError(499, "the client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise WireError(413, f"the body is larger than {limit:,} bytes",
                            code="body_too_large")
        parts.append(chunk)
        if not message.get("more_body", False):
            return parts[0] if len(parts) == 1 else b"".join(parts)


async def send_json(send: Send, status: int, body: bytes,
                    headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A whole JSON response."""
    await send({"type": "http.response.start", "status": status,
                "headers": [_JSON, (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class Gateway:
    """The canary gateway of one plan (see the module docstring).

    Args:
        plan: the migration plan (its source, target and ``rollout:`` section).
        store: the store holding the rollout's state and counters.
        actor: who started the gateway (recorded if it starts the rollout).
        allow_unapproved: start the rollout although the migration did not pass (recorded).
        flush_every_s: how often counts reach the store and the state is re-read.
        grading_seed: seeds the sampling of answers to grade (tests).
        client_auth: the ``/v1`` routes need a ``canary-client`` (or ``canary-admin``) token;
            False serves them to anyone who can reach the port (only behind a proxy that
            authenticates).
    """

    def __init__(self, plan: Plan, store: Store, *, actor: str,
                 allow_unapproved: bool = False, flush_every_s: float = 0.1,
                 grading_seed: int | None = None, client_auth: bool = True) -> None:
        self.plan, self.store = plan, store
        self.auth = GatewayAuth(store)
        self.client_auth = client_auth
        self.spec = rollout_spec(plan)
        self.metrics = GatewayMetrics()
        self._reports: set[asyncio.Task[None]] = set()
        #: the plan's privacy policy: what is sent to the arms and the judges, what the
        #: audit events and the logs hold
        self.masks: PolicyMasks = policy_masks(plan.privacy)
        self.grader = OnlineGrader(plan, self.spec.grading, self._on_grade, seed=grading_seed,
                                   mask=self.masks.judges)
        models = self._check_residency(plan)  # before any model is called
        self.arms: dict[Arm, ArmClient] = {
            arm: build_arm(plan, arm, self.spec, mask=self.masks.providers,
                           provider=models.get(arm)) for arm in ("source", "target")}
        #: one ``model.call`` audit event per upstream call, written off the request path
        self.calls = CallLog(store, plan.name, mask=self.masks.store)
        self._unmask_logs: Callable[[], None] | None = None
        self.rollout = LiveRollout(store, plan, actor=actor, allow_unapproved=allow_unapproved,
                                   flush_every_s=flush_every_s, on_change=self._changed)
        self.rollout.online_metrics = [name for name, _metric in self.grader.metrics]
        self._user_header = self.spec.user_header.lower().encode()
        self._id_prefix = f"-agc{os.getpid():x}{os.urandom(3).hex()}-"
        #: why every text completion is refused (400) when an arm cannot take a text prompt
        self._text_refusal = _text_refusal(self.arms)
        self._count = 0
        self._task: asyncio.Task[None] | None = None
        self._frozen = False

    def _check_residency(self, plan: Plan) -> dict[str, Provider]:
        """The plan's models, built; refused (``PolicyViolation``) when the residency policy
        forbids an arm, or a judge the online grading calls, before anything is sent."""
        models = plan_models(plan, judges=self.grader.active)
        for role, provider in models.items():
            check_residency(provider, plan.residency,
                            role=f"gateway arm {role}" if role in ("source", "target")
                            else f"online grading's {role}")
        return models

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the rollout's background loop (and write the rollout's page).

        The objects made until now (modules, the plan, clients, the web app: several hundred
        thousand) live as long as the gateway, so they are frozen out of the garbage
        collector (``gc.freeze``) while it serves: otherwise each full collection walks them
        all and stalls every request in flight for far longer than the gateway's own work
        (figures in benchmarks/README.md). :meth:`stop` thaws them.
        """
        loop = asyncio.get_running_loop()
        if self.masks.logs is not None and self._unmask_logs is None:
            self._unmask_logs = mask_logs(self.masks.logs)
        self.calls.start()  # its idle writer holds no short-lived object to freeze
        self._task = loop.create_task(self.rollout.run())
        self._write_report()
        if not self._frozen:
            gc.collect()  # nothing that is already garbage is frozen
            gc.freeze()
            self._frozen = True

    def _changed(self, record: RolloutRecord) -> None:
        self.metrics.set_state(record)
        self._write_report()

    def _write_report(self) -> None:
        """Rewrite ``rollout.html``/``rollout.md`` beside the migration report, in a worker
        thread (a decision is rare; a failure to write is logged, never fatal)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not serving yet: start() writes it
        task = loop.create_task(asyncio.to_thread(self._report_now))
        self._reports.add(task)
        task.add_done_callback(self._reports.discard)

    def _report_now(self) -> None:
        try:
            status = rollout_status(self.store, self.plan.name, self.spec)
            if status is not None:
                write_rollout_report(status, self.plan.output)
        except Exception:  # noqa: BLE001 - the page is a convenience; serving goes on
            _log.exception("canary: cannot write the rollout page to %s", self.plan.output)

    async def stop(self) -> None:
        """Stop the loop, flush the counts, release the models. Safe to call twice."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.rollout.aclose()
        if self._reports:
            await asyncio.wait(list(self._reports), timeout=5)
        await self.grader.aclose()
        for arm in self.arms.values():
            await arm.client.aclose()
        # every call recorded so far reaches the store before the gateway says it stopped
        await asyncio.to_thread(self.calls.close)
        if self._unmask_logs is not None:
            self._unmask_logs()
            self._unmask_logs = None
        if self._frozen:
            gc.unfreeze()
            self._frozen = False

    # -- bookkeeping -----------------------------------------------------------------------
    def _on_grade(self, arm: Arm, metric: str, score: float | None) -> None:
        self.rollout.record_grade(arm, metric, score)
        self.metrics.observe_grade(arm, metric, score)

    def _record(self, arm: Arm, outcome: CallOutcome) -> None:
        completion = outcome.completion
        if completion is None:
            self.rollout.record_call(arm, ok=False, ttft_ms=None, latency_ms=None,
                                     input_tokens=None, output_tokens=None, cost_usd=None)
            self.metrics.observe_call(arm, ok=False, ttft_ms=None, latency_ms=None,
                                      input_tokens=None, output_tokens=None, cost_usd=None)
            return
        for sink in (self.rollout.record_call, self.metrics.observe_call):
            sink(arm, ok=True, ttft_ms=completion.ttft_ms, latency_ms=completion.latency_ms,
                 input_tokens=completion.input_tokens, output_tokens=completion.output_tokens,
                 cost_usd=outcome.cost_usd)

    def _fallback(self, outcome: CallOutcome, request: ChatRequest, actor: str | None,
                  stream: bool) -> None:
        self._record("target", outcome)
        self._audit("target", request, outcome, actor, stream=stream, fallback=True)
        self.rollout.record_fallback()
        self.metrics.observe_fallback()

    def _audit(self, arm: Arm, request: ChatRequest, outcome: CallOutcome | None,
               actor: str | None, *, stream: bool, fallback: bool = False,
               error: str | None = None) -> None:
        """Queue the call's ``model.call`` audit event (masked and written by the call log's
        thread): the messages as the client sent them, the answer or the failure."""
        completion = None if outcome is None else outcome.completion
        extra: dict[str, Any] = {"via": "gateway", "arm": arm,
                                 "stage": stage_label(self.rollout.record), "stream": stream,
                                 "latency_ms": None if completion is None
                                 else completion.latency_ms}
        if fallback:
            extra["answered_by"] = "source"
        if request.prompt_format == "text":
            extra["prompt_format"] = "text"  # the prompt is the one user message
        self.calls.record(model=self.arms[arm].model_spec, messages=request.messages,
                          response=None if completion is None else completion.text,
                          error=error or (None if outcome is None else outcome.error_text),
                          request_id=None if outcome is None else outcome.request_id,
                          actor=actor, extra=extra)

    def _user_key(self, scope: Scope, parsed: OpenAIRequest) -> bytes:
        authorization = None
        for name, value in scope["headers"]:
            if name == self._user_header and value:
                return b"u:" + bytes(value)
            if name == b"authorization":
                authorization = value
        if parsed.user:
            return b"u:" + parsed.user.encode()
        if authorization:
            return b"k:" + bytes(authorization)  # hashed by the router, never kept
        client = scope.get("client")
        return b"a:" + (client[0].encode() if client else b"?")

    def _next_id(self, parsed: OpenAIRequest) -> str:
        self._count += 1
        return f"{parsed.api.id_kind}{self._id_prefix}{self._count}"

    def _headers(self, arm: Arm, request_id: str) -> list[tuple[bytes, bytes]]:
        return [(b"x-agility-arm", arm.encode()),
                (b"x-agility-stage", stage_label(self.rollout.record).encode()),
                (b"x-request-id", request_id.encode())]

    # -- routes ----------------------------------------------------------------------------
    async def _client_allowed(self, scope: Scope, send: Send) -> bool:
        """Whether the request carries a client token; if not, the 401/403 is sent."""
        return await self._client(scope, send) is not False

    async def _client(self, scope: Scope, send: Send) -> str | bool | None:
        """The calling account's name (None: client tokens are off), or False when the
        request carries no client token (the 401/403 is sent)."""
        if not self.client_auth:
            return None
        authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = bytes(value).decode("latin-1")
                break
        try:
            account = await self.auth.account(authorization, CLIENT_ROLES, "call the models")
        except PermissionDenied as exc:
            await send_json(send, 403, error_body(error_message(exc), kind="permission_error",
                                                  code="permission_denied"))
            return False
        except StoreError as exc:
            # the token cannot be checked now (the store's server restarting): not a bad key
            await send_json(send, 503, error_body(error_message(exc), kind="server_error",
                                                  code="store_unavailable"),
                            [(b"retry-after", b"1")])
            return False
        except AgilityError as exc:
            await send_json(send, 401, error_body(error_message(exc), kind="authentication_error",
                                                  code="invalid_api_key"),
                            [(b"www-authenticate", b'Bearer realm="agility"')])
            return False
        return account.name

    async def chat_completions(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``POST /v1/chat/completions`` (ASGI)."""
        await self._complete(scope, receive, send, parse_request)

    async def completions(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``POST /v1/completions`` (ASGI): a raw text prompt, answered in the legacy
        Completions format; refused (400) when an arm cannot take a text prompt."""
        await self._complete(scope, receive, send, parse_completion_request)

    async def _complete(self, scope: Scope, receive: Receive, send: Send,
                        parse: Callable[[bytes], OpenAIRequest]) -> None:
        actor = await self._client(scope, send)
        if actor is False:
            return
        await self.calls.wait_for_room()
        try:
            parsed = parse(await read_body(scope, receive, self.spec.max_body_bytes))
            if self._text_refusal is not None and parsed.request.prompt_format == "text":
                raise WireError(400, self._text_refusal, param="prompt",
                                code="text_prompt_unsupported")
        except WireError as exc:
            if exc.status == 499:
                return
            extra = [(b"connection", b"close")] if exc.status == 413 else []
            await send_json(send, exc.status, exc.body(), extra)
            return
        arm = self.rollout.route(self._user_key(scope, parsed))
        who = actor if isinstance(actor, str) else None
        if parsed.stream:
            await self._stream(arm, parsed, receive, send, who)
        else:
            await self._whole(arm, parsed, send, who)

    async def _whole(self, arm: Arm, parsed: OpenAIRequest, send: Send,
                     actor: str | None) -> None:
        request = parsed.request
        outcome = await self.arms[arm].client.call(self.arms[arm].request_for(request))
        if not outcome.ok and arm == "target" and self.spec.fallback == "source":
            self._fallback(outcome, request, actor, stream=False)
            arm = "source"
            outcome = await self.arms[arm].client.call(self.arms[arm].request_for(request))
        self._record(arm, outcome)
        self._audit(arm, request, outcome, actor, stream=False)
        request_id = self._next_id(parsed)
        headers = self._headers(arm, request_id)
        completion = outcome.completion
        if completion is None:
            assert outcome.error is not None
            status, body, more = error_status(outcome.error)
            await send_json(send, status, body, headers + more)
            return
        await send_json(send, 200, parsed.api.whole(request_id, int(time.time()),
                                                     parsed.model, completion), headers)
        self.grader.maybe_grade(arm, self.rollout.percent, request.messages, completion.text)

    async def _stream(self, arm: Arm, parsed: OpenAIRequest, receive: Receive,
                      send: Send, actor: str | None) -> None:
        task = asyncio.current_task()
        assert task is not None
        state = {"gone": False, "done": False}

        async def watch() -> None:
            # the only message left after the body is the disconnect
            while (await receive())["type"] != "http.disconnect":
                pass
            if not state["done"]:
                state["gone"] = True
                task.cancel()

        watcher = asyncio.get_running_loop().create_task(watch())
        try:
            await self._pass_through(arm, parsed, send, state, actor)
        except asyncio.CancelledError:
            if not state["gone"]:
                raise
            task.uncancel()
        finally:
            state["done"] = True
            watcher.cancel()

    async def _pass_through(self, arm: Arm, parsed: OpenAIRequest, send: Send,
                            state: dict[str, bool], actor: str | None) -> None:
        request_id = self._next_id(parsed)
        created = int(time.time())
        model, api = parsed.model, parsed.api
        started = False
        outcome: CallOutcome | None = None
        attempts: tuple[Arm, Arm] = (arm, "source")
        for attempt_arm in attempts:
            arm = attempt_arm
            client = self.arms[arm]
            call = client.client.stream(client.request_for(parsed.request))
            try:
                async with call:
                    async for delta in call:
                        body = api.piece(request_id, created, model, delta.text)
                        if not started:
                            started = True
                            await send({"type": "http.response.start", "status": 200,
                                        "headers": _SSE_HEADERS + self._headers(arm,
                                                                                request_id)})
                            # the opening (chat's role chunk) leaves with the first words
                            body = api.opening(request_id, created, model) + body
                        await send({"type": "http.response.body", "more_body": True,
                                    "body": body})
            except asyncio.CancelledError:
                if state["gone"]:
                    self.rollout.record_cancelled(arm)
                    self.metrics.observe_cancelled(arm)
                    self._audit(arm, parsed.request, None, actor, stream=True,
                                error="cancelled: the client went away mid-answer")
                raise
            outcome = call.outcome
            assert outcome is not None
            if outcome.ok or call.delivered or arm == "source" or \
                    self.spec.fallback != "source":
                break
            # the target failed before its first byte: the source answers
            self._fallback(outcome, parsed.request, actor, stream=True)
        assert outcome is not None
        self._record(arm, outcome)
        self._audit(arm, parsed.request, outcome, actor, stream=True)
        completion = outcome.completion
        if completion is None:
            assert outcome.error is not None
            status, body, more = error_status(outcome.error)
            state["done"] = True  # from here on the response ends: a disconnect is no news
            if not started:
                await send_json(send, status, body, self._headers(arm, request_id) + more)
                return
            await send({"type": "http.response.body", "more_body": False,
                        "body": b"data: " + body + b"\n\n"})
            return
        tail = []
        if not started:
            await send({"type": "http.response.start", "status": 200,
                        "headers": _SSE_HEADERS + self._headers(arm, request_id)})
            tail.append(api.opening(request_id, created, model))
        tail.append(api.finish(request_id, created, model, finish_reason(completion)))
        if parsed.include_usage:
            tail.append(api.usage(request_id, created, model, completion))
        tail.append(b"data: [DONE]\n\n")
        state["done"] = True
        await send({"type": "http.response.body", "more_body": False, "body": b"".join(tail)})
        self.grader.maybe_grade(arm, self.rollout.percent, parsed.request.messages,
                                completion.text)

    async def models(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``GET /v1/models`` (ASGI): the plan, served under its name."""
        if not await self._client_allowed(scope, send):
            return
        body = orjson.dumps({"object": "list", "data": [
            {"id": self.plan.name, "object": "model", "created": 0, "owned_by": "agility"}]})
        await send_json(send, 200, body)
