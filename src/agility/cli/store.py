"""`agility store migrate --from PATH --to postgresql://…`: a pilot's store becomes a team's;
`agility store purge`: delete what is past retention, or one run, leaving a tombstone."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from agility.cli._common import StoreOption, console, handle_errors, open_store
from agility.store import TableCopy, copy_store

#: this module's top-level commands (listed in agility.cli.main.COMMANDS)
app = typer.Typer()

store_app = typer.Typer(help="The store itself: copy a SQLite store into PostgreSQL; purge "
                             "what is past retention.",
                        no_args_is_help=True)
app.add_typer(store_app, name="store")


def _line(t: TableCopy) -> str:
    state = "[green]same rows[/]" if t.matches else "[bold red]DIFFERENT[/]"
    return (f"{t.table:<20} {t.source_rows:>8} rows  copied {t.copied:>8}  "
            f"already there {t.already_there:>8}  {state}  sha256 {t.digest[:16]}")


@store_app.command("migrate")
@handle_errors
def migrate_store(
    source: Annotated[str, typer.Option("--from", help="The store to copy (a SQLite file, "
                                                       "or a postgresql:// URL).")],
    destination: Annotated[str, typer.Option("--to", help="The store to copy into, e.g. "
                                                          "postgresql://user@host/db (the "
                                                          "password in PGPASSWORD or "
                                                          "~/.pgpass).")],
) -> None:
    """Copy every row of a store into another one (ids kept) and verify each table by row
    count and digest. Running it again copies only what is missing. Exit 0 when every table
    matches, 1 when one differs (the destination holds other rows), 2 on an error."""
    result = copy_store(source, destination,
                        on_table=lambda t: console.print(_line(t), highlight=False))
    if result.verified:
        console.print(f"copied {result.copied} rows from {escape(result.source)} to "
                      f"{escape(result.destination)}; every table verified (row counts and "
                      f"digests match)", highlight=False)
        return
    bad = ", ".join(t.table for t in result.tables if not t.matches)
    console.print(f"[bold red]NOT VERIFIED[/]: {escape(bad)} differ between the stores (the "
                  f"destination holds rows the source does not, or a value changed type); "
                  f"nothing was deleted", highlight=False)
    raise typer.Exit(1)


@store_app.command("purge")
@handle_errors
def purge(
    plan: Annotated[Path | None, typer.Option(
        "--plan", help="The migration plan whose retention: section says how long to keep "
                       "each kind.")] = None,
    run: Annotated[str | None, typer.Option(
        "--run", help="Delete this run now (results, scores, reviews, its calls' "
                      "payloads).")] = None,
    store: StoreOption = None,
) -> None:
    """Delete what is past retention (and --run NAME); the audit chain still verifies."""
    from agility.governance import purge_store
    from agility.migrate import load_plan

    retention = load_plan(plan, allow_outside=True).retention if plan is not None else None
    with open_store(store, existing=True) as db:
        report = purge_store(db, retention, run=run)
    console.print(
        f"purged: {report.outputs} answers, {report.prompts} prompts, {report.reviews} "
        f"reviews, {report.events_deleted} audit events, {report.payloads_emptied} event "
        f"payloads" + (f", run {escape(', '.join(report.runs_deleted))}"
                       if report.runs_deleted else "")
        + f"; tombstone event {report.tombstone_id}", highlight=False)
