"""Cost items beside the tokens: what else each side of a migration costs (the plan's ``costs:``).

Each item belongs to the ``source``, the ``target`` or ``both``, and is one of::

    per_query:                      # every query pays it
      - {name: vector DB queries, side: both, usd_per_query: 0.00001}
      - {name: web search tool, side: target, usd_per_span: 0.005, span: web_search}
    per_month:                      # a fixed monthly bill
      - {name: vector database, side: both, usd_per_month: 70}
    per_hour:                       # a self-hosted endpoint, per hour of serving
      - {name: GPU endpoint, side: target, usd_per_hour: 1.20}
    one_off:                        # paid once, to migrate (or to stay)
      - {name: porting the prompts, side: target, days: 4, usd_per_day: 800}
      - {name: evaluation runs, side: target, usd: 300}
      - {name: SME review, side: target, minutes_per_review: 4, usd_per_hour: 90}

``usd_per_span`` multiplies the mean number of spans named (or of the kind) ``span`` that each
answered query recorded. ``per_hour`` is turned into a cost per query with the throughput
measured at the run's concurrency (see :mod:`agility.compare._roi`). An SME review item counts
the reviews of the review queue drawn for these runs (each item times the reviewers it needs),
else the comparison's review sample; ``reviews`` gives the number yourself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agility._yaml_config import load_yaml, read_config_text, validate_yaml

__all__ = [
    "CostItems",
    "ItemSide",
    "OneOffItem",
    "PerHourItem",
    "PerMonthItem",
    "PerQueryItem",
    "load_cost_items",
    "parse_cost_items",
]

ItemSide = Literal["source", "target", "both"]


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    side: ItemSide

    def applies_to(self, side: str) -> bool:
        """Whether the item is a cost of ``side`` ("source" or "target")."""
        return self.side in (side, "both")


def _one_form(item: BaseModel, forms: dict[str, tuple[str, ...]]) -> str:
    """The one form whose fields are all set (and no other form's), else a ValueError."""
    given = {name for name in item.model_fields_set if getattr(item, name) is not None}
    matches = [form for form, fields in forms.items() if set(fields) <= given]
    every = {f for fields in forms.values() for f in fields}
    if len(matches) != 1 or given & every != set(forms[matches[0]]):
        shapes = "; ".join(" and ".join(fields) for fields in forms.values())
        raise ValueError(f"give exactly one of: {shapes}")
    return matches[0]


class PerQueryItem(_Item):
    """A cost every query pays: ``usd_per_query``, or ``usd_per_span`` times the spans named
    (or of the kind) ``span`` each answered query recorded (tool calls, re-ranking)."""

    usd_per_query: float | None = Field(None, ge=0)
    usd_per_span: float | None = Field(None, ge=0)
    span: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _form(self) -> PerQueryItem:
        _one_form(self, {"fixed": ("usd_per_query",), "spans": ("usd_per_span", "span")})
        return self


class PerMonthItem(_Item):
    """A fixed monthly bill (vector database, storage, monitoring, hosting always on)."""

    usd_per_month: float = Field(ge=0)


class PerHourItem(_Item):
    """A self-hosted endpoint paid per hour of serving, converted to a cost per query with the
    throughput measured at the run's concurrency."""

    usd_per_hour: float = Field(ge=0)


class OneOffItem(_Item):
    """A cost paid once: ``usd``; ``days`` x ``usd_per_day`` (engineering); ``hours`` x
    ``usd_per_hour``; or ``minutes_per_review`` x ``usd_per_hour`` per SME review (the review
    queue's size, or ``reviews``)."""

    usd: float | None = Field(None, ge=0)
    days: float | None = Field(None, ge=0)
    usd_per_day: float | None = Field(None, ge=0)
    hours: float | None = Field(None, ge=0)
    usd_per_hour: float | None = Field(None, ge=0)
    minutes_per_review: float | None = Field(None, ge=0)
    reviews: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _form(self) -> OneOffItem:
        form = _one_form(self, {"amount": ("usd",), "days": ("days", "usd_per_day"),
                                "hours": ("hours", "usd_per_hour"),
                                "reviews": ("minutes_per_review", "usd_per_hour")})
        if self.reviews is not None and form != "reviews":
            raise ValueError("reviews goes with minutes_per_review and usd_per_hour")
        return self

    @property
    def is_review(self) -> bool:
        """Whether the item is priced per SME review."""
        return self.minutes_per_review is not None


class CostItems(BaseModel):
    """Every cost item of a migration (see the module docstring). All lists may be empty."""

    model_config = ConfigDict(extra="forbid")

    per_query: list[PerQueryItem] = Field(default_factory=list)
    per_month: list[PerMonthItem] = Field(default_factory=list)
    per_hour: list[PerHourItem] = Field(default_factory=list)
    one_off: list[OneOffItem] = Field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.per_query or self.per_month or self.per_hour or self.one_off)


def parse_cost_items(text: str, source: str = "<costs>") -> CostItems:
    """Parse and validate cost items YAML (the mapping under a plan's ``costs:``).

    Raises:
        ConfigError: malformed YAML or an invalid item (names file:line: field).
    """
    data, node = load_yaml(text, source)
    if data is None:
        return CostItems()
    return validate_yaml(data, node, CostItems, source,
                         "cost items (per_query, per_month, per_hour, one_off)")


def load_cost_items(path: str | Path) -> CostItems:
    """Read cost items from a YAML file (``agility compare --costs FILE``).

    Raises:
        ConfigError: the file is missing, unreadable or invalid.
    """
    path = Path(path)
    text = read_config_text(path, "cost items file", "Check the path given to --costs.")
    return parse_cost_items(text, str(path))
