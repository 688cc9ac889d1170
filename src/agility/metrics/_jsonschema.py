"""JSON validity of an answer, optionally against a JSON Schema.

The answer may wrap its JSON in a Markdown code fence (```json ... ```); the fence is removed
before parsing. Option ``schema`` is a JSON Schema (a dict); without it only syntax is checked.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agility.errors import UsageError
from agility.metrics._base import Metric, MetricInput, MetricResult, register_metric

__all__ = ["JsonSchemaMetric"]

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n?```\s*$", re.DOTALL | re.IGNORECASE)


@register_metric("json_schema")
class JsonSchemaMetric(Metric):
    """1.0 when the answer is valid JSON (and valid against option ``schema`` when given).

    Raises:
        UsageError: at construction, when ``schema`` is not a valid JSON Schema.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._validator = None
        schema = options.get("schema")
        if schema is not None:
            import jsonschema

            try:
                cls = jsonschema.validators.validator_for(schema)
                cls.check_schema(schema)
            except jsonschema.SchemaError as exc:
                raise UsageError(f"metric 'json_schema': the schema is invalid: {exc.message}. "
                                 "Fix the schema (see https://json-schema.org).") from exc
            self._validator = cls(schema)

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
