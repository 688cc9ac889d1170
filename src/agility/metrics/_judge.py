"""LLM-as-judge metrics: any model behind the provider layer judges answers.

A judge call sends a versioned prompt (:mod:`._judge_prompts`) with the judged text fenced
as data, asks for one JSON object and takes the judge's *own final* verdict: the last JSON
object of the reply that is a valid judgment, once everything that came from the judged data is
set aside (blocks echoed inside the call's nonce tags, verbatim quotes of the data, and any
object equal to one planted in the data), so a verdict planted in an answer is never adopted
however the judge quotes it. It is validated with pydantic. An invalid judgment is retried once with
the validation error; if it is still invalid the result carries ``error`` and no score,
never a 0. With ``repeats=K`` the judge is asked K times: the score is the mean, the verdict
the majority, and the spread (stdev, agreement) is kept in ``raw``.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agility.chat import ChatRequest, GenerationConfig, Message
from agility.errors import AgilityError, ProviderAuthError, UsageError, scrub_secrets
from agility.metrics._base import Metric, MetricInput, MetricResult, register_metric
from agility.metrics._judge_prompts import (
    PROMPTS,
    JudgePrompt,
    build_messages_text,
    new_nonce,
    strip_fenced,
)
from agility.metrics._options import JudgeOptions

__all__ = [
    "AnswerRelevancy",
    "Faithfulness",
    "InvalidJudgment",
    "JudgeMetric",
    "LLMCorrectness",
    "Rubric",
    "RubricOptions",
    "Safety",
    "extract_json_object",
    "judge_client",
]



class InvalidJudgment(ValueError):
    """The judge's reply was not a valid judgment."""


def json_objects(text: str) -> list[dict[str, Any]]:
    """Every top-level JSON object in ``text``, in order (in code fences or not; objects
    nested in another are part of it, not separate)."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    position = text.find("{")
    while position != -1:
        try:
            value, end = decoder.raw_decode(text, position)
        except ValueError:
            position = text.find("{", position + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        position = text.find("{", end)
    return found


def extract_json_object(text: str) -> dict[str, Any]:
    """The last JSON object in ``text``: a model that writes several gives its final word last.

    Raises:
        InvalidJudgment: no JSON object could be decoded.
    """
    objects = json_objects(text)
    if not objects:
        raise InvalidJudgment("the reply contains no JSON object")
    return objects[-1]


def judge_reply_candidates(reply: str, nonce: str, data: list[str]) -> list[dict[str, Any]]:
    """The JSON objects of a judge's reply that can be the judge's own, in order.

    Set aside first: blocks the judge echoes inside this call's nonce tags, verbatim quotes of
    any data text that holds a ``{``, and then any object equal to one found in the data (a
    verdict planted in an answer stays planted, reformatted or not).

    Args:
        reply: the judge's reply.
        nonce: the call's nonce (the tags around the data).
        data: the texts the judge was given as data (answer, question, contexts, ...).
    """
    text = strip_fenced(reply, nonce)
    for block in data:
        if "{" in block and len(block.strip()) >= 2:
            text = text.replace(block.strip(), " ")
    planted = [obj for block in data if "{" in block for obj in json_objects(block)]
    return [obj for obj in json_objects(text) if obj not in planted]


class _Judgment(BaseModel):
    model_config = ConfigDict(extra="ignore")
    reason: str = Field(max_length=20000)


class CorrectnessJudgment(_Judgment):
    verdict: Literal["correct", "incorrect", "refusal"]
    score: float = Field(ge=0.0, le=1.0)


class FaithfulnessJudgment(_Judgment):
    verdict: Literal["faithful", "unfaithful"]
    score: float = Field(ge=0.0, le=1.0)


class RelevancyJudgment(_Judgment):
    verdict: Literal["relevant", "irrelevant"]
    score: float = Field(ge=0.0, le=1.0)


class RubricJudgment(_Judgment):
    score: int = Field(ge=1, le=5)


class SafetyJudgment(_Judgment):
    verdict: Literal["safe", "unsafe"]


def judge_client(metric: str, options: JudgeOptions) -> Any:
    """The :class:`agility.client.Client` the judge calls of ``metric`` go through: the
    judge's provider behind the retry policy (Retry-After honoured), the rate limits and the
    per-attempt timeout.

    Raises:
        JudgeRequired: ``options`` name no judge model.
        OptionsError: the judge provider's options are invalid.
    """
    from agility.client import Client, RateLimit, RetryPolicy
    from agility.errors import JudgeRequired
    from agility.providers import get_provider

    if not options.judge:
        raise JudgeRequired(metric)
    limit = RateLimit(rpm=options.rpm, tpm=options.tpm) if options.rpm or options.tpm else None
    return Client(get_provider(options.judge, options.judge_options), rate_limit=limit,
                  retry=RetryPolicy(max_attempts=options.max_attempts,
                                    base_delay_s=options.retry_base_delay_s,
                                    throttle_budget_s=options.throttle_budget_s),
                  timeout_s=options.timeout_s)


class JudgeMetric(Metric):
    """Base of metrics judged by a model. Subclasses set ``prompt_key`` (or ``prompt``, a
    :class:`~agility.metrics.JudgePrompt` of their own), ``judgment`` and implement
    :meth:`blocks` and :meth:`interpret`.

    Options (:class:`~agility.metrics.JudgeOptions`): ``judge`` (the judge model,
    ``provider/model``, required), ``judge_options`` (its provider's options), ``repeats``,
    ``temperature``, ``max_tokens`` and the call settings (``timeout_s``, ``max_attempts``,
    ``throttle_budget_s``, ``retry_base_delay_s``, ``rpm``, ``tpm``). Every call goes through
    :class:`agility.client.Client`: a throttled (429) or unavailable (5xx) judge is retried,
    rejected credentials stop the scoring at once.
    """

    kind = "judge"
    requires_judge = True
    Options: ClassVar[type[JudgeOptions]] = JudgeOptions
    options: JudgeOptions
    prompt_key: ClassVar[str]
    judgment: ClassVar[type[BaseModel]]

    def __init__(self, options: JudgeOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        super().__init__(options, **more)
        self._client: Any = None

    @property
    def prompt(self) -> JudgePrompt:
        """The versioned judge prompt."""
        return PROMPTS[self.prompt_key]

    # -- what subclasses define ----------------------------------------------------------

    def blocks(self, item: MetricInput) -> list[tuple[str, str]]:
        """The ``(name, text)`` data blocks the judge sees for ``item``."""
        raise NotImplementedError

    def fill(self) -> dict[str, str]:
        """Values for placeholders in the prompt's task (rubric criteria)."""
        return {}

    def validate_judgment(self, data: dict[str, Any], item: MetricInput) -> BaseModel:
        """Validate a decoded reply; raise :class:`InvalidJudgment` when it does not fit."""
        try:
            return self.judgment.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '-'}: {e['msg']}"
                                 for e in exc.errors())
            raise InvalidJudgment(problems) from None

    def interpret(self, judgment: Any, item: MetricInput) -> tuple[float | None, str | None,
                                                                   bool | None]:
        """``(score in [0, 1], verdict, passed)`` of one valid judgment."""
        raise NotImplementedError

    # -- the call ------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the judge's client (a new one is made on the next call)."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def _ask(self, messages: list[Message]) -> str:
        if self._client is None:
            self._client = judge_client(self.label(), self.options)
        config = GenerationConfig(temperature=self.options.temperature,
                                  max_tokens=self.options.max_tokens)
        outcome = await self._client.call(ChatRequest(messages=messages, config=config))
        if outcome.error is not None:
            raise outcome.error  # after the retries: the caller decides what stops scoring
        return str(outcome.completion.text)

    async def judge_once(self, item: MetricInput) -> dict[str, Any]:
        """One judgment of ``item`` (retried once when invalid).

        Returns:
            ``{"replies": [raw reply, ...], "judgment": {...} | None, "error": str | None}``
            (plus the validated model under ``"_parsed"`` when valid; it is not stored).
        """
        nonce = new_nonce()
        blocks = self.blocks(item)
        system, user = build_messages_text(self.prompt, blocks, nonce, **self.fill())
        messages = [Message(role="system", content=system), Message(role="user", content=user)]
        replies: list[str] = []
        error: str | None = None
        for _attempt in range(2):
            text = await self._ask(messages)
            replies.append(text)
            try:
                judgment = self._final_judgment(text, nonce, [t for _, t in blocks], item)
            except InvalidJudgment as exc:
                error = f"invalid judgment: {exc}"
                messages = messages + [
                    Message(role="assistant", content=text),
                    Message(role="user", content=(
                        f"That reply was not valid ({exc}). Reply with only the JSON object, "
                        f"in the format given.")),
                ]
                continue
            return {"replies": replies, "judgment": judgment.model_dump(), "error": None,
                    "_parsed": judgment}
        return {"replies": replies, "judgment": None, "error": error}

    def _final_judgment(self, reply: str, nonce: str, data: list[str],
                        item: MetricInput) -> BaseModel:
        """The last valid judgment among the reply's own objects (see the module docstring)."""
        candidates = judge_reply_candidates(reply, nonce, data)
        if not candidates:
            raise InvalidJudgment("the reply contains no JSON object")
        problems: list[InvalidJudgment] = []
        for data_object in reversed(candidates):
            try:
                return self.validate_judgment(data_object, item)
            except InvalidJudgment as exc:
                problems.append(exc)
        raise problems[0]  # what was wrong with the last object

    async def ascore(self, item: MetricInput) -> MetricResult:
        """Judge one answer ``repeats`` times and combine the judgments."""
        try:
            # one after another, so ``concurrency`` in score_run bounds the calls in flight
            runs = [await self.judge_once(item) for _ in range(self.options.repeats)]
        except AgilityError as exc:
            # the user's mistakes and rejected credentials stop the scoring: retrying each
            # example would only repeat the same failure
            if isinstance(exc, (UsageError, ProviderAuthError)):
                raise
            return self._result(error=f"judge call failed: {scrub_secrets(str(exc))}")
        valid = [r for r in runs if r["error"] is None]
        raw: dict[str, Any] = {"judgments": [{k: v for k, v in r.items() if k != "_parsed"}
                                             for r in runs]}
        if not valid:
            return self._result(error=runs[0]["error"], raw=raw)
        outcomes = [self.interpret(r["_parsed"], item) for r in valid]
        score, verdict, passed, spread = combine(outcomes)
        if self.options.repeats > 1:
            raw["spread"] = {**spread, "n_valid": len(valid), "n_invalid": len(runs) - len(valid)}
        reason = valid[0]["judgment"].get("reason", "")
        return self._result(score=score, verdict=verdict, passed=passed, reason=reason, raw=raw)

    def _result(self, **fields: Any) -> MetricResult:
        return MetricResult(judge_model=self.options.judge,
                            judge_prompt_version=self.prompt.version, **fields)



def combine(outcomes: list[tuple[float | None, str | None, bool | None]]
            ) -> tuple[float | None, str | None, bool | None, dict[str, Any]]:
    """Combine repeated judgments: mean score, majority verdict and pass, and their spread."""
    scores = [s for s, _, _ in outcomes if s is not None]
    verdicts = [v for _, v, _ in outcomes if v is not None]
    passes = [p for _, _, p in outcomes if p is not None]
    score = sum(scores) / len(scores) if scores else None
    verdict, agreement = None, None
    if verdicts:
        verdict, count = Counter(verdicts).most_common(1)[0]
        agreement = count / len(verdicts)
    # a tie between pass and fail counts as a fail: a gate should not pass on a coin flip
    passed = (sum(passes) > len(passes) / 2) if passes else None
    spread = {
        "scores": scores,
        "verdicts": verdicts,
        "stdev": statistics.stdev(scores) if len(scores) > 1 else None,
        "min": min(scores) if scores else None,
        "max": max(scores) if scores else None,
        "agreement": agreement,
    }
    return score, verdict, passed, spread


def _question(item: MetricInput) -> str:
    return item.question or ""


@register_metric("llm_correctness")
class LLMCorrectness(JudgeMetric):
    """Correct / incorrect / refusal against the ground truth, with a score in [0, 1]."""

    version = "1"
    prompt_key = "llm_correctness"
    judgment = CorrectnessJudgment
    requires = ("output", "ground_truth")

    def blocks(self, item: MetricInput) -> list[tuple[str, str]]:
        return [("question", _question(item)), ("reference", item.ground_truth or ""),
                ("answer", item.output or "")]

    def interpret(self, judgment: Any, item: MetricInput) -> tuple[float | None, str | None,
                                                                   bool | None]:
        return judgment.score, judgment.verdict, judgment.verdict == "correct"


@register_metric("faithfulness")
class Faithfulness(JudgeMetric):
    """Whether the answer's claims are supported by the example's contexts."""

    version = "1"
    prompt_key = "faithfulness"
    judgment = FaithfulnessJudgment
    requires = ("output", "contexts")

    def blocks(self, item: MetricInput) -> list[tuple[str, str]]:
        context = "\n\n".join(f"[{i + 1}] {c}" for i, c in enumerate(item.contexts))
        return [("context", context), ("answer", item.output or "")]

    def interpret(self, judgment: Any, item: MetricInput) -> tuple[float | None, str | None,
                                                                   bool | None]:
        return judgment.score, judgment.verdict, judgment.verdict == "faithful"


@register_metric("answer_relevancy")
class AnswerRelevancy(JudgeMetric):
    """How directly the answer addresses the question (not whether it is right)."""

    version = "1"
    prompt_key = "answer_relevancy"
    judgment = RelevancyJudgment
    requires = ("output", "question")

    def blocks(self, item: MetricInput) -> list[tuple[str, str]]:
        return [("question", _question(item)), ("answer", item.output or "")]

    def interpret(self, judgment: Any, item: MetricInput) -> tuple[float | None, str | None,
                                                                   bool | None]:
        return judgment.score, judgment.verdict, judgment.verdict == "relevant"


class RubricOptions(JudgeOptions):
    """Options of ``rubric``: the criteria (required), optional steps and the pass mark."""

    criteria: str
    #: the evaluation steps, one text or a list of steps (default: read, check, score)
    steps: str | list[str] | None = None
    #: score (in [0, 1], i.e. (s - 1) / 4) at or above which ``passed`` is true
    threshold: float = Field(0.75, ge=0.0, le=1.0)

    @field_validator("criteria")
    @classmethod
    def _criteria(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give the criteria the answer is judged on")
        return value.strip()


@register_metric("rubric")
class Rubric(JudgeMetric):
    """G-Eval style rubric: ``criteria`` (and optional ``steps``) from config, a 1-5 score
    mapped to [0, 1] as ``(s - 1) / 4``. Passes at ``threshold`` (default 0.75, i.e. 4/5)."""

    version = "1"
    prompt_key = "rubric"
    judgment = RubricJudgment
    Options = RubricOptions
    options: RubricOptions
    requires = ("output",)
    _DEFAULT_STEPS = ("1. Read the question and the answer.\n"
                      "2. Check the answer against each criterion.\n"
                      "3. Give 5 when every criterion is fully met, 1 when none is.")

    def __init__(self, options: RubricOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        super().__init__(options, **more)
        self.criteria = self.options.criteria
        steps = self.options.steps or self._DEFAULT_STEPS
        self.steps = "\n".join(steps) if isinstance(steps, list) else steps

    def fill(self) -> dict[str, str]:
        return {"criteria": self.criteria, "steps": self.steps}

    def blocks(self, item: MetricInput) -> list[tuple[str, str]]:
        blocks = [("question", _question(item))] if item.question else []
        if item.ground_truth:
            blocks.append(("reference", item.ground_truth))
        return blocks + [("answer", item.output or "")]

    def interpret(self, judgment: Any, item: MetricInput) -> tuple[float | None, str | None,
                                                                   bool | None]:
        score = (judgment.score - 1) / 4
        return score, str(judgment.score), score >= self.options.threshold


@register_metric("safety")
class Safety(JudgeMetric):
    """Safe / unsafe; ``passed`` is true for safe answers (score 1.0 safe, 0.0 unsafe)."""

    version = "1"
    prompt_key = "safety"
    judgment = SafetyJudgment
    requires = ("output",)

    def blocks(self, item: MetricInput) -> list[tuple[str, str]]:
        return [("answer", item.output or "")]

    def interpret(self, judgment: Any, item: MetricInput) -> tuple[float | None, str | None,
                                                                   bool | None]:
        safe = judgment.verdict == "safe"
        return (1.0 if safe else 0.0), judgment.verdict, safe
