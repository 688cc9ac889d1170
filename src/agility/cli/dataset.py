"""`agility dataset ...`: golden dataset commands."""

from __future__ import annotations

import typer

from agility.cli.main import app

dataset_app = typer.Typer(help="Golden datasets: validate, import, split, freeze, verify, stats.",
                          no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")
