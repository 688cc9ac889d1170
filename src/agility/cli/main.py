"""The ``agility`` command line: a thin layer over the library.

Commands load lazily. :data:`COMMANDS` names every top-level command, the module that defines
it and the one line ``agility --help`` shows for it; a command's module is imported only when
that command runs (or its own ``--help`` is asked for). So ``agility --version`` and
``agility --help`` import no command module and none of the libraries behind them (scipy,
pyarrow, torch, the web framework...), and one slow import in one command never slows the
others. ``tests/cli/test_cli_startup.py`` holds the rules:

- a command module defines its own ``app = typer.Typer()`` and puts its top-level commands and
  groups on it (``@app.command("run")``, ``app.add_typer(runs_app, name="runs")``), never on this
  module's app;
- each of those names is a line in :data:`COMMANDS`, whose help is the command's own first
  paragraph (the test renders ``agility --help`` lazily and with every module loaded, and the
  two must agree);
- a command imports a heavy library (numpy, scipy, pyarrow, torch, llama_cpp, starlette,
  anthropic, boto3...) inside the function that needs it, or through a library module that does,
  so ``agility COMMAND --help`` stays light too.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from agility import __version__


class CommandEntry(NamedTuple):
    """Where a top-level command lives and what ``agility --help`` says about it."""

    module: str
    help: str


#: every top-level command, in the order ``agility --help`` lists them (the workflow's order)
COMMANDS: dict[str, CommandEntry] = {
    "init": CommandEntry("agility.cli.migrate", "Write a commented starter migration plan, with "
                         "the criteria and prompt files it names."),
    "demo": CommandEntry("agility.cli.migrate", "Copy the finance RAG example and migrate it "
                         "offline with the packaged local models."),
    "migrate": CommandEntry("agility.cli.migrate", "Run a migration plan end to end; running it "
                            "again resumes where it stopped."),
    "dataset": CommandEntry("agility.cli.dataset", "Golden datasets: validate, import, split, "
                            "freeze, verify, stats."),
    "run": CommandEntry("agility.cli.run", "Benchmark a model on a golden dataset; every result "
                        "is stored as it completes."),
    "runs": CommandEntry("agility.cli.run", "Runs in the store: list them, show one."),
    "export": CommandEntry("agility.cli.run", "Export a run's results, one row per result (or "
                           "per span with --spans)."),
    "port": CommandEntry("agility.cli.port", "Port a prompt to a target model: candidates "
                         "scored on the dev split, the holdout locked until the choice is made, "
                         "then scored once (running it again resumes)."),
    "score": CommandEntry("agility.cli.score", "Score every successful answer of RUN and store "
                          "the scores per example."),
    "grade": CommandEntry("agility.cli.grade", "Grade answers recorded elsewhere: adds verdict, "
                          "score and reason to each row."),
    "calibrate": CommandEntry("agility.cli.grade", "Automated verdicts against human labels: "
                              "agreement, kappa, confusion, per-class P/R/F1\n(--input), or per "
                              "metric against a review queue's SME verdicts (--queue)."),
    "metrics": CommandEntry("agility.cli.metrics", "Metrics: list them and what each needs."),
    "compare": CommandEntry("agility.cli.compare", "Compare TARGET_RUN against SOURCE_RUN and "
                            "apply the sign-off gate."),
    "review": CommandEntry("agility.cli.review", "SME review: queues drawn by the playbook's "
                           "sample, a web app for the experts, agreement with the automated "
                           "metrics."),
    "canary": CommandEntry("agility.cli.canary", "Canary rollout: serve the plan's gateway, "
                           "watch and steer it."),
    "signoff": CommandEntry("agility.cli.signoff", "Approvals of the exact migration (its "
                            "lineage digest), recorded in the audit trail."),
    "prices": CommandEntry("agility.cli.prices", "Prices: what a model's calls cost, and where "
                           "the figure comes from."),
    "serve-local": CommandEntry("agility.cli.serve", "Serve the packaged Gemma 3 270M over HTTP "
                                "(llama.cpp's server, set up for agility)."),
    "audit": CommandEntry("agility.cli.audit", "The hash-chained audit trail: verify it, export "
                          "it."),
    "store": CommandEntry("agility.cli.store", "The store itself: copy a SQLite store into "
                          "PostgreSQL; purge what is past retention."),
}


class _Unloaded(TyperCommand):
    """Stands for a command in ``agility --help`` before its module is imported."""


class LazyGroup(TyperGroup):
    """The root group: lists :data:`COMMANDS` and imports a command's module on first use."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False
        for name, entry in COMMANDS.items():
            # the names are known up front (help, "did you mean"); the commands are not
            self.commands.setdefault(name, _Unloaded(name=name, help=entry.help))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = self.commands.get(cmd_name)
        if isinstance(found, _Unloaded) and not self._listing:
            found = self.commands[cmd_name] = load_command(cmd_name)
        return found

    def format_help(self, ctx: Any, formatter: Any) -> None:
        # Listing the commands needs their names and help, not their modules. And Click's plain
        # layout: Typer's boxed one imports rich's markdown renderer, which alone costs more
        # than the rest of `agility --help` (a command's own --help keeps the boxes).
        self._listing = True
        mode, self.rich_markup_mode = self.rich_markup_mode, None
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
            self.rich_markup_mode = mode

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            # Typer's error handler drops the help it is given here (its boxed layout prints
            # while it is built; the plain one is only returned): print it, and exit as a usage
            # error would
            typer.echo(ctx.get_help())
            ctx.exit(2)
        return list(super().parse_args(ctx, args))

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # Click cuts each line to fit one row ("..."); say it whole, wrapped in its column.
        rows = []
        for name in self.list_commands(ctx):
            found = self.get_command(ctx, name)
            if found is not None and not found.hidden:
                rows.append((name, " ".join(found.get_short_help_str(limit=10_000).split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def load_command(name: str) -> Any:
    """Import the module of the top-level command ``name`` and build its Click command.

    Raises:
        KeyError: ``name`` is not in :data:`COMMANDS`.
        RuntimeError: the module breaks the registration rules (a bug, caught by the tests).
    """
    entry = COMMANDS[name]
    module = importlib.import_module(entry.module)
    module_app = getattr(module, "app", None)
    if not isinstance(module_app, typer.Typer) or module_app is app:
        raise RuntimeError(f"{entry.module} must define its own `app = typer.Typer()` holding "
                           f"its commands (see agility.cli.main)")
    built = typer.main.get_group(module_app).commands.get(name)
    if built is None:
        raise RuntimeError(f"{entry.module}: its app has no command {name!r} (COMMANDS in "
                           f"agility.cli.main names it there)")
    _tidy_flags(built)
    return built


app = typer.Typer(
    name="agility",
    cls=LazyGroup,
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
    actor: str | None = typer.Option(
        None, "--actor", help="Who acts, as the audit trail records it (default: "
                              "$AGILITY_ACTOR, else the OS user)."),
) -> None:
    """agility: benchmark, port, validate and roll out LLM model migrations."""
    from agility._actor import set_actor  # light: the store loads when a command needs it

    set_actor(actor)


def _register() -> None:
    """Nothing to do: commands load on first use. Kept for callers written before that
    (tests call it before invoking :data:`app`)."""


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
        if not isinstance(sub, _Unloaded):
            _tidy_flags(sub)


def command(load_all: bool = False) -> Any:
    """The whole command line as one Click command (what the ``agility`` script runs).

    Args:
        load_all: import every command module now (tests that walk every command's options);
            by default a command's module is imported when the command is used.
    """
    built = typer.main.get_group(app)
    _tidy_flags(built)
    if load_all:
        for name in COMMANDS:
            built.commands[name] = load_command(name)
    return built


def main() -> None:
    """Entry point of the ``agility`` script."""
    command()(prog_name="agility")


if __name__ == "__main__":
    main()
