"""`agility prices show PROVIDER/MODEL`: the price a run would use, and where it came from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agility._format import format_rate
from agility.cli._common import console, handle_errors
from agility.pricing import PriceMatch

#: this module's top-level commands (listed in agility.cli.main.COMMANDS)
app = typer.Typer()

prices_app = typer.Typer(help="Prices: what a model's calls cost, and where the figure comes "
                              "from.", no_args_is_help=True)
app.add_typer(prices_app, name="prices")


def _per_mtok(value: float | None, missing: str) -> str:
    return missing if value is None else f"{format_rate(value)} per 1M tokens"


def price_lines(match: PriceMatch) -> list[str]:
    """The lines ``agility prices show`` prints for a price and how it was found."""
    p = match.price
    where = f" called from {match.region}" if match.region else ""
    rows = [
        ("input", _per_mtok(p.input, "-")),
        ("output", _per_mtok(p.output, "-")),
        ("cache read", _per_mtok(p.cached_input, "no discount: cached input costs the input "
                                                 "price")),
        ("cache write", _per_mtok(p.cache_write_input, "not known: a call that reports cache "
                                                       "writes (Anthropic, Bedrock do) is not "
                                                       "priced")),
        ("batch", "not in the table (no provider agility calls runs a batch API)"
         if p.batch_input is None or p.batch_output is None
         else f"{format_rate(p.batch_input)} / {format_rate(p.batch_output)} per 1M tokens "
              f"(input / output)"),
        ("priced as", f"{match.provider}/{match.priced_as}"
                      + (f" in {match.region}" if match.region else "")),
        ("from", p.source),
    ]
    lines = [f"{match.provider}/{match.model}{where}"]
    lines += [f"  {label:<12} {text}" for label, text in rows]
    lines += [f"  {'note':<12} {note}" for note in match.notes]
    return lines


@prices_app.command("show")
@handle_errors
def show_command(
    model: Annotated[str, typer.Argument(help="provider/model, e.g. bedrock/us.anthropic."
                                              "claude-3-5-haiku-20241022-v1:0.")],
    region: Annotated[str | None, typer.Option(
        "--region", help="The region requests are made from (Bedrock).")] = None,
    prices: Annotated[Path | None, typer.Option(
        "--prices", help="Your price file, merged over the built-in table.")] = None,
    price_input: Annotated[float | None, typer.Option(
        "--price-input", help="USD per 1M input tokens.")] = None,
    price_output: Annotated[float | None, typer.Option(
        "--price-output", help="USD per 1M output tokens.")] = None,
    price_cached_input: Annotated[float | None, typer.Option(
        "--price-cached-input", help="USD per 1M input tokens read from the prompt cache.")]
    = None,
    price_cache_write: Annotated[float | None, typer.Option(
        "--price-cache-write", help="USD per 1M input tokens written to the prompt cache.")]
    = None,
) -> None:
    """Print the price a run of MODEL would use and where it came from (no call is made).

    Exits 2 with how to price it when no price applies.
    """
    # the runner resolves the provider (and imports the HTTP client): not for --help
    from agility.runner import model_price

    match = model_price(model, provider_options={"region": region} if region else None,
                        prices=prices, price_input=price_input, price_output=price_output,
                        price_cached_input=price_cached_input,
                        price_cache_write=price_cache_write)
    console.print("\n".join(price_lines(match)), markup=False, highlight=False, soft_wrap=True)
