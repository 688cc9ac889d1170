"""The governance sections of a migration plan: ``privacy:``, ``residency:``, ``retention:``,
``signoff:``. Each is a small strict model, validated when the plan is loaded (a typo, an
unknown entity type or region, a role nobody knows is a ``plan.yaml:LINE: field`` error).

A plan may come from a pull request: these sections can only make a migration *stricter*
(mask more, allow fewer regions, keep data for less time, require more approvals). Where a
provider runs is never declared in a plan (see :mod:`._residency`).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agility.governance._pii import MaskMode, check_entities

__all__ = [
    "MASK_PATHS",
    "ROLES",
    "PrivacyPolicy",
    "ResidencyPolicy",
    "RetentionPolicy",
    "SignoffPolicy",
]

MaskPath = Literal["judges", "providers", "store", "exports", "reports", "logs"]
MASK_PATHS: tuple[MaskPath, ...] = ("judges", "providers", "store", "exports", "reports", "logs")
Role = Literal["product_owner", "sme", "privacy", "legal", "sre"]
ROLES: tuple[Role, ...] = ("product_owner", "sme", "privacy", "legal", "sre")

#: AWS/Azure/GCP-style region names, geography wildcards (``eu-*``), ``local``, ``*``
_REGION = re.compile(r"^(local|\*|[a-z]{2,24}(-\*|(-[a-z0-9]+){0,4}))$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PrivacyPolicy(_Strict):
    """What personal data to mask, where, and how.

    ``mask`` lists entity types (``EMAIL_ADDRESS``, ``PHONE_NUMBER``, ``US_SSN``,
    ``CREDIT_CARD``, ``IBAN_CODE``, ``PERSON``...); ``where`` the paths masked (default: all);
    ``mode`` redact, hash or pseudonymize; ``ner`` an installed spaCy pipeline for names and
    places; ``grade_unmasked`` lets a *local* judge (this host) see the unmasked text when
    masking would change a ground truth it grades against.
    """

    mask: list[str] = Field(min_length=1)
    where: list[MaskPath] = Field(default_factory=lambda: list(MASK_PATHS), min_length=1)
    mode: MaskMode = "redact"
    ner: str | None = None
    grade_unmasked: bool = False
    threshold: float = Field(0.3, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _known_entities(self) -> PrivacyPolicy:
        problems = check_entities(self.mask, self.ner)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def masks(self, path: MaskPath) -> bool:
        """Whether text on ``path`` is masked."""
        return path in self.where


class ResidencyPolicy(_Strict):
    """Where the models may run: regions (``eu-central-1``), geographies (``eu-*``),
    ``local`` (this host) or ``*``. A run or gateway arm elsewhere is refused before any
    call."""

    allowed: list[str] = Field(min_length=1)

    @field_validator("allowed")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not _REGION.match(v)]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))} is not a region (eu-central-1, "
                             f"westeurope), a geography (eu-*), 'local' or '*'")
        return value


class RetentionPolicy(_Strict):
    """How many days each kind of data is kept (None: kept until deleted)."""

    raw_outputs: int | None = Field(None, ge=0)
    prompts: int | None = Field(None, ge=0)
    reviews: int | None = Field(None, ge=0)
    audit: int | None = Field(None, ge=0)


class SignoffPolicy(_Strict):
    """The roles that must approve the exact migration (its lineage digest) for a PASS."""

    required: list[Role] = Field(min_length=1)
