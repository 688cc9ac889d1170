"""Pieces every CLI command shares: the console, the --store option, error handling."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from agility.errors import AgilityError
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


def handle_errors(func: F) -> F:
    """Turn agility's errors into one red message and the error's exit code (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AgilityError as exc:
            err_console.print(f"[bold red]error:[/] {_escape(str(exc))}", highlight=False,
                              soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/]")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
