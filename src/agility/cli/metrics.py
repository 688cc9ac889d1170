"""`agility metrics list`: every metric agility can score with, and what each needs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from agility.cli._common import console, handle_errors

if TYPE_CHECKING:
    from agility.metrics import MetricInfo

#: this module's top-level commands (listed in agility.cli.main.COMMANDS)
app = typer.Typer()

metrics_app = typer.Typer(help="Metrics: list them and what each needs.", no_args_is_help=True)
app.add_typer(metrics_app, name="metrics")


def _yes(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "")


def metrics_table(infos: list[MetricInfo]) -> Table:
    """The metrics as a table: name, kind, version and what each needs."""
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False,
                  caption="what each needs: judge = a judge model (--judge), ctx = the "
                          "example's contexts, emb = the local embedding model, truth = a "
                          "ground truth", caption_justify="left")
    for column in ("metric", "kind", "ver", "judge", "ctx", "emb", "truth", "from"):
        table.add_column(column, no_wrap=True)
    for info in infos:
        if info.error is not None:
            table.add_row(escape(info.name), "[red]cannot be loaded[/]", "", "", "", "", "",
                          escape(info.source))
            continue
        if info.renamed_to is not None:
            # a former name: its stored scores stay readable, but it cannot be scored
            table.add_row(escape(info.name), "[yellow]renamed[/]", escape(info.version or ""),
                          "", "", "", "", escape(info.source))
            continue
        judge = "" if info.judge == "no" else str(info.judge)
        table.add_row(escape(info.name), escape(info.kind or ""), escape(info.version or ""),
                      judge, _yes(info.contexts), _yes(info.embeddings), _yes(info.ground_truth),
                      escape(info.source))
    return table


@metrics_app.command("list")
@handle_errors
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one object per metric, "
                                                         "with its options).")] = False,
) -> None:
    """List every registered metric (built-in, registered, or from an installed package's
    ``agility.metrics`` entry point): kind, version, and what it needs: a judge model
    (--judge), contexts, the local embedding model, a ground truth."""
    from agility.metrics import describe_metrics

    infos = describe_metrics()
    if as_json:
        typer.echo(json.dumps([i.model_dump() for i in infos], indent=2))
        return
    console.print(metrics_table(infos))
    for info in infos:
        if info.renamed_to is not None:
            console.print(f"{escape(info.name)}: renamed; score with "
                          f"'{escape(info.renamed_to)}' (scores stored under "
                          f"'{escape(info.name)}' stay readable)", soft_wrap=True)
        if info.error is not None:
            console.print(f"[red]{escape(info.name)}[/]: {escape(info.error)}", soft_wrap=True)
