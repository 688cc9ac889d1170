"""How figures read in the gate's evidence, the reports, `prices show` and the terminal: one set
of formatters (no statistics here: the command line imports this module without numpy or scipy).

Money is shown in fixed notation with enough significant digits to tell two small prices apart
(``$0.0000208``, never ``2.07788e-05`` nor ``-$0.000000``); a figure that was not measured reads
"not measured"; a share (a part of a whole) has no sign, a change has one.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["NOT_MEASURED", "format_change_pct", "format_rate", "format_share", "format_usd"]

NOT_MEASURED = "not measured"


def _fixed(value: Decimal, digits: int) -> str:
    """``value`` (non-negative) in fixed notation with about ``digits`` significant digits."""
    if value >= 1:
        return f"{value:,.2f}"
    if value >= Decimal("0.01"):
        return f"{value:.4f}"
    exponent = value.adjusted()  # the power of ten of the first significant digit
    places = min(12, digits - 1 - exponent)
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_usd(value: float | Decimal | None, *, signed: bool = False, digits: int = 3) -> str:
    """A dollar amount: ``$1,234.56``, ``$0.0123``, ``$0.0000208`` (``digits`` significant).

    Args:
        value: the amount; None reads "not measured".
        signed: a difference: ``+$0.0000021`` / ``-$0.0000021``; zero reads ``$0``.
        digits: significant digits kept below one cent.

    Returns:
        The text; never a negative zero, never scientific notation.
    """
    if value is None:
        return NOT_MEASURED
    amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    text = _fixed(abs(amount), digits)
    if Decimal(text.replace(",", "")) == 0:
        return "$0"
    sign = "-" if amount < 0 else ("+" if signed else "")
    return f"{sign}${text}"


def format_rate(value: float | Decimal) -> str:
    """A price as people write one (a plan's rate, a price per 1M tokens): at least cents,
    then as many decimals as it has, up to 8: ``$0.90``, ``$0.075``, ``$0.00002``,
    ``$1,234.50``."""
    amount = Decimal(repr(float(value)))
    text = f"{abs(amount):,.8f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{'-' if amount < 0 else ''}${whole}.{decimals.ljust(2, '0')}"


def format_share(value: float | None, digits: int = 1) -> str:
    """A part of a whole (0.4813 -> ``48.1%``), without a sign; None reads "not measured"."""
    return NOT_MEASURED if value is None else f"{100 * value:.{digits}f}%"


def format_change_pct(value: float | None, digits: int = 2, *, fraction: bool = True) -> str:
    """A relative change with its sign (``-3.12%``); ``fraction``: ``value`` is 0.0312, not 3.12.

    None reads "n/a" (a change that cannot be computed, e.g. from a zero baseline).
    """
    if value is None:
        return "n/a"
    pct = 100 * value if fraction else value
    text = f"{pct:+.{digits}f}%"
    return text.replace("-0.00%", "+0.00%").replace("-0.0%", "+0.0%") if float(
        text[:-1]) == 0 else text
