"""`agility init`, `agility migrate PLAN` and `agility demo`.

Exit status of migrate: 0 PASS, 1 FAIL or INCOMPLETE, 2 usage error (bad plan, changed
dataset, ...), so CI can gate on it. The demo exits 0 once it has run, whatever the verdict
(the small local model is expected to fail the gate: the demo shows the machinery).
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agility.cli._common import StoreOption, console, err_console, handle_errors
from agility.cli._progress import ScoreBars
from agility.store import Store

if TYPE_CHECKING:
    from agility.migrate import MigrationResult

#: this module's top-level commands (listed in agility.cli.main.COMMANDS)
app = typer.Typer()

_STYLE = {"PASS": "bold green", "FAIL": "bold red", "INCOMPLETE": "bold yellow"}


def _step(message: str) -> None:
    err_console.print(f"[dim]>[/] {message}", markup=True, highlight=False, soft_wrap=True)


def _num(value: Any, fmt: str) -> str:
    return "not measured" if value is None else format(value, fmt)


def _print_result(result: MigrationResult, seconds: float | None = None) -> None:
    from agility.compare import format_usd
    from agility.report import criterion_lines

    head = result.headline
    ported = result.lineage.get("port")
    if ported:
        console.print(f"port: {result.steps.get('port', '')}", markup=False, highlight=False)
        if ported.get("html"):
            console.print(f"port report: {ported['html']}", markup=False, highlight=False)
    console.print(f"{result.source_run} -> {result.target_run}: {head['n_paired']} paired "
                  f"examples (gate on {head['gate_split']})", markup=False, highlight=False)
    for metric, q in head["quality"].items():
        change = q["relative_change"]
        console.print(f"  {metric:<20} source {_num(q['source'], '.3f')}  target "
                      f"{_num(q['target'], '.3f')}  change "
                      f"{'n/a' if change is None else format(change, '+.1%')}",
                      markup=False, highlight=False)
    ttft, cost = head["ttft_p50_ms"], head["cost_per_query_usd"]
    console.print(f"  {'ttft p50 (ms)':<20} source {_num(ttft['source'], '.0f')}  target "
                  f"{_num(ttft['target'], '.0f')}", markup=False, highlight=False)
    console.print(f"  {'cost/query':<20} source {format_usd(cost['source'])}  target "
                  f"{format_usd(cost['target'])}", markup=False, highlight=False)
    for c in result.comparison.criteria_results:
        # a criterion that did not pass says why and what to do, as `agility compare` does
        lines = criterion_lines(c)
        console.print("\n".join([f"  {c.status:<13} {c.name}", *lines[1:]]), markup=False,
                      highlight=False)
    console.print(f"verdict: {result.verdict}", style=_STYLE[result.verdict], markup=False)
    console.print(f"report: {result.report_html}", markup=False, highlight=False)
    if result.review_queue is not None:
        where = f" --store {shlex.quote(str(result.store_path))}" if result.store_path else ""
        console.print(f"review queue: {result.review_queue}. To open it, create an account "
                      f"(its secret is printed once) and serve the review app:\n"
                      f"  agility review user add YOUR_NAME --role lead{where}\n"
                      f"  agility review serve{where}   # then open http://127.0.0.1:8000/",
                      markup=False, highlight=False, soft_wrap=True)
    if seconds is not None:
        console.print(f"wall time: {seconds:.0f} s", markup=False, highlight=False)


@app.command("init")
@handle_errors
def init_command(
    path: Annotated[Path, typer.Argument(help="Where to write the plan.")] = Path("plan.yaml"),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter migration plan, with the criteria and prompt files it names."""
    from agility.migrate import write_starter_files

    written = write_starter_files(path, force=force)
    for file in written:
        console.print(f"wrote {file}", markup=False, highlight=False)
    console.print(f"edit them, then run: agility migrate {written[0]}", markup=False,
                  highlight=False)


@app.command("migrate")
@handle_errors
def migrate_command(
    plan: Annotated[Path, typer.Argument(help="The migration plan (YAML).")],
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bars.")] = False,
    allow_outside_plan_dir: Annotated[bool, typer.Option(
        "--allow-outside-plan-dir",
        help="Let the plan name files outside its own folder (refused by default: a plan from "
             "a pull request must not read or write elsewhere).")] = False,
    allow_host: Annotated[list[str] | None, typer.Option(
        "--allow-host", help="A host the plan may send requests (and keys) to, beside "
                             "loopback; repeat for more (also $AGILITY_ALLOW_HOSTS).")] = None,
    allow_key_env: Annotated[list[str] | None, typer.Option(
        "--allow-key-env", help="An environment variable (or AWS profile) the plan may take "
                                "a key from; repeat for more (also $AGILITY_ALLOW_KEY_ENVS).")] = None,
    allow_system: Annotated[list[str] | None, typer.Option(
        "--allow-system", help="A module (prefix) whose code the plan may run as a python: "
                               "system; repeat for more (also $AGILITY_ALLOW_SYSTEMS).")] = None,
    system_header: Annotated[list[str] | None, typer.Option(
        "--system-header", help="HOST:HEADER=VARIABLE: send header HEADER, read from "
                                "$VARIABLE, to the plan's http: systems on HOST (HOST:PORT "
                                "for one port); repeat for more. A plan never names its "
                                "systems' secrets.")] = None,
    store: StoreOption = None,
) -> None:
    """Run a migration plan end to end; running it again resumes where it stopped.

    Verifies (or freezes) the dataset, runs and scores both candidates, compares them, applies
    the sign-off gate and writes the report. A plan may come from a pull request: it can send
    requests only to loopback and the hosts you allow here, with keys you allow here, and run
    only the code you allow here.
    """
    # the pipeline (runner, metrics, statistics) loads when a migration runs, not for --help
    from agility.compare import EXIT_CODES
    from agility.migrate import migrate
    from agility.providers import RoutingPolicy
    from agility.systems import parse_header_binding

    routing = RoutingPolicy.from_environment(allow_host or (), allow_key_env or (),
                                             allow_system or ())
    headers = [parse_header_binding(text) for text in system_header or ()]
    opened = Store(store) if store is not None else None
    try:
        with ScoreBars(enabled=not no_progress) as bars:
            result = migrate(plan, store=opened, progress=not no_progress, on_step=_step,
                             allow_outside_plan_dir=allow_outside_plan_dir, routing=routing,
                             on_score_progress=bars, system_headers=headers)
    finally:
        if opened is not None:
            opened.close()
    _print_result(result)
    raise typer.Exit(EXIT_CODES[result.verdict])


@app.command("demo")
@handle_errors
def demo_command(
    dir: Annotated[Path, typer.Option("--dir", help="Folder for the demo.")] = Path("agility-demo"),
    rows: Annotated[int | None, typer.Option(
        help="Golden rows to use (spread over strata and splits); default: all.", min=1)] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bars.")] = False,
    store: StoreOption = None,
) -> None:
    """Copy the finance RAG example and migrate it offline with the packaged local models."""
    from agility.migrate import run_demo

    started = time.perf_counter()
    opened = Store(store) if store is not None else None
    try:
        with ScoreBars(enabled=not no_progress) as bars:
            result = run_demo(dir, rows=rows, store=opened, progress=not no_progress,
                              on_step=_step, on_score_progress=bars)
    finally:
        if opened is not None:
            opened.close()
    _print_result(result, time.perf_counter() - started)
