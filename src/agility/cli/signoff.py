"""`agility signoff PLAN --role R --decision D --note N` and `agility signoff verify PLAN`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from agility.cli._common import StoreOption, console, handle_errors, open_store


class _RecordByDefault(TyperGroup):
    """``agility signoff PLAN ...`` records a decision; ``agility signoff verify`` checks."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["record", *args]
        return super().parse_args(ctx, args)


#: this module's top-level commands (listed in agility.cli.main.COMMANDS)
app = typer.Typer()

signoff_app = typer.Typer(cls=_RecordByDefault, no_args_is_help=True,
                          help="Approvals of the exact migration (its lineage digest), "
                               "recorded in the audit trail.")
app.add_typer(signoff_app, name="signoff")

PlanArg = Annotated[Path, typer.Argument(help="The migration plan (its signoff: section).")]


def _plan(path: Path) -> Any:
    from agility.migrate import load_plan

    return load_plan(path, allow_outside=True)


@signoff_app.command("record")
@handle_errors
def record(
    plan: PlanArg,
    role: Annotated[str, typer.Option("--role", help="product_owner, sme, privacy, legal or "
                                                     "sre (one the plan requires).")],
    decision: Annotated[str, typer.Option("--decision", help="approve or reject.")],
    note: Annotated[str, typer.Option("--note", help="Why (kept in the audit trail).")],
    store: StoreOption = None,
) -> None:
    """Record a role's decision on the migration as it stands in the store."""
    from agility.errors import InvalidArgument
    from agility.governance import record_signoff

    if decision not in ("approve", "reject"):
        raise InvalidArgument("decision", decision, "must be approve or reject")
    with open_store(store, existing=True) as db:
        approval = record_signoff(db, _plan(plan), role=role, decision=decision,  # type: ignore[arg-type]
                                  note=note)
    console.print(f"{escape(approval.role)}: {approval.decision} recorded by "
                  f"{escape(approval.actor)} against lineage {approval.lineage_digest[:16]} "
                  f"(audit event {approval.event_id})", highlight=False)


@signoff_app.command("verify")
@handle_errors
def verify(
    plan: PlanArg,
    out: Annotated[Path | None, typer.Option("-o", "--output",
                                             help="Write the sign-off record (JSON).")] = None,
    store: StoreOption = None,
) -> None:
    """Show who approved what, on which evidence; exit 0 PASS, 1 FAIL or PENDING."""
    from agility.governance import signoff_status, write_signoff_record

    with open_store(store, existing=True) as db:
        status = signoff_status(db, _plan(plan))
    console.print(f"sign-off of {escape(status.plan)}: [bold]{status.verdict}[/] "
                  f"({escape(status.reason)})", highlight=False)
    console.print(f"evidence digest {status.lineage_digest}; gate {status.gate_verdict}; "
                  f"audit chain {'intact' if status.audit_chain_ok else 'BROKEN'}",
                  highlight=False)
    for role in status.required:
        a = status.decisions.get(role)
        console.print(f"  {role}: " + ("missing" if a is None else
                                       f"{a.decision} by {escape(a.actor)} at {a.at}: "
                                       f"{escape(a.note)}"), highlight=False)
    for a in status.void:
        console.print(f"  void (evidence changed since): {a.role} {a.decision} by "
                      f"{escape(a.actor)} at {a.at}", highlight=False)
    if out is not None:
        write_signoff_record(status, out)
        console.print(f"wrote {escape(str(out))}", highlight=False)
    if status.verdict != "PASS":
        raise typer.Exit(1)
