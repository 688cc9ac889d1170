"""Pricing: a price table as data (``prices.yaml``), user overrides, and the cost of a query."""

from agility.pricing._table import (
    Price,
    PriceEntry,
    PriceTable,
    cost_usd,
    load_price_table,
    resolve_price,
)

__all__ = ["Price", "PriceEntry", "PriceTable", "cost_usd", "load_price_table", "resolve_price"]
