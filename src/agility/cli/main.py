"""The ``agility`` command line: a thin layer over the library.

Each command group lives in its own module and registers itself on :data:`app` here.
"""

from __future__ import annotations

from typing import Any

import typer
import typer.main

from agility import __version__

app = typer.Typer(
    name="agility",
    help="Move an LLM application from one model to another without breaking production.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"agility {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """agility: benchmark, port, validate and roll out LLM model migrations."""


def _register() -> None:
    # One import per command module; each adds its commands to `app`.
    from agility.cli import (
        compare,  # noqa: F401
        dataset,  # noqa: F401
        grade,  # noqa: F401
        metrics,  # noqa: F401
        migrate,  # noqa: F401
        prices,  # noqa: F401
        review,  # noqa: F401
        run,  # noqa: F401
        score,  # noqa: F401
        serve,  # noqa: F401
        store,  # noqa: F401
    )


def _tidy_flags(command: Any) -> None:
    """On/off flags take no value: show none in help (Typer shows ``<bool>``, which made users
    type ``--resume true``). Typer bundles its own Click, so parameters are matched by shape."""
    for param in command.params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
    make_help = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = make_help(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        _tidy_flags(sub)


def command() -> Any:
    """The whole command line as one Click command (what the ``agility`` script runs)."""
    _register()
    built = typer.main.get_command(app)
    _tidy_flags(built)
    return built


def main() -> None:
    """Entry point of the ``agility`` script."""
    command()(prog_name="agility")


if __name__ == "__main__":
    # Run as `python -m agility.cli.main`: the command modules register on the importable
    # module's app, so hand over to it rather than to this __main__ copy.
    from agility.cli.main import main as _main

    _main()
