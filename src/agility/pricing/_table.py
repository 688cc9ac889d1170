"""The price table (data in ``prices.yaml``), user overrides, and the cost of one call.

A price is USD per 1M tokens of each kind a provider reports: plain input, input read from the
prompt cache, input written to it, output. Batch prices are kept for the record (no provider
agility calls today runs a batch API). The cost of a call uses the token counts the provider
reported and nothing guessed: a kind of token that was reported but has no price in the table
makes the cost "not measured" rather than a number priced at some other rate.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agility._yaml_config import load_yaml, read_config_text, validate_yaml
from agility.chat import Completion

__all__ = ["Price", "PriceEntry", "PriceTable", "completion_cost", "cost_usd", "load_price_table"]

log = logging.getLogger(__name__)

BUILTIN_TABLE = Path(__file__).with_name("prices.yaml")
_PER_TOKEN = 1_000_000.0


class Price(BaseModel):
    """USD per 1M tokens, and where the figures came from.

    ``cached_input`` is the price of input tokens read from the provider's prompt cache (None:
    no discount, they cost the input price). ``cache_write_input`` is the price of input tokens
    written to the cache (Anthropic and Bedrock report them; None: the table does not know it,
    so a call that wrote to the cache is not priced). ``batch_input``/``batch_output`` are the
    prices through the provider's batch API, kept for the record: no provider agility calls
    runs a batch API today, so no run uses them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)
    cache_write_input: float | None = Field(default=None, ge=0)
    batch_input: float | None = Field(default=None, ge=0)
    batch_output: float | None = Field(default=None, ge=0)
    source: str = "table"


class PriceEntry(Price):
    """One row of a price table; ``region`` is one region, a list of them, or null (any)."""

    provider: str
    model: str
    region: str | list[str] | None = None
    aliases: list[str] = Field(default_factory=list)

    def regions(self) -> list[str] | None:
        """The regions this price applies in (None: any region)."""
        if self.region is None:
            return None
        return [self.region] if isinstance(self.region, str) else list(self.region)


class _TableFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str
    sources: dict[str, str] = Field(default_factory=dict)
    inference_profiles: dict[str, list[str]] = Field(default_factory=dict)
    local_providers: list[str] = Field(default_factory=list)
    prices: list[PriceEntry] = Field(default_factory=list)


class PriceTable:
    """A versioned list of prices, looked up by provider, model and region.

    Args:
        version: the table's version (the date its prices were read); recorded with every run.
        entries: the prices; later entries win over earlier ones for the same key.
        local_providers: providers whose calls cost 0 per token unless the user sets a price.
        sources: where each provider's prices were read (a URL per provider).
        inference_profiles: Bedrock's cross-region inference profile prefixes (``us``,
            ``eu``, ``apac``) and the regions each may be called from.
    """

    def __init__(self, version: str, entries: list[PriceEntry],
                 local_providers: list[str] | None = None, *,
                 sources: dict[str, str] | None = None,
                 inference_profiles: dict[str, list[str]] | None = None) -> None:
        self.version = version
        self.entries = list(entries)
        self.local_providers = set(local_providers or [])
        self.sources = dict(sources or {})
        self.inference_profiles = {k: list(v) for k, v in (inference_profiles or {}).items()}

    def entry(self, provider: str, model: str, region: str | None = None) -> PriceEntry | None:
        """The table row for ``provider/model`` in ``region``, or None.

        A region-specific entry wins over a region-less one; the last matching entry wins.
        """
        best: PriceEntry | None = None
        for entry in self.entries:
            if entry.provider != provider or model not in (entry.model, *entry.aliases):
                continue
            regions = entry.regions()
            if regions is not None and region not in regions:
                continue
            if best is None or regions is not None or best.region is None:
                best = entry
        return best

    def lookup(self, provider: str, model: str, region: str | None = None) -> Price | None:
        """The price for ``provider/model`` in ``region`` as listed (no profile mapping), or
        None when the table has none. See :func:`agility.pricing.find_price` for the price a
        run uses, Bedrock inference profiles included."""
        found = self.entry(provider, model, region)
        return None if found is None else self.price_of(found)

    def price_of(self, entry: PriceEntry) -> Price:
        """An entry's price, its source naming this table's version and the provider's page."""
        url = self.sources.get(entry.provider)
        return Price(**entry.model_dump(include=set(Price.model_fields) - {"source"}),
                     source=f"table {self.version}" + (f" ({url})" if url else ""))

    def merged(self, other: PriceTable) -> PriceTable:
        """This table with ``other``'s entries taking precedence (a user's price file)."""
        return PriceTable(f"{self.version}+{other.version}", self.entries + other.entries,
                          sorted(self.local_providers | other.local_providers),
                          sources={**self.sources, **other.sources},
                          inference_profiles={**self.inference_profiles,
                                              **other.inference_profiles})


def load_price_table(path: str | Path | None = None) -> PriceTable:
    """Load a price table file; ``None`` loads agility's built-in table.

    Args:
        path: a YAML file with ``version``, optional ``sources``, ``inference_profiles``,
            ``local_providers`` and ``prices`` (a list of ``{provider, model, region?, input,
            output, cached_input?, cache_write_input?, batch_input?, batch_output?,
            aliases?}``, USD per 1M tokens).

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
    return PriceTable(table.version, table.prices, table.local_providers,
                      sources=table.sources, inference_profiles=table.inference_profiles)


def cost_usd(
    price: Price | None,
    input_tokens: int | None,
    output_tokens: int | None,
    *,
    cached_input_tokens: int | None = None,
    cache_write_input_tokens: int | None = None,
    extra_usd: float = 0.0,
    batch: bool = False,
) -> float | None:
    """Cost of one call: each kind of token times its price, plus extras.

    Input tokens read from the prompt cache cost ``cached_input`` (the input price when the
    price has none); tokens written to it cost ``cache_write_input``. Through a batch API
    (``batch``) input and output cost the batch prices.

    Args:
        price: USD per 1M tokens, or None when not priced.
        input_tokens: every input token of the call (cache reads and writes included).
        output_tokens: output tokens (reasoning tokens included).
        cached_input_tokens: of the input tokens, those read from the prompt cache.
        cache_write_input_tokens: of the input tokens, those written to the prompt cache.
        extra_usd: per-query extras (retrieval, vector DB), USD.
        batch: the call went through the provider's batch API.

    Returns:
        USD, or None when not measured: no price, a token count missing, cache writes reported
        without a cache-write price, or a batch call without batch prices (never 0, never
        another rate guessed in their place).
    """
    if price is None or input_tokens is None or output_tokens is None:
        return None
    writes = min(cache_write_input_tokens or 0, input_tokens)
    if writes and price.cache_write_input is None:
        return None
    input_price, output_price = price.input, price.output
    if batch:
        if price.batch_input is None or price.batch_output is None:
            return None
        input_price, output_price = price.batch_input, price.batch_output
    reads = min(cached_input_tokens or 0, input_tokens - writes)
    read_price = price.cached_input if price.cached_input is not None else input_price
    model_cost = ((input_tokens - reads - writes) * input_price + reads * read_price
                  + writes * (price.cache_write_input or 0.0)
                  + output_tokens * output_price) / _PER_TOKEN
    return model_cost + extra_usd


def completion_cost(price: Price | None, completion: Completion, extra_usd: float = 0.0
                    ) -> float | None:
    """:func:`cost_usd` of a completion, from the tokens its provider reported.

    Args:
        price: USD per 1M tokens, or None when not priced.
        completion: the answer, with its usage.
        extra_usd: per-query extras besides the completion's own ``extra_cost_usd``.

    Returns:
        USD, or None when not measured.
    """
    return cost_usd(price, completion.input_tokens, completion.output_tokens,
                    cached_input_tokens=completion.cached_input_tokens,
                    cache_write_input_tokens=completion.cache_write_input_tokens,
                    extra_usd=extra_usd + (completion.extra_cost_usd or 0.0))
