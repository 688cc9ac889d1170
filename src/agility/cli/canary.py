"""`agility canary serve|status|promote|pause|resume|rollback|flag PLAN`.

Every command is one library call on the store the gateway uses; a running gateway adopts
the change when it next re-reads the store (every 100 ms).
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from agility.cli._common import StoreOption, console, err_console, handle_errors, open_store
from agility.errors import MissingExtraError

#: this module's top-level commands (listed in agility.cli.main.COMMANDS)
app = typer.Typer()

canary_app = typer.Typer(no_args_is_help=True,
                         help="Canary rollout: serve the plan's gateway, watch and steer it.")
app.add_typer(canary_app, name="canary")

PlanArgument = Annotated[Path, typer.Argument(help="The migration plan (YAML).")]
ActorOption = Annotated[str | None, typer.Option(
    "--actor", help="Who decides (recorded with the event; default: your user name).")]


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in this environment
        return "unknown"


AllowHostOption = Annotated[list[str] | None, typer.Option(
    "--allow-host", help="A host the plan may send requests (and keys) to, beside loopback; "
                         "repeat for more (also $AGILITY_ALLOW_HOSTS).")]
AllowKeyEnvOption = Annotated[list[str] | None, typer.Option(
    "--allow-key-env", help="An environment variable (or AWS profile) the plan may take a key "
                            "from; repeat for more (also $AGILITY_ALLOW_KEY_ENVS).")]


def _plan(path: Path, allow_host: list[str] | None = None,
          allow_key_env: list[str] | None = None) -> Any:
    from agility.migrate import load_plan
    from agility.providers import RoutingPolicy

    return load_plan(path, routing=RoutingPolicy.from_environment(allow_host or (),
                                                                  allow_key_env or ()))


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@canary_app.command("serve")
@handle_errors
def serve_command(
    plan: PlanArgument,
    host: Annotated[str, typer.Option(help="Address to bind (127.0.0.1: this machine only).")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: a free one, printed).")] = 8080,
    store: StoreOption = None,
    without_approval: Annotated[bool, typer.Option(
        "--without-approval",
        help="Start the rollout although the plan's migration has no PASS verdict "
             "(recorded in the start event).")] = False,
    actor: ActorOption = None,
    allow_host: AllowHostOption = None,
    allow_key_env: AllowKeyEnvOption = None,
    no_client_auth: Annotated[bool, typer.Option(
        "--no-client-auth",
        help="Serve /v1 to anyone who reaches the port, without a canary-client token (only "
             "behind a proxy that authenticates; the admin API always needs a token).")] = False,
) -> None:
    """Serve the plan's OpenAI-compatible canary gateway (POST /v1/chat/completions, and
    /v1/completions for text prompts).

    Clients send 'Authorization: Bearer TOKEN' with a canary-client token (`agility canary
    user add`); the admin API (/admin/...) and /metrics take canary-admin / canary-viewer ones.

    Upstream keys come from the environment; a plan (it may come from a pull request) can send
    requests only to loopback and the hosts allowed here, with keys allowed here.
    """
    try:
        from agility.canary.gateway import serve
    except ImportError as exc:
        raise MissingExtraError(exc.name or "starlette", "web", "agility canary serve") from exc

    serve(_plan(plan, allow_host, allow_key_env), open_store(store), host=host, port=port,
          actor=_actor(actor), allow_unapproved=without_approval,
          client_auth=not no_client_auth)


def _print_status(status: Any) -> None:
    _say(f"rollout {status.name}: {status.verdict}")
    progress = status.progress
    if status.status in ("running", "paused"):
        signoff = ""
        if progress["needs_signoff"]:
            signoff = ", signed off" if progress["signed_off"] else \
                ", waits for a sign-off (agility canary promote)"
        _say(f"  stage since {status.stage_started_at}: {progress['target_requests']} of "
             f"{progress['min_requests']} target requests, {progress['minutes']:.1f} of "
             f"{progress['min_minutes']:g} minutes{signoff}")
    for arm, figures in status.arms.items():
        def show(key: str, unit: str = "", figures: dict[str, Any] = figures) -> str:
            value = figures.get(key)
            return "not measured" if value is None else f"{value:.4g}{unit}"
        ttft_key = next(k for k in figures if k.startswith("ttft_p") and k != "ttft_p95_ms")
        _say(f"  {arm:<6} requests {figures['requests']}, errors {figures['errors']} "
             f"(rate {show('error_rate')}), {ttft_key} {show(ttft_key)}, latency p50 "
             f"{show('latency_p50_ms')} ms, cost/request {show('cost_per_request_usd', ' USD')}"
             f", fallbacks {figures['fallbacks']}, cancelled {figures['cancelled']}")
        for metric, q in figures["quality"].items():
            mean = "not measured" if q["mean"] is None else f"{q['mean']:.3f}"
            _say(f"         {metric}: mean {mean} over {q['graded']} graded")
    for event in status.rollbacks[-3:]:
        _say(f"  rolled back at {event.at} by {event.actor}: {event.payload.get('reason')}")
    for event in status.events[-5:]:
        _say(f"  {event.at}  {event.kind:<22} {event.actor}")


@canary_app.command("status")
@handle_errors
def status_command(plan: PlanArgument, store: StoreOption = None,
                   as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
                   allow_host: AllowHostOption = None,
                   allow_key_env: AllowKeyEnvOption = None) -> None:
    """Show the rollout's stage, the arms' figures in this stage and its recent decisions."""
    from agility.canary import require_rollout, rollout_spec, rollout_status

    loaded = _plan(plan, allow_host, allow_key_env)
    db = open_store(store, existing=True)
    require_rollout(db, loaded)
    status = rollout_status(db, loaded.name, rollout_spec(loaded))
    assert status is not None
    if as_json:
        print(json.dumps(status.model_dump(), indent=2))
    else:
        _print_status(status)


@canary_app.command("promote")
@handle_errors
def promote_command(plan: PlanArgument, store: StoreOption = None, actor: ActorOption = None,
                    note: Annotated[str | None, typer.Option(help="Why (recorded).")] = None,
                    force: Annotated[bool, typer.Option(
                        "--force", help="Advance now even if the stage's minimums are not "
                        "met (recorded as forced).")] = False,
                    allow_host: AllowHostOption = None,
                    allow_key_env: AllowKeyEnvOption = None) -> None:
    """Sign off the next stage (the step to 100% waits for it); advance now if its minimums
    are met. A rolled-back rollout starts again at its first stage."""
    from agility.canary import promote

    record = promote(open_store(store), _plan(plan, allow_host, allow_key_env),
                     actor=_actor(actor), note=note, force=force)
    _say(f"rollout {record.name}: {record.status}, stage {record.stage + 1}, "
         f"{record.percent:g}% target")


@canary_app.command("pause")
@handle_errors
def pause_command(plan: PlanArgument, store: StoreOption = None, actor: ActorOption = None,
                  reason: Annotated[str | None, typer.Option(help="Why (recorded).")] = None,
                  allow_host: AllowHostOption = None,
                  allow_key_env: AllowKeyEnvOption = None) -> None:
    """Hold the rollout at its stage (triggers still roll back)."""
    from agility.canary import pause

    record = pause(open_store(store), _plan(plan, allow_host, allow_key_env),
                   actor=_actor(actor), reason=reason)
    _say(f"rollout {record.name}: {record.status} at {record.percent:g}% target")


@canary_app.command("resume")
@handle_errors
def resume_command(plan: PlanArgument, store: StoreOption = None,
                   actor: ActorOption = None,
                   allow_host: AllowHostOption = None,
                   allow_key_env: AllowKeyEnvOption = None) -> None:
    """Let a paused rollout advance again."""
    from agility.canary import resume

    record = resume(open_store(store), _plan(plan, allow_host, allow_key_env),
                    actor=_actor(actor))
    _say(f"rollout {record.name}: {record.status} at {record.percent:g}% target")


@canary_app.command("rollback")
@handle_errors
def rollback_command(plan: PlanArgument,
                     reason: Annotated[str, typer.Option(help="Why (recorded).")],
                     store: StoreOption = None, actor: ActorOption = None,
                     allow_host: AllowHostOption = None,
                     allow_key_env: AllowKeyEnvOption = None) -> None:
    """Send every user back to the source now."""
    from agility.canary import rollback

    record = rollback(open_store(store), _plan(plan, allow_host, allow_key_env),
                      actor=_actor(actor), reason=reason)
    _say(f"rollout {record.name}: {record.status}, 0% target")


@canary_app.command("flag")
@handle_errors
def flag_command(plan: PlanArgument, store: StoreOption = None, actor: ActorOption = None,
                 note: Annotated[str | None, typer.Option(help="What was wrong.")] = None,
                 request_id: Annotated[str | None, typer.Option(
                     "--request-id", help="The answer's x-request-id.")] = None,
                 allow_host: AllowHostOption = None,
                 allow_key_env: AllowKeyEnvOption = None) -> None:
    """Record an SME's hallucination flag on a target answer (a rollback trigger)."""
    from agility.canary import flag_answer

    event = flag_answer(open_store(store), _plan(plan, allow_host, allow_key_env),
                        actor=_actor(actor), note=note,
                        request_id=request_id)
    _say(f"flag recorded (event {event.id})")


user_app = typer.Typer(name="user", no_args_is_help=True,
                       help="Accounts of the gateway (shared with the review app).")
canary_app.add_typer(user_app)


@user_app.command("add")
@handle_errors
def user_add_command(
    name: Annotated[str, typer.Argument(help="The account's name.")],
    role: Annotated[str, typer.Option(
        help="canary-client (sends chat completions), canary-viewer (status and metrics) or "
             "canary-admin (everything, and the decisions).")] = "canary-client",
    store: StoreOption = None,
    actor: ActorOption = None,
) -> None:
    """Create a gateway account; its one-time token is printed alone on the last line."""
    from agility.auth import add_account
    from agility.canary import CANARY_ROLES

    with open_store(store) as db:
        account, secret = add_account(db, name, role, roles=CANARY_ROLES, actor=_actor(actor))
    err_console.print(f"account {account.name} ({account.role}) created. Its token is shown "
                      f"once, below: send it as 'Authorization: Bearer TOKEN'.", markup=False,
                      highlight=False, soft_wrap=True)
    typer.echo(secret)
