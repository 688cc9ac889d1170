"""`agility compare SOURCE_RUN TARGET_RUN`: side-by-side comparison and sign-off gate.

Exit status: 0 PASS, 1 FAIL or INCOMPLETE, 2 usage error, so CI can gate on it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agility._files import atomic_write, describe_os_error
from agility.cli._common import StoreOption, console, handle_errors, open_store
from agility.cli._progress import ScoreBars
from agility.errors import UsageError

if TYPE_CHECKING:
    from agility.compare import Comparison

#: this module's top-level commands (listed in agility.cli.main.COMMANDS)
app = typer.Typer()

_STYLE = {"PASS": "bold green", "FAIL": "bold red", "INCOMPLETE": "bold yellow"}


def _write(path: Path, text: str, option: str) -> None:
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise UsageError(f"cannot write {path} ({option}): {describe_os_error(exc)}") from exc


def _print_summary(result: Comparison) -> None:
    from agility.report import render_text

    console.print(render_text(result), markup=False, highlight=False)
    console.print(result.verdict, style=_STYLE[result.verdict], markup=False)


@app.command("compare")
@handle_errors
def compare_command(
    source_run: Annotated[str, typer.Argument(help="The source (production) run's name.")],
    target_run: Annotated[str, typer.Argument(help="The candidate run's name.")],
    criteria: Annotated[Path | None, typer.Option(help="Sign-off criteria YAML file.")] = None,
    metrics: Annotated[str | None, typer.Option(help="Metrics to report, comma-separated.")] = None,
    traffic: Annotated[int | None, typer.Option(help="Queries per month, for cost.", min=0)] = None,
    migration_cost: Annotated[float | None, typer.Option(
        help="One-off migration cost in USD, for the payback.", min=0)] = None,
    costs: Annotated[Path | None, typer.Option(
        help="Cost items YAML (per_query, per_month, per_hour, one_off: a plan's costs "
             "section), for the cost all in and the ROI.")] = None,
    judge: Annotated[str | None, typer.Option(
        help="Judge model (provider/model) for judge metrics that must be scored first.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap and review sample.")] = 0,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples.", min=100)] = 10_000,
    json_path: Annotated[Path | None, typer.Option(
        "--json", help="Write the whole result.")] = None,
    html: Annotated[Path | None, typer.Option(help="Write the HTML report.")] = None,
    markdown: Annotated[Path | None, typer.Option(help="Write a Markdown summary.")] = None,
    review_out: Annotated[Path | None, typer.Option(
        help="Write the examples an SME should review (JSONL).")] = None,
    store: StoreOption = None,
) -> None:
    """Compare TARGET_RUN against SOURCE_RUN and apply the sign-off gate."""
    # the comparison's statistics (numpy, scipy) load when a comparison runs, not for --help
    from agility.compare import EXIT_CODES, compare_runs, load_cost_items, load_criteria
    from agility.report import write_html, write_markdown

    loaded = load_criteria(criteria) if criteria is not None else None
    items = load_cost_items(costs) if costs is not None else None
    names = [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None
    with open_store(store, existing=True) as db, ScoreBars() as bars:
        result = compare_runs(db, source_run, target_run, loaded, seed=seed,
                              traffic_per_month=traffic, migration_cost_usd=migration_cost,
                              n_resamples=resamples, costs=items, metrics=names, judge=judge,
                              on_progress=bars)
    if json_path is not None:
        _write(json_path, result.model_dump_json(indent=2), "--json")
    if html is not None:
        write_html(result, html)
    if markdown is not None:
        write_markdown(result, markdown)
    if review_out is not None:
        _write(review_out, "".join(json.dumps(r.model_dump()) + "\n" for r in result.review),
               "--review-out")
    _print_summary(result)
    raise typer.Exit(EXIT_CODES[result.verdict])
