"""The option models metrics declare: :class:`MetricOptions` and, for model-judged metrics,
:class:`JudgeOptions`.

Each metric class names its option model (``Metric.Options``); options given to
:func:`~agility.metrics.get_metric`, in a plan's ``metrics:`` entry or with ``--set`` are
validated against it, so a typo (``treshold``) is an :class:`~agility.errors.OptionsError`
naming the option and the allowed ones. The judge's own provider options (``judge_options``:
``base_url``, ...) are validated against that provider's option model.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from agility._options import Options, parse_options
from agility.errors import OptionsError, UnknownName, UsageError

__all__ = ["JudgeOptions", "MetricOptions"]


class MetricOptions(Options):
    """Base of a metric's options (strict: an unknown option is an error). No options."""


class JudgeOptions(MetricOptions):
    """Options of a metric judged by a model, and of the calls made to that model.

    ``judge`` is usually not set per metric: :func:`~agility.metrics.score_run` (and a plan's
    ``judge``/``judge_options``) give it to every metric that accepts one. The calls go through
    :class:`agility.client.Client`, with the same retry policy (``Retry-After`` honoured) and
    rate limiting as a run.
    """

    #: the judge model, ``provider/model`` (required when the metric is judged by a model)
    judge: str | None = None
    #: the judge provider's options (``base_url``, ...), checked against that provider's model
    judge_options: dict[str, Any] = Field(default_factory=dict)
    #: how many times the judge is asked per answer (the spread is kept)
    repeats: int = Field(1, ge=1, le=20)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    max_tokens: int | None = Field(None, ge=1)
    #: limit of one attempt of one judge call, seconds (None: the provider's own limits)
    timeout_s: float | None = Field(120.0, gt=0)
    #: attempts per judge call at most for failures other than throttling (5xx, timeouts;
    #: rejected credentials are never retried)
    max_attempts: int = Field(5, ge=1, le=20)
    #: how long a throttled judge call (429/503) keeps being retried, seconds
    throttle_budget_s: float = Field(600.0, ge=0)
    #: backoff before the second attempt, doubling after (a Retry-After may ask for longer)
    retry_base_delay_s: float = Field(1.0, ge=0.0)
    #: client-side limits of judge requests and tokens per minute (None: unlimited)
    rpm: float | None = Field(None, gt=0)
    tpm: float | None = Field(None, gt=0)

    @field_validator("judge")
    @classmethod
    def _judge_spec(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from agility.providers import parse_model_spec, provider_class

        try:
            provider_class(parse_model_spec(value)[0])
        except (UnknownName, UsageError) as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("judge_options")
    @classmethod
    def _provider_options(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        judge = info.data.get("judge")
        if judge is None or not value:
            return value
        from agility.providers import parse_model_spec, provider_class

        provider = parse_model_spec(judge)[0]
        try:
            parse_options(provider_class(provider).Options, f"provider {provider}", value)
        except OptionsError as exc:
            raise ValueError("; ".join(str(p) for p in exc.problems)) from None
        # the mapping as given: the provider builds from it (it may hold a live session)
        return value
