"""The price a call uses and where it came from: table rows, Bedrock profiles, overrides.

:func:`find_price` maps the model id a user passes to a table row (a Bedrock cross-region
inference profile to its base model in the region the request is made from) and says how, or
raises :class:`~agility.errors.PriceNotFound` saying how to price it. :func:`resolve_price`
adds the user's overrides and is what a run uses: an unpriced model logs that message and
runs with its cost "not measured".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from agility.errors import PriceNotFound, UsageError
from agility.pricing._bedrock import parse_bedrock_model_id
from agility.pricing._table import Price, PriceTable

__all__ = ["PriceMatch", "find_price", "match_price", "resolve_price"]

log = logging.getLogger(__name__)

#: providers whose answers were recorded elsewhere: what they cost is not known here
_RECORDED = {"replay"}


@dataclass(frozen=True)
class PriceMatch:
    """A price and how it was found.

    Attributes:
        price: USD per 1M tokens (``price.source`` names the table version and page).
        provider: the provider asked for.
        model: the model id asked for.
        region: the region the price applies to (None: any).
        priced_as: the table row's model id (the base model of an inference profile).
        notes: how the id was mapped to that row, one sentence each.
    """

    price: Price
    provider: str
    model: str
    region: str | None
    priced_as: str
    notes: list[str] = field(default_factory=list)


def _bedrock(table: PriceTable, model: str, region: str | None) -> PriceMatch:
    """A Bedrock id priced as its base model in the region the request is made from."""
    parsed = parse_bedrock_model_id(model)
    notes: list[str] = []
    if parsed.arn_region and parsed.arn_region != region:
        if region is not None:
            notes.append(f"the ARN names region {parsed.arn_region}: priced there, not in "
                         f"{region}")
        region = parsed.arn_region
    if parsed.kind == "application_profile" or parsed.base_model is None:
        raise PriceNotFound("bedrock", model, region, "an application inference profile does "
                            "not say which model it runs")
    if region is None:
        raise PriceNotFound("bedrock", model, None, "Bedrock prices depend on the region the "
                            "request is made from, and none is set (the provider option "
                            "'region', or AWS_REGION)", example_model=parsed.base_model)
    base = parsed.base_model
    if parsed.kind == "inference_profile":
        prefix = parsed.profile or ""
        regions = table.inference_profiles.get(prefix)
        if regions is None:
            known = ", ".join(f"{p}." for p in sorted(table.inference_profiles)) or "none"
            raise PriceNotFound(
                "bedrock", model, region,
                f"the price table does not map the '{prefix}.' inference profile to its base "
                f"model's price (it maps {known}; a global profile is priced differently from "
                f"the regional one)", example_model=model)
        if region not in regions:
            raise PriceNotFound(
                "bedrock", model, region,
                f"the '{prefix}.' inference profile is called from {', '.join(regions)}, not "
                f"from {region}: check the region, or use the profile of its geography",
                example_model=base)
        notes.append(f"cross-region inference profile '{prefix}.': priced as its base model "
                     f"{base} in the region the request is made from ({region}); AWS charges "
                     f"nothing extra for cross-region inference")
    entry = table.entry("bedrock", base, region)
    if entry is None:
        listed = sorted({r for e in table.entries if e.provider == "bedrock"
                         and base in (e.model, *e.aliases) for r in (e.regions() or ["any"])})
        why = (f"the table prices {base} only in {', '.join(listed)}" if listed
               else f"the table (version {table.version}) has no entry for {base}")
        raise PriceNotFound("bedrock", model, region, why, example_model=base)
    return PriceMatch(table.price_of(entry), "bedrock", model, region, entry.model, notes)


def find_price(table: PriceTable, provider: str, model: str, region: str | None = None, *,
               local: bool = False) -> PriceMatch:
    """The table's price for ``provider/model`` called from ``region``, and how it was found.

    An exact row wins; a Bedrock id is then parsed (ARN, cross-region inference profile) and
    priced as its base model in the region the request is made from. A local provider's
    calls cost 0 per token.

    Args:
        table: the price table (built-in, possibly merged with a user's file).
        provider, model: what is called (``bedrock``, ``us.anthropic.claude-...``).
        region: the region the request is made from.
        local: the provider runs locally.

    Returns:
        The price and the notes saying how it was found.

    Raises:
        PriceNotFound: no price applies; the message says why and how to give one.
    """
    entry = table.entry(provider, model, region)
    if entry is not None:
        notes = [] if entry.model == model else [f"'{model}' is an alias of {entry.model}"]
        return PriceMatch(table.price_of(entry), provider, model, region, entry.model, notes)
    if provider == "bedrock":
        return _bedrock(table, model, region)
    if local or provider in table.local_providers:
        price = Price(input=0.0, output=0.0, cached_input=0.0, cache_write_input=0.0,
                      source="local model")
        return PriceMatch(price, provider, model, region, model,
                          ["a local model costs $0 per token; count its hosting as a per-hour "
                           "cost item of the migration plan, or set a price"])
    if provider in _RECORDED:
        raise PriceNotFound(provider, model, region, "recorded answers cost what they cost "
                            "when they were made, which the file does not say")
    raise PriceNotFound(provider, model, region,
                        f"the price table (version {table.version}) has no entry for it")


def _check_overrides(**values: float | None) -> None:
    for label, value in values.items():
        if value is not None and value < 0:
            raise UsageError(f"{label} must be >= 0 (USD per 1M tokens), got {value}.",
                             argument=label)


def match_price(
    table: PriceTable,
    provider: str,
    model: str,
    *,
    region: str | None = None,
    local: bool = False,
    price_input: float | None = None,
    price_output: float | None = None,
    price_cached_input: float | None = None,
    price_cache_write: float | None = None,
) -> PriceMatch:
    """The price a run uses and how it was found: the user's overrides over
    :func:`find_price`.

    Args:
        table: the price table (built-in, possibly merged with a user's file).
        provider, model, region: what is called, from where.
        local: the provider runs locally (costs 0 per token unless priced).
        price_input, price_output: user overrides, USD per 1M tokens.
        price_cached_input, price_cache_write: user prices of prompt-cache reads and writes
            (with a ``price_input`` override and none of these, cache reads cost the input
            price and a call that wrote to the cache is not priced).

    Returns:
        The price and how it was found.

    Raises:
        PriceNotFound: no price applies and the overrides do not give one.
        UsageError: only one of input and output is given and the table cannot supply the
            other, or an override is negative.
    """
    _check_overrides(price_input=price_input, price_output=price_output,
                     price_cached_input=price_cached_input, price_cache_write=price_cache_write)
    overrides = (price_input, price_output, price_cached_input, price_cache_write)
    try:
        listed: PriceMatch | None = find_price(table, provider, model, region, local=local)
    except PriceNotFound:
        if all(v is None for v in overrides):
            raise
        listed = None
    if all(v is None for v in overrides):
        assert listed is not None
        return listed
    if listed is None and (price_input is None or price_output is None):
        raise UsageError(
            f"{provider}/{model} is not in the price table, so give both price_input and "
            f"price_output (USD per 1M tokens).", argument="price_input")
    base = listed.price if listed is not None else Price(input=0.0, output=0.0)
    new_input = price_input is not None
    price = Price(
        input=price_input if price_input is not None else base.input,
        output=price_output if price_output is not None else base.output,
        cached_input=price_cached_input if price_cached_input is not None
        else (None if new_input else base.cached_input),
        cache_write_input=price_cache_write if price_cache_write is not None
        else (None if new_input else base.cache_write_input),
        source="user override")
    given = [name for name, value in (("input", price_input), ("output", price_output),
                                      ("cache read", price_cached_input),
                                      ("cache write", price_cache_write)) if value is not None]
    notes = [f"your price for {', '.join(given)}"
             + (f"; the rest from {base.source}" if listed is not None else "")]
    return PriceMatch(price, provider, model, region,
                      listed.priced_as if listed is not None else model,
                      notes + (listed.notes if listed is not None else []))


def resolve_price(
    table: PriceTable,
    provider: str,
    model: str,
    *,
    region: str | None = None,
    local: bool = False,
    price_input: float | None = None,
    price_output: float | None = None,
    price_cached_input: float | None = None,
    price_cache_write: float | None = None,
) -> Price | None:
    """The price a run uses (:func:`match_price`), or None when the model is not priced.

    An unpriced model is not an error: its cost is "not measured", and the
    :class:`~agility.errors.PriceNotFound` message (why, and how to price it) is logged as a
    warning.

    Raises:
        UsageError: only one of input and output is given and the table cannot supply the
            other, or an override is negative.
    """
    try:
        return match_price(table, provider, model, region=region, local=local,
                           price_input=price_input, price_output=price_output,
                           price_cached_input=price_cached_input,
                           price_cache_write=price_cache_write).price
    except PriceNotFound as missing:
        log.warning("%s Until then its cost is not measured.", missing)
        return None
