"""Prices of the model calls a system makes, for the spans that record them.

A call to the run's own model costs the run's price (the user's overrides included); any other
model is looked up in the price table; a model the table does not know is not priced (its span's
cost is None, never 0).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agility.errors import PriceNotFound, UsageError
from agility.pricing import Price, PriceTable, match_price
from agility.providers import Provider
from agility.runner._setup import price_table

__all__ = ["span_pricer"]


def span_pricer(provider: Provider | None, price: Price | None,
                prices: PriceTable | str | Path | None,
                ) -> Callable[[str, str, str | None], Price | None]:
    """``price(provider_name, model, region)`` for the calls a system makes.

    Args:
        provider: the run's model (None: the system names none).
        price: the run's price for it.
        prices: the price table or file the run uses.
    """
    table = price_table(prices)
    known: dict[tuple[str, str, str | None], Price | None] = {}

    def lookup(provider_name: str, model: str, region: str | None) -> Price | None:
        if provider is not None and provider.name == provider_name and provider.model == model:
            return price
        key = (provider_name, model, region)
        if key not in known:
            try:
                known[key] = match_price(table, provider_name, model, region=region).price
            except (PriceNotFound, UsageError):
                known[key] = None
        return known[key]

    return lookup
