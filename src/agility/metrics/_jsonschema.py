"""JSON validity of an answer, optionally against a JSON Schema.

The answer may wrap its JSON in a Markdown code fence (```json ... ```); the fence is removed
before parsing. Option ``schema`` is a JSON Schema (a dict); without it only syntax is checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from agility.metrics._base import Metric, MetricInput, MetricResult, register_metric
from agility.metrics._options import MetricOptions

__all__ = ["JsonSchemaMetric", "JsonSchemaOptions"]

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n?```\s*$", re.DOTALL | re.IGNORECASE)


class JsonSchemaOptions(MetricOptions):
    """Options of ``json_schema``: ``schema``, a JSON Schema (checked when given)."""

    model_config = ConfigDict(populate_by_name=True)

    json_schema: dict[str, Any] | None = Field(None, alias="schema")

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            import jsonschema

            try:
                jsonschema.validators.validator_for(value).check_schema(value)
            except jsonschema.SchemaError as exc:
                raise ValueError(f"not a valid JSON Schema: {exc.message} "
                                 f"(see https://json-schema.org)") from None
        return value


@register_metric("json_schema")
class JsonSchemaMetric(Metric):
    """1.0 when the answer is valid JSON (and valid against option ``schema`` when given).

    Raises:
        OptionsError: at construction, when ``schema`` is not a valid JSON Schema.
    """

    Options = JsonSchemaOptions
    options: JsonSchemaOptions

    def __init__(self, options: JsonSchemaOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        super().__init__(options, **more)
        self._validator = None
        schema = self.options.json_schema
        if schema is not None:
            import jsonschema

            self._validator = jsonschema.validators.validator_for(schema)(schema)

    def score(self, item: MetricInput) -> MetricResult:
        """Score one answer."""
        if item.output is None:
            return MetricResult(error="cannot score: no answer")
        text = item.output
        fenced = _FENCE.match(text)
        if fenced:
            text = fenced.group(1)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return MetricResult(score=0.0, passed=False,
                                reason=f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
        if self._validator is None:
            return MetricResult(score=1.0, passed=True, reason="valid JSON")
        errors = sorted(self._validator.iter_errors(data), key=lambda e: list(e.path))
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.path) or "(root)"
            return MetricResult(score=0.0, passed=False, reason=(
                f"violates the schema at {where}: {first.message[:120]}"
                + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else "")))
        return MetricResult(score=1.0, passed=True, reason="valid JSON, matches the schema")
