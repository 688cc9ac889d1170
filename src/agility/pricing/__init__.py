"""Pricing: a price table as data (``prices.yaml``), the price of the model ids users pass
(Bedrock inference profiles included), user overrides, and the cost of one call."""

from agility.pricing._bedrock import BedrockModelId, parse_bedrock_model_id
from agility.pricing._resolve import PriceMatch, find_price, match_price, resolve_price
from agility.pricing._table import (
    Price,
    PriceEntry,
    PriceTable,
    completion_cost,
    cost_usd,
    load_price_table,
)

__all__ = [
    "BedrockModelId",
    "Price",
    "PriceEntry",
    "PriceMatch",
    "PriceTable",
    "completion_cost",
    "cost_usd",
    "find_price",
    "load_price_table",
    "match_price",
    "parse_bedrock_model_id",
    "resolve_price",
]
