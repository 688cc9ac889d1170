"""Pieces every CLI command shares: the console, the --store option, error handling.

Exit status: 0 PASS, 1 FAIL or INCOMPLETE (a verdict), 2 any error. An error is always one
line (or a list of file:line problems), never a traceback, so CI can tell a crash from a
verdict. ``AGILITY_DEBUG=1`` re-raises unexpected exceptions for their traceback.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from agility._files import describe_os_error
from agility.errors import (
    AgilityError,
    JudgeRequired,
    PriceNotFound,
    RunExists,
    RunSettingsChanged,
    UsageError,
    scrub_secrets,
)
from agility.store import Store

console = Console()
err_console = Console(stderr=True)

StoreOption = Annotated[
    str | None,
    typer.Option("--store", help="SQLite store file or postgresql://host/db URL (password in "
                                 "PGPASSWORD or ~/.pgpass; default: .agility/agility.db here, "
                                 "or $AGILITY_STORE)."),
]

F = TypeVar("F", bound=Callable[..., Any])


ReadOnlyOption = Annotated[
    bool,
    typer.Option("--read-only", help="Open the store for reading only (an archived store). A "
                                     "store whose file or folder is not writable is read-only "
                                     "anyway."),
]

#: the exit status of any error (1 is kept for a FAIL or INCOMPLETE verdict)
ERROR_EXIT = 2


def open_store(path: str | Path | None, read_only: bool = False, *,
               existing: bool = False) -> Store:
    """Open the store named by ``--store`` (or the default), read-only if asked.

    ``existing``: a SQLite store that is not there is an error (the store's own "no store"
    error) instead of a new empty one -- for every command that reads or acts on what is
    stored (runs, export, score, compare, review queues, canary status, audit, purge,
    sign-off); only commands that record something new (run, port, accounts, the gateway)
    may start a store. A PostgreSQL database that does not exist fails to connect by itself.
    """
    if existing and not read_only:
        from agility.store import default_store_location

        location = path if path is not None else default_store_location()
        if "://" not in str(location) and not Path(location).exists():
            read_only = True  # a read-only open of a missing file raises the clear error
    return Store(path, read_only=read_only)


#: the command-line flag of each library argument an error may name
FLAGS = {
    "concurrency": "--concurrency", "timeout_s": "--timeout", "warmup": "--warmup",
    "repeat": "--repeat", "extra_cost_usd": "--extra-cost", "name": "--name",
    "judge": "--judge", "judge_repeats": "--judge-repeats", "metrics": "--metrics",
    "traffic_per_month": "--traffic", "migration_cost_usd": "--migration-cost",
    "n_resamples": "--resamples", "store": "--store", "template": "--prompt",
    "price_input": "--price-input", "price_output": "--price-output", "prices": "--prices",
    "price_cached_input": "--price-cached-input", "price_cache_write": "--price-cache-write",
    "rows": "--rows", "dest": "--dir", "force": "--force", "html": "--html",
    "markdown": "--markdown", "criteria": "--criteria", "costs": "--costs", "map": "--map",
    "by": "--by", "ray_address": "--ray-address",
    "holdout": "--holdout", "splits": "--split", "human_field": "--human-field",
    "auto_field": "--auto-field", "provider_options": "--provider-option",
    "allow_outside": "--allow-outside-plan-dir",
    "queue": "--queue", "output": "--output", "role": "--role",
    "executor": "--executor",
    "budget_calls": "--budget-calls", "budget_usd": "--budget-usd", "dataset": "--dataset",
    "report": "--report", "example_ids": "--ids",
    "port": "--port", "allow_unapproved": "--without-approval",
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
    if isinstance(exc, PriceNotFound):
        return "Pass --price-input and --price-output, or --prices FILE."
    flag = FLAGS.get(exc.argument or "")
    return f"(see {flag})" if flag else ""


def _unexpected(exc: BaseException) -> str:
    """One line for an exception agility did not raise on purpose."""
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return f"{describe_os_error(exc)}{where}"
    if isinstance(exc, sqlite3.DatabaseError):
        return f"the store failed: {exc}"
    if isinstance(exc, MemoryError):
        return "out of memory"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return (f"unexpected {type(exc).__name__}{': ' + text if text else ''} (a bug in agility: "
            f"please report it; AGILITY_DEBUG=1 shows the traceback)")


def handle_errors(func: F) -> F:
    """Turn every error into one red message and its exit status (2): never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        # Typer's own Click (bundled): its usage errors derive from TyperException
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except AgilityError as exc:
            hint = flag_hint(exc)
            _print_error(f"{exc} {hint}" if hint else str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/]")
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("AGILITY_DEBUG"):
                raise
            # not built by us, so not scrubbed yet: it may quote a request or a response
            _print_error(scrub_secrets(_unexpected(exc)))
            raise typer.Exit(ERROR_EXIT) from None

    return wrapper  # type: ignore[return-value]


def _print_error(text: str) -> None:
    err_console.print(f"[bold red]error:[/] {_escape(text)}", highlight=False, soft_wrap=True)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


_SECRET_NAME = re.compile(r"(?i)api[_-]?key|secret|token|password")


def parse_key_values(items: Sequence[str] | None, flag: str) -> dict[str, Any]:
    """``["timeout_s=30", "headers.x-tag=a"]`` as options: values read as YAML scalars (numbers,
    booleans, strings), a dotted key as a nested mapping. Refuses credential values: keys come
    from the environment (``api_key_env`` names the variable and is fine).

    Raises:
        UsageError: an item is not ``key=value`` or names a credential.
    """
    import yaml

    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"{flag} {item!r}: write it as key=value (e.g. {flag} timeout_s=30)")
        if key != "api_key_env" and _SECRET_NAME.search(key):
            raise UsageError(f"{flag} {key}: credentials never go on the command line; put the "
                             f"key in an environment variable (and name it with api_key_env=VAR)")
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text
        if isinstance(value, (dict, list)):
            value = text  # only scalars: a mapping is built from dotted keys
        target = out
        *parents, leaf = key.split(".")
        for part in parents:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise UsageError(f"{flag} {key}: '{part}' is given both as a value and a mapping")
        target[leaf] = value
    return out
