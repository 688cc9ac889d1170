"""Pieces every CLI command shares: the console, the --store option, error handling."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from agility.errors import (
    AgilityError,
    JudgeRequired,
    RunExists,
    RunSettingsChanged,
)
from agility.store import Store

console = Console()
err_console = Console(stderr=True)

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="SQLite store file (default: .agility/agility.db here, or $AGILITY_STORE)."),
]

F = TypeVar("F", bound=Callable[..., Any])


def open_store(path: Path | None) -> Store:
    """Open the store named by ``--store`` (or the default)."""
    return Store(path)


#: the command-line flag of each library argument an error may name
FLAGS = {
    "concurrency": "--concurrency", "timeout_s": "--timeout", "warmup": "--warmup",
    "repeat": "--repeat", "extra_cost_usd": "--extra-cost", "name": "--name",
    "judge": "--judge", "judge_repeats": "--judge-repeats", "metrics": "--metrics",
    "traffic_per_month": "--traffic", "migration_cost_usd": "--migration-cost",
    "n_resamples": "--resamples", "store": "--store", "template": "--prompt",
    "price_input": "--price-input", "price_output": "--price-output", "prices": "--prices",
    "rows": "--rows", "dest": "--dir", "force": "--force", "html": "--html",
    "markdown": "--markdown", "criteria": "--criteria", "map": "--map", "by": "--by",
    "holdout": "--holdout", "splits": "--split", "human_field": "--human-field",
    "auto_field": "--auto-field", "provider_options": "--provider-option",
}


def flag_hint(exc: AgilityError) -> str:
    """What to do on the command line about ``exc``, from its fields (never its message)."""
    if isinstance(exc, RunExists):
        return "Use --resume to continue it, or pick another --name."
    if isinstance(exc, RunSettingsChanged):
        return ("Resume with the same --dataset, --model, --prompt and settings, or start a "
                "new run with another --name.")
    if isinstance(exc, JudgeRequired):
        return "Pass --judge provider/model."
    flag = FLAGS.get(exc.argument or "")
    return f"(see {flag})" if flag else ""


def handle_errors(func: F) -> F:
    """Turn agility's errors into one red message and the error's exit code (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AgilityError as exc:
            hint = flag_hint(exc)
            text = f"{exc} {hint}" if hint else str(exc)
            err_console.print(f"[bold red]error:[/] {_escape(text)}", highlight=False,
                              soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/]")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
