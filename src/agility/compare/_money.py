"""Money as exact decimals: the stated precision, and floats read without binary noise."""

from __future__ import annotations

from decimal import Decimal

__all__ = ["DAYS_PER_MONTH", "MONEY_PRECISION_USD", "money", "per_query"]

#: a month, in days, for every monthly figure and payback
DAYS_PER_MONTH = 30.0
#: the precision at which money per query is compared (USD): 1e-12 per query is 1e-6 USD
#: (a ten-thousandth of a cent) per million queries
MONEY_PRECISION_USD = Decimal("1e-12")


def money(value: float) -> Decimal:
    """A float amount as the decimal it was written as.

    repr is the shortest text that reads back as the same float: 0.1 stays 0.1, not
    0.1000000000000000055511151231257827.
    """
    return Decimal(repr(float(value)))


def per_query(value: Decimal) -> Decimal:
    """An amount per query rounded to :data:`MONEY_PRECISION_USD`."""
    return value.quantize(MONEY_PRECISION_USD)
