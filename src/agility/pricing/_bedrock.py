"""Bedrock model ids as users pass them: foundation models, inference profiles, ARNs.

``anthropic.claude-3-5-haiku-20241022-v1:0`` is a foundation model; ``us.anthropic...``,
``eu.``, ``apac.`` (and ``global.``) are cross-region inference profiles over it; either may
come as an ARN (``arn:aws:bedrock:REGION:ACCOUNT:inference-profile/us.anthropic...``), and an
application inference profile's ARN hides which model it runs. AWS prices a cross-region
profile as its base model in the region the request is made from (the source region).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["BedrockModelId", "parse_bedrock_model_id"]

_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:(?P<region>[a-z0-9-]*):(?P<account>\d*):"
                  r"(?P<kind>foundation-model|inference-profile|application-inference-profile)"
                  r"/(?P<id>.+)$")

IdKind = Literal["foundation_model", "inference_profile", "application_profile"]


@dataclass(frozen=True)
class BedrockModelId:
    """What a Bedrock model id names.

    Attributes:
        model_id: the id as given.
        kind: a foundation model, a cross-region inference profile, or an application
            inference profile (whose model the id does not say).
        base_model: the foundation model's id (None for an application profile).
        profile: the inference profile's prefix (``us``, ``eu``, ``apac``, ``global``...).
        arn_region: the region an ARN names (the region the request is made from).
    """

    model_id: str
    kind: IdKind
    base_model: str | None
    profile: str | None = None
    arn_region: str | None = None


def parse_bedrock_model_id(model_id: str) -> BedrockModelId:
    """Split a Bedrock model id (or ARN) into its base model, profile prefix and region.

    A foundation model id is ``vendor.model`` (two dot-separated parts); an inference
    profile id puts one more part in front (``us.vendor.model``).

    Args:
        model_id: what the user passed after ``bedrock/``.

    Returns:
        The parsed id.
    """
    arn_region = None
    rest = model_id
    match = _ARN.match(model_id)
    if match:
        arn_region = match["region"] or None
        rest = match["id"]
        if match["kind"] == "application-inference-profile":
            return BedrockModelId(model_id, "application_profile", None, arn_region=arn_region)
    parts = rest.split(".")
    if len(parts) >= 3:
        return BedrockModelId(model_id, "inference_profile", ".".join(parts[1:]),
                              profile=parts[0], arn_region=arn_region)
    return BedrockModelId(model_id, "foundation_model", rest, arn_region=arn_region)
