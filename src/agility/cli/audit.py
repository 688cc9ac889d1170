"""`agility audit verify|export`: prove the audit chain, hand it to a SIEM."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from agility.cli._common import ReadOnlyOption, StoreOption, console, handle_errors, open_store

#: this module's top-level commands (listed in agility.cli.main.COMMANDS)
app = typer.Typer()

audit_app = typer.Typer(help="The hash-chained audit trail: verify it, export it.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
@handle_errors
def verify(
    store: StoreOption = None,
    head: Annotated[str | None, typer.Option(
        "--head", help="A head hash recorded earlier: it must still be in the chain.")] = None,
    read_only: ReadOnlyOption = False,
) -> None:
    """Recompute every link; name the first broken one. Exit 0 intact, 1 broken, 2 error."""
    from agility.governance import verify_audit  # on use: it loads the masking's libraries

    with open_store(store, read_only, existing=True) as db:
        report = verify_audit(db, expect_head=head)
    if report.ok:
        console.print(f"audit chain intact: {report.events} events"
                      + (f", {report.purged_payloads} payloads purged by retention"
                         if report.purged_payloads else "")
                      + f"; head {report.head or '(empty)'}", highlight=False)
        return
    first = report.first_broken
    console.print(f"[bold red]audit chain broken[/] ({len(report.findings)} finding(s) over "
                  f"{report.events} events); first broken link: {escape(str(first))}",
                  highlight=False, soft_wrap=True)
    for finding in report.findings[1:20]:
        console.print(f"  {escape(str(finding))}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@audit_app.command("export")
@handle_errors
def export(
    out: Annotated[Path, typer.Option("-o", "--output", help="The JSON Lines file to write.")],
    since: Annotated[str | None, typer.Option(
        "--since", help="From this time on: 2026-01-31, 2026-01-31T09:00, or 7d / 24h.")] = None,
    store: StoreOption = None,
    read_only: ReadOnlyOption = False,
) -> None:
    """Write the audit trail as JSON Lines (time, actor, action, object, payload, hashes)."""
    from agility.governance import export_audit

    with open_store(store, read_only, existing=True) as db:
        count = export_audit(db, out, since=since)
    console.print(f"wrote {count} events to {escape(str(out))}", highlight=False)
