"""The price table (data in ``prices.yaml``), price resolution and the cost formula."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agility._yaml_config import load_yaml, read_config_text, validate_yaml
from agility.errors import UsageError

__all__ = ["Price", "PriceEntry", "PriceTable", "cost_usd", "load_price_table", "resolve_price"]

log = logging.getLogger(__name__)

BUILTIN_TABLE = Path(__file__).with_name("prices.yaml")
_PER_TOKEN = 1_000_000.0


class Price(BaseModel):
    """USD per 1M tokens, and where the figures came from.

    ``cached_input`` is the price of input tokens served from the provider's prompt cache;
    ``None`` means the provider has no such discount (cached tokens cost the input price).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)
    source: str = "table"


class PriceEntry(Price):
    """One row of a price table."""

    provider: str
    model: str
    region: str | None = None
    aliases: list[str] = Field(default_factory=list)


class _TableFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str
    local_providers: list[str] = Field(default_factory=list)
    prices: list[PriceEntry] = Field(default_factory=list)


class PriceTable:
    """A versioned list of prices, looked up by provider, model and region.

    Args:
        version: the table's version (a date string); recorded with every run.
        entries: the prices; later entries win over earlier ones for the same key.
        local_providers: providers whose calls cost 0 unless the user sets a price.
    """

    def __init__(self, version: str, entries: list[PriceEntry],
                 local_providers: list[str] | None = None) -> None:
        self.version = version
        self.entries = list(entries)
        self.local_providers = set(local_providers or [])

    def lookup(self, provider: str, model: str, region: str | None = None) -> Price | None:
        """The price for ``provider/model`` in ``region``, or None when the table has none.

        A region-specific entry wins over a region-less one; the last matching entry wins.
        """
        best: PriceEntry | None = None
        for entry in self.entries:
            if entry.provider != provider or model not in (entry.model, *entry.aliases):
                continue
            if entry.region is not None and entry.region != region:
                continue
            if best is None or entry.region is not None or best.region is None:
                best = entry
        if best is None:
            return None
        return Price(input=best.input, output=best.output, cached_input=best.cached_input,
                     source=f"table {self.version}")

    def merged(self, other: PriceTable) -> PriceTable:
        """This table with ``other``'s entries taking precedence (a user's price file)."""
        return PriceTable(f"{self.version}+{other.version}", self.entries + other.entries,
                          sorted(self.local_providers | other.local_providers))


def load_price_table(path: str | Path | None = None) -> PriceTable:
    """Load a price table file; ``None`` loads agility's built-in table.

    Args:
        path: a YAML file with ``version``, optional ``local_providers`` and ``prices``
            (a list of ``{provider, model, region?, input, output, cached_input?, aliases?}``,
            USD per 1M tokens).

    Returns:
        the table.

    Raises:
        ConfigError: the file is missing, not YAML, or an entry is invalid (names the field).
    """
    file = Path(path) if path is not None else BUILTIN_TABLE
    text = read_config_text(file, "price file", "Check the --prices path.")
    data, node = load_yaml(text, str(file))
    if isinstance(data, dict):
        data["version"] = str(data.get("version", file.stem))
    table = validate_yaml(data, node, _TableFile, str(file),
                          "price file (USD per 1M tokens, e.g. {provider: openai, model: gpt-4o, "
                          "input: 2.5, output: 10})")
    return PriceTable(table.version, table.prices, table.local_providers)


def resolve_price(
    table: PriceTable,
    provider: str,
    model: str,
    *,
    region: str | None = None,
    local: bool = False,
    price_input: float | None = None,
    price_output: float | None = None,
) -> Price | None:
    """The price a run uses: user overrides, then the table, then 0 for local models.

    Args:
        table: the price table (built-in, possibly merged with a user's file).
        provider, model, region: what is called.
        local: the provider runs locally (costs 0 unless priced).
        price_input, price_output: user overrides, USD per 1M tokens.

    Returns:
        the price, or None when the model is not priced (cost is then "not measured"; a
        warning is logged).

    Raises:
        UsageError: only one override is given and the table cannot supply the other, or an
            override is negative.
    """
    for label, value in (("--price-input", price_input), ("--price-output", price_output)):
        if value is not None and value < 0:
            raise UsageError(f"{label} must be >= 0 (USD per 1M tokens), got {value}.")
    listed = table.lookup(provider, model, region)
    if listed is None and (local or provider in table.local_providers):
        listed = Price(input=0.0, output=0.0, cached_input=0.0, source="local model")
    if price_input is not None or price_output is not None:
        if listed is None and (price_input is None or price_output is None):
            raise UsageError(
                f"{provider}/{model} is not in the price table, so give both --price-input and "
                f"--price-output (USD per 1M tokens).")
        base = listed or Price(input=0.0, output=0.0)  # both overrides are set when None
        return Price(
            input=price_input if price_input is not None else base.input,
            output=price_output if price_output is not None else base.output,
            cached_input=None if price_input is not None else base.cached_input,
            source="user override")
    if listed is None:
        log.warning("%s/%s%s is not in the price table (version %s): cost will not be measured. "
                    "Set --price-input/--price-output or pass --prices FILE.", provider, model,
                    f" in {region}" if region else "", table.version)
    return listed


def cost_usd(
    price: Price | None,
    input_tokens: int | None,
    output_tokens: int | None,
    *,
    cached_input_tokens: int | None = None,
    extra_usd: float = 0.0,
) -> float | None:
    """Cost of one query: input x input price + output x output price + extras.

    Cached input tokens are charged the cached-input price when the price has one.

    Args:
        price: USD per 1M tokens, or None when not priced.
        input_tokens, output_tokens: the query's token counts.
        cached_input_tokens: how many of the input tokens came from the prompt cache.
        extra_usd: per-query extras (retrieval, vector DB), USD.

    Returns:
        USD, or None when the price or a token count is unknown (not measured, never 0).
    """
    if price is None or input_tokens is None or output_tokens is None:
        return None
    cached = min(cached_input_tokens or 0, input_tokens) if price.cached_input is not None else 0
    model_cost = ((input_tokens - cached) * price.input + cached * (price.cached_input or 0.0)
                  + output_tokens * price.output) / _PER_TOKEN
    return model_cost + extra_usd
